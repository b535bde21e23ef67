//! Injected faults, undo, halt and restart, over HTTP on 127.0.0.1.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn latency_delays_and_still_acts_when_the_client_gives_up() {
    let delay = Duration::from_millis(200);
    let config = with_faults(
        &[A],
        Duration::from_secs(5),
        vec![
            Fault::new(FaultEndpoint::Plans, FaultKind::Latency(delay)),
            Fault::new(FaultEndpoint::Failover, FaultKind::Latency(delay)),
        ],
    );
    let (sim, http, base, token) = start_logged_in(&config).await;

    let t0 = Instant::now();
    let (status, _) = get(&http, format!("{base}/api/v3/Plans"), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(t0.elapsed() >= delay, "{:?}", t0.elapsed());
    let t1 = Instant::now();
    get(&http, format!("{base}/api/v3/Plans"), &token).await;
    assert!(t1.elapsed() < delay, "only once: {:?}", t1.elapsed());

    // The client times out; the server acts anyway once the delay is over.
    let impatient = http
        .post(format!("{base}/api/v3/Plans/{A}/Failover"))
        .bearer_auth(&token)
        .json(&json!({}))
        .timeout(Duration::from_millis(50))
        .send()
        .await;
    assert!(impatient.is_err_and(|e| e.is_timeout()));
    assert_eq!(sim.accepted_failovers(A), 0);
    tokio::time::sleep(delay + Duration::from_millis(100)).await;
    assert_eq!(sim.accepted_failovers(A), 1);
    assert_eq!(sim.plan_state(A).as_deref(), Some("FailoverInProgress"));
    assert_eq!(
        faults_of(&sim)[1..],
        [
            Some("latency".to_string()),
            None,
            Some("latency".to_string())
        ]
    );
}

#[tokio::test]
async fn status_burst_then_success_without_acting() {
    let config = with_faults(
        &[A],
        Duration::from_secs(5),
        vec![Fault::new(FaultEndpoint::Failover, FaultKind::Status(503)).times(2)],
    );
    let (sim, http, base, token) = start_logged_in(&config).await;
    for _ in 0..2 {
        let (status, body) = failover(&http, &base, A, &token, json!({})).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(message_of(&body).contains("503"), "{body}");
        assert_eq!(sim.plan_state(A).as_deref(), Some("Verified"));
    }
    assert_eq!(sim.failover_count(A), 0);
    let (status, _) = failover(&http, &base, A, &token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((sim.failover_count(A), sim.accepted_failovers(A)), (1, 1));
    let status = Some("status".to_string());
    assert_eq!(
        faults_of(&sim),
        [None, status.clone(), status, None],
        "the token request, then the three failovers"
    );
}

#[tokio::test]
async fn retry_after_answers_429_with_the_header() {
    let config = one_fault(Fault::new(
        FaultEndpoint::RuntimeDetails,
        FaultKind::RetryAfter(1),
    ));
    let (sim, http, base, token) = start_logged_in(&config).await;
    let r = http
        .get(format!("{base}/api/v3/RuntimeDetails/Plans/{A}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert!(r.json::<Value>().await.unwrap()["message"].is_string());
    assert_eq!(details(&http, &base, A, &token).await.0, StatusCode::OK);
    assert_eq!(sim.requests()[1].fault.as_deref(), Some("retry_after"));
}

#[tokio::test]
async fn drop_after_action_acts_then_loses_the_answer() {
    let config = with_faults(
        &[A],
        Duration::from_secs(5),
        vec![Fault::new(FaultEndpoint::Failover, FaultKind::DropAfterAction).for_plan(A)],
    );
    let (sim, http, base, token) = start_logged_in(&config).await;

    let t0 = Instant::now();
    let lost = http
        .post(format!("{base}/api/v3/Plans/{A}/Failover"))
        .bearer_auth(&token)
        .json(&json!({"executeChainedPlans": false}))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    // hyper: "connection closed before message completed".
    let error = lost.expect_err("the answer must be lost");
    assert!(error.is_request(), "{error:?}");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(error.status().is_none(), "{error:?}");
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());

    // The failover did start, once.
    assert_eq!(sim.plan_state(A).as_deref(), Some("FailoverInProgress"));
    assert_eq!((sim.failover_count(A), sim.accepted_failovers(A)), (1, 1));
    assert_eq!(
        sim.requests()
            .last()
            .and_then(|r| r.fault.clone())
            .as_deref(),
        Some("drop_after_action")
    );
    // A client that re-sends blindly is refused; still one accepted failover.
    assert_refused(
        failover(&http, &base, A, &token, json!({})).await,
        "FailoverInProgress",
    );
    assert_eq!((sim.failover_count(A), sim.accepted_failovers(A)), (2, 1));
    let (_, running) = details(&http, &base, A, &token).await;
    assert_eq!(running["state"], "FailoverInProgress");
}

#[tokio::test]
async fn unauthorized_once_then_normal() {
    let config = one_fault(Fault::new(FaultEndpoint::Plan, FaultKind::Unauthorized));
    let (sim, http, base, token) = start_logged_in(&config).await;
    let url = format!("{base}/api/v3/Plans/{A}");
    let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let (status, plan) = get(&http, url, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plan["id"], A);
    assert_eq!(sim.requests()[1].fault.as_deref(), Some("unauthorized"));
}

#[tokio::test]
async fn probability_is_reproducible_from_the_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let mut config = with_faults(
            &[A],
            Duration::ZERO,
            vec![
                Fault::new(FaultEndpoint::Plans, FaultKind::Status(500))
                    .times(0)
                    .with_probability(0.5),
            ],
        );
        config.seed = seed;
        let (_sim, http, base, token) = start_logged_in(&config).await;
        let mut seen = Vec::new();
        for _ in 0..24 {
            let (status, _) = get(&http, format!("{base}/api/v3/Plans"), &token).await;
            seen.push(status.as_u16());
        }
        seen
    }
    let first = statuses(42).await;
    assert_eq!(first, statuses(42).await);
    assert!(first.contains(&500) && first.contains(&200), "{first:?}");
    assert_ne!(first, statuses(43).await);
}

