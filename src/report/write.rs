//! Writing the report files: JSON always, then the other formats asked for (Markdown, JUnit
//! XML, HTML). Secrets are masked in the model's strings before any of them is rendered (a
//! report with none to mask is rendered as it is; one with some, from its masked JSON read
//! back), and each file is written whole (to a temporary file, then renamed) so a crash
//! never leaves half a report.

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

/// Writes a file whole: `write` fills a temporary file beside it, which is made durable and
/// then renamed over it. Returns what `write` returned.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp)?;
    // A file that could not be filled is not left beside the report.
    let written = fill(&file, write).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    std::fs::rename(&tmp, path)?;
    Ok(written)
}

/// Fills `file` through a buffer and makes it durable.
fn fill<T>(
    file: &std::fs::File,
    write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
    let written = write(&mut out)?;
    out.flush()?;
    drop(out);
    file.sync_all()?;
    Ok(written)
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
    let path = |format: Format| dir.join(format!("{}.{}", report.run_id, format.extension()));
    let mut written = Written {
        json: path(Format::Json),
        files: Vec::new(),
    };
    // The JSON first, masked as it is written straight to its file (a long run's report is
    // megabytes: no copy of its text is held).
    let masked = write_atomically(&written.json, |out| {
        let masked = redactor
            .write_json(&mut *out, report, ENUM_KEYS, true)
            .map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
        Ok(masked)
    })?;
    written.files.push(written.json.clone());
    // The other formats render what the JSON holds: the model itself when no string of it
    // needed a mask, else the masked model read back from the JSON (a mask applied before
    // any escaping, which could split a secret).
    let others: Vec<Format> = formats(asked)
        .into_iter()
        .filter(|f| *f != Format::Json)
        .collect();
    let read_back: Option<Report> = (!others.is_empty() && masked)
        .then(|| {
            serde_json::from_slice(&std::fs::read(&written.json)?).map_err(std::io::Error::other)
        })
        .transpose()?;
    let model = read_back.as_ref().unwrap_or(report);
    for format in others {
        let rendered = match format {
            Format::Json => continue,
            Format::Md => markdown::render(model),
            Format::Junit => junit::render(model)?,
            Format::Html => html::render(model),
        };
        // Masked once more, for the kept fields' words.
        let file = path(format);
        write_atomically(&file, |out| {
            out.write_all(redactor.mask(&rendered).as_bytes())
        })?;
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
    fn the_other_formats_render_what_the_json_holds_masked_or_not() {
        let mut report = fixture::report(TWO_FAILOVERS, Mode::Drill);
        fixture::failover(&mut report, 1, PLAN_A, 0, 10, true);
        fixture::finish(&mut report, RunResult::Failed, 30, None);
        let dir = tempfile::tempdir().unwrap();
        let all = [Format::Md, Format::Junit, Format::Html];
        // Nothing to mask: rendered from the model itself, as from the JSON read back.
        let written = super::write(&report, dir.path(), &Redactor::default(), &all).unwrap();
        let json = std::fs::read_to_string(&written.json).unwrap();
        let read_back: super::Report = serde_json::from_str(&json).unwrap();
        let file = |ext: &str| {
            std::fs::read_to_string(dir.path().join(format!("{}.{ext}", report.run_id))).unwrap()
        };
        assert_eq!(file("md"), super::markdown::render(&read_back));
        assert_eq!(file("junit.xml"), super::junit::render(&read_back).unwrap());
        assert_eq!(file("html"), super::html::render(&read_back));
        // A secret that Markdown, XML and HTML would escape (split) is masked before that.
        report.steps[1].error = Some("refused: pass|<&>word rejected".to_owned());
        let redactor = Redactor::new(["pass|<&>word".to_owned()]);
        super::write(&report, dir.path(), &redactor, &all).unwrap();
        for ext in ["json", "md", "junit.xml", "html"] {
            let text = file(ext);
            assert!(text.contains("refused: *** rejected"), "{ext}: {text}");
            assert!(!text.contains("pass"), "{ext}: {text}");
        }
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
