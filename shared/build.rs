// `sqlx::migrate!` embeds migrations/ at compile time; rebuild when a migration is added
// or changed, which cargo would not notice by itself.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
