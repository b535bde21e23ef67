//! The typed builder: a rendered [`Node`] tree to a [`Runbook`].
//!
//! It judges the document on its own, without the schema, and a test holds the two to the
//! same verdict on every example and fixture. Cross-field rules that a JSON Schema cannot
//! express well (a restore point with an offset needs `server_time_zone`) come after the
//! structural checks, in [`check_semantics`].

use super::diagnostic::Diagnostic;
use super::model::display_segments as display;
use super::model::{
    Action, DEFAULT_POLL_INTERVAL, DEFAULT_RETRIES, DEFAULT_RETRY_DELAY, DEFAULT_TIMEOUT,
    ExpectState, Failover, Group, Objectives, OnFailure, Pause, PlanCall, ReadinessCheck, Runbook,
    StateOverrides, Step,
};
use super::node::{Node, Pos, Value};
use super::schema::{show_value, unknown_key_hint};
use super::values::{self, RestorePoint};
use std::time::Duration;

const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "server",
    "server_time_zone",
    "vars",
    "defaults",
    "states",
    "on_failure",
    "objectives",
    "steps",
];
const DEFAULT_KEYS: &[&str] = &[
    "execute_chained_plans",
    "protect_storage_volumes",
    "restore_point",
    "wait_for_completion",
    "timeout",
    "poll_interval",
    "retries",
    "retry_delay",
    "request_timeout",
    "connect_timeout",
    "rto",
    "rpo",
];
const STATE_KEYS: &[&str] = &["ready", "in_progress", "succeeded", "failed"];
const OBJECTIVE_KEYS: &[&str] = &["rto", "rpo"];
/// A step's actions: exactly one of them per step.
pub const ACTIONS: &[&str] = &[
    "failover",
    "wait",
    "undo_failover",
    "readiness_check",
    "expect_state",
    "pause",
    "parallel",
];
const STEP_KEYS: &[&str] = &[
    "name",
    "on_failure",
    "failover",
    "wait",
    "undo_failover",
    "readiness_check",
    "expect_state",
    "pause",
    "parallel",
];
/// What a step inside a parallel group may not have: the group's policy applies, nothing
/// can ask the operator while other steps run, and groups do not nest.
pub const NOT_IN_GROUP: &[&str] = &["on_failure", "pause", "parallel"];
const GROUP_KEYS: &[&str] = &["max_concurrency", "steps"];
/// The most steps of one group that run at once.
pub const MAX_CONCURRENCY: u64 = 64;
const CALL_KEYS: &[&str] = &["plan_id", "timeout", "retries", "retry_delay"];
const READINESS_KEYS: &[&str] = &[
    "plan_id",
    "timeout",
    "retries",
    "retry_delay",
    "generate_report",
];
const EXPECT_KEYS: &[&str] = &["plan_id", "timeout", "retries", "retry_delay", "state"];
const PAUSE_KEYS: &[&str] = &["message"];
const FAILOVER_KEYS: &[&str] = &[
    "plan_id",
    "execute_chained_plans",
    "protect_storage_volumes",
    "restore_point",
    "wait_for_completion",
    "timeout",
    "retries",
    "retry_delay",
    "rto",
    "rpo",
];

/// Builds the typed runbook from a rendered tree, reporting every problem found.
pub fn build(file: &str, root: &Node) -> Result<Runbook, Vec<Diagnostic>> {
    let mut b = Builder {
        file,
        diagnostics: Vec::new(),
    };
    let runbook = b.runbook(root);
    match runbook {
        Some(runbook) if b.diagnostics.is_empty() => Ok(runbook),
        _ => {
            let mut diagnostics = b.diagnostics;
            diagnostics.sort_by_key(|d| (d.line, d.column));
            diagnostics.dedup();
            Err(diagnostics)
        }
    }
}

/// Rules that span fields; run on a runbook that [`build`] accepted.
pub fn check_semantics(file: &str, root: &Node, runbook: &Runbook) -> Vec<Diagnostic> {
    let mut diagnostics = twice_failed_over(file, root, runbook);
    diagnostics.extend(shared_in_group(file, root, runbook));
    if runbook.server_time_zone.is_some() {
        return diagnostics;
    }
    for step in &runbook.steps {
        if let Action::Failover(f) = &step.action
            && let RestorePoint::Offset(_) = f.restore_point
        {
            let segments = step.field(&["failover", "restore_point"]);
            let pos = root
                .at_path(&segments)
                .or_else(|| root.at_path(&["defaults".into(), "restore_point".into()]))
                .map_or(step.pos, |n| n.pos);
            diagnostics.push(
                Diagnostic::new(
                    file,
                    pos,
                    display(&segments),
                    "this restore point has a UTC offset, but the VAO server's time zone is unknown",
                )
                .with_hint(
                    "VAO reads restore points in the server's local time: set `server_time_zone: Europe/Berlin` (the server's zone) at the top of the runbook, or write the time without an offset",
                ),
            );
        }
    }
    diagnostics
}

