//! The VAO endpoints the simulator serves, one handler each, answering the way
//! `vao-api.md` describes: `POST /token`, listing and reading plans, runtime details, and
//! the plan actions (`Failover`, `Undo`, `Halt`, `ReadinessCheck`).
//!
//! Handlers decode their input with axum's extractors ([`Form`], [`Query`], [`Path`]).
//! JSON bodies are checked here rather than by axum's `Json`, because VAO (ASP.NET) binds
//! property names case-insensitively and refuses bad bodies with a JSON `message`, not a
//! plain-text rejection. Before a handler runs, the request has been recorded and faults
//! applied (see [`super::server`]), and an API route has passed [`require_token`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{
    Extension, FromRequest, FromRequestParts, Query, RawPathParams, Request, State,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::flavour::SimApi;
use super::state::{
    Action, Continuation, Details, IssuedTokens, PlanView, Refusal, SimState, state_name,
};

/// Answers VAO's 401 unless the request carries a valid bearer token, as every API route
/// does before anything else.
pub(crate) async fn require_token(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    if authorized(&state, request.headers()) {
        next.run(request).await
    } else {
        unauthorized()
    }
}

fn authorized(state: &SimState, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            state.access_token_valid(token.trim())
        }
        _ => false,
    }
}

pub(crate) fn unauthorized() -> Response {
    let mut response = message(
        StatusCode::UNAUTHORIZED,
        "Authorization has been denied for this request.",
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// A request no route serves, or a route asked with the wrong method. Inside the API a
/// token is checked first, as for every API request; then the 404 is in ASP.NET's words.
pub(crate) async fn unrouted(
    State(state): State<Arc<SimState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let in_api = uri
        .path()
        .strip_prefix(state.api.prefix())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if in_api && !authorized(&state, &headers) {
        return unauthorized();
    }
    not_found(&method, &uri)
}

fn not_found(method: &Method, uri: &Uri) -> Response {
    message(
        StatusCode::NOT_FOUND,
        &format!(
            "No HTTP resource was found that matches the request URI '{}' with method {method}.",
            uri.path()
        ),
    )
}

/// The simulator's answer to a right password when the account must pass MFA: 401 with
/// `error: "mfa_required"` and an `mfa_token` for the `mfa` grant. This is the
/// simulator's design, not VRO's (whose exact MFA answer is not public).
fn mfa_demand() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({
            "error": "mfa_required",
            "error_description": "Multi-factor authentication is required: answer with grant_type=mfa, mfa_token and mfa_passcode.",
            "mfa_token": uuid::Uuid::new_v4().simple().to_string(),
        })),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"mfa_required\""),
    );
    response
}

/// The token endpoint (`POST /token`, VRO `POST /api/token`): the password, refresh and
/// client credentials grants; the `mfa` grant is known and always refused (the simulator
/// has no second factor to check).
pub(crate) async fn token(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Like an OWIN token endpoint: the media type is matched without regard to case, and a
    // body that is not a form is read as an empty form, which then lacks grant_type.
    let form = form_fields(&headers, &body);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let issued = match field("grant_type") {
        Some("password") => {
            let (username, password) = (
                field("username").unwrap_or(""),
                field("password").unwrap_or(""),
            );
            if state.demands_mfa(username, password) {
                return mfa_demand();
            }
            state
                .password_grant(username, password)
                .ok_or("The user name or password is incorrect.")
        }
        Some("client_credentials") => state
            .client_grant(
                field("client_id").unwrap_or(""),
                field("client_secret").unwrap_or(""),
            )
            .ok_or("The client id or secret is incorrect."),
        Some("mfa") => Err("The MFA passcode is incorrect."),
        Some("refresh_token") => state
            .refresh_grant(field("refresh_token").unwrap_or(""))
            .ok_or("The refresh token is invalid or has already been used."),
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "unsupported_grant_type"})),
            )
                .into_response();
        }
    };
    match issued {
        Ok(IssuedTokens {
            access_token,
            refresh_token,
            expires_in,
        }) => {
            let mut response = axum::Json(json!({
                "access_token": access_token,
                "token_type": "bearer",
                "expires_in": expires_in,
                "refresh_token": refresh_token,
            }))
            .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(description) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant", "error_description": description})),
        )
            .into_response(),
    }
}

