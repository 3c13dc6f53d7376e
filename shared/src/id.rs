//! Prefixed ULIDs, as Medusa uses: `prod_01H...`, `variant_01H...`.

/// A new id with the given prefix, e.g. `new_id("prod")` → `prod_01J...`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::generate())
}

/// Whether `raw` can be an id with `prefix`: the prefix, an underscore, then up to 64
/// ASCII letters, digits or underscores. Ids that pass but do not exist are a 404;
/// ids that fail are malformed input (400).
pub fn is_well_formed(raw: &str, prefix: &str) -> bool {
    match raw
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
    {
        Some(rest) => {
            !rest.is_empty()
                && rest.len() <= 64
                && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_carry_their_prefix_and_a_ulid() {
        let id = new_id("prod");
        assert!(id.starts_with("prod_"));
        assert_eq!(id.len(), "prod_".len() + 26);
        assert!(is_well_formed(&id, "prod"));
    }

    #[test]
    fn ids_with_another_prefix_or_odd_characters_are_malformed() {
        assert!(is_well_formed("prod_does_not_exist", "prod"));
        assert!(!is_well_formed("variant_01ABC", "prod"));
        assert!(!is_well_formed("prod_", "prod"));
        assert!(!is_well_formed("prod_a b", "prod"));
        assert!(!is_well_formed("prod_'; drop table", "prod"));
        assert!(!is_well_formed(&format!("prod_{}", "a".repeat(65)), "prod"));
    }
}
