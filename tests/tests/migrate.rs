//! The migrate function answers CloudFormation for every outcome.

use std::sync::{Arc, Mutex};

use axum::routing::put;
use axum::Router;
use serde_json::{json, Value};

/// What CloudFormation received: (content type, body) per answer.
type Answers = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A stand-in for the pre-signed S3 URL CloudFormation gives: records what is PUT.
async fn response_url() -> (String, Answers) {
    let received: Answers = Arc::default();
    let sink = received.clone();
    let app = Router::new().route(
        "/cfn-response",
        put(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    let content_type = headers
                        .get("content-type")
                        .map(|v| v.to_str().unwrap_or("?").to_string());
                    sink.lock()
                        .unwrap()
                        .push((content_type, serde_json::from_slice(&body).unwrap()));
                    ""
                }
            },
        ),
    );
    let base = store_tests::serve_on_loopback(app, "CloudFormation response").await;
    (format!("{base}/cfn-response"), received)
}

fn event(request_type: &str, url: &str) -> migrate::CustomResourceEvent {
    serde_json::from_value(json!({
        "RequestType": request_type, "ResponseURL": url, "StackId": "arn:aws:cloudformation:eu-west-1:1:stack/shop/1",
        "RequestId": "req-1", "LogicalResourceId": "DatabaseMigrations", "ResourceType": "Custom::Migrations",
        "ResourceProperties": { "ServiceToken": "arn:aws:lambda:eu-west-1:1:function:migrate", "CodeVersion": "3" },
    }))
    .unwrap()
}

#[tokio::test]
async fn a_deploy_applies_the_migrations_and_a_second_deploy_changes_nothing() {
    let (url, received) = response_url().await;
    let database = store_tests::fresh_database_url().await;
    let client = migrate::response_client().unwrap();
    migrate::handle(event("Create", &url), Some(&database), &client)
        .await
        .unwrap();
    migrate::handle(event("Update", &url), Some(&database), &client)
        .await
        .unwrap();
    let answers = received.lock().unwrap().clone();
    assert_eq!(answers.len(), 2);
    for (content_type, body) in &answers {
        assert_eq!(body["Status"], "SUCCESS", "{body}");
        assert_eq!(body["PhysicalResourceId"], "database-migrations");
        assert_eq!(body["RequestId"], "req-1");
        assert_eq!(body["LogicalResourceId"], "DatabaseMigrations");
        assert_eq!(
            content_type.as_deref(),
            Some(""),
            "the pre-signed URL takes no content type"
        );
    }
    let expected = store::db::MIGRATOR.iter().count() as i64;
    assert_eq!(answers[1].1["Data"]["Applied"], expected);
    let pool = sqlx::PgPool::connect(&database).await.unwrap();
    let carts: i64 = sqlx::query_scalar("SELECT count(*) FROM carts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(carts, 0, "the schema exists");
}

#[tokio::test]
async fn failures_are_reported_to_cloudformation_without_the_password() {
    let (url, received) = response_url().await;
    let client = migrate::response_client().unwrap();
    migrate::handle(event("Create", &url), None, &client)
        .await
        .unwrap();
    let unreachable = "postgres://shop:s3cr3t-pw@127.0.0.1:1/store";
    migrate::handle(event("Update", &url), Some(unreachable), &client)
        .await
        .unwrap();
    migrate::handle(event("Delete", &url), Some(unreachable), &client)
        .await
        .unwrap();
    let answers = received.lock().unwrap().clone();
    assert_eq!(answers[0].1["Status"], "FAILED");
    assert!(answers[0].1["Reason"]
        .as_str()
        .unwrap()
        .contains("DATABASE_URL"));
    assert_eq!(answers[1].1["Status"], "FAILED");
    assert!(
        !answers[1].1.to_string().contains("s3cr3t-pw"),
        "{}",
        answers[1].1
    );
    assert_eq!(
        answers[2].1["Status"], "SUCCESS",
        "deleting the stack keeps the data and succeeds"
    );
}