/// `POST /simulator/restart`: not a VAO route; it needs no token.
pub(crate) async fn restart(State(state): State<Arc<SimState>>) -> Response {
    state.restart();
    tracing::info!("simulator restarted: runtime details and tokens wiped");
    message(
        StatusCode::OK,
        "The simulator restarted: runtime details and tokens are gone.",
    )
}

/// `GET /api/v3/Plans`, with the optional `onlyEnabled` filter; in VRO editions, paged
/// with `start` and `limit` (capped to the configured page size; all plans from `start`
/// up to that size when `limit` is missing).
pub(crate) async fn list_plans(
    State(state): State<Arc<SimState>>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    // ASP.NET binds query parameters case-insensitively.
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let only_enabled = param("onlyEnabled");
    let only_enabled = match only_enabled.as_deref().map(str::to_ascii_lowercase) {
        None => false,
        Some(v) if v.is_empty() || v == "false" => false,
        Some(v) if v == "true" => true,
        Some(_) => {
            return message(
                StatusCode::BAD_REQUEST,
                "The value of onlyEnabled must be true or false.",
            );
        }
    };
    let plans: Vec<Value> = state
        .plans()
        .iter()
        .filter(|p| p.enabled || !only_enabled)
        .map(|view| to_value(PlanBody::new(view, state.api)))
        .collect();
    if !state.api.is_vro() {
        return (StatusCode::OK, axum::Json(plans)).into_response();
    }
    let number = |name: &str, default: usize| match param(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|_| format!("The value of {name} must be a whole number.")),
    };
    let (start, limit) = match (number("start", 0), number("limit", state.page_limit)) {
        (Ok(start), Ok(limit)) => (start, limit.clamp(1, state.page_limit)),
        (Err(problem), _) | (_, Err(problem)) => {
            return message(StatusCode::BAD_REQUEST, &problem);
        }
    };
    let total = plans.len();
    let page: Vec<Value> = plans.into_iter().skip(start).take(limit).collect();
    let body = state.api.wrap_page(page, start, limit, total);
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn to_value(body: impl Serialize) -> Value {
    serde_json::to_value(body).unwrap_or(Value::Null)
}

/// A successful answer with `body` in the edition's envelope.
fn found(state: &SimState, body: impl Serialize) -> Response {
    (StatusCode::OK, axum::Json(state.api.wrap(to_value(body)))).into_response()
}

/// `GET /api/v3/Plans/{id}`.
pub(crate) async fn plan(State(state): State<Arc<SimState>>, PlanId(id): PlanId) -> Response {
    match state.plan(&id) {
        Some(view) => found(&state, PlanBody::new(&view, state.api)),
        None => plan_not_found(&id),
    }
}

/// `GET /api/v3/RuntimeDetails/Plans/{id}`: 404 for a plan whose details a restart wiped.
pub(crate) async fn runtime_details(
    State(state): State<Arc<SimState>>,
    PlanId(id): PlanId,
) -> Response {
    match state.runtime_details(&id) {
        Details::Found(view) => found(&state, RuntimeBody::new(&view, state.api)),
        Details::UnknownPlan => plan_not_found(&id),
        Details::Missing => message(
            StatusCode::NOT_FOUND,
            &format!("Runtime details for plan {id} were not found."),
        ),
    }
}

/// Set on a request that a `halt` fault hit: the run it starts halts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ForcedHalt;

/// `POST .../Plans/{id}/Failover`.
pub(crate) async fn failover(
    State(state): State<Arc<SimState>>,
    halt: Option<Extension<ForcedHalt>>,
    post: PlanPost,
) -> Response {
    state.count_request(Action::Failover, &post.id);
    post.act(&state, "failover", check_failover_request, |_| {
        if halt.is_some() {
            state.start_halting(&post.id)
        } else {
            state.start(Action::Failover, &post.id)
        }
    })
}

