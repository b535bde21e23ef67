//! Writing the report files: JSON always, then the other formats asked for (Markdown, JUnit
//! XML, HTML). Secrets are scrubbed from the model before any of them is rendered, and each
//! file is written whole (to a temporary file, then renamed) so a crash never leaves half a
//! report.

use super::model::Report;
use super::{html, junit, markdown};
use crate::secret::Redactor;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A report file format (`--report-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `schemas/report.schema.json`: the record every other format is rendered from.
    Json,
    /// Markdown for people.
    Md,
    /// JUnit XML for CI systems: a test case per step.
    Junit,
    /// One self-contained HTML page with a timeline.
    Html,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Json, Format::Md, Format::Junit, Format::Html];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Md => "md",
            Format::Junit => "junit",
            Format::Html => "html",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Md => "md",
            Format::Junit => "junit.xml",
            Format::Html => "html",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown report format `{text}`: the formats are {}",
                    names.join(", ")
                )
            })
    }
}

/// The formats to write, in writing order: JSON first and always (it is the machine
/// record, and the one file a crash between two writes is sure to leave current), each
/// format once.
pub fn formats(asked: &[Format]) -> Vec<Format> {
    let mut formats = vec![Format::Json];
    formats.extend(asked.iter().copied().filter(|f| *f != Format::Json));
    formats.sort();
    formats.dedup();
    formats
}

/// The files a run wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The JSON report (always written).
    pub json: PathBuf,
    /// Every file written, the JSON first.
    pub files: Vec<PathBuf>,
}

impl Written {
    /// The paths one per line, the first after `report: `.
    pub fn listing(&self) -> String {
        let paths: Vec<String> = self.files.iter().map(|p| p.display().to_string()).collect();
        format!("report: {}", paths.join("\n        "))
    }
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

/// Report fields that hold fixed vocabulary or typed values (instants, plan ids), never
/// user text: masking them could only break the report (a password that happens to be
/// `succeeded`, or a piece of a date).
const ENUM_KEYS: &[&str] = &[
    "result",
    "mode",
    "kind",
    "method",
    "source",
    "report_version",
    "phase",
    "verdict",
    "cleanup",
    "plan_id",
    "undone",
    "left_failed_over",
    "started_at",
    "finished_at",
    "sent_at",
    "failed_over_at",
    "at",
    "template_clock",
    "decision",
    "option",
    "recovery_until",
    "healthy_at",
];

/// Writes `<dir>/<run_id>.json` and, for each other format asked for,
/// `<dir>/<run_id>.<extension>`. Secrets are masked in the model's strings before anything
/// is serialised, so no escaping (JSON, Markdown, XML, HTML) can hide one from the mask;
/// the rendered text is scrubbed once more on top.
pub fn write(
    report: &Report,
    dir: &Path,
    redactor: &Redactor,
    asked: &[Format],
) -> std::io::Result<Written> {
    std::fs::create_dir_all(dir)?;
    // The JSON text first, masked as it is written; the other formats render the model
    // read back from that text, so they hold only what the JSON holds.
    let mut json = redactor
        .to_json(report, ENUM_KEYS, true)
        .map_err(std::io::Error::other)?;
    json.push(b'\n');
    let json = String::from_utf8(json).map_err(std::io::Error::other)?;
    let others = formats(asked).into_iter().any(|f| f != Format::Json);
    let redacted: Option<Report> = others
        .then(|| serde_json::from_str(&json))
        .transpose()
        .map_err(std::io::Error::other)?;
    let path = |format: Format| dir.join(format!("{}.{}", report.run_id, format.extension()));
    let mut written = Written {
        json: path(Format::Json),
        files: Vec::new(),
    };
    for format in formats(asked) {
        let rendered = match (format, &redacted) {
            (Format::Json, _) | (_, None) => None,
            (Format::Md, Some(r)) => Some(redactor.redact(&markdown::render(r))),
            (Format::Junit, Some(r)) => Some(redactor.redact(&junit::render(r)?)),
            (Format::Html, Some(r)) => Some(redactor.redact(&html::render(r))),
        };
        let file = path(format);
        write_atomically(&file, rendered.as_deref().unwrap_or(&json))?;
        written.files.push(file);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::{Format, formats};
    use crate::exec::{Mode, RunResult};
    use crate::report::fixture::{self, PLAN_A, TWO_FAILOVERS};
    use crate::secret::Redactor;

    #[test]
    fn a_secret_that_matches_a_piece_of_a_date_or_a_plan_id_leaves_them_whole() {
        let mut report = fixture::report(TWO_FAILOVERS, Mode::Drill);
        fixture::failover(&mut report, 1, PLAN_A, 0, 10, true);
        fixture::finish(&mut report, RunResult::Succeeded, 30, None);
        let redactor = Redactor::new(["2026-11-28".to_owned(), PLAN_A[..8].to_owned()]);
        let dir = tempfile::tempdir().unwrap();
        let written = super::write(&report, dir.path(), &redactor, &[Format::Html]).unwrap();
        let json = std::fs::read_to_string(&written.json).unwrap();
        assert!(
            json.contains("\"started_at\": \"2026-11-28T02:00:00.000Z\""),
            "{json}"
        );
        assert!(
            json.contains(&format!("\"plan_id\": \"{PLAN_A}\"")),
            "{json}"
        );
    }

    #[test]
    fn json_is_always_written_first_and_each_format_once() {
        assert_eq!(formats(&[]), [Format::Json]);
        assert_eq!(
            formats(&[Format::Html, Format::Junit, Format::Html, Format::Json]),
            [Format::Json, Format::Junit, Format::Html]
        );
        assert_eq!(formats(&[Format::Md]), [Format::Json, Format::Md]);
    }

    #[test]
    fn format_names_parse_and_unknown_ones_name_the_valid_ones() {
        assert_eq!("junit".parse(), Ok(Format::Junit));
        assert_eq!(" HTML".parse(), Ok(Format::Html));
        let error = "xml".parse::<Format>().unwrap_err();
        assert!(error.contains("`xml`"), "{error}");
        assert!(error.contains("json, md, junit, html"), "{error}");
    }
}
