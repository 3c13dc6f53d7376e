#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    store::logging::init();
    lambda_http::run(cart::from_env()?).await
}
