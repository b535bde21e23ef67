//! Reports: a model built from the executor's events, written as JSON (for machines,
//! `schemas/report.schema.json`), and as Markdown, JUnit XML and HTML rendered from the same
//! (masked) model.

mod describe;
#[cfg(test)]
mod fixture;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod model;
mod timeline;
pub mod write;

pub use model::{Report, RunInfo, VariableRecord};
pub use write::{Format, Written, write};
