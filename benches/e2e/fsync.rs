//! The journal's durable syncs: how many there are (counted with strace, when it is
//! installed) and what they cost on a real disk, against the same run with its state folder
//! on tmpfs.

use super::measure::{self, fmt_duration, median, quiet};
use super::server::Server;
use super::table::{Table, Verdicts};
use super::tools::{self, Programs, Setup};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub fn bench(
    programs: &Programs,
    dir: &Path,
    disk: &Path,
    server: &Server,
    reps: usize,
    verdicts: &mut Verdicts,
) {
    println!("## The journal's syncs\n");
    let url = server.url();
    let setup = |steps| Setup::http_waiting(programs, dir, &url, steps);
    match tools::on_path("strace") {
        None => println!("- sync counts skipped: strace not found\n"),
        Some(strace) => {
            let mut table = Table::new(&[
                "steps",
                "failover POSTs",
                "reads (GET)",
                "fdatasync",
                "fsync",
            ]);
            for steps in [10, 100] {
                tools::fresh(dir);
                let drbook = tools::drbook(&setup(steps), &dir.join("state"));
                let log = dir.join(format!("strace-{steps}.txt"));
                let mut tracer = Command::new(&strace);
                tracer
                    .args(["-f", "-qq", "-e", "trace=fsync,fdatasync", "-o"])
                    .arg(&log);
                let mut command = measure::wrapping(tracer, &drbook);
                let sample = measure::run(quiet(&mut command)).expect("strace drbook");
                let (counts, _) = server.reset();
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let calls = |name: &str| {
                    text.lines()
                        .filter_map(|l| l.split_whitespace().find(|w| w.contains('(')))
                        .filter(|call| call.strip_prefix(name).is_some_and(|r| r.starts_with('(')))
                        .count()
                };
                let (fdatasync, fsync) = (calls("fdatasync"), calls("fsync"));
                table.row(vec![
                    steps.to_string(),
                    counts.failovers.to_string(),
                    (counts.plan_gets + counts.details_gets + counts.token).to_string(),
                    fdatasync.to_string(),
                    fsync.to_string(),
                ]);
                if steps == 100 {
                    verdicts.check(
                        sample.exit == 0 && fdatasync as u64 <= counts.failovers + 1,
                        format!(
                            "at most one fdatasync per state-changing request and none for reads: {fdatasync} for {} failovers and {} reads (+1 at the run's end)",
                            counts.failovers,
                            counts.plan_gets + counts.details_gets + counts.token
                        ),
                    );
                }
            }
            table.print();
            println!(
                "fdatasync: the journal, once per failover intent and once at the run's end. fsync: the journal's creation (file and folder) and each report write (two files: at the start, at most once a second, at the end).\n"
            );
        }
    }

    println!("### Their cost on this machine's disk\n");
    let raw = raw_fdatasync(disk);
    let steps = 100;
    let mut on_tmpfs = Vec::new();
    let mut on_disk = Vec::new();
    let disk_state = disk.join("drbook-bench-state");
    for _ in 0..reps {
        for (state, walls) in [
            (dir.join("state"), &mut on_tmpfs),
            (disk_state.clone(), &mut on_disk),
        ] {
            tools::fresh(dir);
            let _ = std::fs::remove_dir_all(&disk_state);
            std::fs::create_dir_all(&disk_state).expect("a folder on disk");
            let mut command = tools::drbook(&setup(steps), &state);
            let sample = measure::run(quiet(&mut command)).expect("drbook run");
            server.reset();
            walls.push(sample.wall);
        }
    }
    let _ = std::fs::remove_dir_all(&disk_state);
    let tmpfs = median(on_tmpfs);
    let real = median(on_disk);
    let per_step = (real.as_secs_f64() - tmpfs.as_secs_f64()) / steps as f64;
    let mut table = Table::new(&["", "value"]);
    table.row(vec![
        format!("one 4 KiB write + fdatasync on {}", disk.display()),
        fmt_duration(raw),
    ]);
    table.row(vec![
        format!("`drbook run`, {steps} steps, journal on tmpfs"),
        fmt_duration(tmpfs),
    ]);
    table.row(vec![
        format!("`drbook run`, {steps} steps, journal on disk"),
        fmt_duration(real),
    ]);
    table.row(vec![
        "the journal's cost per failover step on disk".to_owned(),
        format!("{:.0} µs", per_step * 1e6),
    ]);
    table.print();
}

/// The median time of one small write and its fdatasync in a folder.
fn raw_fdatasync(dir: &Path) -> Duration {
    let path = dir.join("drbook-bench-fdatasync");
    let Ok(mut file) = std::fs::File::create(&path) else {
        return Duration::ZERO;
    };
    let block = vec![b'x'; 4096];
    let mut times = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        if file.write_all(&block).is_err() || file.sync_data().is_err() {
            break;
        }
        times.push(started.elapsed());
    }
    let _ = std::fs::remove_file(&path);
    median(times)
}
