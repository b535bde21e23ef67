//! Template variables, the date helpers and their clock, and handlebars rendering of
//! runbook values.

pub mod dates;
pub mod render;
pub mod vars;

pub use dates::Clock;
pub use render::{is_helper_name, render};
pub use vars::{VarInputs, VarSource, Variable, Variables, is_secret_name, is_variable_name};
