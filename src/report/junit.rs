//! The JUnit XML report: a run as CI systems show a test run. One test suite per run, one
//! test case per step (clean-up undos included), plus test cases for the recovery
//! objectives and a drill's clean-up, so a missed objective or a plan left failed over is
//! a red test, not a line in a log.
//!
//! The shape is the one Jenkins, GitLab and most CI systems read (the Ant/Jenkins
//! `junit-10.xsd` family); `tests/fixtures/junit.xsd` holds drbook to it. quick-junit (the
//! writer cargo-nextest uses) writes the XML and its escaping.

use super::describe::{self, is_cleanup};
use super::model::{Cleanup, Measured, Report, StepRecord};
use super::timestamp::whole_seconds;
use crate::exec::{RunResult, StepResult};
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// Renders the report as JUnit XML.
pub fn render(report: &Report) -> std::io::Result<String> {
    let mut suite = TestSuite::new(xml(&report.runbook.name));
    suite.set_timestamp(report.started_at.utc().fixed_offset());
    if let Some(ms) = report.duration_ms {
        suite.set_time(Duration::from_millis(ms));
    }
    suite.add_properties(properties(report));
    suite.add_test_cases(report.steps.iter().map(|step| step_case(report, step)));
    if let Some(case) = objectives_case(report) {
        suite.add_test_case(case);
    }
    if let Some(case) = cleanup_case(report) {
        suite.add_test_case(case);
    }
    // A run that failed where no step did (the login, a lost connection) must not look
    // green in CI.
    let shown = suite.failures + suite.errors > 0;
    if !shown && matches!(report.result, RunResult::Failed | RunResult::Interrupted) {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status
            .set_type(xml(describe::run_result(report.result)))
            .set_message(xml(report
                .error
                .as_deref()
                .unwrap_or("the run did not succeed")));
        let mut case = TestCase::new("run", status);
        case.set_classname("drbook.run");
        suite.add_test_case(case);
    }
    suite.set_system_out(xml(&summary(report)));
    if let Some(error) = &report.error {
        suite.set_system_err(xml(error));
    }
    let mut junit = quick_junit::Report::new("drbook");
    junit.set_timestamp(report.started_at.utc().fixed_offset());
    if let Some(ms) = report.duration_ms {
        junit.set_time(Duration::from_millis(ms));
    }
    junit.add_test_suite(suite);
    junit.to_string().map_err(std::io::Error::other)
}

/// Text as XML 1.0 allows it. quick-junit drops control characters; the two noncharacters
/// it keeps would make the file unreadable to a strict parser.
fn xml(text: &str) -> String {
    text.replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}")
}

