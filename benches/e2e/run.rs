//! The executor's overhead, end to end: each tool makes a scenario's requests against the
//! benchmark server, repetitions interleaved so that every tool sees the same machine; each
//! is then compared with the floor (its wall time ratio, and the extra time per step).

use super::measure::{self, Sample, fmt_duration, fmt_mib, median, quiet};
use super::server::{Counts, Server};
use super::table::{Table, Verdicts};
use super::tools::{self, Programs, Scenario, Setup, Tool};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

pub struct Options {
    pub sizes: Vec<usize>,
    pub reps: usize,
    /// The largest step count ansible-playbook runs (about 0.1 s per request).
    pub ansible_max: usize,
}

/// One tool's samples in one scenario.
#[derive(Default)]
struct Runs {
    samples: Vec<Sample>,
    counts: Vec<Counts>,
}

impl Runs {
    fn wall(&self) -> Duration {
        median(self.samples.iter().map(|s| s.wall).collect())
    }

    fn rss(&self) -> u64 {
        self.samples
            .iter()
            .map(|s| s.max_rss_kib)
            .max()
            .unwrap_or(0)
    }
}

/// What the scenarios measured: each tool's median wall and peak RSS (KiB).
pub struct Results {
    pub walls: HashMap<(Scenario, Tool), (Duration, u64)>,
    /// Every drbook sample used one connection.
    pub one_connection: bool,
}

pub fn bench(
    programs: &Programs,
    dir: &Path,
    servers: (&Server, &Server),
    ca_cert: &Path,
    options: &Options,
    verdicts: &mut Verdicts,
) -> Results {
    println!("## `drbook run`: executor overhead against the floor and other tools\n");
    println!(
        "Requests per step: the state guard's plan read, the failover, and with `wait_for_completion: true` one runtime-details read (plans complete at once); plus one token request per run. Every tool makes exactly these requests (checked against the server's counts).\n"
    );
    for tool in Tool::ALL {
        if let Some(why) = programs.missing(tool) {
            println!("- skipped {}: {why}", tool.name());
        }
    }
    println!();
    let mut results = Results {
        walls: HashMap::new(),
        one_connection: true,
    };
    for tls in [false, true] {
        let server = if tls { servers.1 } else { servers.0 };
        for &steps in &options.sizes {
            for wait in [false, true] {
                let scenario = Scenario { tls, steps, wait };
                scenario_bench(
                    programs,
                    dir,
                    server,
                    ca_cert,
                    scenario,
                    options,
                    &mut results,
                );
            }
        }
    }
    judge(&results, options, verdicts);
    results
}

fn reps_for(tool: Tool, scenario: Scenario, options: &Options) -> usize {
    match tool {
        Tool::Ansible if scenario.steps > options.ansible_max => 0,
        Tool::Ansible => 1,
        Tool::CurlLoop if scenario.steps >= 1_000 => 1,
        Tool::CurlLoop => options.reps.min(3),
        _ => options.reps,
    }
}

fn scenario_bench(
    programs: &Programs,
    dir: &Path,
    server: &Server,
    ca_cert: &Path,
    scenario: Scenario,
    options: &Options,
    results: &mut Results,
) {
    let url = server.url();
    let setup = Setup {
        programs,
        dir,
        server: &url,
        ca_cert: scenario.tls.then_some(ca_cert),
        scenario,
    };
    let tools: Vec<Tool> = Tool::ALL
        .into_iter()
        .filter(|t| programs.missing(*t).is_none())
        .collect();
    let mut runs: Vec<Runs> = tools.iter().map(|_| Runs::default()).collect();
    server.reset();
    for rep in 0..options.reps {
        for (i, tool) in tools.iter().enumerate() {
            if rep >= reps_for(*tool, scenario, options) {
                continue;
            }
            tools::fresh(dir);
            let mut sample = Sample {
                wall: Duration::ZERO,
                max_rss_kib: 0,
                exit: 0,
            };
            for mut command in tools::commands(*tool, &setup) {
                let one = measure::run(quiet(&mut command)).expect("run a client");
                sample.wall += one.wall;
                sample.max_rss_kib = sample.max_rss_kib.max(one.max_rss_kib);
                if one.exit != 0 {
                    sample.exit = one.exit;
                }
            }
            let (counts, _) = server.reset();
            runs[i].samples.push(sample);
            runs[i].counts.push(counts);
        }
    }
    println!("### {}\n", scenario.label());
    let floor = runs[0].wall();
    let mut table = Table::new(&[
        "tool",
        "runs",
        "requests",
        "connections",
        "median wall",
        "× floor",
        "overhead per step",
        "peak RSS",
    ]);
    for (i, tool) in tools.iter().enumerate() {
        let run = &runs[i];
        if run.samples.is_empty() {
            table.row(vec![
                tool.name().to_owned(),
                "skipped (too slow at this size; see --ansible-max)".to_owned(),
            ]);
            continue;
        }
        let wall = run.wall();
        let counts = run.counts.last().copied().unwrap_or_default();
        let failed = run.samples.iter().filter(|s| s.exit != 0).count();
        let requests = if counts.requests() == scenario.requests() && counts.refused == 0 {
            counts.requests().to_string()
        } else {
            format!("{} (expected {})", counts.requests(), scenario.requests())
        };
        let connections = if scenario.tls {
            format!("{} ({} TLS)", counts.connections, counts.handshakes)
        } else {
            counts.connections.to_string()
        };
        let overhead = (wall.as_secs_f64() - floor.as_secs_f64()) / scenario.steps as f64;
        table.row(vec![
            tool.name().to_owned(),
            if failed > 0 {
                format!("{} ({failed} FAILED)", run.samples.len())
            } else {
                run.samples.len().to_string()
            },
            requests,
            connections,
            fmt_duration(wall),
            format!("{:.2}", wall.as_secs_f64() / floor.as_secs_f64()),
            format!("{:+.0} µs", overhead * 1e6),
            fmt_mib(run.rss()),
        ]);
        results.walls.insert((scenario, *tool), (wall, run.rss()));
        if *tool == Tool::Drbook {
            results.one_connection &= run.counts.iter().all(|c| c.connections == 1);
        }
    }
    table.print();
}

