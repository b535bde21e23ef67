//! The HTTP side of the simulator: axum's [`Router`] maps each VAO route to its handler
//! in [`super::endpoints`], and one middleware, [`intercept`], records every request and
//! applies the injected faults before the handler runs.
//!
//! Each route says which [`FaultEndpoint`] it is (an [`Exposure`] given to its
//! middleware), so faults match on what the router decided, not on a second reading of
//! the path. Unknown routes and wrong methods get VAO's JSON 404 instead of axum's
//! plain-text 404 and 405.

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use tokio::net::TcpListener;

use super::config::SimConfig;
use super::conn::{ConnectionKill, KillableListener};
use super::endpoints::{self, message, unauthorized};
use super::fault::{FaultEndpoint, FaultKind, FaultTarget};
use super::request::RecordedRequest;
use super::state::SimState;

/// `POST` here restarts the simulator ([`SimState::restart`]) without
/// authorization; not a VAO route, and never hit by faults.
const RESTART_PATH: &str = "/simulator/restart";
/// Bodies larger than this are refused; no real request comes close.
const MAX_BODY: usize = 1 << 20;
/// How long in-flight requests may finish after shutdown is requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Serves `config` on an already bound listener until `shutdown` completes.
///
/// The caller binds (and prints the address if it wants to); this function
/// prints nothing and logs the address with `tracing`.
pub async fn serve(
    config: SimConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            %addr,
            plans = config.plans.len(),
            faults = config.faults.len(),
            "VAO simulator listening"
        );
    }
    run(Arc::new(SimState::new(config)), listener, shutdown).await
}

pub(crate) async fn run(
    state: Arc<SimState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<ConnectionKill>();
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(KillableListener(listener), app)
        .with_graceful_shutdown(async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        })
        .into_future();
    // Graceful shutdown alone could wait forever on a client that keeps a
    // request half-sent; after the grace period the server is dropped.
    tokio::select! {
        result = server => result,
        () = async {
            shutdown.await;
            let _ = stop_tx.send(true);
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}

/// Which faults may hit the requests of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exposure {
    /// A VAO endpoint: faults for it, or for any endpoint.
    Endpoint(FaultEndpoint),
    /// A request no route serves (or a wrong method): only faults for any endpoint.
    Unrouted,
    /// The simulator's own restart route: no fault.
    Exempt,
}

impl Exposure {
    /// What the request is about, for fault matching; `None` when no fault applies.
    fn target(self, plan: Option<String>) -> Option<FaultTarget> {
        let endpoint = match self {
            Exposure::Endpoint(endpoint) => Some(endpoint),
            Exposure::Unrouted => None,
            Exposure::Exempt => return None,
        };
        Some(FaultTarget { endpoint, plan })
    }
}

/// The simulator's routes. Each endpoint's middleware runs in this order: [`intercept`]
/// (record, faults), the token check for API routes, the handler. A path that names a plan
/// but no endpoint (`.../Plans/{id}/Enable`) still names the plan, for faults about it.
pub(crate) fn app(state: Arc<SimState>) -> Router {
    use FaultEndpoint as F;
    use endpoints as e;
    let exposed =
        |exposure: Exposure| middleware::from_fn_with_state((state.clone(), exposure), intercept);
    let unrouted = e::unrouted.layer(exposed(Exposure::Unrouted));
    // The edition decides the prefix and the token path: the one place the routes get them.
    let flavour = state.api;
    let api = |path: &str| format!("{}{path}", flavour.prefix());
    let token = middleware::from_fn_with_state(state.clone(), e::require_token);
    let api_routes = [
        (api("/Plans"), F::Plans, get(e::list_plans)),
        (api("/Plans/{id}"), F::Plan, get(e::plan)),
        (
            api("/RuntimeDetails/Plans/{id}"),
            F::RuntimeDetails,
            get(e::runtime_details),
        ),
        (api("/Plans/{id}/Failover"), F::Failover, post(e::failover)),
        (api("/Plans/{id}/Undo"), F::Undo, post(e::undo)),
        (api("/Plans/{id}/Halt"), F::Halt, post(e::halt)),
        (
            api("/Plans/{id}/ReadinessCheck"),
            F::ReadinessCheck,
            post(e::readiness_check),
        ),
        (
            api("/Plans/{id}/Continue"),
            F::Continue,
            post(e::continue_plan),
        ),
    ]
    .map(|(path, endpoint, route)| (path, endpoint, route.route_layer(token.clone())));
    let token_route = [(flavour.token_path().to_owned(), F::Token, post(e::token))];
    token_route
        .into_iter()
        .chain(api_routes)
        .fold(Router::new(), |router, (path, endpoint, route)| {
            router.route(
                &path,
                route
                    .route_layer(exposed(Exposure::Endpoint(endpoint)))
                    // axum would answer HEAD with the GET handler; VAO's routes have none.
                    .head(unrouted.clone()),
            )
        })
        .route(&api("/Plans/{id}/{*rest}"), any(unrouted.clone()))
        .route(
            &api("/RuntimeDetails/Plans/{id}/{*rest}"),
            any(unrouted.clone()),
        )
        .method_not_allowed_fallback(unrouted.clone())
        .route(
            RESTART_PATH,
            post(e::restart)
                .fallback(e::unrouted)
                .layer(exposed(Exposure::Exempt)),
        )
        .fallback(unrouted)
        .with_state(state)
}