/// Where a step's `plan_id` is, and its path, for messages.
fn plan_id_at(root: &Node, step: &Step) -> (Pos, String) {
    let segments = step.field(&[step.action.kind(), "plan_id"]);
    let pos = root.at_path(&segments).map_or(step.pos, |n| n.pos);
    (pos, display(&segments))
}

/// A plan can be failed over once per run: a second failover of the same plan is a mistake
/// (a copied step, a variable that resolved to the wrong plan), and VAO would refuse it after
/// the first had already changed the world.
fn twice_failed_over(file: &str, root: &Node, runbook: &Runbook) -> Vec<Diagnostic> {
    let mut first_step: std::collections::HashMap<uuid::Uuid, usize> = Default::default();
    let mut diagnostics = Vec::new();
    for step in &runbook.steps {
        let Action::Failover(f) = &step.action else {
            continue;
        };
        match first_step.get(&f.plan_id) {
            None => {
                first_step.insert(f.plan_id, step.number);
            }
            Some(first) => {
                let (pos, path) = plan_id_at(root, step);
                diagnostics.push(Diagnostic::new(
                    file,
                    pos,
                    path,
                    format!(
                        "plan {} is already failed over by step {first}; a runbook fails over each plan once",
                        f.plan_id
                    ),
                ));
            }
        }
    }
    diagnostics
}

/// The steps of a parallel group run at the same time, so two of them acting on one plan
/// would race: VAO runs one action per plan at a time.
fn shared_in_group(file: &str, root: &Node, runbook: &Runbook) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for group in &runbook.groups {
        let mut seen: std::collections::HashMap<uuid::Uuid, usize> = Default::default();
        for step in &runbook.steps[group.first - 1..group.last] {
            let Some(plan) = step.action.plan_id() else {
                continue;
            };
            if let Some(first) = seen.insert(plan, step.number) {
                let (pos, path) = plan_id_at(root, step);
                diagnostics.push(
                    Diagnostic::new(
                        file,
                        pos,
                        path,
                        format!(
                            "plan {plan} is also used by step {first} of the same parallel group; steps that run at the same time must act on different plans"
                        ),
                    )
                    .with_hint("put one of the two steps before or after the group"),
                );
            }
        }
    }
    diagnostics
}

struct Builder<'f> {
    file: &'f str,
    diagnostics: Vec<Diagnostic>,
}

