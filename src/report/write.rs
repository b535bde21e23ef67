//! Writing the report files: JSON and Markdown, secrets scrubbed, each written whole (to a
//! temporary file, then renamed) so a crash never leaves half a report.

use super::markdown;
use super::model::Report;
use crate::vao::Redactor;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The files a run wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub json: PathBuf,
    pub markdown: PathBuf,
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Report fields that hold fixed vocabulary, never user text: masking them could only break
/// the report (a password that happens to be `succeeded`).
const ENUM_KEYS: &[&str] = &[
    "result",
    "mode",
    "kind",
    "method",
    "source",
    "report_version",
];

/// Writes `<dir>/<run_id>.json` and `<dir>/<run_id>.md`. Secrets are masked in the model's
/// strings before anything is serialised, so no escaping can hide one from the mask.
pub fn write(report: &Report, dir: &Path, redactor: &Redactor) -> std::io::Result<Written> {
    std::fs::create_dir_all(dir)?;
    let mut value = serde_json::to_value(report).map_err(std::io::Error::other)?;
    redactor.redact_json(&mut value, ENUM_KEYS);
    let json = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
    let redacted: Report = serde_json::from_value(value).map_err(std::io::Error::other)?;
    let written = Written {
        json: dir.join(format!("{}.json", report.run_id)),
        markdown: dir.join(format!("{}.md", report.run_id)),
    };
    write_atomically(&written.json, &(json + "\n"))?;
    // Markdown escaping happens after masking, on text that holds no secret any more.
    write_atomically(
        &written.markdown,
        &redactor.redact(&markdown::render(&redacted)),
    )?;
    Ok(written)
}