/// `POST .../Plans/{id}/Continue` with `{"executionContinueOptions": "<option>"}`: only a
/// HALTED plan goes on (VAO's `continue_plan.html`).
pub(crate) async fn continue_plan(
    State(state): State<Arc<SimState>>,
    halt: Option<Extension<ForcedHalt>>,
    post: PlanPost,
) -> Response {
    state.count_request(Action::Continue, &post.id);
    post.act(&state, "continue", continue_option, |how| {
        state.continue_plan(&post.id, how, halt.is_some())
    })
}

/// `POST .../Plans/{id}/Undo` takes no body; whatever comes is ignored.
pub(crate) async fn undo(State(state): State<Arc<SimState>>, PlanId(id): PlanId) -> Response {
    state.count_request(Action::Undo, &id);
    acted(&id, "undo", state.start(Action::Undo, &id))
}

/// `POST .../Plans/{id}/Halt` with `{"fullStop": ...}`.
pub(crate) async fn halt(State(state): State<Arc<SimState>>, post: PlanPost) -> Response {
    let full_stop = |headers: &HeaderMap, body: &[u8]| optional_flag(headers, body, "fullStop");
    post.act(&state, "halt", full_stop, |_| state.halt(&post.id))
}

/// `POST .../Plans/{id}/ReadinessCheck` with `{"generateReport": ...}`.
pub(crate) async fn readiness_check(
    State(state): State<Arc<SimState>>,
    post: PlanPost,
) -> Response {
    state.count_request(Action::Check, &post.id);
    let generate_report =
        |headers: &HeaderMap, body: &[u8]| optional_flag(headers, body, "generateReport");
    post.act(&state, "readiness check", generate_report, |_| {
        state.start(Action::Check, &post.id)
    })
}

/// The `{id}` of a plan's route, percent-decoded (`%2D` is `-`, as RFC 3986 has it). An id
/// that does not decode (`%FF`) is kept as written, so it gets the JSON 404 of every unknown
/// plan rather than a plain-text rejection.
pub(crate) struct PlanId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PlanId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let decoded = RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|params| id_param(&params));
        let id = decoded.unwrap_or_else(|| {
            let mut segments = parts.uri.path().split('/');
            segments.find(|s| *s == "Plans");
            segments.next().unwrap_or_default().to_owned()
        });
        Ok(PlanId(id))
    }
}

/// The route's `{id}`, percent-decoded; `None` on a route without one.
pub(crate) fn id_param(params: &RawPathParams) -> Option<String> {
    params
        .iter()
        .find(|(name, _)| *name == "id")
        .map(|(_, id)| id.to_owned())
}

/// A `POST` on one plan: its id, and its body with the headers that say what the body is.
pub(crate) struct PlanPost {
    id: String,
    headers: HeaderMap,
    body: Bytes,
}

impl FromRequest<Arc<SimState>> for PlanPost {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<SimState>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Ok(PlanId(id)) = PlanId::from_request_parts(&mut parts, state).await;
        let headers = std::mem::take(&mut parts.headers);
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(PlanPost { id, headers, body })
    }
}

impl PlanPost {
    /// An action on the plan: 404 for an unknown plan, 400 for a body that `parse` refuses,
    /// else what `act` answers. What the body asked for only shows in the log, since it
    /// changes nothing the simulator does.
    fn act<T: std::fmt::Debug + Copy>(
        &self,
        state: &SimState,
        action: &str,
        parse: impl FnOnce(&HeaderMap, &[u8]) -> Result<T, String>,
        act: impl FnOnce(T) -> Result<(), Refusal>,
    ) -> Response {
        let id = self.id.as_str();
        if state.plan(id).is_none() {
            return plan_not_found(id);
        }
        let asked = match parse(&self.headers, &self.body) {
            Ok(asked) => asked,
            Err(problem) => {
                tracing::debug!(plan = id, action, %problem, "request rejected");
                return message(StatusCode::BAD_REQUEST, &problem);
            }
        };
        tracing::debug!(plan = id, action, ?asked, "requested");
        acted(id, action, act(asked))
    }
}

