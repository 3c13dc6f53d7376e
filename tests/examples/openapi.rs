//! Writes the OpenAPI document of every route the functions serve (`store_tests::openapi`)
//! to the file named by the first argument, or to standard output.
//!
//!     cargo run -q -p store-tests --example openapi -- target/openapi.json

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let functions = store_tests::openapi::offline_functions();
    let document = store_tests::openapi::document(&functions).await;
    let text = serde_json::to_string_pretty(&document)?;
    match std::env::args().nth(1) {
        Some(path) => std::fs::write(path, text + "\n")?,
        None => println!("{text}"),
    }
    Ok(())
}
