//! Runbooks: the YAML format, its schema check and the typed model.
//!
//! Loading is a pipeline over one parsed tree: [`yaml::parse`] → [`schema::check`] →
//! (templates are rendered by `crate::template`) → [`schema::check`] again → [`build::build`].
//! Only [`source`] touches the file system; everything else works on strings, so it is
//! testable without files.
//!
//! The format is written once, in [`document`]: serde types from which `schemars` derives
//! the JSON Schema (committed as `schemas/runbook.schema.json`) and into which [`de`] reads
//! a checked tree. [`build`] converts that document into the [`model`] the executor runs
//! (defaults applied, groups flattened, steps numbered) and checks the cross-field rules.
//! [`schema`] is the one place that words structural problems as [`Diagnostic`]s, with
//! [`text`] (did-you-mean, paths, values shown) as the leaf every stage, `crate::template`
//! included, uses for its messages. `crate::template` depends on this module, never the
//! other way round.

pub mod build;
pub mod de;
pub mod diagnostic;
pub mod document;
mod events;
pub mod json_view;
pub mod model;
pub mod node;
pub mod portable;
pub mod schedule;
pub mod schema;
pub mod source;
pub mod text;
pub mod values;
pub mod yaml;

pub use diagnostic::Diagnostic;
pub use model::{
    Action, Api, BodyMatch, Command, CommandLine, ExpectState, Failover, Group, HttpCheck,
    Objectives, OnFailure, OnHalt, Pause, PlanCall, ReadinessCheck, RecoveryUntil, Runbook, Scope,
    StateOverrides, Step, TcpCheck,
};
pub use node::{Key, Node, Pos, Value};
pub use source::{Source, SourceError};
pub use values::RestorePoint;