#[tokio::test]
async fn after_count_and_plan_filters() {
    let config = with_faults(
        &[A, B],
        Duration::ZERO,
        vec![
            Fault::new(FaultEndpoint::Plan, FaultKind::Status(502))
                .for_plan(B.to_uppercase())
                .skip(1)
                .times(2),
            Fault::new(FaultEndpoint::Any, FaultKind::Status(404)).for_plan(A),
        ],
    );
    let (sim, http, base, token) = start_logged_in(&config).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(
            get(&http, format!("{base}/api/v3/Plans/{B}"), &token)
                .await
                .0,
        );
    }
    assert_eq!(
        seen,
        [
            StatusCode::OK,
            StatusCode::BAD_GATEWAY,
            StatusCode::BAD_GATEWAY,
            StatusCode::OK
        ]
    );
    // `any` with a plan: only requests about that plan, here its runtime details.
    assert_eq!(
        get(&http, format!("{base}/api/v3/Plans"), &token).await.0,
        StatusCode::OK
    );
    let (status, body) = details(&http, &base, A, &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(message_of(&body).contains("Injected fault"), "{body}");
    assert_eq!(details(&http, &base, A, &token).await.0, StatusCode::OK);
    // Every request is recorded, hit or not.
    assert_eq!(sim.requests().len(), 8);
}

