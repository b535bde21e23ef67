//! `drbook history`: evidence over time. Every JSON report under some folders, grouped by
//! runbook, judged (the last successful drill, its age against `--max-age`, whether the
//! runbook changed since) and rendered as text, JSON or one HTML page with a chart of
//! recovery times. It reads files only, and only through the report model's own types
//! (`read`); the verdicts live in `model`, the renderings in `text`, `html` and `chart`.

mod chart;
pub mod html;
pub mod model;
pub mod read;
pub mod text;

pub use model::History;
pub use read::{Found, collect};
