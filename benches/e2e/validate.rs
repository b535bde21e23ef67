//! `drbook validate` as CI runs it: a whole process per file, at 10 to 10,000 steps, with its
//! wall time, peak memory and growth per ×10 steps.

use super::generate;
use super::measure::{self, fmt_duration, fmt_mib, median, median_u64, quiet};
use super::table::{Table, Verdicts};
use super::tools::Programs;
use std::path::Path;
use std::process::Command;

pub fn bench(programs: &Programs, dir: &Path, reps: usize, verdicts: &mut Verdicts) {
    println!("## `drbook validate`, whole process\n");
    let mut table = Table::new(&[
        "steps",
        "file",
        "median wall",
        "min wall",
        "peak RSS",
        "wall ×, per ×10 steps",
    ]);
    let mut start = Command::new(&programs.drbook);
    start.arg("--version");
    let samples: Vec<_> = (0..reps)
        .map(|_| measure::run(quiet(&mut start)).expect("drbook --version"))
        .collect();
    table.row(vec![
        "(`drbook --version`: process start)".to_owned(),
        String::new(),
        fmt_duration(median(samples.iter().map(|s| s.wall).collect())),
        fmt_duration(samples.iter().map(|s| s.wall).min().unwrap_or_default()),
        fmt_mib(median_u64(samples.iter().map(|s| s.max_rss_kib).collect())),
        String::new(),
    ]);
    let mut previous: Option<f64> = None;
    for steps in [10, 100, 1_000, 10_000] {
        let path = dir.join(format!("validate-{steps}.yaml"));
        let text = generate::runbook(&generate::Spec::new(steps));
        std::fs::write(&path, &text).expect("write the runbook");
        let mut command = Command::new(&programs.drbook);
        command.arg("validate").arg(&path);
        let samples: Vec<_> = (0..reps)
            .map(|_| {
                let sample = measure::run(quiet(&mut command)).expect("drbook validate");
                assert_eq!(sample.exit, 0, "the generated runbook must validate");
                sample
            })
            .collect();
        let wall = median(samples.iter().map(|s| s.wall).collect());
        let rss = samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
        let growth = previous
            .map(|p| format!("{:.1}×", wall.as_secs_f64() / p))
            .unwrap_or_default();
        previous = Some(wall.as_secs_f64());
        table.row(vec![
            steps.to_string(),
            format!("{} KiB", text.len() / 1024),
            fmt_duration(wall),
            fmt_duration(samples.iter().map(|s| s.wall).min().unwrap_or_default()),
            fmt_mib(rss),
            growth,
        ]);
        match steps {
            1_000 => verdicts.check(
                wall.as_secs_f64() < 0.010,
                format!(
                    "`drbook validate` of 1,000 steps under 10 ms: {}",
                    fmt_duration(wall)
                ),
            ),
            10_000 => {
                verdicts.check(
                    wall.as_secs_f64() < 0.100,
                    format!(
                        "`drbook validate` of 10,000 steps under 100 ms: {}",
                        fmt_duration(wall)
                    ),
                );
                // Issue 14's 25 MB (it replaced issue 5's 20 MB).
                verdicts.check(
                    rss < 25 * 1000 * 1000 / 1024,
                    format!(
                        "`drbook validate` of 10,000 steps under 25 MB peak: {}",
                        fmt_mib(rss)
                    ),
                );
            }
            _ => {}
        }
    }
    table.print();
}