#[tokio::test]
async fn undo_states_and_sequence() {
    let config = plans(&[A], Duration::from_millis(150));
    let (sim, http, base, token) = start_logged_in(&config).await;

    assert_refused(undo(&http, &base, A, &token).await, "Verified");
    assert_eq!(
        failover(&http, &base, A, &token, json!({})).await.0,
        StatusCode::OK
    );
    assert_refused(undo(&http, &base, A, &token).await, "FailoverInProgress");

    tokio::time::sleep(Duration::from_millis(170)).await;
    assert_eq!(undo(&http, &base, A, &token).await.0, StatusCode::OK);
    let (_, running) = details(&http, &base, A, &token).await;
    assert_eq!(running["state"], "UndoFailoverInProgress");
    assert_eq!(running["lastStableState"], "Failover");
    assert_eq!(running["resultName"], "Running");
    let progress = running["totalProgress"].as_u64().unwrap();
    assert!((1..=99).contains(&progress), "{progress}");
    let (status, _) = undo(&http, &base, A, &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    tokio::time::sleep(Duration::from_millis(170)).await;
    let (_, done) = details(&http, &base, A, &token).await;
    assert_eq!(
        (
            &done["state"],
            &done["lastStableState"],
            &done["totalProgress"],
            &done["resultName"]
        ),
        (
            &json!("UndoFailover"),
            &json!("UndoFailover"),
            &json!(100),
            &json!("Complete, no errors, no warnings")
        )
    );
    // An undone plan can fail over again.
    assert_eq!(
        failover(&http, &base, A, &token, json!({})).await.0,
        StatusCode::OK
    );
    let (_, again) = details(&http, &base, A, &token).await;
    assert_eq!(again["lastStableState"], "UndoFailover");
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        undo(&http, &base, unknown, &token).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!((sim.undo_count(A), sim.accepted_undos(A)), (4, 1));
    assert_eq!((sim.failover_count(A), sim.accepted_failovers(A)), (2, 2));
}

#[tokio::test]
async fn halt_during_a_running_failover() {
    let config = plans(&[A, B], Duration::from_secs(5));
    let (_sim, http, base, token) = start_logged_in(&config).await;

    assert_refused(
        plan_action(&http, &base, A, "Halt", &token, json!({"fullStop": false})).await,
        "Verified",
    );
    assert_eq!(
        failover(&http, &base, A, &token, json!({})).await.0,
        StatusCode::OK
    );
    for bad in [json!({"fullStop": "yes"}), json!([])] {
        assert_eq!(
            plan_action(&http, &base, A, "Halt", &token, bad).await.0,
            StatusCode::BAD_REQUEST
        );
    }
    let (status, _) = plan_action(&http, &base, A, "Halt", &token, json!({"FULLSTOP": true})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, halted) = details(&http, &base, A, &token).await;
    assert_eq!(halted["state"], "Halted");
    assert_eq!(halted["lastStableState"], "Halted");
    assert_eq!(halted["resultName"], "Halted by user");
    assert!(halted["totalProgress"].as_u64().unwrap() < 100, "{halted}");
    let (status, _) =
        plan_action(&http, &base, A, "Halt", &token, json!({"fullStop": false})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        plan_action(&http, &base, unknown, "Halt", &token, json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // A halted plan can be undone.
    assert_eq!(undo(&http, &base, A, &token).await.0, StatusCode::OK);
    let (_, undoing) = details(&http, &base, A, &token).await;
    assert_eq!(undoing["lastStableState"], "Halted");
}

#[tokio::test]
async fn restart_wipes_runtime_details_and_tokens() {
    let config = plans(&[A, B], Duration::ZERO);
    let (sim, http, base) = start(config.clone()).await;
    let body: Value = login(&http, &base, "drbook", &config.password)
        .await
        .json()
        .await
        .unwrap();
    let old_token = body["access_token"].as_str().unwrap().to_string();
    let old_refresh = body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        failover(&http, &base, A, &old_token, json!({})).await.0,
        StatusCode::OK
    );

    sim.restart();
    let (status, _) = get(&http, format!("{base}/api/v3/Plans"), &old_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let refreshed = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &old_refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::BAD_REQUEST);

    let token = token(&config, &http, &base).await;
    for id in [A, B] {
        let (status, body) = details(&http, &base, id, &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        assert!(message_of(&body).contains("Runtime details"), "{body}");
    }
    // The plan itself is the truth.
    let (_, plan) = get(&http, format!("{base}/api/v3/Plans/{A}"), &token).await;
    assert_eq!(plan["state"], "Failover");
    assert_eq!(
        failover(&http, &base, A, &token, json!({})).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        details(&http, &base, A, &token).await.0,
        StatusCode::NOT_FOUND
    );
    // The next accepted action brings the plan's details back.
    assert_eq!(undo(&http, &base, A, &token).await.0, StatusCode::OK);
    let (status, back) = details(&http, &base, A, &token).await;
    assert_eq!(
        (status, &back["state"]),
        (StatusCode::OK, &json!("UndoFailover"))
    );
    assert_eq!(
        details(&http, &base, B, &token).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(sim.accepted_failovers(A), 1);

    // The same over HTTP, for a simulator in another process.
    let (status, _) = answer(http.post(format!("{base}/simulator/restart"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        get(&http, format!("{base}/api/v3/Plans"), &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let requests = sim.requests();
    let restart = &requests[requests.len() - 2];
    assert_eq!(
        (restart.path.as_str(), &restart.fault),
        ("/simulator/restart", &None)
    );
}

#[tokio::test]
async fn drop_after_action_sends_not_one_byte() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let config = one_fault(Fault::new(FaultEndpoint::Token, FaultKind::DropAfterAction));
    let (sim, _http, _base) = start(config.clone()).await;
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let form = format!(
        "grant_type=password&username=drbook&password={}",
        config.password
    );
    let request = format!(
        "POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut received))
        .await
        .expect("the server closes the connection");
    // A clean close or a reset: either way, nothing of the answer.
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    drop(read);
    assert_eq!(
        sim.requests()[0].fault.as_deref(),
        Some("drop_after_action")
    );
}

/// The endpoint and plan that faults see for a request, as the router decides them:
/// read from which fault answers it. One simulator has a fault per endpoint (status
/// 500 + its index), the other one fault for any request about plan A (status 599).
struct Targets {
    http: reqwest::Client,
    by_endpoint: Simulator,
    by_plan: Simulator,
}

const ENDPOINTS: [FaultEndpoint; 8] = [
    FaultEndpoint::Token,
    FaultEndpoint::Plans,
    FaultEndpoint::Plan,
    FaultEndpoint::RuntimeDetails,
    FaultEndpoint::Failover,
    FaultEndpoint::Undo,
    FaultEndpoint::Halt,
    FaultEndpoint::ReadinessCheck,
];

impl Targets {
    async fn start() -> Targets {
        let every = |endpoint, status| Fault::new(endpoint, FaultKind::Status(status)).times(0);
        let by_endpoint = (500..)
            .zip(ENDPOINTS)
            .map(|(status, endpoint)| every(endpoint, status))
            .collect();
        let by_plan = vec![every(FaultEndpoint::Any, 599).for_plan(A)];
        Targets {
            http: client(),
            by_endpoint: Simulator::start(with_faults(&[A], Duration::ZERO, by_endpoint), local())
                .await
                .unwrap(),
            by_plan: Simulator::start(with_faults(&[A], Duration::ZERO, by_plan), local())
                .await
                .unwrap(),
        }
    }

    async fn status(&self, sim: &Simulator, method: reqwest::Method, path: &str) -> u16 {
        let url = format!("{}{path}", sim.base_url());
        let answer = self.http.request(method, url).send().await.unwrap();
        answer.status().as_u16()
    }

    async fn target(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> (Option<FaultEndpoint>, Option<String>) {
        let status = self.status(&self.by_endpoint, method.clone(), path).await;
        let endpoint = status
            .checked_sub(500)
            .and_then(|index| ENDPOINTS.get(usize::from(index)).copied());
        let plan = (self.status(&self.by_plan, method, path).await == 599).then(|| A.to_string());
        (endpoint, plan)
    }
}

#[tokio::test]
async fn fault_targets() {
    use reqwest::Method;
    let targets = Targets::start().await;
    let plan = Some(A.to_string());
    let mut cases = vec![
        (
            Method::POST,
            "/token".to_string(),
            Some(FaultEndpoint::Token),
            None,
        ),
        (Method::GET, "/token".to_string(), None, None),
        (
            Method::GET,
            "/api/v3/Plans".to_string(),
            Some(FaultEndpoint::Plans),
            None,
        ),
        (
            Method::GET,
            format!("/api/v3/Plans/{A}"),
            Some(FaultEndpoint::Plan),
            plan.clone(),
        ),
        (
            Method::GET,
            format!("/api/v3/RuntimeDetails/Plans/{A}"),
            Some(FaultEndpoint::RuntimeDetails),
            plan.clone(),
        ),
        (
            Method::GET,
            format!("/api/v3/Plans/{A}/Failover"),
            None,
            plan.clone(),
        ),
        (
            Method::POST,
            format!("/api/v3/Plans/{A}/Continue"),
            None,
            plan.clone(),
        ),
        (Method::GET, "/api/v3/Plans/".to_string(), None, None),
        (Method::GET, "/api/v3x/Plans".to_string(), None, None),
        (Method::POST, "/simulator/restart".to_string(), None, None),
    ];
    for (action, endpoint) in [
        ("Failover", FaultEndpoint::Failover),
        ("Undo", FaultEndpoint::Undo),
        ("Halt", FaultEndpoint::Halt),
        ("ReadinessCheck", FaultEndpoint::ReadinessCheck),
    ] {
        let path = format!("/api/v3/Plans/{A}/{action}");
        cases.push((Method::POST, path, Some(endpoint), plan.clone()));
    }
    for (method, path, endpoint, plan) in cases {
        assert_eq!(
            targets.target(method.clone(), &path).await,
            (endpoint, plan),
            "{method} {path}"
        );
    }
}

/// Unknown routes and wrong methods answer VAO's JSON 404, never axum's plain 404 or 405;
/// inside the API only after the token is checked.
#[tokio::test]
async fn unrouted_requests_answer_like_vao() {
    let config = plans(&[A], Duration::ZERO);
    let (_sim, http, base, token) = start_logged_in(&config).await;
    let failover_path = format!("/api/v3/Plans/{A}/Failover");
    // Method, path, whether the token is sent, and the status: 401 with VAO's denial, or
    // 404 with ASP.NET's "No HTTP resource" message.
    for (method, path, authorized, status) in [
        ("GET", failover_path.as_str(), true, 404),
        ("GET", failover_path.as_str(), false, 401),
        ("DELETE", "/api/v3/Plans", true, 404),
        ("GET", "/api/v3/Nothing", true, 404),
        ("GET", "/api/v3/Nothing", false, 401),
        ("GET", "/api/v3", false, 401),
        ("GET", "/api/v3/", false, 401),
        ("GET", "/token", false, 404),
        ("GET", "/simulator/restart", false, 404),
        ("GET", "/api/v3x/Plans", false, 404),
        ("POST", "/elsewhere", false, 404),
        ("HEAD", "/api/v3/Plans", true, 404),
        ("HEAD", "/api/v3/Plans", false, 401),
    ] {
        let expected = if status == 401 {
            "Authorization has been denied for this request.".to_string()
        } else {
            format!(
                "No HTTP resource was found that matches the request URI '{path}' with method {method}."
            )
        };
        let mut request = http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{base}{path}"),
        );
        if authorized {
            request = request.bearer_auth(&token);
        }
        let (answered, body) = answer(request).await;
        let answered = answered.as_u16();
        // An answer to HEAD has no body.
        let expected = (method != "HEAD").then(|| json!({ "message": expected }));
        assert_eq!(
            (answered, body),
            (status, expected.unwrap_or(Value::Null)),
            "{method} {path} authorized: {authorized}"
        );
    }
}

/// A body over the limit is recorded empty and answered 413 before any handler runs:
/// the plan is not even counted.
#[tokio::test]
async fn an_oversized_body_is_refused_before_the_handler() {
    let config = plans(&[A], Duration::ZERO);
    let (sim, http, base, token) = start_logged_in(&config).await;
    let huge = format!(r#"{{"padding": "{}"}}"#, "x".repeat(1 << 20));
    let (status, body) = plan_action(
        &http,
        &base,
        A,
        "Failover",
        &token,
        serde_json::from_str(&huge).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        message_of(&body),
        "The request body is too large or could not be read."
    );
    assert_eq!(sim.failover_count(A), 0);
    let last = sim.requests().pop().unwrap();
    assert_eq!((last.method.as_str(), last.body.as_str()), ("POST", ""));
}
