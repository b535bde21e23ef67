//! A simulator of the Veeam Availability Orchestrator v3 REST API, as far as
//! drbook uses it: `POST /token`, listing and reading plans, runtime
//! details and `POST .../Failover`.
//!
//! Integration tests run it in-process on `127.0.0.1:0` through
//! [`Simulator`]; `drbook simulator` runs it through [`serve`]. Plan states
//! follow the convention table at the end of `vao-api.md`, since VAO does not
//! document its state strings. This module uses no other part of the crate.

mod config;
mod handle;
mod request;
mod server;
mod state;

#[cfg(test)]
mod tests;

pub use config::{
    DEFAULT_FAILOVER_DURATION, DEFAULT_TOKEN_LIFETIME, DEFAULT_USERNAME, SimConfig, SimOutcome,
    SimPlan,
};
pub use handle::Simulator;
pub use request::RecordedRequest;
pub use server::serve;