/// The answer to an action the state accepted or refused.
fn acted(id: &str, action: &str, result: Result<(), Refusal>) -> Response {
    match result {
        Ok(()) => {
            tracing::debug!(plan = id, action, "started");
            StatusCode::OK.into_response()
        }
        Err(Refusal::UnknownPlan) => plan_not_found(id),
        Err(Refusal::NotAllowed(problem)) => {
            tracing::debug!(plan = id, action, %problem, "refused");
            message(StatusCode::BAD_REQUEST, &problem)
        }
    }
}

/// `executionContinueOptions` of a `Continue` body. ASP.NET binds enum names ignoring case;
/// a missing or unknown option is a 400.
fn continue_option(headers: &HeaderMap, body: &[u8]) -> Result<Continuation, String> {
    let fields = json_object(headers, body)?;
    let given = fields
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("executionContinueOptions"))
        .map(|(_, value)| value)
        .ok_or("The request body has no executionContinueOptions.")?;
    let option = given
        .as_str()
        .and_then(|word| {
            crate::vao::ContinueOption::ALL
                .into_iter()
                .find(|o| o.as_str().eq_ignore_ascii_case(word))
        })
        .ok_or_else(|| {
            format!(
                "executionContinueOptions must be one of {}, not {given}.",
                crate::vao::ContinueOption::listed()
            )
        })?;
    Ok(if option.is_retry() {
        Continuation::Retry
    } else {
        Continuation::Proceed
    })
}

/// The body of `POST .../Failover` once validated.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct FailoverOptions {
    execute_chained_plans: bool,
    restore_point_date: Option<chrono::NaiveDateTime>,
    protect_storage_volumes: bool,
}

fn check_failover_request(headers: &HeaderMap, body: &[u8]) -> Result<FailoverOptions, String> {
    let fields = json_object(headers, body)?;
    let mut options = FailoverOptions::default();
    // Property names match case-insensitively, as in ASP.NET; unknown ones
    // are ignored.
    for (name, value) in &fields {
        match name.to_ascii_lowercase().as_str() {
            "executechainedplans" => options.execute_chained_plans = flag(name, value)?,
            "protectstoragevolumes" => options.protect_storage_volumes = flag(name, value)?,
            "restorepointdate" => options.restore_point_date = restore_point(name, value)?,
            _ => {}
        }
    }
    Ok(options)
}

/// The one boolean of a body such as `{"fullStop": true}` (`POST .../Halt`)
/// or `{"generateReport": true}` (`POST .../ReadinessCheck`); false when
/// absent.
fn optional_flag(headers: &HeaderMap, body: &[u8], field: &str) -> Result<bool, String> {
    let fields = json_object(headers, body)?;
    let mut value = false;
    for (name, given) in &fields {
        if name.eq_ignore_ascii_case(field) {
            value = flag(name, given)?;
        }
    }
    Ok(value)
}

/// A JSON object body with a JSON content type.
fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<serde_json::Map<String, Value>, String> {
    match media_type(headers) {
        Some(t) if t == "application/json" || t == "text/json" || t.ends_with("+json") => {}
        Some(t) => {
            return Err(format!(
                "The request content type {t} is not supported; send application/json."
            ));
        }
        None => return Err("The request has no content type; send application/json.".to_string()),
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The request body is not valid JSON: {e}."))?;
    match value {
        Value::Object(fields) => Ok(fields),
        _ => Err("The request body must be a JSON object.".to_string()),
    }
}

fn flag(name: &str, value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("{name} must be true or false, not {value}."))
}

