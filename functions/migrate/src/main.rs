use lambda_http::lambda_runtime::{self, service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    store::logging::init();
    let client = migrate::response_client()?;
    let database_url = std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty());
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<migrate::CustomResourceEvent>| {
            let client = &client;
            let database_url = database_url.as_deref();
            async move { migrate::handle(event.payload, database_url, client).await }
        },
    ))
    .await
}