/// Records the request, then answers it the way the fault that hits it says (or, without
/// one, as its handler does).
async fn intercept(
    State((state, exposure)): State<(Arc<SimState>, Exposure)>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let kill = request
        .extensions()
        .get::<ConnectInfo<ConnectionKill>>()
        .map(|info| info.0.clone());
    let plan = params.ok().and_then(|params| endpoints::id_param(&params));
    let (mut parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await.ok();
    let fault = exposure
        .target(plan)
        .and_then(|target| state.pick_fault(&target));
    state.record(recorded(&parts, body.as_ref(), fault));
    // A halt is the handler's to apply: the run it starts halts.
    if fault == Some(FaultKind::Halt) {
        parts.extensions.insert(endpoints::ForcedHalt);
    }
    let (method, path) = (parts.method.clone(), parts.uri.path().to_string());
    let handled = async move {
        match body {
            Some(body) => next.run(Request::from_parts(parts, Body::from(body))).await,
            None => message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large or could not be read.",
            ),
        }
    };
    let response = match fault {
        None | Some(FaultKind::Halt) => handled.await,
        Some(FaultKind::Latency(delay)) => {
            // Handled in a task of its own, so that a client that gives up
            // waiting does not cancel the action, as with a slow server.
            let work = tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                handled.await
            });
            work.await.unwrap_or_else(|_| {
                message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The simulator failed to answer.",
                )
            })
        }
        Some(FaultKind::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            message(
                status,
                &format!("Injected fault: the server answers {}.", status.as_u16()),
            )
        }
        Some(FaultKind::RetryAfter(seconds)) => {
            let mut response = message(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Injected fault: too many requests; retry after {seconds} s."),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Some(FaultKind::Unauthorized) => unauthorized(),
        Some(FaultKind::DropAfterAction) => {
            let acted = handled.await;
            tracing::debug!(
                %method,
                path,
                status = acted.status().as_u16(),
                "simulator dropped the answer"
            );
            drop_connection(kill.as_ref())
        }
    };
    // Only method, path and status: bodies and headers carry credentials.
    tracing::debug!(
        %method,
        path,
        status = response.status().as_u16(),
        fault = fault.map(|k| k.name()),
        "simulator request"
    );
    response
}

/// The record of a request, before it is answered.
fn recorded(parts: &Parts, body: Option<&Bytes>, fault: Option<FaultKind>) -> RecordedRequest {
    RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path_and_query().map_or_else(
            || parts.uri.path().to_string(),
            |pq| pq.as_str().to_string(),
        ),
        authorization: header_text(&parts.headers, header::AUTHORIZATION),
        content_type: header_text(&parts.headers, header::CONTENT_TYPE),
        body: body
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default(),
        received_at: SystemTime::now(),
        fault: fault.map(|kind| kind.name().to_string()),
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Kills the request's connection so that the client gets no answer at
/// all. The response returned here is never sent: hyper fails to write it
/// and closes the socket. Without a kill switch (a server not started by
/// [`run`]) the status line goes out and the body fails instead.
fn drop_connection(kill: Option<&ConnectionKill>) -> Response {
    match kill {
        Some(kill) => {
            kill.kill();
            StatusCode::OK.into_response()
        }
        None => {
            let failing = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "answer dropped by an injected fault",
                ))
            });
            (StatusCode::OK, Body::from_stream(failing)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropped_answer_without_kill_switch_fails_its_body() {
        let response = drop_connection(None);
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            axum::body::to_bytes(response.into_body(), 1024)
                .await
                .is_err()
        );
    }
}
