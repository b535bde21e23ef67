//! The VRO editions over HTTP on 127.0.0.1: their routes, the envelope, paging, the plan
//! and runtime-details fields, the client credentials grant and the MFA demand.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

fn vro(api: SimApi) -> SimConfig {
    let mut config = plans(&[A, B], Duration::ZERO);
    config.api = api;
    config.plans[1].enabled = false;
    config
}

/// A form post to the token endpoint of `api`.
async fn grant(
    http: &reqwest::Client,
    base: &str,
    api: SimApi,
    form: &[(&str, &str)],
) -> (StatusCode, Value, Option<String>) {
    let r = http
        .post(format!("{base}{}", api.token_path()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null);
    (status, body, challenge)
}

#[tokio::test]
async fn each_vro_edition_serves_its_prefix_and_wraps_its_answers() {
    for api in [SimApi::Vro7, SimApi::Vro13] {
        let config = vro(api);
        let (_sim, http, base) = start(config.clone()).await;
        // The v3 routes are not there.
        assert_eq!(
            login(&http, &base, &config.username, &config.password)
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        let (status, body, _) = grant(
            &http,
            &base,
            api,
            &[
                ("grant_type", "password"),
                ("username", &config.username),
                ("password", &config.password),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = body["access_token"].as_str().unwrap().to_owned();
        let prefix = api.prefix();
        let (status, _) = get(&http, format!("{base}/api/v3/Plans/{A}"), &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, plan) = get(&http, format!("{base}{prefix}/Plans/{A}"), &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(plan["success"], true);
        assert_eq!(plan["data"]["id"], A);
        assert_eq!(plan["data"]["planMode"], "Enabled");
        assert_eq!(plan["data"]["planVerificationState"], "Verified");
        assert_eq!(plan["data"]["isUndoPossible"], false);
        assert!(plan["data"].get("enabled").is_none(), "{plan}");
        let (_, disabled) = get(&http, format!("{base}{prefix}/Plans/{B}"), &token).await;
        assert_eq!(disabled["data"]["planMode"], "Disabled");

        let (_, details) = get(
            &http,
            format!("{base}{prefix}/RuntimeDetails/Plans/{A}"),
            &token,
        )
        .await;
        let d = &details["data"];
        assert_eq!(
            (
                &d["isRunningState"],
                &d["isStableState"],
                &d["currentRunResult"],
                &d["currentTestResult"]
            ),
            (
                &json!(false),
                &json!(true),
                &json!("Success"),
                &json!("Undefined")
            )
        );
        assert!(d["stateOrder"].is_u64(), "{d}");

        // Paging: `limit` capped to the page size, `start` skips, totals beside.
        let (_, page) = get(
            &http,
            format!("{base}{prefix}/Plans?start=1&limit=1"),
            &token,
        )
        .await;
        assert_eq!(page["data"].as_array().unwrap().len(), 1);
        assert_eq!(page["data"][0]["id"], B);
        assert_eq!(
            (&page["start"], &page["limit"], &page["totalCount"]),
            (&json!(1), &json!(1), &json!(2))
        );
        let (_, beyond) = get(&http, format!("{base}{prefix}/Plans?start=5"), &token).await;
        assert_eq!(beyond["data"], json!([]));
        let (status, _) = get(&http, format!("{base}{prefix}/Plans?limit=many"), &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn vao3_keeps_its_bare_answers() {
    let config = plans(&[A], Duration::ZERO);
    let (_sim, http, base, token) = start_logged_in(&config).await;
    let (_, list) = get(
        &http,
        format!("{base}/api/v3/Plans?start=0&limit=1"),
        &token,
    )
    .await;
    assert!(list.is_array(), "{list}");
    let (_, details) = get(
        &http,
        format!("{base}/api/v3/RuntimeDetails/Plans/{A}"),
        &token,
    )
    .await;
    assert_eq!(details["currentRunResult"], true);
    assert!(details.get("isRunningState").is_none());
}

#[tokio::test]
async fn the_client_credentials_grant_and_the_mfa_demand() {
    let api = SimApi::Vro7;
    let mut config = vro(api);
    config.client = Some(SimClient {
        id: "c".to_owned(),
        secret: "client-secret".to_owned(),
    });
    config.mfa = true;
    let (_sim, http, base) = start(config.clone()).await;
    let client = |secret: &'static str| {
        [
            ("grant_type", "client_credentials"),
            ("client_id", "c"),
            ("client_secret", secret),
        ]
    };
    let (status, body, _) = grant(&http, &base, api, &client("client-secret")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());
    let (status, body, _) = grant(&http, &base, api, &client("wrong")).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );

    let password = |password: &str| {
        vec![
            ("grant_type", "password".to_owned()),
            ("username", config.username.clone()),
            ("password", password.to_owned()),
        ]
    };
    let form = password(&config.password);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, challenge) = grant(&http, &base, api, &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "mfa_required");
    assert!(body["mfa_token"].is_string());
    assert_eq!(challenge.as_deref(), Some("Bearer error=\"mfa_required\""));
    // A wrong password is refused as ever, without revealing that MFA would follow.
    let form = password("wrong");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = grant(&http, &base, api, &form).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let (status, _, _) = grant(
        &http,
        &base,
        api,
        &[("grant_type", "mfa"), ("mfa_passcode", "1")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
