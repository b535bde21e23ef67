//! The history: reports grouped by runbook, with the verdicts a DR owner and an auditor ask
//! for. Its serde form is `drbook history --format json` (versioned by `drbook_history`;
//! fields are only ever added); the text and HTML renderings read the same model.

use super::read::{Found, Read, ReportView, Skipped};
use crate::exec::{Mode, RunResult};
use crate::report::model::Cleanup;
use crate::report::timestamp::Timestamp;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

/// The version of the JSON shape (`drbook_history`).
pub const HISTORY_VERSION: u32 = 1;

/// A runbook is *due* (amber) once its last successful drill is older than this share of
/// `--max-age`: in the last fifth of the allowed age.
pub const DUE_SHARE: f64 = 0.8;

#[derive(Debug, Clone, Serialize)]
pub struct History {
    pub drbook_history: u32,
    /// The instant ages are measured from (`--now`, else the current time).
    #[serde(with = "crate::report::timestamp::whole_seconds")]
    pub now: DateTime<Utc>,
    /// `--max-age` in milliseconds; null without it (nothing is judged stale).
    pub max_age_ms: Option<u64>,
    pub folders: Vec<PathBuf>,
    /// Reports read (each run once).
    pub reports: usize,
    /// Files holding a run already read from another file (a copy, an older checkpoint).
    pub duplicates: usize,
    pub runbooks: Vec<RunbookHistory>,
    /// Files that were not read as reports, with the reason.
    pub skipped: Vec<Skipped>,
    /// With `--max-age`: whether every runbook passed, and which did not and why.
    pub gate: Option<Gate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub passed: bool,
    /// The runbooks that failed it, each with its reasons.
    pub failing: Vec<Failing>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failing {
    pub name: String,
    pub path: String,
    pub reasons: Vec<String>,
}

/// One runbook (its name and path, as the reports record them) over time.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookHistory {
    pub name: String,
    pub path: String,
    pub reports: usize,
    /// The newest report of each kind of run.
    pub last: Last,
    pub last_successful_drill: Option<Run>,
    /// Whether the runbook file changed since the last successful drill: null without one.
    pub changed: Option<bool>,
    /// What changed: the file as drilled against the file as last seen.
    pub change: Option<Change>,
    /// With `--max-age`: no successful drill within it. Null without `--max-age`.
    pub stale: Option<bool>,
    /// With `--max-age`: the last successful drill is in the last fifth of the age.
    pub due: Option<bool>,
    pub freshness: Freshness,
    /// Facts worth knowing that do not fail the gate (a drill from a dirty work tree, the
    /// git commit moved on with the file unchanged).
    pub notes: Vec<String>,
    /// Every drill, oldest first, with its recovery times against its RTO.
    pub drills: Vec<Drill>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Last {
    /// `run` (live or simulated).
    pub run: Option<Run>,
    pub drill: Option<Run>,
    pub check: Option<Run>,
    pub dry_run: Option<Run>,
}

/// The kinds of run the history tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Run,
    Drill,
    Check,
    DryRun,
}

impl Kind {
    pub fn of(mode: Mode) -> Kind {
        match mode {
            Mode::Live | Mode::Simulate => Kind::Run,
            Mode::Drill => Kind::Drill,
            Mode::Check => Kind::Check,
            Mode::DryRun => Kind::DryRun,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Drill => "drill",
            Kind::Check => "check",
            Kind::DryRun => "dry run",
        }
    }
}

impl Last {
    pub fn get(&self, kind: Kind) -> Option<&Run> {
        match kind {
            Kind::Run => self.run.as_ref(),
            Kind::Drill => self.drill.as_ref(),
            Kind::Check => self.check.as_ref(),
            Kind::DryRun => self.dry_run.as_ref(),
        }
    }

    fn slot(&mut self, kind: Kind) -> &mut Option<Run> {
        match kind {
            Kind::Run => &mut self.run,
            Kind::Drill => &mut self.drill,
            Kind::Check => &mut self.check,
            Kind::DryRun => &mut self.dry_run,
        }
    }
}

/// One run, as the history shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub run_id: String,
    pub file: PathBuf,
    pub mode: Mode,
    pub result: RunResult,
    /// Whether the report was finished (a killed run leaves one that is not).
    pub finished: bool,
    pub started_at: Timestamp,
    /// `now` minus the start; negative for a report from after `now`.
    pub age_ms: i64,
    /// A drill's clean-up.
    pub cleanup: Option<Cleanup>,
    pub sha256: String,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    pub error: Option<String>,
}