fn restore_point(name: &str, value: &Value) -> Result<Option<chrono::NaiveDateTime>, String> {
    let bad =
        || format!("{name} must be null or a date and time as YYYY-MM-DDTHH:MM:SS, not {value}.");
    match value {
        Value::Null => Ok(None),
        Value::String(text) => chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .map(Some)
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// The fields of a form body (`application/x-www-form-urlencoded`, in any case); none for a
/// body of another type.
fn form_fields(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    if media_type(headers).as_deref() == Some("application/x-www-form-urlencoded") {
        url::form_urlencoded::parse(body).into_owned().collect()
    } else {
        Vec::new()
    }
}

/// The media type of the request, lowercase, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next().unwrap_or("").trim();
    (!media.is_empty()).then(|| media.to_ascii_lowercase())
}

pub(crate) fn message(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "message": text }))).into_response()
}

fn plan_not_found(id: &str) -> Response {
    message(StatusCode::NOT_FOUND, &format!("Plan {id} was not found."))
}

/// What a plan's state looks like in both `GET /api/v3/Plans` and runtime details.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StateFields {
    plan_type: String,
    state: String,
    state_name: String,
    result_name: String,
    last_stable_state: String,
    last_stable_state_name: String,
}

impl From<&PlanView> for StateFields {
    fn from(v: &PlanView) -> Self {
        StateFields {
            plan_type: v.plan_type.clone(),
            state: v.state.clone(),
            state_name: state_name(&v.state),
            result_name: v.result_name.clone(),
            last_stable_state: v.last_stable_state.clone(),
            last_stable_state_name: state_name(&v.last_stable_state),
        }
    }
}

/// A plan as `GET /api/v3/Plans` returns it. VAO 3 says `enabled` (the v3 documentation
/// names no such field; the simulator always has); VRO editions say `planMode` and have
/// VDRO 5's plan fields instead.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanBody {
    id: String,
    name: String,
    #[serde(flatten)]
    state: StateFields,
    previous_execution_state: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    vro: Option<VroPlanFields>,
}

/// What VDRO 5 and later add to a plan.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VroPlanFields {
    plan_mode: &'static str,
    plan_verification_state: String,
    is_undo_possible: bool,
    is_reverse_possible: bool,
    vendor: &'static str,
}

impl VroPlanFields {
    fn new(v: &PlanView) -> VroPlanFields {
        let state = super::state::normalise(&v.state);
        VroPlanFields {
            plan_mode: if v.enabled { "Enabled" } else { "Disabled" },
            plan_verification_state: if state == "notverified" {
                "NotVerified"
            } else {
                "Verified"
            }
            .to_string(),
            is_undo_possible: matches!(state.as_str(), "failover" | "failback" | "halted"),
            is_reverse_possible: false,
            vendor: "Veeam",
        }
    }
}

impl PlanBody {
    fn new(v: &PlanView, api: SimApi) -> Self {
        PlanBody {
            id: v.id.clone(),
            name: v.name.clone(),
            state: StateFields::from(v),
            previous_execution_state: v.previous_execution_state.clone(),
            description: format!("Simulated {} plan", v.plan_type),
            enabled: (!api.is_vro()).then_some(v.enabled),
            vro: api.is_vro().then(|| VroPlanFields::new(v)),
        }
    }
}

/// A plan as `GET /api/v3/RuntimeDetails/Plans/{planId}` returns it. VAO 3 documents the
/// run and test results as booleans; VRO 7.2.1's sample has strings, `isRunningState`,
/// `isStableState` and `stateOrder` (whose numbering is the simulator's own).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeBody {
    plan_id: String,
    #[serde(flatten)]
    state: StateFields,
    total_progress: u8,
    current_run_result: Value,
    current_test_result: Value,
    current_check_result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_running_state: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_stable_state: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_order: Option<u32>,
}

impl RuntimeBody {
    fn new(v: &PlanView, api: SimApi) -> Self {
        let running = v.state != v.last_stable_state;
        let vro = api.is_vro();
        RuntimeBody {
            plan_id: v.id.clone(),
            state: StateFields::from(v),
            total_progress: v.total_progress,
            current_run_result: if vro {
                json!(if v.current_run_result {
                    "Success"
                } else {
                    "Error"
                })
            } else {
                json!(v.current_run_result)
            },
            current_test_result: if vro { json!("Undefined") } else { json!(true) },
            current_check_result: v.current_check_result.clone(),
            is_running_state: vro.then_some(running),
            is_stable_state: vro.then_some(!running),
            state_order: vro.then(|| state_order(&v.state)),
        }
    }
}

