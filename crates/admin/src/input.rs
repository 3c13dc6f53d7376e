//! Checks of admin input that several resources share.

use store::error::{ApiError, ApiResult, ErrorType};

/// A URL handle from `raw` (a handle or a title): lower-case letters and digits joined
/// by single dashes, 1 to 200 characters.
pub(crate) fn handle(field: &str, raw: &str) -> ApiResult<String> {
    let handle = raw
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if handle.is_empty() || handle.len() > 200 {
        return Err(ApiError::invalid_data(format!(
            "{field}: needs letters or digits, at most 200"
        )));
    }
    Ok(handle)
}

/// A required `name`: trimmed, 1 to 200 characters.
pub(crate) fn name(value: Option<&str>) -> ApiResult<&str> {
    value
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.len() <= 200)
        .ok_or_else(|| ApiError::invalid_data("name: required, at most 200 characters"))
}

/// A unique-key violation is the caller's duplicate (`what` says which); any other
/// database error stays internal.
#[track_caller]
pub(crate) fn duplicate(err: sqlx::Error, what: impl Into<String>) -> ApiError {
    match &err {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23505") => {
            ApiError::public(ErrorType::DuplicateError, what)
        }
        _ => ApiError::from(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_lower_case_words_joined_by_single_dashes() {
        assert_eq!(
            handle("handle", "  Summer  Tee / Blue ").unwrap(),
            "summer-tee-blue"
        );
        assert!(handle("handle", " -- ").is_err());
        assert!(handle("handle", &"a".repeat(201)).is_err());
    }
}
