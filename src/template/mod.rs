//! Template variables and handlebars rendering of runbook values.

pub mod render;
pub mod vars;

pub use render::render;
pub use vars::{VarInputs, VarSource, Variable, Variables, is_secret_name, is_variable_name};