/// The runbook file as drilled against the file as last seen.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub drilled_sha256: String,
    pub drilled_git_commit: Option<String>,
    /// The newest report's run, and what it read.
    pub seen_in: String,
    pub seen_at: Timestamp,
    pub seen_sha256: String,
    pub seen_git_commit: Option<String>,
}

/// At a glance: green fresh, amber due, red stale or changed; grey when not judged (no
/// `--max-age`, and nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    Fresh,
    Due,
    Stale,
    Changed,
    Unjudged,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Due => "due",
            Freshness::Stale => "stale",
            Freshness::Changed => "changed",
            Freshness::Unjudged => "not judged",
        }
    }

    /// green, amber, red, grey.
    pub fn colour(self) -> &'static str {
        match self {
            Freshness::Fresh => "green",
            Freshness::Due => "amber",
            Freshness::Stale | Freshness::Changed => "red",
            Freshness::Unjudged => "grey",
        }
    }
}

/// A drill and its recovery times.
#[derive(Debug, Clone, Serialize)]
pub struct Drill {
    pub run_id: String,
    pub started_at: Timestamp,
    pub result: RunResult,
    pub cleanup: Option<Cleanup>,
    /// Whether it counts as a successful drill: succeeded, and cleaned up.
    pub successful: bool,
    pub sha256: String,
    /// The run's recovery: first failover request to the last plan failed over.
    pub recovery_time_ms: Option<u64>,
    pub rto_target_ms: Option<u64>,
    pub rto_met: Option<bool>,
    pub plans: Vec<PlanRecovery>,
}

/// One failover of a drill.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRecovery {
    pub step: usize,
    pub name: String,
    pub plan_id: Option<Uuid>,
    pub recovery_time_ms: Option<u64>,
    pub rto_target_ms: Option<u64>,
    pub rto_met: Option<bool>,
}

/// The reports of one run id that a history keeps: the finished one, else the latest
/// written (a resumed run rewrites its report; a copy may be older).
fn better(candidate: &ReportView, kept: &ReportView) -> bool {
    let rank = |r: &ReportView| (r.finished_at.is_some(), r.finished_at, r.steps.len());
    rank(candidate) > rank(kept)
}

fn age_ms(now: DateTime<Utc>, at: Timestamp) -> i64 {
    (now - at.utc()).num_milliseconds()
}

fn run(read: &Read, now: DateTime<Utc>) -> Run {
    let r = &read.report;
    Run {
        run_id: r.run_id.clone(),
        file: read.file.clone(),
        mode: r.mode,
        result: r.result,
        finished: r.finished_at.is_some(),
        started_at: r.started_at,
        age_ms: age_ms(now, r.started_at),
        cleanup: r.drill.as_ref().map(|d| d.cleanup),
        sha256: r.runbook.sha256.clone(),
        git_commit: r.runbook.git_commit.clone(),
        git_dirty: r.runbook.git_dirty,
        error: r.error.clone(),
    }
}

/// A drill that counts: it succeeded and its clean-up left nothing failed over.
fn successful_drill(r: &ReportView) -> bool {
    r.mode == Mode::Drill
        && r.result == RunResult::Succeeded
        && r.drill
            .as_ref()
            .is_some_and(|d| d.cleanup == Cleanup::Clean)
}

