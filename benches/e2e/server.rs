//! The benchmark's VAO: the four calls a failover run makes (token, plan, failover, runtime
//! details), answered as fast as axum can, over plain HTTP or TLS on 127.0.0.1, with
//! counters of requests, connections and handshakes so that every tool is checked to make
//! the same requests. Plans are ready before their failover and done a fixed time after it
//! (at once, unless a polling scenario sets it).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The only token the server issues and accepts.
pub const TOKEN: &str = "bench-access-token";
pub const USERNAME: &str = "BENCH\\drbook";
pub const PASSWORD: &str = "bench-password";

const TOKEN_ANSWER: &str = r#"{"access_token":"bench-access-token","token_type":"bearer","expires_in":3600,"refresh_token":"bench-refresh-token"}"#;
const READY_PLAN: &str = r#"{"id":"00000000-0000-4000-8000-000000000000","name":"bench plan","planType":"Replica","enabled":true,"state":"Verified","stateName":"Verified","lastStableState":"Verified","resultName":"Ready","totalProgress":0}"#;
const DONE: &str = r#"{"state":"Failover","stateName":"Failover","lastStableState":"Failover","resultName":"Complete, no errors, no warnings","totalProgress":100,"planType":"Replica"}"#;
const RUNNING: &str = r#"{"state":"FailoverInProgress","stateName":"Failover in progress","lastStableState":"Verified","resultName":"Running","totalProgress":50,"planType":"Replica"}"#;
const ACCEPTED: &str = "{}";

/// What the server saw since the last [`Server::reset`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub token: u64,
    pub plan_gets: u64,
    pub failovers: u64,
    pub details_gets: u64,
    pub refused: u64,
    pub connections: u64,
    pub handshakes: u64,
}

impl Counts {
    pub fn requests(&self) -> u64 {
        self.token + self.plan_gets + self.failovers + self.details_gets + self.refused
    }
}

#[derive(Default)]
struct Counters {
    token: AtomicU64,
    plan_gets: AtomicU64,
    failovers: AtomicU64,
    details_gets: AtomicU64,
    refused: AtomicU64,
    connections: AtomicU64,
    handshakes: AtomicU64,
}

/// One plan's failover as the server saw it (polling scenarios only).
#[derive(Debug, Clone)]
pub struct Track {
    pub posted: Instant,
    /// Each runtime-details read: when, and whether it answered "done".
    pub reads: Vec<(Instant, bool)>,
}

struct Shared {
    counters: Counters,
    /// How long a failover runs; zero: done at once (and nothing is tracked).
    failover_time: Mutex<Duration>,
    tracks: Mutex<HashMap<String, Track>>,
}

pub struct Server {
    pub addr: SocketAddr,
    pub tls: bool,
    shared: Arc<Shared>,
}