/// The simulator's `stateOrder`: a fixed number per state (VRO's numbering is not public).
fn state_order(state: &str) -> u32 {
    const ORDER: &[&str] = &[
        "notverified",
        "verified",
        "checking",
        "failoverinprogress",
        "failover",
        "halted",
        "undofailoverinprogress",
        "undofailover",
    ];
    let state = super::state::normalise(state);
    ORDER
        .iter()
        .position(|s| *s == state)
        .map_or(0, |i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    #[test]
    fn one_flag_bodies() {
        let json = json_headers("application/json");
        let flag = |body: &[u8]| optional_flag(&json, body, "generateReport");
        assert_eq!(flag(b"{}"), Ok(false));
        assert_eq!(flag(br#"{"GENERATEREPORT": true, "other": 1}"#), Ok(true));
        assert_eq!(flag(br#"{"generateReport": false}"#), Ok(false));
        assert!(flag(br#"{"generateReport": 1}"#).is_err());
        assert!(flag(br#"{"generateReport": null}"#).is_err());
        assert!(flag(b"").is_err());
        assert!(flag(b"[]").is_err());
        assert!(optional_flag(&HeaderMap::new(), b"{}", "fullStop").is_err());
        assert_eq!(
            optional_flag(&json, br#"{"FullStop": true}"#, "fullStop"),
            Ok(true)
        );
    }

    /// What the token endpoint makes of a form body.
    async fn form(body: &'static str) -> Vec<(String, String)> {
        form_fields(
            &json_headers("application/x-www-form-urlencoded"),
            body.as_bytes(),
        )
    }

    #[tokio::test]
    async fn form_decoding() {
        assert_eq!(
            form("grant_type=password&username=CORP%5Cdrbook&password=a+b%26c%").await,
            vec![
                ("grant_type".to_string(), "password".to_string()),
                ("username".to_string(), "CORP\\drbook".to_string()),
                ("password".to_string(), "a b&c%".to_string()),
            ]
        );
        assert_eq!(
            form("a&&b=%zz").await,
            vec![
                ("a".to_string(), String::new()),
                ("b".to_string(), "%zz".to_string())
            ]
        );
        assert!(form("").await.is_empty());
    }

    #[test]
    fn failover_bodies() {
        let json = json_headers("application/json; charset=utf-8");
        assert_eq!(
            check_failover_request(&json, b"{}"),
            Ok(FailoverOptions::default())
        );
        let parsed = check_failover_request(
            &json,
            br#"{"EXECUTECHAINEDPLANS": true, "restorepointDate": "2024-05-01T10:20:30.5", "protectStorageVolumes": false, "other": 1}"#,
        )
        .unwrap();
        assert!(parsed.execute_chained_plans);
        assert_eq!(
            parsed.restore_point_date.map(|d| d.to_string()),
            Some("2024-05-01 10:20:30.500".to_string())
        );
        assert!(
            check_failover_request(&json, br#"{"restorePointDate":"2024-05-01T10:20:30"}"#).is_ok()
        );
        for bad in [
            &b""[..],
            b"not json",
            b"[]",
            b"null",
            br#"{"executeChainedPlans":"true"}"#,
            br#"{"protectStorageVolumes":null}"#,
            br#"{"restorePointDate":"2024-05-01"}"#,
            br#"{"restorePointDate":"2024-05-01T10:20:30Z"}"#,
            br#"{"restorePointDate":20240501}"#,
        ] {
            assert!(
                check_failover_request(&json, bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(check_failover_request(&json_headers("text/plain"), b"{}").is_err());
        assert!(check_failover_request(&HeaderMap::new(), b"{}").is_err());
        assert!(check_failover_request(&json_headers("text/json"), b"{}").is_ok());
    }
}