fn drill(r: &ReportView) -> Drill {
    let m = &r.objectives.measured;
    Drill {
        run_id: r.run_id.clone(),
        started_at: r.started_at,
        result: r.result,
        cleanup: r.drill.as_ref().map(|d| d.cleanup),
        successful: successful_drill(r),
        sha256: r.runbook.sha256.clone(),
        recovery_time_ms: m.recovery_time_ms,
        rto_target_ms: m.rto_target_ms,
        rto_met: m.rto_met,
        plans: r
            .steps
            .iter()
            .filter_map(|s| {
                let recovery = s.recovery.as_ref()?;
                Some(PlanRecovery {
                    step: s.number,
                    name: s.name.clone(),
                    plan_id: s.plan_id,
                    recovery_time_ms: recovery.measured.recovery_time_ms,
                    rto_target_ms: recovery.measured.rto_target_ms,
                    rto_met: recovery.measured.rto_met,
                })
            })
            .collect(),
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// An age in words: `3 d 04 h ago`, or `… from now` for a report after the clock.
pub fn age(ms: i64) -> String {
    let words = crate::report::describe::duration(ms.unsigned_abs());
    if ms < 0 {
        format!("{words} from now")
    } else {
        format!("{words} ago")
    }
}

impl History {
    /// Groups the reports by runbook and judges each against `max_age` at `now`.
    pub fn build(
        found: Found,
        folders: Vec<PathBuf>,
        now: DateTime<Utc>,
        max_age: Option<Duration>,
    ) -> History {
        let max_age_ms = max_age.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        // Each run once.
        let mut by_run: BTreeMap<String, Read> = BTreeMap::new();
        let mut duplicates = 0;
        for read in found.reports {
            match by_run.get_mut(&read.report.run_id) {
                Some(kept) => {
                    duplicates += 1;
                    if better(&read.report, &kept.report) {
                        *kept = read;
                    }
                }
                None => {
                    by_run.insert(read.report.run_id.clone(), read);
                }
            }
        }
        let reports = by_run.len();
        // One runbook is one file, however it was named on each command line.
        let mut groups: BTreeMap<(String, String), Vec<Read>> = BTreeMap::new();
        for read in by_run.into_values() {
            let runbook = &read.report.runbook;
            let key = (runbook.name.clone(), runbook.identity().to_owned());
            groups.entry(key).or_default().push(read);
        }
        let runbooks: Vec<RunbookHistory> = groups
            .into_values()
            .map(|mut reads| {
                reads.sort_by(|a, b| {
                    (a.report.started_at, &a.report.run_id)
                        .cmp(&(b.report.started_at, &b.report.run_id))
                });
                // Named as the newest report names it.
                let newest = &reads[reads.len() - 1].report.runbook;
                let (name, path) = (newest.name.clone(), newest.path.clone());
                RunbookHistory::build(name, path, &reads, now, max_age_ms)
            })
            .collect();
        let gate = max_age_ms.map(|_| {
            let failing: Vec<Failing> = runbooks
                .iter()
                .filter_map(|rb| {
                    let reasons = rb.gate_reasons(max_age_ms);
                    (!reasons.is_empty()).then(|| Failing {
                        name: rb.name.clone(),
                        path: rb.path.clone(),
                        reasons,
                    })
                })
                .collect();
            Gate {
                passed: failing.is_empty() && !runbooks.is_empty(),
                failing,
            }
        });
        History {
            drbook_history: HISTORY_VERSION,
            now,
            max_age_ms,
            folders,
            reports,
            duplicates,
            runbooks,
            skipped: found.skipped,
            gate,
        }
    }
}

impl RunbookHistory {
    /// `reads`: this runbook's reports, oldest first.
    fn build(
        name: String,
        path: String,
        reads: &[Read],
        now: DateTime<Utc>,
        max_age_ms: Option<u64>,
    ) -> RunbookHistory {
        let mut last = Last::default();
        for read in reads {
            *last.slot(Kind::of(read.report.mode)) = Some(run(read, now));
        }
        let drilled = reads.iter().rev().find(|r| successful_drill(&r.report));
        let newest = reads.last();
        let mut notes = Vec::new();
        let (changed, change) = match (drilled, newest) {
            (Some(drilled), Some(newest)) => {
                let (d, n) = (&drilled.report.runbook, &newest.report.runbook);
                if d.sha256 != n.sha256 {
                    let change = Change {
                        drilled_sha256: d.sha256.clone(),
                        drilled_git_commit: d.git_commit.clone(),
                        seen_in: newest.report.run_id.clone(),
                        seen_at: newest.report.started_at,
                        seen_sha256: n.sha256.clone(),
                        seen_git_commit: n.git_commit.clone(),
                    };
                    (Some(true), Some(change))
                } else {
                    if let (Some(then), Some(later)) = (&d.git_commit, &n.git_commit)
                        && then != later
                    {
                        notes.push(format!(
                            "the git commit moved from {} to {} since the drill, the runbook file is the same",
                            short(then),
                            short(later)
                        ));
                    }
                    (Some(false), None)
                }
            }
            _ => (None, None),
        };
        if let Some(drilled) = drilled
            && drilled.report.runbook.git_dirty == Some(true)
        {
            notes.push(
                "the last successful drill ran from a work tree with uncommitted changes: its git commit does not hold what ran"
                    .to_owned(),
            );
        }
        let simulated = reads.iter().filter(|r| r.report.simulated).count();
        if simulated > 0 {
            notes.push(format!(
                "{simulated} run(s) against drbook's simulator (--simulate), drills included, are not evidence of a recovery and count as simulated runs"
            ));
        }
        let drill_age = drilled.map(|d| age_ms(now, d.report.started_at));
        let (stale, due) = match max_age_ms {
            None => (None, None),
            Some(max) => {
                let max = i64::try_from(max).unwrap_or(i64::MAX);
                let stale = drill_age.is_none_or(|a| a > max);
                let due = !stale && drill_age.is_some_and(|a| a as f64 > max as f64 * DUE_SHARE);
                (Some(stale), Some(due))
            }
        };
        let freshness = if changed == Some(true) {
            Freshness::Changed
        } else if stale == Some(true) {
            Freshness::Stale
        } else if due == Some(true) {
            Freshness::Due
        } else if stale == Some(false) {
            Freshness::Fresh
        } else {
            Freshness::Unjudged
        };
        RunbookHistory {
            name,
            path,
            reports: reads.len(),
            last,
            last_successful_drill: drilled.map(|d| run(d, now)),
            changed,
            change,
            stale,
            due,
            freshness,
            notes,
            drills: reads
                .iter()
                .filter(|r| r.report.mode == Mode::Drill)
                .map(|r| drill(&r.report))
                .collect(),
        }
    }

    /// Why this runbook fails `--max-age` (empty: it passes).
    pub fn gate_reasons(&self, max_age_ms: Option<u64>) -> Vec<String> {
        let Some(max) = max_age_ms else {
            return Vec::new();
        };
        let max_words = crate::report::describe::duration(max);
        let mut reasons = Vec::new();
        if self.stale == Some(true) {
            reasons.push(match &self.last_successful_drill {
                None => format!("no successful drill within {max_words}: none at all"),
                Some(d) => format!(
                    "no successful drill within {max_words}: the last was on {} ({})",
                    d.started_at,
                    age(d.age_ms)
                ),
            });
        }
        if let (Some(change), Some(d)) = (&self.change, &self.last_successful_drill) {
            reasons.push(format!(
                "changed since its last successful drill on {}: the runbook file's SHA-256 is {}… in run {} ({}), it was {}… when drilled",
                d.started_at,
                short(&change.seen_sha256),
                change.seen_in,
                change.seen_at,
                short(&change.drilled_sha256)
            ));
        }
        reasons
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use chrono::Duration as Days;

    const DAY: u64 = 86_400_000;

    /// A report of runbook `name` made `days_ago` days before the fixture's start, read
    /// back through the history's reader.
    fn read(name: &str, mode: Mode, result: RunResult, days_ago: i64, sha: &str) -> Read {
        let mut report = fixture::report(fixture::TWO_FAILOVERS, mode);
        fixture::failover(&mut report, 1, fixture::PLAN_A, 0, 40, true);
        fixture::finish(&mut report, result, 60, None);
        let mut value = serde_json::to_value(&report).unwrap();
        let at = fixture::start() - Days::days(days_ago);
        value["run_id"] = format!("{name}-{}-{days_ago}-{sha}", mode.as_str()).into();
        value["runbook"]["name"] = name.into();
        value["runbook"]["sha256"] = sha.repeat(64).into();
        value["started_at"] = at.to_rfc3339().into();
        if mode == Mode::Drill {
            let clean = if result == RunResult::Succeeded {
                "clean"
            } else {
                "failed"
            };
            value["drill"]["cleanup"] = clean.into();
        }
        Read {
            file: PathBuf::from(format!("{name}.json")),
            report: super::super::read::parse(value.to_string().as_bytes()).unwrap(),
        }
    }

    fn history(reads: Vec<Read>, max_age_days: Option<u64>) -> History {
        let found = Found {
            reports: reads,
            skipped: Vec::new(),
        };
        let max = max_age_days.map(|d| Duration::from_millis(d * DAY));
        History::build(found, vec![PathBuf::from("reports")], fixture::start(), max)
    }

    #[test]
    fn fresh_due_and_stale_against_the_age() {
        use Mode::*;
        use RunResult::*;
        let h = history(
            vec![
                read("fresh", Drill, Succeeded, 10, "a"),
                read("due", Drill, Succeeded, 80, "a"),
                read("stale", Drill, Succeeded, 120, "a"),
                read("stale", Check, Succeeded, 1, "a"),
                read("never", Live, Succeeded, 1, "a"),
            ],
            Some(90),
        );
        let verdict = |name: &str| {
            let rb = h.runbooks.iter().find(|r| r.name == name).unwrap();
            (rb.freshness, rb.gate_reasons(h.max_age_ms))
        };
        assert_eq!(verdict("fresh"), (Freshness::Fresh, vec![]));
        assert_eq!(verdict("due"), (Freshness::Due, vec![]));
        let (freshness, reasons) = verdict("stale");
        assert_eq!(freshness, Freshness::Stale);
        assert_eq!(
            reasons,
            [
                "no successful drill within 90 d 00 h: the last was on 2026-07-31T02:00:00.000Z (120 d 00 h ago)"
            ]
        );
        assert_eq!(
            verdict("never").1,
            ["no successful drill within 90 d 00 h: none at all"]
        );
        let gate = h.gate.unwrap();
        assert!(!gate.passed);
        let failing: Vec<&str> = gate.failing.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(failing, ["never", "stale"]);
    }

    #[test]
    fn a_failed_drill_does_not_count_and_a_change_after_the_last_good_one_is_named() {
        use Mode::*;
        use RunResult::*;
        let h = history(
            vec![
                read("rb", Drill, Succeeded, 30, "a"),
                read("rb", Drill, Failed, 20, "a"),
                read("rb", Check, Succeeded, 5, "b"),
            ],
            Some(365),
        );
        let rb = &h.runbooks[0];
        assert_eq!(rb.reports, 3);
        let drilled = rb.last_successful_drill.as_ref().unwrap();
        assert_eq!(drilled.age_ms, 30 * DAY as i64);
        assert_eq!(rb.last.drill.as_ref().unwrap().result, Failed);
        assert_eq!(rb.changed, Some(true));
        assert_eq!(rb.freshness, Freshness::Changed);
        let change = rb.change.as_ref().unwrap();
        assert_eq!(change.seen_sha256, "b".repeat(64));
        assert_eq!(change.drilled_sha256, "a".repeat(64));
        let reasons = rb.gate_reasons(h.max_age_ms);
        assert_eq!(reasons.len(), 1);
        assert!(
            reasons[0].starts_with("changed since its last successful drill on 2026-10-29T02:00:00.000Z: the runbook file's SHA-256 is bbbbbbbbbbbb… in run rb-check-5-b"),
            "{reasons:?}"
        );
        assert_eq!(rb.drills.len(), 2);
        assert!(rb.drills[0].successful && !rb.drills[1].successful);
        assert_eq!(rb.drills[0].plans[0].recovery_time_ms, Some(40_000));
    }

    #[test]
    fn a_change_that_was_reverted_is_no_change_and_without_an_age_nothing_is_stale() {
        use Mode::*;
        use RunResult::*;
        let h = history(
            vec![
                read("rb", Drill, Succeeded, 400, "a"),
                read("rb", Check, Succeeded, 300, "b"),
                read("rb", Live, Succeeded, 200, "a"),
            ],
            None,
        );
        let rb = &h.runbooks[0];
        assert_eq!(rb.changed, Some(false));
        assert_eq!(rb.stale, None);
        assert_eq!(rb.freshness, Freshness::Unjudged);
        assert!(h.gate.is_none());
        assert!(rb.gate_reasons(None).is_empty());
    }

    #[test]
    fn each_run_counts_once_and_its_finished_report_is_kept() {
        use Mode::*;
        use RunResult::*;
        let finished = read("rb", Drill, Succeeded, 3, "a");
        let mut checkpoint = finished.clone();
        checkpoint.report.finished_at = None;
        checkpoint.report.result = Interrupted;
        checkpoint.file = PathBuf::from("copy/rb.json");
        let h = history(vec![checkpoint, finished], Some(90));
        assert_eq!((h.reports, h.duplicates), (1, 1));
        assert_eq!(h.runbooks[0].freshness, Freshness::Fresh);
        assert!(h.gate.unwrap().passed);
    }

    #[test]
    fn the_json_shape_is_versioned() {
        let h = history(
            vec![read("rb", Mode::Drill, RunResult::Succeeded, 3, "a")],
            Some(90),
        );
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(json["drbook_history"], 1);
        assert_eq!(json["now"], "2026-11-28T02:00:00Z");
        assert_eq!(json["max_age_ms"], 90 * DAY);
        let rb = &json["runbooks"][0];
        assert_eq!(rb["freshness"], "fresh");
        assert_eq!(rb["last"]["drill"]["mode"], "drill");
        assert_eq!(rb["last"]["drill"]["cleanup"], "clean");
        assert_eq!(rb["drills"][0]["rto_target_ms"], 60_000);
        assert_eq!(json["gate"]["passed"], true);
    }
}
