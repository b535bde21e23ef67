//! [`Simulator`]: a running simulator that tests start, inspect and stop.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::config::SimConfig;
use super::request::RecordedRequest;
use super::server::run;
use super::state::{Action, SimState};

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    addr: SocketAddr,
    state: Arc<SimState>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Binds `listen` and serves on the current tokio runtime; returns as
    /// soon as the socket is bound.
    pub async fn start(config: SimConfig, listen: SocketAddr) -> std::io::Result<Simulator> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(SimState::new(config));
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(serve_until(state.clone(), listener, stopped));
        Ok(Simulator {
            addr,
            state,
            stop: Some(stop),
            thread: None,
        })
    }

    /// Serves on 127.0.0.1 with an ephemeral port from a thread of its own
    /// with its own runtime, for tests that are not async.
    pub fn spawn_in_thread(config: SimConfig) -> std::io::Result<Simulator> {
        // Bound and built here so that failures reach the caller.
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let state = Arc::new(SimState::new(config));
        let (stop, stopped) = oneshot::channel();
        let server_state = state.clone();
        let thread = std::thread::Builder::new()
            .name("drbook-simulator".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => serve_until(server_state, listener, stopped).await,
                        Err(e) => tracing::warn!(error = %e, "simulator could not listen"),
                    }
                });
            })?;
        Ok(Simulator {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// How many authorized requests to start `action` reached this plan,
    /// accepted or not. Requests answered by a `status`, `retry_after` or
    /// `unauthorized` fault did not reach it; `latency` and
    /// `drop_after_action` ones did.
    pub fn requests_for(&self, action: Action, plan_id: &str) -> usize {
        self.state.request_count(action, plan_id)
    }

    /// How many times this plan actually started `action`.
    pub fn accepted(&self, action: Action, plan_id: &str) -> usize {
        self.state.accepted(action, plan_id)
    }

    /// Acts like a reboot of the VAO server: runtime details answer 404 for
    /// every plan until that plan's next accepted failover, undo, readiness
    /// check or halt,
    /// and every issued access and refresh token is void. Plans keep their
    /// state (a run in progress goes on); counters and requests stay.
    pub fn restart(&self) {
        self.state.restart();
    }

    /// The plan's `state` as a request would see it now.
    pub fn plan_state(&self, plan_id: &str) -> Option<String> {
        self.state.plan(plan_id).map(|view| view.state)
    }

    /// Stops the server; the same as dropping the simulator.
    pub fn shutdown(self) {}
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Waiting is bounded by the server's shutdown grace period; it makes
        // sure the port is free once the simulator is gone.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The per-action shorthands for [`Simulator::requests_for`] and
/// [`Simulator::accepted`] that tests read: `failover_count`,
/// `accepted_failovers`, and so on.
macro_rules! action_counters {
    ($($action:ident: $requests:ident, $accepted:ident, $path:literal, $what:literal;)*) => {
        impl Simulator {
            $(
                #[doc = concat!("How many authorized `POST .../", $path, "` requests reached this plan, accepted or not ([`Simulator::requests_for`]).")]
                pub fn $requests(&self, plan_id: &str) -> usize {
                    self.requests_for(Action::$action, plan_id)
                }

                #[doc = concat!("How many times this plan actually started ", $what, ".")]
                pub fn $accepted(&self, plan_id: &str) -> usize {
                    self.accepted(Action::$action, plan_id)
                }
            )*
        }
    };
}

action_counters! {
    Failover: failover_count, accepted_failovers, "Failover", "a failover";
    Undo: undo_count, accepted_undos, "Undo", "an undo";
    Check: check_count, accepted_checks, "ReadinessCheck", "a readiness check";
    Continue: continue_count, accepted_continues, "Continue", "a continued run";
}

async fn serve_until(state: Arc<SimState>, listener: TcpListener, stopped: oneshot::Receiver<()>) {
    let shutdown = async move {
        // A dropped sender means the handle is gone: stop as well.
        let _ = stopped.await;
    };
    if let Err(e) = run(state, listener, shutdown).await {
        tracing::warn!(error = %e, "simulator stopped with an error");
    }
}