/// Who ran what, where: the provenance CI systems show beside the test results.
fn properties(report: &Report) -> Vec<Property> {
    let runbook = &report.runbook;
    let mut properties: Vec<(String, Option<String>)> = [
        ("drbook.version", Some(report.drbook_version.clone())),
        ("run.id", Some(report.run_id.clone())),
        ("run.mode", Some(report.mode.as_str().to_owned())),
        (
            "run.result",
            Some(describe::run_result(report.result).to_owned()),
        ),
        ("run.started_at", Some(report.started_at.to_string())),
        (
            "run.finished_at",
            report.finished_at.map(|at| at.to_string()),
        ),
        (
            "run.template_clock",
            Some(whole_seconds::text(report.template_clock)),
        ),
        ("runbook.path", Some(runbook.path.clone())),
        ("runbook.sha256", Some(runbook.sha256.clone())),
        (
            "runbook.rendered_sha256",
            Some(runbook.rendered_sha256.clone()),
        ),
        ("runbook.git_commit", runbook.git_commit.clone()),
        (
            "runbook.git_dirty",
            runbook.git_dirty.map(|d| d.to_string()),
        ),
        ("server", report.server.clone()),
        ("operator", Some(report.operator.clone())),
        ("host", report.host.clone()),
        (
            "drill.cleanup",
            report.drill.as_ref().map(|d| d.cleanup.as_str().to_owned()),
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    properties.extend(report.variables.iter().map(|v| {
        let value = match &v.value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        (format!("var.{}", v.name), Some(value))
    }));
    // Unknown values are left out rather than written as empty strings.
    properties
        .into_iter()
        .filter_map(|(name, value)| Some(Property::new(xml(&name), xml(&value?))))
        .collect()
}

fn step_case(report: &Report, step: &StepRecord) -> TestCase {
    let detail = describe::exchange(step, report);
    let mut status = match step.result {
        StepResult::Succeeded | StepResult::SucceededWithWarnings | StepResult::CheckPassed => {
            TestCaseStatus::success()
        }
        StepResult::Failed | StepResult::CheckFailed => {
            TestCaseStatus::non_success(NonSuccessKind::Failure)
        }
        // Cut off, not disproved: an error in JUnit's terms.
        StepResult::Interrupted => TestCaseStatus::non_success(NonSuccessKind::Error),
        StepResult::Skipped | StepResult::Planned => TestCaseStatus::skipped(),
    };
    if !matches!(status, TestCaseStatus::Success { .. }) {
        let message = match (&step.error, step.result) {
            (Some(error), _) => error.clone(),
            (None, StepResult::Planned) => "dry run: planned, not sent".to_owned(),
            (None, result) => describe::step_result(result).to_owned(),
        };
        status
            .set_type(describe::step_result(step.result))
            .set_message(xml(&message));
        if !matches!(status, TestCaseStatus::Skipped { .. }) && !detail.is_empty() {
            status.set_description(xml(&detail));
        }
    }
    let mut case = TestCase::new(xml(&format!("{}. {}", step.number, step.name)), status);
    case.set_classname(if is_cleanup(step) {
        format!("drbook.cleanup.{}", step.kind.as_str())
    } else {
        format!("drbook.{}", step.kind.as_str())
    });
    if let Some(ms) = step.duration_ms {
        case.set_time(Duration::from_millis(ms));
    }
    if !detail.is_empty() {
        case.set_system_out(xml(&detail));
    }
    if step.result == StepResult::SucceededWithWarnings {
        case.set_system_err("succeeded with warnings");
    }
    case
}

/// The recovery objectives as one test: failed when any was missed. (`--fail-on-rto-miss`
/// decides the exit code; the evidence says missed either way.)
fn objectives_case(report: &Report) -> Option<TestCase> {
    let o = &report.objectives;
    let has_target = |m: &Measured| m.rto_target_ms.is_some() || m.rpo_target_ms.is_some();
    let any_target = has_target(&o.measured)
        || report
            .steps
            .iter()
            .any(|s| s.recovery.as_ref().is_some_and(|r| has_target(&r.measured)));
    if !any_target {
        return None;
    }
    let m = &o.measured;
    let shown = |ms: Option<u64>, absent: &str| ms.map_or(absent.to_owned(), describe::duration);
    let measured = format!(
        "recovery time {} (RTO {}), oldest restore point {} old (RPO {})\n{}",
        shown(m.recovery_time_ms, "unknown"),
        shown(m.rto_target_ms, "none"),
        shown(m.restore_point_age_ms, "unknown"),
        shown(m.rpo_target_ms, "none"),
        describe::recovery_end(report),
    );
    let status = if o.missed.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_type("objective missed")
            .set_message(xml(&o.missed.join("; ")))
            .set_description(xml(&o.missed.join("\n")));
        status
    };
    let mut case = TestCase::new("recovery objectives (RTO/RPO)", status);
    case.set_classname("drbook.objectives")
        .set_system_out(xml(&measured));
    Some(case)
}

/// A drill's clean-up as one test: failed when a plan was left failed over.
fn cleanup_case(report: &Report) -> Option<TestCase> {
    let drill = report.drill.as_ref()?;
    let status = match drill.cleanup {
        Cleanup::Clean => TestCaseStatus::success(),
        Cleanup::Pending => {
            let mut status = TestCaseStatus::skipped();
            status.set_message("the clean-up was not reached");
            status
        }
        verdict @ (Cleanup::Failed | Cleanup::Interrupted) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type(verdict.as_str()).set_message(xml(&format!(
                "drill clean-up {}; left failed over: {}",
                describe::cleanup(verdict),
                describe::plans(&drill.left_failed_over)
            )));
            status
        }
    };
    let mut case = TestCase::new("drill clean-up", status);
    case.set_classname("drbook.cleanup")
        .set_system_out(xml(&format!(
            "undone: {}\nleft failed over: {}",
            list(&drill.undone),
            list(&drill.left_failed_over)
        )));
    Some(case)
}

