//! Finding and reading the JSON reports under a set of folders.
//!
//! A report is read into [`ReportView`]: only the fields the history needs, each typed with
//! the report model's own serde types (`RunbookInfo`, `Mode`, `ObjectivesRecord`, ...), so
//! there is one definition of every field. Fields it does not name are ignored (never
//! denied): reports of a drbook with more step kinds or fields still read. A file that is
//! not one (another tool's JSON, a damaged file, a report of a newer format) is [`Skipped`]
//! with the reason, never fatal.

use crate::exec::{Mode, RunResult};
use crate::report::model::{
    DrillRecord, ObjectivesRecord, REPORT_VERSION, RecoveryRecord, RunbookInfo,
};
use crate::report::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// What the history reads of a report.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportView {
    pub report_version: u32,
    pub drbook_version: String,
    pub run_id: String,
    /// A simulated drill reads as a simulated run: it is not evidence of a recovery.
    pub mode: Mode,
    #[serde(default)]
    pub simulated: bool,
    pub runbook: RunbookInfo,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub result: RunResult,
    pub error: Option<String>,
    pub objectives: ObjectivesRecord,
    pub drill: Option<DrillRecord>,
    pub steps: Vec<StepView>,
}

/// What the history reads of a step: a failover's measured recovery.
#[derive(Debug, Clone, Deserialize)]
pub struct StepView {
    pub number: usize,
    pub name: String,
    pub plan_id: Option<Uuid>,
    pub recovery: Option<RecoveryRecord>,
}

/// A report and the file it was read from.
#[derive(Debug, Clone)]
pub struct Read {
    pub file: PathBuf,
    pub report: ReportView,
}

/// A file that was not read as a report, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub file: PathBuf,
    pub reason: String,
}

/// Everything found under the folders.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub reports: Vec<Read>,
    pub skipped: Vec<Skipped>,
}

/// A folder (or file) named on the command line that cannot be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {message}", path.display())]
pub struct NotFound {
    pub path: PathBuf,
    pub message: String,
}

/// The `*.json` files under `roots` (a root may also be a report file itself), sorted. A
/// subfolder that cannot be listed is skipped with its reason; a symbolic link to a folder
/// is not followed (a loop must not hang a CI gate).
pub fn list(roots: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<Skipped>), NotFound> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for root in roots {
        let metadata = std::fs::metadata(root).map_err(|e| NotFound {
            path: root.clone(),
            message: e.to_string(),
        })?;
        if metadata.is_file() {
            files.push(root.clone());
            continue;
        }
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            let entries = match std::fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(e) if folder == *root => {
                    return Err(NotFound {
                        path: root.clone(),
                        message: e.to_string(),
                    });
                }
                Err(e) => {
                    skipped.push(Skipped {
                        file: folder,
                        reason: format!("cannot list the folder: {e}"),
                    });
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "json")
                    && (kind.is_file() || path.is_file())
                {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    files.dedup();
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    Ok((files, skipped))
}

/// Reads one file as a report, or says why it is not one.
pub fn read(file: &Path) -> Result<ReportView, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read the file: {e}"))?;
    parse(&bytes)
}

/// A report's bytes as a view; the reason when they are not one this drbook reads.
pub fn parse(bytes: &[u8]) -> Result<ReportView, String> {
    let newer = |version: u64, by: Option<&str>| {
        format!(
            "a report of format {version}{}, newer than this drbook reads ({REPORT_VERSION})",
            by.map(|v| format!(" (drbook {v})")).unwrap_or_default()
        )
    };
    let error = match serde_json::from_slice::<ReportView>(bytes) {
        Ok(view) if view.report_version > REPORT_VERSION => {
            return Err(newer(
                u64::from(view.report_version),
                Some(&view.drbook_version),
            ));
        }
        Ok(mut view) => {
            if view.simulated && view.mode == Mode::Drill {
                view.mode = Mode::Simulate;
            }
            return Ok(view);
        }
        Err(error) => error,
    };
    // Only a file that is not a report this drbook reads is read a second time, whole, to
    // tell a damaged report from another tool's JSON and a newer drbook's report.
    let value = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => value,
        Err(syntax) => return Err(format!("not JSON: {syntax}")),
    };
    let Some(object) = value.as_object() else {
        return Err("not a drbook report: not a JSON object".to_owned());
    };
    match (object.get("report_version"), object.get("drbook_version")) {
        (Some(version), Some(by)) => Err(match version.as_u64() {
            Some(v) if v > u64::from(REPORT_VERSION) => newer(v, by.as_str()),
            _ => format!("a damaged drbook report: {error}"),
        }),
        _ => Err("not a drbook report: no `report_version` and `drbook_version`".to_owned()),
    }
}

