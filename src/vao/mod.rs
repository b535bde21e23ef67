//! The Veeam Availability Orchestrator v3 REST API, as drbook uses it.
//!
//! See `shared/vao-api.md` for the facts this relies on; where the documentation is silent
//! (state strings, error bodies) the client is tolerant and the runbook can configure it.

pub mod client;
pub mod request;
pub mod retry;
pub mod secret;
pub mod state;

pub use client::{Answer, ClientOptions, VaoClient, VaoError};
pub use request::failover_body;
pub use retry::RetryPolicy;
pub use secret::{Credentials, Redactor, Secret};
pub use state::{Phase, PlanInfo, PlanStatus, StateSets};