/// Defaults as written in the runbook (before built-in defaults are applied).
#[derive(Default)]
struct Defaults {
    execute_chained_plans: Option<bool>,
    protect_storage_volumes: Option<bool>,
    restore_point: Option<RestorePoint>,
    wait_for_completion: Option<bool>,
    timeout: Option<Duration>,
    poll_interval: Option<Duration>,
    retries: Option<u32>,
    retry_delay: Option<Duration>,
    request_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    rto: Option<Duration>,
    rpo: Option<Duration>,
    on_failure: OnFailure,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Builder<'_> {
    fn error(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(self.file, pos, path, message));
    }

    fn expected(&mut self, node: &Node, path: &str, what: &str) {
        let message = format!("expected {what}, got {}", show_value(node));
        self.error(node.pos, path, message);
    }

    /// The entries of a mapping, after reporting unknown keys and missing required ones.
    fn mapping<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<&'n [(super::node::Key, Node)]> {
        let Value::Map(entries) = &node.value else {
            self.expected(node, path, "a mapping");
            return None;
        };
        for (key, _) in entries {
            if !allowed.contains(&key.name.as_str()) {
                let hint = unknown_key_hint(&key.name, allowed);
                let d = Diagnostic::new(
                    self.file,
                    key.pos,
                    join(path, &key.name),
                    format!("unknown key `{}`", key.name),
                )
                .with_hint(hint);
                self.diagnostics.push(d);
            }
        }
        for name in required {
            if !entries.iter().any(|(k, _)| k.name == *name) {
                self.error(node.pos, path, format!("missing required key `{name}`"));
            }
        }
        Some(entries)
    }

    fn string(&mut self, node: &Node, path: &str, non_empty: bool) -> Option<String> {
        match &node.value {
            Value::String(s) if non_empty && s.is_empty() => {
                self.error(node.pos, path, "must not be empty");
                None
            }
            Value::String(s) => Some(s.clone()),
            _ => {
                self.expected(node, path, "a string");
                None
            }
        }
    }

    fn flag(&mut self, node: &Node, path: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.expected(node, path, "true, false or a template");
                None
            }
        }
    }

    fn parsed<T>(
        &mut self,
        node: &Node,
        path: &str,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let parsed = node.as_str().and_then(parse);
        if parsed.is_none() {
            self.expected(node, path, what);
        }
        parsed
    }

    fn duration(&mut self, node: &Node, path: &str, positive: bool) -> Option<Duration> {
        if positive {
            self.parsed(
                node,
                path,
                "a duration greater than zero such as 30s, 5m or 2h, or a template",
                values::parse_positive_duration,
            )
        } else {
            self.parsed(
                node,
                path,
                "a duration such as 30s, 5m or 1h30m, or a template",
                values::parse_duration,
            )
        }
    }

    fn retries(&mut self, node: &Node, path: &str) -> Option<u32> {
        // JSON Schema's `integer` takes 3.0 as well.
        let count = match &node.value {
            Value::Number(n) => n
                .as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..=20.0).contains(f)),
            _ => None,
        };
        if count.is_none() {
            self.expected(
                node,
                path,
                "how many times a failed call may be tried again (0 to 20), or a template",
            );
        }
        count.map(|f| f as u32)
    }

    fn on_failure(&mut self, node: &Node, path: &str) -> Option<OnFailure> {
        self.parsed(node, path, "abort, continue or rollback", OnFailure::parse)
    }

    fn restore_point(&mut self, node: &Node, path: &str) -> Option<RestorePoint> {
        self.parsed(
            node,
            path,
            "latest, an ISO 8601 date-time such as 2026-11-25T22:00:00 (optionally with Z or an offset like +01:00), or a template",
            values::parse_restore_point,
        )
    }

    fn runbook(&mut self, root: &Node) -> Option<Runbook> {
        let entries = self.mapping(root, "", TOP_KEYS, &["version", "name", "steps"])?;
        let mut version = None;
        let mut name = None;
        let mut description = None;
        let mut server = None;
        let mut server_time_zone = None;
        let mut defaults = Defaults::default();
        let mut states = StateOverrides::default();
        let mut steps_node = None;
        let mut on_failure = OnFailure::default();
        let mut objectives = Objectives::default();
        for (key, value) in entries {
            let path = key.name.as_str();
            match path {
                "version" => {
                    // JSON Schema's `const: 1` also takes 1.0, and so does the builder.
                if matches!(&value.value, Value::Number(n) if n.as_f64() == Some(1.0)) {
                        version = Some(1);
                    } else {
                        let got = show_value(value);
                        self.error(
                            value.pos,
                            path,
                            format!(
                                "unsupported runbook version {got}; this drbook reads version 1"
                            ),
                        );
                    }
                }
                "name" => name = self.string(value, path, true),
                "description" => description = self.string(value, path, false),
                "server" => {
                    server = self.parsed(
                        value,
                        path,
                        "the VAO server's base URL (http:// or https://), or a template",
                        |s| values::is_server_url(s).then(|| s.to_owned()),
                    )
                }
                "server_time_zone" => {
                    server_time_zone = self.parsed(
                        value,
                        path,
                        "the VAO server's time zone: an IANA name such as Europe/Berlin, or a UTC offset such as +01:00 or Z",
                        values::parse_time_zone,
                    )
                }
                "vars" => self.vars(value),
                "defaults" => defaults = self.defaults(value),
                "states" => states = self.states(value),
                "on_failure" => on_failure = self.on_failure(value, path).unwrap_or_default(),
                "objectives" => objectives = self.objectives(value),
                "steps" => steps_node = Some(value),
                _ => {}
            }
        }
        defaults.on_failure = on_failure;
        let (steps, groups) = match steps_node {
            Some(node) => self.steps(node, &defaults),
            None => (Vec::new(), Vec::new()),
        };
        Some(Runbook {
            version: version?,
            name: name?,
            description,
            server,
            server_time_zone,
            poll_interval: defaults.poll_interval.unwrap_or(DEFAULT_POLL_INTERVAL),
            request_timeout: defaults.request_timeout,
            connect_timeout: defaults.connect_timeout,
            retries: defaults.retries.unwrap_or(DEFAULT_RETRIES),
            retry_delay: defaults.retry_delay.unwrap_or(DEFAULT_RETRY_DELAY),
            states,
            objectives,
            steps,
            groups,
        })
    }

    fn objectives(&mut self, node: &Node) -> Objectives {
        let mut o = Objectives::default();
        let Some(entries) = self.mapping(node, "objectives", OBJECTIVE_KEYS, &[]) else {
            return o;
        };
        for (key, value) in entries {
            let path = join("objectives", &key.name);
            match key.name.as_str() {
                "rto" => o.rto = self.duration(value, &path, true),
                "rpo" => o.rpo = self.duration(value, &path, true),
                _ => {}
            }
        }
        o
    }

    fn vars(&mut self, node: &Node) {
        let Value::Map(entries) = &node.value else {
            self.expected(node, "vars", "a mapping");
            return;
        };
        for (key, value) in entries {
            let path = join("vars", &key.name);
            if !crate::template::is_variable_name(&key.name) {
                self.error(
                    key.pos,
                    "vars",
                    "variable names are letters, digits and underscores, not starting with a digit",
                );
            }
            if matches!(value.value, Value::Seq(_) | Value::Map(_)) {
                self.expected(value, &path, "a string, boolean, number or null");
            }
        }
    }

    fn defaults(&mut self, node: &Node) -> Defaults {
        let mut d = Defaults::default();
        let Some(entries) = self.mapping(node, "defaults", DEFAULT_KEYS, &[]) else {
            return d;
        };
        for (key, value) in entries {
            let path = join("defaults", &key.name);
            match key.name.as_str() {
                "execute_chained_plans" => d.execute_chained_plans = self.flag(value, &path),
                "protect_storage_volumes" => d.protect_storage_volumes = self.flag(value, &path),
                "restore_point" => d.restore_point = self.restore_point(value, &path),
                "wait_for_completion" => d.wait_for_completion = self.flag(value, &path),
                "timeout" => d.timeout = self.duration(value, &path, true),
                "poll_interval" => d.poll_interval = self.duration(value, &path, true),
                "retries" => d.retries = self.retries(value, &path),
                "retry_delay" => d.retry_delay = self.duration(value, &path, true),
                "request_timeout" => d.request_timeout = self.duration(value, &path, true),
                "connect_timeout" => d.connect_timeout = self.duration(value, &path, true),
                "rto" => d.rto = self.duration(value, &path, true),
                "rpo" => d.rpo = self.duration(value, &path, true),
                _ => {}
            }
        }
        d
    }

    fn states(&mut self, node: &Node) -> StateOverrides {
        let mut s = StateOverrides::default();
        let Some(entries) = self.mapping(node, "states", STATE_KEYS, &[]) else {
            return s;
        };
        for (key, value) in entries {
            let path = join("states", &key.name);
            let list = self.state_list(value, &path);
            match key.name.as_str() {
                "ready" => s.ready = list,
                "in_progress" => s.in_progress = list,
                "succeeded" => s.succeeded = list,
                "failed" => s.failed = list,
                _ => {}
            }
        }
        s
    }

    fn state_list(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        let Value::Seq(items) = &node.value else {
            self.expected(node, path, "a non-empty list of VAO plan state names");
            return None;
        };
        if items.is_empty() {
            self.error(node.pos, path, "the list must not be empty");
            return None;
        }
        let names: Vec<Option<String>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.string(item, &format!("{path}[{i}]"), true))
            .collect();
        names.into_iter().collect()
    }

    fn steps(&mut self, node: &Node, defaults: &Defaults) -> (Vec<Step>, Vec<Group>) {
        let Value::Seq(items) = &node.value else {
            self.expected(node, "steps", "a list of steps");
            return (Vec::new(), Vec::new());
        };
        if items.is_empty() {
            self.error(node.pos, "steps", "a runbook needs at least one step");
        }
        let mut steps = Vec::new();
        let mut groups = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let segments = vec!["steps".to_owned(), i.to_string()];
            match item.get("parallel") {
                Some(parallel) => {
                    self.group(item, parallel, segments, defaults, &mut steps, &mut groups)
                }
                None => {
                    let number = steps.len() + 1;
                    if let Some(step) = self.step(item, segments, number, defaults, None) {
                        steps.push(step);
                    }
                }
            }
        }
        (steps, groups)
    }

    /// A `parallel:` step: its steps join the runbook's, numbered through, and the group
    /// remembers which they are.
    fn group(
        &mut self,
        node: &Node,
        parallel: &Node,
        segments: Vec<String>,
        defaults: &Defaults,
        steps: &mut Vec<Step>,
        groups: &mut Vec<Group>,
    ) {
        let path = display(&segments);
        let Some(entries) = self.mapping(node, &path, STEP_KEYS, &[]) else {
            return;
        };
        let mut name = None;
        let mut on_failure = defaults.on_failure;
        for (key, value) in entries {
            let field = join(&path, &key.name);
            match key.name.as_str() {
                "name" => name = self.string(value, &field, true),
                "on_failure" => on_failure = self.on_failure(value, &field).unwrap_or(on_failure),
                other if ACTIONS.contains(&other) && other != "parallel" => {
                    let present = [other, "parallel"];
                    self.error(node.pos, &path, two_actions_message(&present));
                }
                _ => {}
            }
        }
        let field = join(&path, "parallel");
        let Some(entries) = self.mapping(parallel, &field, GROUP_KEYS, &["steps"]) else {
            return;
        };
        let mut max_concurrency = None;
        let mut items: &[Node] = &[];
        for (key, value) in entries {
            let inner = join(&field, &key.name);
            match key.name.as_str() {
                "max_concurrency" => {
                    max_concurrency = match &value.value {
                        Value::Number(n)
                            if n.as_f64().is_some_and(|f| {
                                f.fract() == 0.0 && (1.0..=MAX_CONCURRENCY as f64).contains(&f)
                            }) =>
                        {
                            n.as_f64().map(|f| f as usize)
                        }
                        _ => {
                            self.expected(
                                value,
                                &inner,
                                &format!("how many of the group's steps run at once (1 to {MAX_CONCURRENCY}), or a template"),
                            );
                            None
                        }
                    }
                }
                "steps" => match &value.value {
                    Value::Seq(list) if !list.is_empty() => items = list,
                    Value::Seq(_) => self.error(value.pos, &inner, "the list must not be empty"),
                    _ => self.expected(value, &inner, "a list of steps"),
                },
                _ => {}
            }
        }
        let index = groups.len();
        let first = steps.len() + 1;
        for (i, item) in items.iter().enumerate() {
            let mut inner = segments.clone();
            inner.extend(["parallel".to_owned(), "steps".to_owned(), i.to_string()]);
            let inner_path = display(&inner);
            if let Value::Map(entries) = &item.value {
                for (key, _) in entries {
                    if NOT_IN_GROUP.contains(&key.name.as_str()) {
                        self.diagnostics.push(in_group_error(
                            self.file,
                            key.pos,
                            &join(&inner_path, &key.name),
                            &key.name,
                        ));
                    }
                }
            }
            let number = steps.len() + 1;
            if let Some(step) = self.step(item, inner, number, defaults, Some(index)) {
                steps.push(step);
            }
        }
        let count = items.len();
        groups.push(Group {
            name: name.unwrap_or_else(|| format!("Parallel group of {count} steps")),
            max_concurrency: max_concurrency.unwrap_or(count).max(1),
            on_failure,
            first,
            last: steps.len(),
        });
        // The group's own policy applies to its steps.
        for step in &mut steps[first - 1..] {
            step.on_failure = on_failure;
        }
    }

    fn step(
        &mut self,
        node: &Node,
        segments: Vec<String>,
        number: usize,
        defaults: &Defaults,
        group: Option<usize>,
    ) -> Option<Step> {
        let path = display(&segments);
        let entries = self.mapping(node, &path, STEP_KEYS, &[])?;
        let mut name = None;
        let mut on_failure = defaults.on_failure;
        let mut actions = Vec::new();
        for (key, value) in entries {
            let field = join(&path, &key.name);
            match key.name.as_str() {
                "name" => name = self.string(value, &field, true),
                "on_failure" => on_failure = self.on_failure(value, &field).unwrap_or(on_failure),
                "failover" => {
                    actions.push(self.failover(value, &field, defaults).map(Action::Failover))
                }
                "wait" => actions.push(self.duration(value, &field, false).map(Action::Wait)),
                "undo_failover" => actions.push(
                    self.call(value, &field, CALL_KEYS, defaults, false)
                        .map(Action::UndoFailover),
                ),
                "readiness_check" => actions.push(self.readiness_check(value, &field, defaults)),
                "expect_state" => actions.push(self.expect_state(value, &field, defaults)),
                "pause" => actions.push(self.pause(value, &field)),
                // Reported where it stands (`NOT_IN_GROUP`): a group inside a group.
                "parallel" => return None,
                _ => {}
            }
        }
        let action = match actions.len() {
            1 => actions.pop().flatten()?,
            0 => {
                self.error(node.pos, &path, no_action_message());
                return None;
            }
            _ => {
                let present: Vec<&str> = entries
                    .iter()
                    .map(|(k, _)| k.name.as_str())
                    .filter(|k| ACTIONS.contains(k))
                    .collect();
                self.error(node.pos, &path, two_actions_message(&present));
                return None;
            }
        };
        let name = name.unwrap_or_else(|| default_step_name(&action));
        Some(Step {
            number,
            name,
            pos: node.pos,
            segments,
            group,
            action,
            on_failure,
        })
    }

    /// The keys every plan step shares (`plan_id`, `timeout`, `retries`, `retry_delay`);
    /// other keys in `allowed` are left to the caller. `zero_timeout` allows `timeout: 0`
    /// (an assertion that reads once).
    fn call(
        &mut self,
        node: &Node,
        path: &str,
        allowed: &[&str],
        defaults: &Defaults,
        zero_timeout: bool,
    ) -> Option<PlanCall> {
        let entries = self.mapping(node, path, allowed, &["plan_id"])?;
        let mut plan_id = None;
        let mut timeout = defaults.timeout;
        let mut retries = defaults.retries;
        let mut retry_delay = defaults.retry_delay;
        let mut ok = true;
        for (key, value) in entries {
            let field = join(path, &key.name);
            ok &= match key.name.as_str() {
                "plan_id" => {
                    plan_id = self.plan_id(value, &field);
                    plan_id.is_some()
                }
                "timeout" => {
                    timeout = self.duration(value, &field, !zero_timeout);
                    timeout.is_some()
                }
                "retries" => {
                    retries = self.retries(value, &field);
                    retries.is_some()
                }
                "retry_delay" => {
                    retry_delay = self.duration(value, &field, true);
                    retry_delay.is_some()
                }
                _ => true,
            };
        }
        if !ok {
            return None;
        }
        Some(PlanCall {
            plan_id: plan_id?,
            timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
            retries: retries.unwrap_or(DEFAULT_RETRIES),
            retry_delay: retry_delay.unwrap_or(DEFAULT_RETRY_DELAY),
        })
    }

    fn plan_id(&mut self, node: &Node, path: &str) -> Option<uuid::Uuid> {
        self.parsed(
            node,
            path,
            "a plan UUID such as 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f, or a template",
            values::parse_plan_id,
        )
    }

    fn readiness_check(&mut self, node: &Node, path: &str, defaults: &Defaults) -> Option<Action> {
        let call = self.call(node, path, READINESS_KEYS, defaults, false);
        let generate_report = match node.get("generate_report") {
            Some(value) => self.flag(value, &join(path, "generate_report"))?,
            None => false,
        };
        Some(Action::ReadinessCheck(ReadinessCheck {
            call: call?,
            generate_report,
        }))
    }

    fn expect_state(&mut self, node: &Node, path: &str, defaults: &Defaults) -> Option<Action> {
        // An expectation is checked once unless it says how long to wait: the runbook's
        // `defaults.timeout` is for failovers, not for assertions.
        let defaults = Defaults {
            timeout: Some(Duration::ZERO),
            retries: defaults.retries,
            retry_delay: defaults.retry_delay,
            ..Defaults::default()
        };
        let call = self.call(node, path, EXPECT_KEYS, &defaults, true);
        let field = join(path, "state");
        let states = match node.get("state") {
            Some(
                value @ Node {
                    value: Value::Seq(_),
                    ..
                },
            ) => self.state_list(value, &field),
            Some(value) => self.string(value, &field, true).map(|s| vec![s]),
            None if matches!(node.value, Value::Map(_)) => {
                self.error(node.pos, path, "missing required key `state`");
                None
            }
            None => None,
        };
        Some(Action::ExpectState(ExpectState {
            call: call?,
            states: states?,
        }))
    }

    fn pause(&mut self, node: &Node, path: &str) -> Option<Action> {
        let entries = self.mapping(node, path, PAUSE_KEYS, &["message"])?;
        let message = entries
            .iter()
            .find(|(k, _)| k.name == "message")
            .and_then(|(_, value)| self.string(value, &join(path, "message"), true))?;
        Some(Action::Pause(Pause { message }))
    }

    fn failover(&mut self, node: &Node, path: &str, defaults: &Defaults) -> Option<Failover> {
        // The keys every plan step has (plan, timeout, retries), then a failover's own.
        let call = self.call(node, path, FAILOVER_KEYS, defaults, false);
        let Value::Map(entries) = &node.value else {
            return None;
        };
        let mut restore_point = defaults.restore_point;
        let mut execute_chained_plans = defaults.execute_chained_plans;
        let mut protect_storage_volumes = defaults.protect_storage_volumes;
        let mut wait_for_completion = defaults.wait_for_completion;
        let mut rto = defaults.rto;
        let mut rpo = defaults.rpo;
        let mut ok = true;
        for (key, value) in entries {
            let field = join(path, &key.name);
            ok &= match key.name.as_str() {
                "rto" => {
                    rto = self.duration(value, &field, true);
                    rto.is_some()
                }
                "rpo" => {
                    rpo = self.duration(value, &field, true);
                    rpo.is_some()
                }
                "restore_point" => {
                    restore_point = self.restore_point(value, &field);
                    restore_point.is_some()
                }
                "execute_chained_plans" => {
                    execute_chained_plans = self.flag(value, &field);
                    execute_chained_plans.is_some()
                }
                "protect_storage_volumes" => {
                    protect_storage_volumes = self.flag(value, &field);
                    protect_storage_volumes.is_some()
                }
                "wait_for_completion" => {
                    wait_for_completion = self.flag(value, &field);
                    wait_for_completion.is_some()
                }
                _ => true,
            };
        }
        let call = call?;
        if !ok {
            return None;
        }
        Some(Failover {
            plan_id: call.plan_id,
            restore_point: restore_point.unwrap_or(RestorePoint::Latest),
            execute_chained_plans: execute_chained_plans.unwrap_or(false),
            protect_storage_volumes: protect_storage_volumes.unwrap_or(false),
            wait_for_completion: wait_for_completion.unwrap_or(true),
            timeout: call.timeout,
            retries: call.retries,
            retry_delay: call.retry_delay,
            objectives: Objectives { rto, rpo },
        })
    }
}