/// Reads every file, on up to `threads` threads (the order of `files` is kept).
pub fn read_all(files: Vec<PathBuf>, threads: usize) -> Found {
    let threads = threads.clamp(1, files.len().max(1));
    let chunk = files.len().div_ceil(threads).max(1);
    let results: Vec<(PathBuf, Result<ReportView, String>)> = if threads == 1 {
        files.into_iter().map(|f| (f.clone(), read(&f))).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|f| (f.clone(), read(f)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    let mut found = Found::default();
    for (file, result) in results {
        match result {
            Ok(report) => found.reports.push(Read { file, report }),
            Err(reason) => found.skipped.push(Skipped { file, reason }),
        }
    }
    found
}

/// The reports under `roots`: listed, then read on as many threads as the machine offers
/// (at most 4: past that the disk, not parsing, is the limit).
pub fn collect(roots: &[PathBuf]) -> Result<Found, NotFound> {
    let (files, mut unlisted) = list(roots)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    // Threads pay off only when there is enough to share.
    let threads = if files.len() < 64 { 1 } else { threads };
    let mut found = read_all(files, threads);
    found.skipped.append(&mut unlisted);
    found.skipped.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn report_json() -> String {
        let mut report = fixture::report(fixture::TWO_FAILOVERS, Mode::Drill);
        fixture::failover(&mut report, 1, fixture::PLAN_A, 0, 40, true);
        fixture::finish(&mut report, RunResult::Succeeded, 60, None);
        serde_json::to_string(&report).unwrap()
    }

    #[test]
    fn reports_are_found_below_the_folders_without_following_a_linked_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("reports");
        std::fs::create_dir_all(root.join("site-b/2026")).unwrap();
        for file in [
            "a.json",
            "a.md",
            "a.json.tmp",
            "run.journal.jsonl",
            "site-b/2026/b.json",
        ] {
            std::fs::write(root.join(file), report_json()).unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(&root, root.join("site-b/loop")).unwrap();
        let single = dir.path().join("single.json");
        std::fs::write(&single, "{}").unwrap();
        let (files, skipped) = list(&[root.clone(), single.clone()]).unwrap();
        assert_eq!(
            files,
            [root.join("a.json"), root.join("site-b/2026/b.json"), single]
        );
        assert!(skipped.is_empty());
        let found = read_all(files, 2);
        assert_eq!(found.reports.len(), 2);
        assert_eq!(found.skipped.len(), 1);
        assert_eq!(
            found.skipped[0].reason,
            "not a drbook report: no `report_version` and `drbook_version`"
        );
        let missing = list(&[dir.path().join("nothing")]).unwrap_err();
        assert!(missing.to_string().starts_with("cannot read "), "{missing}");
    }

    #[test]
    fn a_report_reads_with_the_model_types() {
        let view = parse(report_json().as_bytes()).unwrap();
        assert_eq!(view.mode, Mode::Drill);
        assert_eq!(view.runbook.name, "fixture");
        let recovery = view.steps[0].recovery.as_ref().unwrap();
        assert_eq!(recovery.measured.recovery_time_ms, Some(40_000));
        assert_eq!(view.objectives.measured.rto_target_ms, Some(60_000));
    }

    #[test]
    fn fields_it_does_not_know_are_ignored() {
        let mut value: serde_json::Value = serde_json::from_str(&report_json()).unwrap();
        value["operator_decisions"] = serde_json::json!([{"by": "ops"}]);
        value["steps"][0]["kind"] = serde_json::json!("http_check");
        value["steps"][0]["result"] = serde_json::json!("skipped_by_operator");
        let view = parse(value.to_string().as_bytes()).unwrap();
        assert_eq!(view.steps.len(), 3);
    }

    #[test]
    fn what_is_not_a_report_says_why() {
        let reason = |text: &str| parse(text.as_bytes()).unwrap_err();
        assert!(reason("{\"report_version\": 1, \"run").starts_with("not JSON: "));
        assert!(reason("garbage").starts_with("not JSON: "));
        assert_eq!(reason("[1, 2]"), "not a drbook report: not a JSON object");
        assert_eq!(
            reason("{\"name\": \"package.json\", \"version\": \"1.0.0\"}"),
            "not a drbook report: no `report_version` and `drbook_version`"
        );
        let mut value: serde_json::Value = serde_json::from_str(&report_json()).unwrap();
        value["report_version"] = serde_json::json!(2);
        value["mode"] = serde_json::json!("rehearse");
        assert_eq!(
            reason(&value.to_string()),
            format!(
                "a report of format 2 (drbook {}), newer than this drbook reads (1)",
                env!("CARGO_PKG_VERSION")
            )
        );
        value["report_version"] = serde_json::json!(1);
        assert!(
            reason(&value.to_string())
                .starts_with("a damaged drbook report: unknown variant `rehearse`"),
            "{}",
            reason(&value.to_string())
        );
    }
}
