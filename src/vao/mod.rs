//! The Veeam Availability Orchestrator v3 REST API, as drbook uses it.
//!
//! See `shared/vao-api.md` for the facts this relies on; where the documentation is silent
//! (state strings, error bodies) the client is tolerant and the runbook can configure it.
//!
//! One file per concept, with dependencies pointing one way: [`client`] sends the
//! [`request`] types and reads [`state`]s, raising [`error::VaoError`]s that [`retry`]'s rules
//! judge. Nothing here knows the runbook model: the executor translates its steps into
//! these types.

pub mod client;
pub mod credentials;
pub mod envelope;
pub mod error;
pub mod flavour;
pub mod request;
pub mod retry;
pub mod state;

pub use client::{Answer, ClientOptions, VaoClient};
pub use credentials::Credentials;
pub use error::VaoError;
pub use flavour::ApiFlavour;
pub use request::{
    ContinueOption, ContinueRequest, FailoverRequest, HaltRequest, PlanRequest,
    ReadinessCheckRequest, UndoRequest, UnknownContinueOption,
};
pub use retry::RetryPolicy;
pub use state::{Phase, PlanInfo, PlanStatus, StateSets};
