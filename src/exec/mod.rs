//! Executing a runbook: steps in order or as their dependencies allow, real waits, events
//! for the listeners.
//!
//! - `executor` runs the steps (`executor/steps.rs` the drill step kinds, `graph.rs` the
//!   steps that run at the same time (parallel groups, `needs`), `wait.rs` the one polling
//!   loop every waiting step uses, `probe.rs` the health checks, `command.rs` the
//!   commands);
//! - `event` is what it reports, typed (step kinds, plan ids, phases, instants), and
//!   doubles as the journal's lines (`journal`);
//! - `ledger` keeps which failovers a run made, for a rollback or a drill's clean-up;
//! - `resume` folds a journal back into what an earlier process had done;
//! - `guard` holds the state guards that a run and `check` both apply;
//! - `to_vao` turns runbook steps into the VAO client's request types (the client knows
//!   nothing of runbooks);
//! - `check` and `dry_run` walk the runbook without changing anything.

pub mod check;
pub mod dry_run;
pub mod event;
pub mod executor;
pub mod guard;
pub mod journal;
pub mod ledger;
pub mod poll;
pub mod resume;
pub mod to_vao;

pub use check::{CheckOptions, check};
pub use dry_run::dry_run;
pub use event::{
    Decider, Decision, DrillPhase, Event, Fanout, GuardVerdict, Listener, Mode, RunResult,
    StepKind, StepResult,
};
pub use executor::{Approvals, ExecOptions, Executor, Interrupt};
pub use journal::{Journal, JournalHeader};
pub use ledger::PlanLedger;
pub use resume::{InFlight, Resume, ResumeError, resume_from};