/// A key a step inside a parallel group may not have (shared with the schema check).
pub fn in_group_error(file: &str, pos: Pos, path: &str, key: &str) -> Diagnostic {
    let (message, hint) = match key {
        "on_failure" => (
            "`on_failure` applies to a parallel group as a whole, not to its steps",
            "set `on_failure` on the `parallel` step",
        ),
        "pause" => (
            "a `pause` cannot run inside a parallel group",
            "put the pause before or after the group",
        ),
        _ => (
            "parallel groups do not nest",
            "put the inner steps in the outer group",
        ),
    };
    Diagnostic::new(file, pos, path, message).with_hint(hint)
}

/// The message for a step without an action (shared with the schema check).
pub fn no_action_message() -> String {
    format!(
        "a step needs an action: one of {}",
        ACTIONS
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The message for a step with more than one action (shared with the schema check).
pub fn two_actions_message(present: &[&str]) -> String {
    let named: Vec<String> = present.iter().map(|a| format!("`{a}`")).collect();
    format!(
        "a step has exactly one action, but this one has {}",
        match named.as_slice() {
            [a, b] => format!("both {a} and {b}"),
            _ => named.join(", "),
        }
    )
}

fn default_step_name(action: &Action) -> String {
    match action {
        Action::Failover(f) => format!("Fail over plan {}", f.plan_id),
        Action::Wait(d) => format!("Wait {}", values::format_duration(*d)),
        Action::UndoFailover(c) => format!("Undo the failover of plan {}", c.plan_id),
        Action::ReadinessCheck(c) => format!("Readiness check of plan {}", c.call.plan_id),
        Action::ExpectState(e) => format!(
            "Expect plan {} to be {}",
            e.call.plan_id,
            e.states.join(" or ")
        ),
        Action::Pause(_) => "Pause for approval".to_owned(),
    }
}
