//! Recovery along a dependency graph (issue 14, item 4): 20 plans of 1 to 7.6 seconds whose
//! dependencies form a graph (chains of different lengths, fan-in), recovered three ways:
//! one after another, as the best layout of `parallel:` groups, and with `id`/`needs`. Each
//! recovery time (the report's own `objectives.recovery_time_ms`) is set against the
//! critical path computed here from the same durations.
//!
//! The plans' durations are the simulator's: a plans file (`failover_time` per plan) served
//! by `drbook simulator --plans`, one fresh simulator per run (a plan failed over stays
//! failed over). drbook runs as an operator would: `drbook run RUNBOOK --yes --server URL`.

use super::measure::{self, fmt_duration, quiet};
use super::table::{Table, Verdicts};
use super::tools::Programs;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How often drbook reads a running plan, as in the parallel-recovery section.
const POLL: Duration = Duration::from_millis(250);
const USERNAME: &str = "bench";
const PASSWORD: &str = "bench-password";

/// One plan: its step id, how long its failover runs (seconds, before `--critical-scale`),
/// and the steps it needs. In an order that satisfies every dependency (the sequential
/// runbook's order).
struct Plan {
    id: &'static str,
    seconds: f64,
    needs: &'static [&'static str],
}

const fn plan(id: &'static str, seconds: f64, needs: &'static [&'static str]) -> Plan {
    Plan { id, seconds, needs }
}

/// A shop's site: network, storage, databases, services and the front end. Chains of 2 to
/// 6 plans; auth, orders-api, catalog-api, backoffice, web-shop and edge-lb wait for more
/// than one plan (fan-in); 58.2 s of failovers in all, 1 to 7.6 s each, none a multiple of the
/// poll interval (so each end is noticed some time after it).
const GRAPH: &[Plan] = &[
    plan("net-core", 2.2, &[]),
    plan("dns", 1.1, &["net-core"]),
    plan("storage-a", 3.3, &[]),
    plan("storage-b", 2.4, &[]),
    plan("db-orders", 5.8, &["storage-a"]),
    plan("db-users", 4.1, &["storage-b"]),
    plan("db-catalog", 3.2, &["storage-b"]),
    plan("cache", 1.3, &[]),
    plan("mq", 1.9, &["net-core"]),
    plan("auth", 2.3, &["db-users", "dns"]),
    plan("orders-api", 4.4, &["db-orders", "mq"]),
    plan("catalog-api", 1.7, &["db-catalog", "cache"]),
    plan("payments", 5.1, &["auth"]),
    plan("search", 2.9, &["db-catalog"]),
    plan(
        "web-shop",
        2.2,
        &["orders-api", "catalog-api", "payments", "search"],
    ),
    plan("reporting", 7.6, &["db-orders"]),
    plan("batch", 1.4, &["reporting"]),
    plan("backoffice", 3.1, &["auth", "db-orders"]),
    plan("monitoring", 1.0, &[]),
    plan("edge-lb", 1.2, &["web-shop", "backoffice"]),
];

/// The graph by index: each plan's duration and the indices it needs.
struct Graph {
    durations: Vec<Duration>,
    needs: Vec<Vec<usize>>,
}

impl Graph {
    fn new(scale: f64) -> Graph {
        let index = |id: &str| GRAPH.iter().position(|p| p.id == id).expect("a plan id");
        let needs: Vec<Vec<usize>> = GRAPH
            .iter()
            .map(|p| p.needs.iter().map(|n| index(n)).collect())
            .collect();
        for (i, n) in needs.iter().enumerate() {
            assert!(n.iter().all(|&p| p < i), "GRAPH is not in dependency order");
        }
        let durations = GRAPH
            .iter()
            .map(|p| Duration::from_millis((p.seconds * scale * 1000.0).round() as u64))
            .collect();
        Graph { durations, needs }
    }

    fn len(&self) -> usize {
        self.durations.len()
    }

    /// The longest chain by time, first plan first, and its duration.
    fn critical_path(&self) -> (Vec<usize>, Duration) {
        let mut finish = vec![Duration::ZERO; self.len()];
        let mut from: Vec<Option<usize>> = vec![None; self.len()];
        for i in 0..self.len() {
            from[i] = self.needs[i].iter().copied().max_by_key(|&p| finish[p]);
            finish[i] = self.durations[i] + from[i].map_or(Duration::ZERO, |p| finish[p]);
        }
        let mut at = (0..self.len()).max_by_key(|&i| (finish[i], std::cmp::Reverse(i)));
        let total = at.map_or(Duration::ZERO, |i| finish[i]);
        let mut path = Vec::new();
        while let Some(i) = at {
            path.push(i);
            at = from[i];
        }
        path.reverse();
        (path, total)
    }

    /// Each plan's dependency level (0-based): one more than the highest of what it needs.
    fn levels(&self) -> Vec<Vec<usize>> {
        let mut level = vec![0; self.len()];
        let mut levels: Vec<Vec<usize>> = Vec::new();
        for i in 0..self.len() {
            level[i] = self.needs[i]
                .iter()
                .map(|&p| level[p] + 1)
                .max()
                .unwrap_or(0);
            if levels.len() <= level[i] {
                levels.resize(level[i] + 1, Vec::new());
            }
            levels[level[i]].push(i);
        }
        levels
    }

    /// The time of groups run one after another: the sum of each group's longest plan.
    fn layout_time(&self, groups: &[Vec<usize>]) -> Duration {
        groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|&i| self.durations[i])
                    .max()
                    .unwrap_or_default()
            })
            .sum()
    }

    /// The fastest layout of parallel groups one after another, exactly: a search over the
    /// sets of plans done so far. From each, the next group is, for some ready plan, that
    /// plan and every ready plan no longer than it (taking more of them costs the group
    /// nothing, and more plans done never makes the rest longer), so there are at most as
    /// many choices as ready plans.
    fn best_layout(&self) -> Vec<Vec<usize>> {
        assert!(self.len() < 64, "the search keeps the plans done in a u64");
        let needs: Vec<u64> = self
            .needs
            .iter()
            .map(|n| n.iter().fold(0, |m, &p| m | 1 << p))
            .collect();
        let mut memo = std::collections::HashMap::new();
        let mut groups = Vec::new();
        let (mut done, all) = (0u64, (1u64 << self.len()) - 1);
        while done != all {
            let (_, next) = self.rest(done, &needs, &mut memo);
            groups.push((0..self.len()).filter(|&i| next >> i & 1 == 1).collect());
            done |= next;
        }
        groups
    }

    /// The shortest time to fail over the plans not in `done`, and the first group of it.
    fn rest(
        &self,
        done: u64,
        needs: &[u64],
        memo: &mut std::collections::HashMap<u64, (Duration, u64)>,
    ) -> (Duration, u64) {
        if done == (1u64 << self.len()) - 1 {
            return (Duration::ZERO, 0);
        }
        if let Some(&known) = memo.get(&done) {
            return known;
        }
        let ready: Vec<usize> = (0..self.len())
            .filter(|&i| done >> i & 1 == 0 && needs[i] & done == needs[i])
            .collect();
        let mut best: Option<(Duration, u64)> = None;
        for &longest in &ready {
            let limit = self.durations[longest];
            let group = ready
                .iter()
                .filter(|&&i| self.durations[i] <= limit)
                .fold(0u64, |m, &i| m | 1 << i);
            let time = limit + self.rest(done | group, needs, memo).0;
            if best.is_none_or(|(b, _)| time < b) {
                best = Some((time, group));
            }
        }
        let best = best.expect("a ready plan: the graph has no cycle");
        memo.insert(done, best);
        best
    }

    /// `a → b → c` of plan ids.
    fn names(path: &[usize]) -> String {
        path.iter()
            .map(|&i| GRAPH[i].id)
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

fn plan_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

fn plans_file(graph: &Graph) -> String {
    let mut text = format!("username: {USERNAME}\npassword: {PASSWORD}\nplans:\n");
    for (i, p) in GRAPH.iter().enumerate() {
        text.push_str(&format!(
            "  - id: {}\n    name: {}\n    failover_time: {}\n",
            plan_id(i),
            p.id,
            millis(graph.durations[i])
        ));
    }
    text
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Sequential,
    Groups,
    Needs,
}

impl Layout {
    fn label(self) -> &'static str {
        match self {
            Layout::Sequential => "sequential",
            Layout::Groups => "parallel groups (best layout)",
            Layout::Needs => "`needs`",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Layout::Sequential => "sequential",
            Layout::Groups => "groups",
            Layout::Needs => "needs",
        }
    }
}

