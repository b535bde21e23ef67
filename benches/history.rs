//! `drbook history` over 2,000 reports: 20 runbooks of 100 runs each (drills, checks and
//! simulated runs over a year), every file a copy of one real report that drbook wrote
//! for a simulated drill of 10 failovers (so 20 steps with the clean-up), given its own
//! run id, runbook, mode and start. Criterion times each stage (listing and reading the
//! files on one thread and on the machine's threads, grouping and judging, rendering) and
//! the whole process; BENCHMARKS.md has the numbers.

#[allow(dead_code)]
#[path = "support/generate.rs"]
mod generate;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use drbook::history::{self, History, read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const RUNBOOKS: usize = 20;
const RUNS: usize = 100;

/// A real report: drbook's own drill of a generated runbook against its simulator.
fn real_report(dir: &Path) -> serde_json::Value {
    let spec = generate::Spec {
        poll_interval: Some("20ms".to_owned()),
        ..generate::Spec::new(10)
    };
    let runbook = dir.join("bench.yaml");
    std::fs::write(&runbook, generate::runbook(&spec)).unwrap();
    let reports = dir.join("source");
    let status = Command::new(env!("CARGO_BIN_EXE_drbook"))
        .arg("drill")
        .arg(&runbook)
        .args(["--simulate", "--sim-failover-time", "20ms", "--report-dir"])
        .arg(&reports)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the drill behind the benchmark failed");
    let file = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// 2,000 reports in `dir/reports/<runbook>/`, one folder per runbook.
fn fleet(dir: &Path) -> (PathBuf, u64) {
    let template = real_report(dir);
    let root = dir.join("reports");
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T02:00:00Z").unwrap();
    let mut bytes = 0;
    for rb in 0..RUNBOOKS {
        let folder = root.join(format!("runbook-{rb:02}"));
        std::fs::create_dir_all(&folder).unwrap();
        for run in 0..RUNS {
            let mut report = template.clone();
            let at = start + chrono::Duration::hours((run * 87 + rb) as i64);
            let id = format!("{}-runbook-{rb:02}-{run:06x}", at.format("%Y%m%dT%H%M%SZ"));
            report["run_id"] = id.clone().into();
            report["mode"] = ["drill", "check", "simulate"][run % 3].into();
            report["runbook"]["name"] = format!("runbook-{rb:02}").into();
            report["runbook"]["path"] = format!("runbooks/runbook-{rb:02}.yaml").into();
            report["runbook"]["sha256"] = format!("{:064x}", run / 10).into();
            report["started_at"] = at.to_rfc3339().into();
            let text = serde_json::to_string_pretty(&report).unwrap();
            bytes += text.len() as u64;
            std::fs::write(folder.join(format!("{id}.json")), text).unwrap();
        }
    }
    (root, bytes)
}

fn stages(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(scratch()).unwrap();
    let (root, bytes) = fleet(dir.path());
    let roots = vec![root.clone()];
    let reports = RUNBOOKS * RUNS;
    eprintln!(
        "history: {reports} reports, {:.1} MiB, in {}",
        bytes as f64 / 1_048_576.0,
        root.display()
    );
    let mut group = c.benchmark_group("history");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    let (files, _) = read::list(&roots).unwrap();
    assert_eq!(files.len(), reports);
    group.bench_function("list", |b| b.iter(|| read::list(&roots).unwrap()));
    group.bench_function("read, 1 thread", |b| {
        b.iter(|| read::read_all(files.clone(), 1))
    });
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    group.bench_function(format!("read, {threads} threads"), |b| {
        b.iter(|| read::read_all(files.clone(), threads))
    });
    group.bench_function("collect (list and read, as drbook does)", |b| {
        b.iter(|| history::collect(&roots).unwrap())
    });
    let found = history::collect(&roots).unwrap();
    assert_eq!(found.reports.len(), reports);
    let now = chrono::Utc::now();
    let max_age = Some(Duration::from_secs(90 * 86_400));
    group.bench_function("build (group and judge)", |b| {
        b.iter_batched(
            || found.clone(),
            |found| History::build(found, roots.clone(), now, max_age),
            BatchSize::SmallInput,
        )
    });
    let built = History::build(found, roots.clone(), now, max_age);
    group.bench_function("render text", |b| b.iter(|| history::text::render(&built)));
    group.bench_function("render json", |b| {
        b.iter(|| serde_json::to_string_pretty(&built).unwrap())
    });
    group.bench_function("render html", |b| b.iter(|| history::html::render(&built)));
    group.finish();

    let mut process = c.benchmark_group("history process");
    process
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    for format in ["text", "html"] {
        process.bench_function(
            format!("drbook history --max-age 90d --format {format}"),
            |b| {
                b.iter(|| {
                    Command::new(env!("CARGO_BIN_EXE_drbook"))
                        .arg("history")
                        .arg(&root)
                        .args(["--max-age", "90d", "--format", format])
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status()
                        .unwrap()
                })
            },
        );
    }
    process.finish();
}

/// tmpfs when there is one, as for the other benchmarks: the parse, not the disk, is
/// measured (the page cache holds the files after the first read either way).
fn scratch() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
