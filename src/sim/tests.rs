//! The simulator driven over HTTP on 127.0.0.1, as drbook's client sees it.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

mod checks;
mod continues;
mod faults;
mod flavours;

const A: &str = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";
const B: &str = "0b8a3c1d-2e4f-4a6b-9c8d-7e6f5a4b3c2d";

fn local() -> SocketAddr {
    (Ipv4Addr::LOCALHOST, 0).into()
}

fn client() -> reqwest::Client {
    // No proxy: traffic must stay on 127.0.0.1.
    crate::vao::client::install_crypto_provider();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn start(config: SimConfig) -> (Simulator, reqwest::Client, String) {
    let sim = Simulator::start(config, local()).await.unwrap();
    let base = sim.base_url();
    (sim, client(), base)
}

/// [`start`], then a token from the password grant.
async fn start_logged_in(config: &SimConfig) -> (Simulator, reqwest::Client, String, String) {
    let (sim, http, base) = start(config.clone()).await;
    let token = token(config, &http, &base).await;
    (sim, http, base, token)
}

async fn login(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    http.post(format!("{base}/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

async fn refresh_grant(http: &reqwest::Client, base: &str, refresh: &str) -> reqwest::Response {
    http.post(format!("{base}/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap()
}

async fn token(sim_config: &SimConfig, http: &reqwest::Client, base: &str) -> String {
    let body: Value = login(http, base, &sim_config.username, &sim_config.password)
        .await
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// Sends `request`; the answer's status and its body as JSON (`null` when empty or not
/// JSON).
async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = request.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(http: &reqwest::Client, url: String, token: &str) -> (StatusCode, Value) {
    answer(http.get(url).bearer_auth(token)).await
}

async fn failover(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    plan_action(http, base, id, "Failover", token, body).await
}

/// `POST /api/v3/Plans/{id}/{action}` with a JSON body.
async fn plan_action(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    action: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    post(
        http,
        format!("{base}/api/v3/Plans/{id}/{action}"),
        token,
        Some(body),
    )
    .await
}

/// A `POST` with a JSON body, or none; the answer's body as JSON (`null`
/// when empty).
async fn post(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http.post(url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request).await
}

async fn details(http: &reqwest::Client, base: &str, id: &str, token: &str) -> (StatusCode, Value) {
    get(
        http,
        format!("{base}/api/v3/RuntimeDetails/Plans/{id}"),
        token,
    )
    .await
}

async fn undo(http: &reqwest::Client, base: &str, id: &str, token: &str) -> (StatusCode, Value) {
    post(http, format!("{base}/api/v3/Plans/{id}/Undo"), token, None).await
}

/// Posts bodies that are not a JSON object (or lack a JSON content type), then each of
/// `bad_json` as `application/json`, and expects a 400 with a JSON `message` for every
/// one. Returns how many requests it sent.
async fn assert_bad_requests(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    bad_json: &[&'static str],
) -> usize {
    let json = Some("application/json");
    let not_json = [
        (json, "{"),
        (json, ""),
        (Some("text/plain"), "{}"),
        (None, "{}"),
    ];
    let requests: Vec<_> = not_json
        .into_iter()
        .chain(bad_json.iter().map(|body| (json, *body)))
        .collect();
    for &(content_type, body) in &requests {
        let mut request = http.post(url).bearer_auth(token).body(body);
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        let r = request.send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::BAD_REQUEST,
            "{content_type:?} {body}"
        );
        let reply: Value = r.json().await.unwrap();
        assert!(reply["message"].is_string(), "{reply}");
    }
    requests.len()
}

/// The keys of a plan's state, in the order both plans and runtime details show them.
const STATE_KEYS: [&str; 6] = [
    "planType",
    "state",
    "stateName",
    "resultName",
    "lastStableState",
    "lastStableStateName",
];

fn keys_of(value: &Value) -> impl Iterator<Item = &str> {
    value
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys().map(String::as_str))
}

fn faults_of(sim: &Simulator) -> Vec<Option<String>> {
    sim.requests().into_iter().map(|r| r.fault).collect()
}

fn message_of(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

/// Expects a 400 whose JSON `message` contains `needle`.
fn assert_refused((status, body): (StatusCode, Value), needle: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(message_of(&body).contains(needle), "{body}");
}

fn plans(ids: &[&str], duration: Duration) -> SimConfig {
    SimConfig::with_plans(ids.iter().map(|s| s.to_string()), duration)
}

fn with_faults(ids: &[&str], duration: Duration, faults: Vec<Fault>) -> SimConfig {
    let mut config = plans(ids, duration);
    config.faults = faults;
    config
}

/// Plan [`A`], acting at once, and this one fault.
fn one_fault(fault: Fault) -> SimConfig {
    with_faults(&[A], Duration::ZERO, vec![fault])
}

#[tokio::test]
async fn password_grant_and_refresh() {
    let config = plans(&[A], Duration::ZERO);
    let (sim, http, base) = start(config.clone()).await;

    let ok = login(&http, &base, "drbook", &config.password).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 899);
    let refresh = body["refresh_token"].as_str().unwrap().to_string();

    let domain = login(&http, &base, "CORP\\drbook", &config.password).await;
    assert_eq!(domain.status(), StatusCode::OK);

    let bad = login(&http, &base, "drbook", "wrong").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["error"], "invalid_grant");

    let refreshed = refresh_grant(&http, &base, &refresh).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let new_token: Value = refreshed.json().await.unwrap();
    let (status, _) = get(
        &http,
        format!("{base}/api/v3/Plans"),
        new_token["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let reused = refresh_grant(&http, &base, &refresh).await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        reused.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    let no_grant = http
        .post(format!("{base}/token"))
        .form(&[("username", "drbook")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_grant.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        no_grant.json::<Value>().await.unwrap(),
        json!({"error": "unsupported_grant_type"})
    );

    let recorded = sim.requests();
    assert_eq!(recorded.len(), 7);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, "/token");
    assert!(!format!("{recorded:?}").contains(&config.password));
}

#[tokio::test]
async fn api_requires_a_valid_token() {
    let mut config = plans(&[A], Duration::ZERO);
    config.token_lifetime = Duration::from_secs(1);
    let (sim, http, base) = start(config.clone()).await;
    let denied = json!({"message": "Authorization has been denied for this request."});

    let missing = answer(http.get(format!("{base}/api/v3/Plans"))).await;
    assert_eq!(missing, (StatusCode::UNAUTHORIZED, denied.clone()));

    let (status, body) = get(&http, format!("{base}/api/v3/Plans"), "made-up").await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, denied.clone()));

    let token = token(&config, &http, &base).await;
    assert_eq!(
        get(&http, format!("{base}/api/v3/Plans"), &token).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let (status, body) = get(&http, format!("{base}/api/v3/Plans"), &token).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, denied));
    // Unauthorized failovers never reach the plan.
    let (status, _) = failover(&http, &base, A, &token, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(sim.failover_count(A), 0);
}

#[tokio::test]
async fn list_and_get_plans() {
    let mut config = plans(&[A, B], Duration::ZERO);
    config.plans[1].enabled = false;
    config.plans[1].state = "NotVerified".to_string();
    let (_sim, http, base, token) = start_logged_in(&config).await;

    let (status, all) = get(&http, format!("{base}/api/v3/Plans"), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, enabled) = get(
        &http,
        format!("{base}/api/v3/Plans?ONLYENABLED=True"),
        &token,
    )
    .await;
    assert_eq!(enabled.as_array().unwrap().len(), 1);
    assert_eq!(enabled[0]["id"], A);

    let (status, plan) = get(
        &http,
        format!("{base}/api/v3/Plans/{}", B.to_uppercase()),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plan["stateName"], "Not verified");
    assert_eq!(plan["enabled"], false);
    let plan_keys = ["id", "name"].into_iter().chain(STATE_KEYS).chain([
        "previousExecutionState",
        "description",
        "enabled",
    ]);
    assert!(keys_of(&plan).eq(plan_keys), "{plan}");
    let (status, runtime) = details(&http, &base, A, &token).await;
    let runtime_keys = ["planId"].into_iter().chain(STATE_KEYS).chain([
        "totalProgress",
        "currentRunResult",
        "currentTestResult",
        "currentCheckResult",
    ]);
    assert!(keys_of(&runtime).eq(runtime_keys), "{runtime}");
    assert_eq!(runtime["stateName"], "Verified");
    assert_eq!(runtime["lastStableStateName"], "Verified");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(runtime["planId"], A);
    assert_eq!(runtime["state"], "Verified");
    assert_eq!(runtime["lastStableState"], "Verified");
    assert_eq!(runtime["totalProgress"], 0);
    assert_eq!(runtime["resultName"], "Ready");

    let unknown = "00000000-0000-4000-8000-000000000000";
    let (status, body) = get(&http, format!("{base}/api/v3/Plans/{unknown}"), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], format!("Plan {unknown} was not found."));
    assert_eq!(
        details(&http, &base, unknown, &token).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = get(&http, format!("{base}/api/v3/Nothing"), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].is_string());
    let (status, body) = get(&http, format!("{base}/elsewhere"), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn failover_runs_then_completes() {
    let config = plans(&[A], Duration::from_millis(300));
    let (sim, http, base, token) = start_logged_in(&config).await;

    let r = http
        .post(format!("{base}/api/v3/Plans/{A}/Failover"))
        .bearer_auth(&token)
        .json(&json!({"executeChainedPlans": false, "restorePointDate": null, "protectStorageVolumes": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().is_empty());

    let details_url = format!("{base}/api/v3/RuntimeDetails/Plans/{A}");
    let (_, running) = get(&http, details_url.clone(), &token).await;
    assert_eq!(running["state"], "FailoverInProgress");
    assert_eq!(running["stateName"], "Failover in progress");
    assert_eq!(running["lastStableState"], "Verified");
    assert_eq!(running["resultName"], "Running");
    let progress = running["totalProgress"].as_u64().unwrap();
    assert!((1..=99).contains(&progress), "{progress}");

    // A second failover while the first runs is refused and names the state.
    assert_refused(
        failover(&http, &base, A, &token, json!({})).await,
        "FailoverInProgress",
    );
    assert_eq!(sim.failover_count(A), 2);

    tokio::time::sleep(Duration::from_millis(320)).await;
    let (_, done) = get(&http, details_url, &token).await;
    assert_eq!(done["state"], "Failover");
    assert_eq!(done["lastStableState"], "Failover");
    assert_eq!(done["totalProgress"], 100);
    assert_eq!(done["resultName"], "Complete, no errors, no warnings");
    assert_eq!(
        sim.plan_state(&A.to_uppercase()).as_deref(),
        Some("Failover")
    );

    assert_refused(
        failover(&http, &base, A, &token, json!({})).await,
        "Failover",
    );
    assert_eq!(sim.failover_count(A), 3);
}

#[tokio::test]
async fn failover_outcomes() {
    let mut config = plans(&[A, B], Duration::ZERO);
    config.plans[0].outcome = SimOutcome::Errors;
    config.plans[1].outcome = SimOutcome::Halt;
    let (_sim, http, base, token) = start_logged_in(&config).await;
    for (id, state, progress, result) in [
        (A, "Failover", 100, "Complete with errors"),
        (B, "Halted", 50, "Halted with errors"),
    ] {
        assert_eq!(
            failover(&http, &base, id, &token, json!({})).await.0,
            StatusCode::OK
        );
        let (_, d) = details(&http, &base, id, &token).await;
        assert_eq!(
            (
                &d["state"],
                &d["lastStableState"],
                &d["totalProgress"],
                &d["resultName"]
            ),
            (
                &json!(state),
                &json!(state),
                &json!(progress),
                &json!(result)
            )
        );
        let (_, p) = get(&http, format!("{base}/api/v3/Plans/{id}"), &token).await;
        assert_eq!(p["state"], state);
        assert_eq!(p["previousExecutionState"], "Verified");
    }
}

#[tokio::test]
async fn failover_rejections() {
    let mut config = plans(&[A, B], Duration::ZERO);
    config.plans[1].enabled = false;
    let (sim, http, base, token) = start_logged_in(&config).await;

    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        failover(&http, &base, unknown, &token, json!({})).await.0,
        StatusCode::NOT_FOUND
    );

    assert_refused(
        failover(&http, &base, B, &token, json!({})).await,
        "disabled",
    );

    let url = format!("{base}/api/v3/Plans/{A}/Failover");
    let sent = assert_bad_requests(
        &http,
        &url,
        &token,
        &[
            "[true]",
            r#"{"executeChainedPlans": "yes"}"#,
            r#"{"protectStorageVolumes": 1}"#,
            r#"{"restorePointDate": "yesterday"}"#,
            r#"{"restorePointDate": 5}"#,
        ],
    )
    .await;
    assert_eq!(sent, 9);
    assert_eq!(sim.plan_state(A).as_deref(), Some("Verified"));
    assert_eq!(sim.failover_count(A), 9);

    // Case-insensitive property names, as ASP.NET binds them.
    let (status, _) = failover(
        &http,
        &base,
        A,
        &token,
        json!({"EXECUTECHAINEDPLANS": true, "restorepointDate": "2024-05-01T10:20:30", "unknown": [1]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.plan_state(A).as_deref(), Some("Failover"));
    let last = sim.requests().pop().unwrap();
    assert_eq!(last.path, format!("/api/v3/Plans/{A}/Failover"));
    assert!(last.authorization.unwrap().starts_with("Bearer "));
    assert_eq!(last.content_type.as_deref(), Some("application/json"));
    assert!(last.body.contains("restorepointDate"));
}

#[test]
fn spawn_in_thread_serves_and_stops() {
    let config = plans(&[A], Duration::ZERO);
    let sim = Simulator::spawn_in_thread(config).unwrap();
    let addr = sim.addr();
    assert!(sim.base_url().starts_with("http://127.0.0.1:"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, _) = runtime.block_on(answer(
        client().get(format!("{}/api/v3/Plans", sim.base_url())),
    ));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(sim.requests().len(), 1);
    sim.shutdown();
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn serve_stops_on_signal() {
    let listener = tokio::net::TcpListener::bind(local()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(SimConfig::demo(), listener, async move {
        let _ = stopped.await;
    }));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(2), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_token_form_is_recognised_whatever_the_case_of_its_media_type() {
    let config = plans(&[A], Duration::ZERO);
    let (_sim, http, base) = start(config.clone()).await;
    let form = format!(
        "grant_type=password&username={}&password={}",
        config.username, config.password
    );
    let (status, body) = answer(
        http.post(format!("{base}/token"))
            .header(
                "Content-Type",
                "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
            )
            .body(form.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string(), "{body}");
    // Not a form at all: read as an empty form, which lacks grant_type.
    let (status, body) = answer(
        http.post(format!("{base}/token"))
            .header("Content-Type", "text/plain")
            .body(form),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type", "{body}");
}

#[tokio::test]
async fn plan_ids_in_paths_are_percent_decoded_and_never_refused_as_text() {
    let (_sim, http, base, token) = start_logged_in(&plans(&[A], Duration::ZERO)).await;
    let encoded = A.replacen('-', "%2D", 1);
    let (status, plan) = get(&http, format!("{base}/api/v3/Plans/{encoded}"), &token).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["id"], A);
    for path in [
        format!("{base}/api/v3/Plans/%FF"),
        format!("{base}/api/v3/RuntimeDetails/Plans/%FF"),
    ] {
        let (status, body) = get(&http, path.clone(), &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(message_of(&body).contains("%FF"), "{path}: {body}");
    }
}
