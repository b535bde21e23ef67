//! Reports: a model built from the executor's events, written as JSON (for machines,
//! `schemas/report.schema.json`) and Markdown (for people).

pub mod markdown;
pub mod model;
pub mod write;

pub use model::{Report, RunInfo, VariableRecord};
pub use write::{Written, write};