impl Server {
    /// Starts the server on a thread of its own with a single-threaded runtime (one core for
    /// the server, the other for the client under test); it serves until the process ends. `tls`: the certificate chain and key, PEM.
    pub fn start(tls: Option<(&str, &str)>) -> Server {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let shared = Arc::new(Shared {
            counters: Counters::default(),
            failover_time: Mutex::new(Duration::ZERO),
            tracks: Mutex::default(),
        });
        let app = Router::new()
            .route("/token", post(token))
            .route("/api/v3/Plans/{id}", get(plan))
            .route("/api/v3/Plans/{id}/Failover", post(failover))
            .route("/api/v3/RuntimeDetails/Plans/{id}", get(details))
            .with_state(shared.clone());
        let acceptor = tls.map(|(cert, key)| acceptor(cert, key));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let counting = shared.clone();
        std::thread::spawn({
            move || {
                runtime.block_on(async move {
                    let tcp = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
                    addr_tx.send(tcp.local_addr().expect("addr")).expect("send");
                    match acceptor {
                        None => {
                            let listener = Counting {
                                tcp,
                                shared: counting,
                            };
                            axum::serve(listener, app).await.expect("serve");
                        }
                        Some(acceptor) => {
                            let listener = Tls {
                                tcp,
                                acceptor,
                                shared: counting,
                            };
                            axum::serve(listener, app).await.expect("serve");
                        }
                    }
                })
            }
        });
        let addr = addr_rx.recv().expect("the server's address");
        Server {
            addr,
            tls: tls.is_some(),
            shared,
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        // The IP, not `localhost`: no name lookup, no try of ::1 first (the certificate names
        // both).
        format!("{scheme}://127.0.0.1:{}", self.addr.port())
    }

    pub fn set_failover_time(&self, time: Duration) {
        *self.shared.failover_time.lock().unwrap() = time;
    }

    /// Counts since the last reset, and the tracked failovers.
    pub fn reset(&self) -> (Counts, HashMap<String, Track>) {
        let c = &self.shared.counters;
        let take = |a: &AtomicU64| a.swap(0, Ordering::SeqCst);
        let counts = Counts {
            token: take(&c.token),
            plan_gets: take(&c.plan_gets),
            failovers: take(&c.failovers),
            details_gets: take(&c.details_gets),
            refused: take(&c.refused),
            connections: take(&c.connections),
            handshakes: take(&c.handshakes),
        };
        let tracks = std::mem::take(&mut *self.shared.tracks.lock().unwrap());
        (counts, tracks)
    }
}

fn json(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        == Some(TOKEN);
    if !ok {
        shared.counters.refused.fetch_add(1, Ordering::Relaxed);
    }
    ok
}

async fn token(State(shared): State<Arc<Shared>>) -> Response {
    shared.counters.token.fetch_add(1, Ordering::Relaxed);
    json(TOKEN_ANSWER)
}

async fn plan(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    shared.counters.plan_gets.fetch_add(1, Ordering::Relaxed);
    json(READY_PLAN)
}

async fn failover(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return StatusCode::BAD_REQUEST.into_response();
    }
    shared.counters.failovers.fetch_add(1, Ordering::Relaxed);
    if !shared.failover_time.lock().unwrap().is_zero() {
        shared.tracks.lock().unwrap().insert(
            id,
            Track {
                posted: Instant::now(),
                reads: Vec::new(),
            },
        );
    }
    json(ACCEPTED)
}

async fn details(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    shared.counters.details_gets.fetch_add(1, Ordering::Relaxed);
    let time = *shared.failover_time.lock().unwrap();
    if time.is_zero() {
        return json(DONE);
    }
    let now = Instant::now();
    let mut tracks = shared.tracks.lock().unwrap();
    let Some(track) = tracks.get_mut(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let done = now.duration_since(track.posted) >= time;
    track.reads.push((now, done));
    json(if done { DONE } else { RUNNING })
}

/// Plain TCP, counting connections.
struct Counting {
    tcp: TcpListener,
    shared: Arc<Shared>,
}

impl axum::serve::Listener for Counting {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok((stream, addr)) = self.tcp.accept().await {
                let _ = stream.set_nodelay(true);
                self.shared
                    .counters
                    .connections
                    .fetch_add(1, Ordering::Relaxed);
                return (stream, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// TLS over TCP, counting connections and completed handshakes. Handshakes are done one at a
/// time in the accept loop: every client under test opens one connection at a time.
struct Tls {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
}

impl axum::serve::Listener for Tls {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            self.shared
                .counters
                .connections
                .fetch_add(1, Ordering::Relaxed);
            if let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(5), self.acceptor.accept(stream)).await
            {
                self.shared
                    .counters
                    .handshakes
                    .fetch_add(1, Ordering::Relaxed);
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

fn acceptor(cert_pem: &str, key_pem: &str) -> TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("the certificate");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("the key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("a server certificate");
    TlsAcceptor::from(Arc::new(config))
}

/// A self-signed certificate for `localhost` and 127.0.0.1, made now: (certificate PEM, key
/// PEM). The certificate is its own CA, passed to each client as its CA.
pub fn self_signed() -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("a self-signed certificate");
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}
