#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = store::AppState::from_env()?;
    lambda_http::run(content::router(state)).await
}
