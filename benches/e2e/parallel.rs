//! Parallel recovery (issue 5, item 4): the measured recovery time of a runbook that fails
//! over 8 independent plans of T seconds each, one after the other and as one parallel
//! group. The recovery time is the report's own measurement (`objectives.recovery_time_ms`:
//! first failover request to the last plan seen failed over), against the built-in
//! simulator on loopback (`--simulate --sim-failover-time T`).

use super::measure::{self, fmt_duration, quiet};
use super::table::{Table, Verdicts};
use super::tools::Programs;
use std::path::Path;
use std::time::Duration;

const PLANS: usize = 8;

/// A runbook of `PLANS` failovers, sequential or in one parallel group.
fn runbook(parallel: bool) -> String {
    let mut text = String::from(
        "version: 1\nname: parallel-recovery\ndefaults:\n  poll_interval: 250ms\nsteps:\n",
    );
    let indent = if parallel {
        text.push_str("  - name: All tiers at once\n    parallel:\n      steps:\n");
        "        "
    } else {
        "  "
    };
    for i in 0..PLANS {
        text.push_str(&format!(
            "{indent}- failover: {{ plan_id: 00000000-0000-4000-8000-{i:012} }}\n"
        ));
    }
    text
}

/// The recovery time of the run whose report is in `reports`: the report's own
/// `objectives.recovery_time_ms`.
pub fn recovery_time(reports: &Path) -> Option<Duration> {
    std::fs::read_dir(reports)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|report| report["objectives"]["recovery_time_ms"].as_u64())
        .map(Duration::from_millis)
}

pub fn bench(programs: &Programs, dir: &Path, plan_time: Duration, verdicts: &mut Verdicts) {
    println!(
        "## Parallel recovery: {PLANS} independent plans of {} each\n",
        fmt_duration(plan_time)
    );
    println!(
        "Recovery time: the report's `objectives.recovery_time_ms` (first failover request to the last plan seen failed over), against the built-in simulator; polls every 250 ms.\n"
    );
    let mut table = Table::new(&["runbook", "recovery time", "wall", "peak memory"]);
    let mut times = Vec::new();
    for parallel in [false, true] {
        let label = if parallel {
            "one parallel group"
        } else {
            "sequential"
        };
        let sub = dir.join(if parallel { "parallel" } else { "sequential" });
        std::fs::create_dir_all(&sub).expect("a scratch folder");
        let file = sub.join("runbook.yaml");
        std::fs::write(&file, runbook(parallel)).expect("write the runbook");
        let reports = sub.join("reports");
        let mut command = std::process::Command::new(&programs.drbook);
        command
            .arg("run")
            .arg(&file)
            .args(["--simulate", "--sim-failover-time"])
            .arg(format!("{}ms", plan_time.as_millis()))
            .arg("--report-dir")
            .arg(&reports);
        let sample = measure::run(quiet(&mut command)).expect("drbook run --simulate");
        let recovery = recovery_time(&reports);
        table.row(vec![
            label.to_owned(),
            recovery.map_or(format!("run failed (exit {})", sample.exit), fmt_duration),
            fmt_duration(sample.wall),
            format!("{:.1} MiB", sample.max_rss_kib as f64 / 1024.0),
        ]);
        times.push(recovery);
    }
    table.print();
    if let [Some(sequential), Some(parallel)] = times[..] {
        verdicts.check(
            parallel < plan_time * 2,
            format!(
                "{PLANS} plans in one group recover in about one plan's time: {} (sequential: {})",
                fmt_duration(parallel),
                fmt_duration(sequential)
            ),
        );
    }
}
