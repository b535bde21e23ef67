//! drbook's end-to-end benchmarks (issue 5), as whole processes: `drbook validate` at 10 to
//! 10,000 steps; `drbook run` against the floor, curl, hurl and ansible-playbook over HTTP
//! and HTTPS; polling; the journal's syncs; parallel recovery, and recovery along a graph of
//! `needs` against its critical path. Prints Markdown tables and the targets met or missed.
//! Run with `cargo bench --bench e2e` (options after `--`, see `usage`).
//!
//! Everything talks to a server of its own on 127.0.0.1; scratch files live on tmpfs
//! (`/dev/shm`) so that the comparison measures the clients, not the disk. A new scenario is
//! a new module with a `bench` function called from `main` (the servers, the tools and the
//! measurement are shared).

#[path = "../support/generate.rs"]
mod generate;

mod critical;
mod floor;
mod fsync;
mod measure;
mod parallel;
mod poll;
mod run;
mod server;
mod table;
mod tools;
mod validate;

use std::path::PathBuf;
use std::time::Duration;

fn usage() -> &'static str {
    "cargo bench --bench e2e -- [--quick] [--only validate,run,poll,fsync,parallel,critical] [--plan-time SECONDS] [--critical-scale FACTOR] [--reps N] [--sizes 1,100,1000] [--ansible-max N] [--poll-times 5,60] [--tools floor,drbook,curl,hurl,ansible]"
}

struct Options {
    sections: Vec<String>,
    reps: usize,
    sizes: Vec<usize>,
    ansible_max: usize,
    poll_times: Vec<Duration>,
    /// Only these tools (by their first word: floor, drbook, curl, hurl, ansible).
    tools: Option<Vec<String>>,
    /// How long each plan of the parallel-recovery section takes.
    plan_time: Duration,
    /// The dependency-graph section's plan durations (1 to 7.6 s) are multiplied by this.
    critical_scale: f64,
}

fn list<T: std::str::FromStr>(text: &str) -> Vec<T> {
    text.split(',')
        .filter_map(|item| item.trim().parse().ok())
        .collect()
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        sections: list("validate,run,poll,fsync,parallel,critical"),
        reps: 5,
        sizes: vec![1, 100, 1_000],
        ansible_max: 100,
        poll_times: vec![Duration::from_secs(5), Duration::from_secs(60)],
        tools: None,
        plan_time: Duration::from_secs(5),
        critical_scale: 1.0,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => {
                options.reps = 3;
                options.sizes = vec![1, 100];
                options.ansible_max = 1;
                options.poll_times = vec![Duration::from_secs(3)];
                options.plan_time = Duration::from_secs(1);
                options.critical_scale = 0.25;
            }
            "--plan-time" => {
                options.plan_time =
                    Duration::from_secs(value()?.parse().map_err(|_| "--plan-time: seconds")?)
            }
            "--critical-scale" => {
                options.critical_scale = value()?
                    .parse()
                    .ok()
                    .filter(|f: &f64| *f > 0.0 && f.is_finite())
                    .ok_or("--critical-scale: a positive number")?
            }
            "--only" => options.sections = list(&value()?),
            "--reps" => options.reps = value()?.parse().map_err(|_| "--reps: a number")?,
            "--sizes" => options.sizes = list(&value()?),
            "--tools" => options.tools = Some(list(&value()?)),
            "--ansible-max" => {
                options.ansible_max = value()?.parse().map_err(|_| "--ansible-max: a number")?
            }
            "--poll-times" => {
                options.poll_times = list::<u64>(&value()?)
                    .into_iter()
                    .map(Duration::from_secs)
                    .collect()
            }
            // What cargo passes to every benchmark.
            "--bench" => {}
            "--help" | "-h" => return Err(usage().to_owned()),
            other => return Err(format!("unknown option {other}\n{}", usage())),
        }
    }
    Ok(options)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("floor") {
        let Some(floor_args) = floor::FloorArgs::from_args(&args) else {
            eprintln!("floor SERVER STEPS WAIT [CA_CERT]");
            std::process::exit(2);
        };
        std::process::exit(floor::main(&floor_args));
    }
    if args.first().map(String::as_str) == Some(measure::WAITER) {
        std::process::exit(measure::waiter(&args[1..]));
    }
    if args.first().map(String::as_str) == Some("serve") {
        // For profiling a client by hand: the benchmark server until Ctrl-C.
        let server = server::Server::start(None);
        println!("{}", server.url());
        loop {
            std::thread::park();
        }
    }
    let options = match options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut programs = tools::Programs::find();
    programs.only = options.tools.clone();
    let scratch = tempfile::Builder::new()
        .prefix("drbook-bench-")
        .tempdir_in(if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        })
        .expect("a scratch folder");
    let dir = scratch.path();
    machine();
    let mut verdicts = table::Verdicts::default();
    let wants = |name: &str| options.sections.iter().any(|s| s == name);

    if wants("validate") {
        validate::bench(&programs, dir, options.reps.max(5), &mut verdicts);
    }
    let (cert, key) = server::self_signed();
    let ca_cert = dir.join("ca.pem");
    std::fs::write(&ca_cert, &cert).expect("write the certificate");
    let http = server::Server::start(None);
    let https = server::Server::start(Some((&cert, &key)));
    if wants("run") {
        let run_options = run::Options {
            sizes: options.sizes.clone(),
            reps: options.reps,
            ansible_max: options.ansible_max,
        };
        run::bench(
            &programs,
            dir,
            (&http, &https),
            &ca_cert,
            &run_options,
            &mut verdicts,
        );
    }
    if wants("poll") {
        poll::bench(&programs, dir, &http, &options.poll_times, &mut verdicts);
    }
    if wants("fsync") {
        let disk = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        fsync::bench(&programs, dir, &disk, &http, options.reps, &mut verdicts);
    }
    if wants("parallel") {
        parallel::bench(&programs, dir, options.plan_time, &mut verdicts);
    }
    if wants("critical") {
        critical::bench(&programs, dir, options.critical_scale, &mut verdicts);
    }
    verdicts.print();
}

/// The machine and the date, for BENCHMARKS.md.
fn machine() {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_owned(), |m| m.trim().to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# drbook benchmarks\n");
    println!(
        "- date: {}\n- machine: {model}, {cores} cores, Linux {}\n- drbook {}\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        kernel.trim(),
        env!("CARGO_PKG_VERSION")
    );
}