fn judge(results: &Results, options: &Options, verdicts: &mut Verdicts) {
    let get = |s: Scenario, t: Tool| results.walls.get(&(s, t)).copied();
    let largest = options.sizes.iter().copied().max().unwrap_or(0);
    for tls in [false, true] {
        for wait in [false, true] {
            let s = Scenario {
                tls,
                steps: largest,
                wait,
            };
            let (Some((drbook, drbook_rss)), Some((floor, floor_rss))) =
                (get(s, Tool::Drbook), get(s, Tool::Floor))
            else {
                continue;
            };
            // Issue 14's targets (they replaced issue 5's 1.2×).
            let ratio = drbook.as_secs_f64() / floor.as_secs_f64();
            verdicts.check(
                ratio <= 1.3,
                format!(
                    "{}: drbook within 1.3× the floor: {ratio:.2}× ({} vs {})",
                    s.label(),
                    fmt_duration(drbook),
                    fmt_duration(floor)
                ),
            );
            if let Some((curl, _)) = get(s, Tool::CurlNext) {
                verdicts.check(
                    drbook <= curl,
                    format!(
                        "{}: drbook no slower than curl --next: {:.2}× curl's time ({} vs {})",
                        s.label(),
                        drbook.as_secs_f64() / curl.as_secs_f64(),
                        fmt_duration(drbook),
                        fmt_duration(curl)
                    ),
                );
            }
            verdicts.check(
                drbook_rss <= 2 * floor_rss,
                format!(
                    "{}: drbook's peak memory within 2× the floor's: {} vs {}",
                    s.label(),
                    fmt_mib(drbook_rss),
                    fmt_mib(floor_rss)
                ),
            );
            if let Some((hurl, _)) = get(s, Tool::Hurl) {
                let faster = hurl.as_secs_f64() / drbook.as_secs_f64();
                verdicts.check(
                    faster >= 2.0,
                    format!("{}: drbook ≥ 2× faster than hurl: {faster:.1}×", s.label()),
                );
            }
            // ansible-playbook at the largest size it ran, scaled by steps when that is
            // smaller (its cost per step is flat: one module process per request).
            let ansible =
                options.sizes.iter().rev().find_map(|&n| {
                    get(Scenario { steps: n, ..s }, Tool::Ansible).map(|r| (n, r.0))
                });
            if let Some((n, time)) = ansible {
                let scaled = time.as_secs_f64() * largest as f64 / n as f64;
                let faster = scaled / drbook.as_secs_f64();
                verdicts.check(
                    faster >= 1000.0,
                    format!(
                        "{}: drbook ≥ 1,000× faster than ansible-playbook: {faster:.0}×{}",
                        s.label(),
                        if n == largest {
                            String::new()
                        } else {
                            format!(" (ansible measured at {n} steps, scaled to {largest})")
                        }
                    ),
                );
            }
        }
    }
    // Issue 14: a one-step run costs at most the floor + 5 ms.
    for tls in [false, true] {
        for wait in [false, true] {
            let s = Scenario {
                tls,
                steps: 1,
                wait,
            };
            if let (Some((drbook, _)), Some((floor, _))) =
                (get(s, Tool::Drbook), get(s, Tool::Floor))
            {
                let extra = drbook.saturating_sub(floor);
                verdicts.check(
                    extra <= Duration::from_millis(5),
                    format!(
                        "{}: a one-step run at most the floor + 5 ms: +{} ({} vs {})",
                        s.label(),
                        fmt_duration(extra),
                        fmt_duration(drbook),
                        fmt_duration(floor)
                    ),
                );
            }
        }
    }
    for wait in [false, true] {
        let http = get(
            Scenario {
                tls: false,
                steps: 1,
                wait,
            },
            Tool::Drbook,
        );
        let https = get(
            Scenario {
                tls: true,
                steps: 1,
                wait,
            },
            Tool::Drbook,
        );
        if let (Some((http, _)), Some((https, _))) = (http, https) {
            let ratio = https.as_secs_f64() / http.as_secs_f64();
            verdicts.check(
                ratio <= 1.5,
                format!(
                    "1 step, wait_for_completion: {wait}: HTTPS within 1.5× HTTP: {ratio:.2}× ({} vs {})",
                    fmt_duration(https),
                    fmt_duration(http)
                ),
            );
        }
    }
    verdicts.check(
        results.one_connection,
        "one TCP (and TLS) connection per drbook run, in every sample".to_owned(),
    );
}
