//! Template variables, the date helpers and their clock, and handlebars rendering of
//! runbook values.
//!
//! This module depends on `crate::runbook` (the [`Node`](crate::runbook::Node) tree,
//! [`Diagnostic`](crate::runbook::Diagnostic), the scalar parsers and the message helpers of
//! `runbook::text`), never the other way round: `is_variable_name` lives in
//! `runbook::values` and is re-exported here.

pub mod dates;
pub mod render;
pub mod vars;

pub use dates::Clock;
pub use render::{is_helper_name, render};
pub use vars::{VarInputs, VarSource, Variable, Variables, is_secret_name, is_variable_name};