fn runbook(graph: &Graph, layout: Layout, groups: &[Vec<usize>]) -> String {
    let mut text = format!(
        "version: 1\nname: graph-recovery-{}\ndefaults:\n  poll_interval: {}\nsteps:\n",
        layout.slug(),
        millis(POLL)
    );
    let failover = |i: usize| format!("failover: {{ plan_id: {} }}", plan_id(i));
    match layout {
        Layout::Sequential => {
            for (i, p) in GRAPH.iter().enumerate() {
                text.push_str(&format!("  - name: {}\n    {}\n", p.id, failover(i)));
            }
        }
        Layout::Groups => {
            for (n, members) in groups.iter().enumerate() {
                if let [i] = members[..] {
                    text.push_str(&format!("  - name: {}\n    {}\n", GRAPH[i].id, failover(i)));
                    continue;
                }
                text.push_str(&format!(
                    "  - name: Group {}\n    parallel:\n      steps:\n",
                    n + 1
                ));
                for &i in members {
                    text.push_str(&format!(
                        "        - name: {}\n          {}\n",
                        GRAPH[i].id,
                        failover(i)
                    ));
                }
            }
        }
        Layout::Needs => {
            for (i, p) in GRAPH.iter().enumerate() {
                text.push_str(&format!(
                    "  - id: {}\n    needs: [{}]\n    expected_duration: {}\n    {}\n",
                    p.id,
                    p.needs.join(", "),
                    millis(graph.durations[i]),
                    failover(i)
                ));
            }
        }
    }
    text
}

