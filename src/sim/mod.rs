//! A simulator of the Veeam Availability Orchestrator v3 REST API, and of the
//! Veeam Recovery Orchestrator 7.x and 13 editions of it ([`SimApi`]), as far as
//! drbook uses it: the token endpoint, listing and reading plans, runtime
//! details and `POST .../Failover`, `.../Undo`, `.../Halt`,
//! `.../ReadinessCheck` and `.../Continue` (of a halted plan).
//!
//! It can misbehave on purpose: [`Fault`]s in [`SimConfig::faults`] (or the
//! `faults:` of a plans file) add latency, answer 5xx, 429 or 401, or drop
//! the connection after acting, or make a failover or a continued run halt;
//! [`Simulator::restart`] (or, for a simulator
//! in another process, an unauthenticated `POST /simulator/restart`) wipes
//! runtime details and tokens like a reboot of the VAO server. Counters such
//! as [`Simulator::accepted_failovers`] let tests prove "at most once".
//!
//! Integration tests run it in-process on `127.0.0.1:0` through
//! [`Simulator`]; `drbook simulator` runs it through [`serve`]. Plan states
//! follow the convention table at the end of `vao-api.md`, since VAO does not
//! document its state strings. This module uses no other part of the crate,
//! except the names of VAO's Continue options (`vao::ContinueOption`), which
//! are written once.
//!
//! The layers, outside in: `server` (axum's `Router`, and the one middleware
//! that records each request and applies faults), `endpoints` (one handler per
//! VAO endpoint, decoding with axum's extractors), `state` (plans, runs,
//! tokens, counters). `fault` decides which fault hits a request, `config`
//! reads a plans file, `conn` lets a fault cut a connection, `handle` is the
//! [`Simulator`] that tests hold.

mod config;
mod conn;
mod endpoints;
mod fault;
mod flavour;
mod handle;
mod request;
mod server;
mod state;

#[cfg(test)]
mod tests;

pub use config::{
    DEFAULT_CHECK_DURATION, DEFAULT_FAILOVER_DURATION, DEFAULT_PAGE_LIMIT, DEFAULT_PASSWORD,
    DEFAULT_TOKEN_LIFETIME, DEFAULT_USERNAME, SimCheckOutcome, SimClient, SimConfig, SimOutcome,
    SimPlan,
};
pub use fault::{Fault, FaultEndpoint, FaultKind};
pub use flavour::SimApi;
pub use handle::Simulator;
pub use request::RecordedRequest;
pub use server::serve;
pub use state::Action;
