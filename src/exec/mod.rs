//! Executing a runbook: strictly ordered steps, real waits, events for the listeners.

pub mod check;
pub mod dry_run;
pub mod event;
pub mod executor;
pub mod guard;
pub mod journal;
pub mod poll;
pub mod to_vao;

pub use check::{CheckOptions, check};
pub use dry_run::dry_run;
pub use event::{Event, Fanout, GuardVerdict, Listener, Mode, RunResult, StepResult};
pub use executor::{Approvals, ExecOptions, Executor, InFlight, Interrupt, Resume};
pub use journal::{Journal, JournalHeader};
