//! Reports: a model built from the executor's events (`model`, its instants in
//! `timestamp`), written as JSON (for machines, `schemas/report.schema.json`), and as
//! Markdown, JUnit XML and HTML rendered from the same (masked) model (`describe` holds the
//! words they share, `timeline` the HTML chart).

pub mod describe;
#[cfg(test)]
pub(crate) mod fixture;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod model;
mod timeline;
pub mod timestamp;
pub mod write;

pub use model::{Report, RunInfo, VariableRecord};
pub use write::{Format, Written, write};