fn list(plans: &[uuid::Uuid]) -> String {
    if plans.is_empty() {
        "none".to_owned()
    } else {
        describe::plans(plans)
    }
}

fn summary(report: &Report) -> String {
    let s = &report.summary;
    let mut lines = vec![
        format!(
            "drbook {} of {}: {}",
            report.mode.as_str(),
            report.runbook.name,
            describe::run_result(report.result)
        ),
        format!(
            "{} steps: {} succeeded, {} failed, {} not run, {} interrupted, {} planned",
            s.total, s.succeeded, s.failed, s.skipped, s.interrupted, s.planned
        ),
    ];
    if let Some(error) = &report.error {
        lines.push(format!("error: {error}"));
    }
    lines.extend(
        report
            .objectives
            .missed
            .iter()
            .map(|m| format!("objective missed: {m}")),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::exec::{Mode, RunResult};
    use crate::report::Report;
    use crate::report::fixture::{PLAN_A, PLAN_B, TWO_FAILOVERS, failover, finish, report};
    use quick_junit::TestCaseStatus;

    fn parse(report: &Report) -> quick_junit::TestSuite {
        let xml = render(report).unwrap();
        let mut junit = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(junit.test_suites.len(), 1, "one suite per run");
        junit.test_suites.remove(0)
    }

    fn case<'a>(suite: &'a quick_junit::TestSuite, name: &str) -> &'a quick_junit::TestCase {
        suite
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == name)
            .unwrap_or_else(|| panic!("no test case {name:?}"))
    }

    #[test]
    fn a_run_that_failed_before_any_step_is_not_a_green_suite() {
        let mut r = report(TWO_FAILOVERS, Mode::Live);
        finish(&mut r, RunResult::Failed, 1, Some("login failed: 401"));
        let suite = parse(&r);
        // Three steps not run, the objectives (none missed), and the run itself.
        assert_eq!(
            (suite.tests, suite.skipped, suite.failures, suite.errors),
            (5, 3, 0, 1)
        );
        match &case(&suite, "run").status {
            TestCaseStatus::NonSuccess { message, .. } => {
                assert_eq!(message.as_deref(), Some("login failed: 401"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            suite.system_err.as_ref().map(|s| s.as_str()),
            Some("login failed: 401")
        );
    }

    #[test]
    fn a_missed_objective_is_a_failed_test_case_even_when_the_run_succeeded() {
        let mut r = report(TWO_FAILOVERS, Mode::Live);
        failover(&mut r, 1, PLAN_A, 0, 90, true);
        failover(&mut r, 3, PLAN_B, 95, 100, true);
        finish(&mut r, RunResult::Succeeded, 100, None);
        let suite = parse(&r);
        assert_eq!((suite.failures, suite.errors), (1, 0));
        match &case(&suite, "recovery objectives (RTO/RPO)").status {
            TestCaseStatus::NonSuccess { message, .. } => {
                let message = message.as_deref().unwrap();
                assert!(
                    message.contains("the run's recovery took 1m 40s"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        // Its failure is shown, so no extra `run` test case.
        assert!(suite.test_cases.iter().all(|c| c.name.as_str() != "run"));
        assert_eq!(
            case(&suite, &format!("1. Fail over plan {PLAN_A}"))
                .classname
                .as_deref(),
            Some("drbook.failover")
        );
    }

    #[test]
    fn text_xml_cannot_hold_is_dropped_or_replaced_and_the_file_still_parses() {
        let mut r = report(TWO_FAILOVERS, Mode::Live);
        failover(&mut r, 1, PLAN_A, 0, 5, false);
        r.steps[0].error = Some("bad \u{FFFF} answer \u{1b}[31mred\u{1b}[0m \0 <&>".to_owned());
        finish(&mut r, RunResult::Failed, 6, None);
        let suite = parse(&r);
        match &case(&suite, &format!("1. Fail over plan {PLAN_A}")).status {
            TestCaseStatus::NonSuccess { message, .. } => {
                assert_eq!(message.as_deref(), Some("bad \u{FFFD} answer red  <&>"))
            }
            other => panic!("{other:?}"),
        }
    }
}