/// `drbook simulator --plans FILE` on a free port of 127.0.0.1; stopped when dropped.
struct Simulator {
    child: Child,
    url: String,
}

impl Simulator {
    fn start(programs: &Programs, plans: &Path) -> Simulator {
        let mut child = Command::new(&programs.drbook)
            .args(["simulator", "--listen", "127.0.0.1:0", "--plans"])
            .arg(plans)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_remove("RUST_LOG")
            .spawn()
            .expect("start drbook simulator");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("the simulator's stdout"))
            .read_line(&mut line)
            .expect("the simulator's first line");
        let url = line
            .trim()
            .strip_prefix("drbook simulator listening on ")
            .unwrap_or_else(|| panic!("drbook simulator said {line:?}"))
            .to_owned();
        Simulator { child, url }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The critical path in time that `drbook validate --format json` prints for a runbook.
fn validated_critical_time(programs: &Programs, file: &Path) -> Option<Duration> {
    let out = Command::new(&programs.drbook)
        .args(["validate", "--format", "json"])
        .arg(file)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    json["runbooks"][0]["schedule"]["critical_time"]["seconds"]
        .as_f64()
        .map(Duration::from_secs_f64)
}

pub fn bench(programs: &Programs, dir: &Path, scale: f64, verdicts: &mut Verdicts) {
    let graph = Graph::new(scale);
    let (path, critical) = graph.critical_path();
    let sum: Duration = graph.durations.iter().sum();
    let groups = graph.best_layout();
    let bound = (critical + POLL * path.len() as u32).mul_f64(1.01);
    println!(
        "## Recovery along a dependency graph: {} plans, {} to {} each\n",
        graph.len(),
        graph
            .durations
            .iter()
            .min()
            .map_or(String::new(), |d| fmt_duration(*d)),
        graph
            .durations
            .iter()
            .max()
            .map_or(String::new(), |d| fmt_duration(*d)),
    );
    println!(
        "Failovers of {} in all; critical path {}: {} ({} plans). Recovery time: the report's `objectives.recovery_time_ms`, against `drbook simulator --plans` (each plan's `failover_time`); polls every {}.\n",
        fmt_duration(sum),
        fmt_duration(critical),
        Graph::names(&path),
        path.len(),
        fmt_duration(POLL),
    );
    let sub = dir.join("critical");
    std::fs::create_dir_all(&sub).expect("a scratch folder");
    let plans = sub.join("plans.yaml");
    std::fs::write(&plans, plans_file(&graph)).expect("write the plans file");
    let levels = graph.levels();
    println!(
        "The fastest layout of parallel groups, {} from the durations ({} groups one after another; by dependency levels it would be {} groups and {}):\n",
        fmt_duration(graph.layout_time(&groups)),
        groups.len(),
        levels.len(),
        fmt_duration(graph.layout_time(&levels)),
    );
    for (n, members) in groups.iter().enumerate() {
        println!(
            "{}. {}",
            n + 1,
            members
                .iter()
                .map(|&i| format!("{} {}", GRAPH[i].id, fmt_duration(graph.durations[i])))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    println!();

    let mut table = Table::new(&[
        "runbook",
        "from the durations",
        "recovery time",
        "× critical path",
        "wall",
        "peak memory",
    ]);
    let mut times = Vec::new();
    for layout in [Layout::Sequential, Layout::Groups, Layout::Needs] {
        let run_dir = sub.join(layout.slug());
        std::fs::create_dir_all(&run_dir).expect("a scratch folder");
        let file = run_dir.join("runbook.yaml");
        std::fs::write(&file, runbook(&graph, layout, &groups)).expect("write the runbook");
        let expected = match layout {
            Layout::Sequential => sum,
            Layout::Groups => graph.layout_time(&groups),
            Layout::Needs => critical,
        };
        if layout == Layout::Needs {
            match validated_critical_time(programs, &file) {
                Some(v) if v.abs_diff(critical) < Duration::from_millis(1) => {}
                other => println!(
                    "**`drbook validate` gives another critical path: {}** (this benchmark: {})\n",
                    other.map_or("none".to_owned(), fmt_duration),
                    fmt_duration(critical)
                ),
            }
        }
        let simulator = Simulator::start(programs, &plans);
        let reports = run_dir.join("reports");
        let mut command = Command::new(&programs.drbook);
        command
            .arg("run")
            .arg(&file)
            .args(["--yes", "--server", &simulator.url])
            .arg("--report-dir")
            .arg(&reports)
            .arg("--state-dir")
            .arg(run_dir.join("state"))
            .env("VAO_USERNAME", USERNAME)
            .env("VAO_PASSWORD", PASSWORD)
            .env("DRBOOK_LOCK_DIR", run_dir.join("locks"))
            .env_remove("VAO_TOKEN")
            .env_remove("RUST_LOG");
        let sample = measure::run(quiet(&mut command)).expect("drbook run");
        drop(simulator);
        // A run that did not succeed has no recovery time to compare.
        let recovery = super::parallel::recovery_time(&reports).filter(|_| sample.exit == 0);
        table.row(vec![
            layout.label().to_owned(),
            fmt_duration(expected),
            recovery.map_or(format!("run failed (exit {})", sample.exit), fmt_duration),
            recovery.map_or(String::new(), |r| {
                format!("{:.2}", r.as_secs_f64() / critical.as_secs_f64())
            }),
            fmt_duration(sample.wall),
            measure::fmt_mib(sample.max_rss_kib),
        ]);
        times.push(recovery);
    }
    table.print();
    let show = |d: Option<Duration>| d.map_or("failed".to_owned(), fmt_duration);
    verdicts.check(
        times[2].is_some_and(|t| t <= bound),
        format!(
            "{} plans with `needs` recover within the critical path + one poll interval per plan on it + 1 % ({} + {} × {} + 1 % = {}): {} (parallel groups: {}, sequential: {})",
            graph.len(),
            fmt_duration(critical),
            path.len(),
            fmt_duration(POLL),
            fmt_duration(bound),
            show(times[2]),
            show(times[1]),
            show(times[0]),
        ),
    );
}
