//! Runbooks: the YAML format, its schema check and the typed model.
//!
//! Loading is a pipeline over one parsed tree: [`yaml::parse`] → [`schema::check`] →
//! (templates are rendered by `crate::template`) → [`schema::check`] again → [`build::build`].
//! Only [`source`] touches the file system; everything else works on strings, so it is
//! testable without files.

pub mod build;
pub mod diagnostic;
pub mod model;
pub mod node;
pub mod schema;
pub mod source;
pub mod values;
pub mod yaml;

pub use diagnostic::Diagnostic;
pub use model::{
    Action, ExpectState, Failover, Group, Objectives, OnFailure, Pause, PlanCall, ReadinessCheck,
    Runbook, StateOverrides, Step,
};
pub use node::{Key, Node, Pos, Value};
pub use source::{Source, SourceError};
pub use values::RestorePoint;
