//! From the typed document to the [`Runbook`] the executor runs.
//!
//! [`build`] reads a rendered tree that passed the schema check into the typed
//! [`document`](super::document) (serde; the format's rules live on those types), then
//! converts it: defaults applied, parallel groups flattened into numbered steps, default
//! step names given. Cross-field rules that a JSON Schema cannot express well (a restore
//! point with an offset needs `server_time_zone`, a plan failed over twice) come after, in
//! [`check_semantics`].

use super::diagnostic::{Diagnostic, Problem};
use super::document as doc;
use super::model::display_segments as display;
use super::model::{
    Action, BodyMatch, Command, CommandLine, DEFAULT_CHECK_INTERVAL, DEFAULT_CHECK_REQUEST_TIMEOUT,
    DEFAULT_CHECK_TIMEOUT, DEFAULT_COMMAND_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_POLL_INTERVAL,
    DEFAULT_RETRIES, DEFAULT_RETRY_DELAY, DEFAULT_TIMEOUT, ExpectState, Failover, Group, HttpCheck,
    Objectives, OnFailure, OnHalt, Pause, PlanCall, ReadinessCheck, RecoveryUntil, Runbook, Scope,
    StateOverrides, Step, TcpCheck,
};
use super::node::{Node, Pos};
use super::schema;
use super::values::{self, RestorePoint};
use std::time::Duration;

/// Builds the typed runbook from a rendered tree that passed the schema check.
pub fn build(file: &str, root: &Node) -> Result<Runbook, Vec<Diagnostic>> {
    let document = doc::from_node(root).map_err(|e| vec![schema::from_de_error(file, root, &e)])?;
    let mut builder = Builder {
        file,
        root,
        defaults: document.defaults.unwrap_or_default(),
        on_failure: document.on_failure.unwrap_or_default(),
        steps: Vec::with_capacity(document.steps.len()),
        groups: Vec::new(),
        cleanup: Vec::new(),
        needs: Vec::new(),
        diagnostics: Vec::new(),
    };
    for (i, step) in document.steps.into_iter().enumerate() {
        builder.step(step, vec!["steps".to_owned(), i.to_string()]);
    }
    for (i, doc::CleanupStep(step)) in document.cleanup.into_iter().flatten().enumerate() {
        builder.cleanup_step(step, vec!["cleanup".to_owned(), i.to_string()]);
    }
    builder.resolve_needs();
    if !builder.diagnostics.is_empty() {
        return Err(builder.diagnostics);
    }
    let d = &builder.defaults;
    let states = document.states.unwrap_or_default();
    let objectives = document.objectives.unwrap_or_default();
    let list = |l: Option<doc::StateList>| l.map(|l| l.0);
    Ok(Runbook {
        version: document.version.0,
        name: document.name,
        description: document.description,
        server: document.server.map(|s| s.0),
        api: document.api,
        server_time_zone: document.server_time_zone.map(|z| z.0),
        poll_interval: duration(d.poll_interval, DEFAULT_POLL_INTERVAL),
        poll_backoff: d.poll_backoff.is_some_and(|f| f.0),
        request_timeout: d.request_timeout.map(|t| t.0),
        connect_timeout: d.connect_timeout.map(|t| t.0),
        retries: d.retries.map_or(DEFAULT_RETRIES, |r| r.0),
        retry_delay: duration(d.retry_delay, DEFAULT_RETRY_DELAY),
        states: StateOverrides {
            ready: list(states.ready),
            in_progress: list(states.in_progress),
            succeeded: list(states.succeeded),
            failed: list(states.failed),
        },
        objectives: Objectives {
            rto: objectives.rto.map(|d| d.0),
            rpo: objectives.rpo.map(|d| d.0),
            until: objectives.until.unwrap_or_default(),
        },
        max_concurrency: document.max_concurrency.map(|m| m.0),
        steps: builder.steps,
        groups: builder.groups,
        cleanup: builder.cleanup,
    })
}

fn duration(value: Option<doc::PositiveDuration>, default: Duration) -> Duration {
    value.map_or(default, |d| d.0)
}

/// Rules that span fields; run on a runbook that [`build`] accepted.
pub fn check_semantics(file: &str, root: &Node, runbook: &Runbook) -> Vec<Diagnostic> {
    let mut diagnostics = twice_failed_over(file, root, runbook);
    diagnostics.extend(concurrent_on_one_plan(file, root, runbook));
    if runbook.objectives.until == RecoveryUntil::Healthy
        && !runbook.steps.iter().any(|s| s.action.is_health_check())
    {
        let segments = ["objectives".to_owned(), "until".to_owned()];
        let (_, pos, path) = schema::locate(root, &segments);
        diagnostics.push(
            Diagnostic::new(
                file,
                pos,
                path,
                "`until: healthy` measures recovery to the last successful health check, but the runbook's steps have none",
            )
            .with_hint("add an `http_check` or `tcp_check` step after the failovers, or leave `until` out to measure to the last plan failed over"),
        );
    }
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
                .with_problem(Problem::OffsetWithoutTimeZone)
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

/// Steps that may run at the same time (in one parallel group, or on branches of the
/// `needs` graph that do not wait for each other) must act on different plans: VAO runs one
/// action per plan at a time, and the two would race.
fn concurrent_on_one_plan(file: &str, root: &Node, runbook: &Runbook) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut last: std::collections::HashMap<uuid::Uuid, usize> = Default::default();
    let mut waits: Option<Vec<Vec<usize>>> = None;
    for step in &runbook.steps {
        let Some(plan) = step.action.plan_id() else {
            continue;
        };
        let Some(first) = last.insert(plan, step.number) else {
            continue;
        };
        let waits = waits.get_or_insert_with(|| super::schedule::waits_for(runbook));
        if super::schedule::reaches(waits, step.number, first) {
            continue;
        }
        let same_group = step.group.is_some() && runbook.steps[first - 1].group == step.group;
        let (pos, path) = plan_id_at(root, step);
        let diagnostic = if same_group {
            Diagnostic::new(
                file,
                pos,
                path,
                format!(
                    "plan {plan} is also used by step {first} of the same parallel group; steps that run at the same time must act on different plans"
                ),
            )
            .with_hint("put one of the two steps before or after the group")
        } else {
            Diagnostic::new(
                file,
                pos,
                path,
                format!(
                    "plan {plan} is also used by step {first}, and neither step waits for the other: steps that may run at the same time must act on different plans"
                ),
            )
            .with_hint(format!(
                "make this step wait for step {first}: add its `id` to this step's `needs`"
            ))
        };
        diagnostics.push(diagnostic);
    }
    diagnostics
}

struct Builder<'a> {
    file: &'a str,
    root: &'a Node,
    defaults: doc::Defaults,
    /// The runbook's policy.
    on_failure: OnFailure,
    steps: Vec<Step>,
    groups: Vec<Group>,
    cleanup: Vec<Step>,
    /// Each step's `needs` as written: its number and the ids, resolved once every id is known.
    needs: Vec<(usize, Vec<String>)>,
    diagnostics: Vec<Diagnostic>,
}

impl Builder<'_> {
    fn pos(&self, segments: &[String]) -> Pos {
        self.root
            .at_path(segments)
            .map_or(Pos::default(), |n| n.pos)
    }

    /// A problem at `segments`, placed and named as the schema check places and names its
    /// own.
    fn error(&mut self, segments: &[String], message: String) {
        let (_, pos, path) = schema::locate(self.root, segments);
        self.diagnostics
            .push(Diagnostic::new(self.file, pos, path, message));
    }

    /// Where `key` of the mapping at `segments` is, placed and named as the schema check
    /// places and names it.
    fn locate_key(&self, segments: &[String], key: &str) -> (Pos, String) {
        let mut at = segments.to_vec();
        at.push(key.to_owned());
        let (_, pos, path) = schema::locate(self.root, &at);
        (pos, path)
    }

    /// A step of the runbook: one step, or a parallel group's steps, numbered through.
    fn step(&mut self, mut step: doc::Step, segments: Vec<String>) {
        let on_failure = step.on_failure.unwrap_or(self.on_failure);
        let Some(parallel) = step.parallel.take() else {
            if let Some(step) = self.plain_step(step, segments, on_failure, None) {
                self.steps.push(step);
            }
            return;
        };
        if let Some(action) = actions(&step).first() {
            self.error(&segments, doc::two_actions_message(&[action, "parallel"]));
        }
        let own = [
            step.id.as_ref().map(|_| "id"),
            step.needs.as_ref().map(|_| "needs"),
            step.expected_duration.as_ref().map(|_| "expected_duration"),
        ];
        for key in own.into_iter().flatten() {
            let (pos, path) = self.locate_key(&segments, key);
            self.diagnostics.push(
                Diagnostic::new(
                    self.file,
                    pos,
                    path,
                    format!("`{key}` belongs on the steps of a parallel group, not on the group"),
                )
                .with_hint("the group is not a step: give each of its steps its own `id`, `needs` or `expected_duration`"),
            );
        }
        let index = self.groups.len();
        let first = self.steps.len() + 1;
        let count = parallel.steps.len();
        for (i, doc::GroupStep(inner)) in parallel.steps.into_iter().enumerate() {
            let mut inner_segments = segments.clone();
            inner_segments.extend(["parallel".to_owned(), "steps".to_owned(), i.to_string()]);
            // The schema refuses these inside a group; the reader takes any step.
            let mut keys = actions(&inner);
            keys.extend(inner.on_failure.map(|_| "on_failure"));
            if let Some(key) = doc::NOT_IN_GROUP.iter().find(|k| keys.contains(k)) {
                let (pos, path) = self.locate_key(&inner_segments, key);
                self.diagnostics
                    .push(doc::in_group_error(self.file, pos, &path, key));
                continue;
            }
            if let Some(step) = self.plain_step(inner, inner_segments, on_failure, Some(index)) {
                self.steps.push(step);
            }
        }
        self.groups.push(Group {
            name: step
                .name
                .unwrap_or_else(|| format!("Parallel group of {count} steps")),
            max_concurrency: parallel.max_concurrency.map_or(count, |m| m.0).max(1),
            on_failure,
            first,
            last: self.steps.len(),
        });
    }

    /// A step of a drill's `cleanup:`, numbered after the runbook's steps.
    fn cleanup_step(&mut self, step: doc::Step, segments: Vec<String>) {
        // The schema refuses these in a clean-up; the reader takes any step.
        let mut keys = actions(&step);
        keys.extend(step.on_failure.map(|_| "on_failure"));
        keys.extend(step.only.as_ref().map(|_| "only"));
        keys.extend(step.needs.as_ref().map(|_| "needs"));
        if let Some(key) = doc::NOT_IN_CLEANUP.iter().find(|k| keys.contains(k)) {
            let (pos, path) = self.locate_key(&segments, key);
            self.diagnostics
                .push(doc::in_cleanup_error(self.file, pos, &path, key));
            return;
        }
        if let Some(step) = self.plain_step(step, segments, OnFailure::Continue, None) {
            self.cleanup.push(step);
        }
    }

    /// A step with one action (not a group).
    fn plain_step(
        &mut self,
        mut step: doc::Step,
        segments: Vec<String>,
        on_failure: OnFailure,
        group: Option<usize>,
    ) -> Option<Step> {
        let present = actions(&step);
        if present.len() != 1 {
            let message = match present.len() {
                0 => doc::no_action_message(),
                _ => doc::two_actions_message(&present),
            };
            self.error(&segments, message);
            return None;
        }
        let only = self.scope(&step, &segments, present[0]);
        let http_check = match step.http_check.take() {
            Some(check) => Some(self.http_check(*check, &segments)?),
            None => None,
        };
        let d = &self.defaults;
        let call = |plan_id: doc::PlanId,
                    timeout: Duration,
                    retries: Option<doc::Retries>,
                    retry_delay: Option<doc::PositiveDuration>| PlanCall {
            plan_id: plan_id.0,
            timeout,
            retries: retries.or(d.retries).map_or(DEFAULT_RETRIES, |r| r.0),
            retry_delay: duration(retry_delay.or(d.retry_delay), DEFAULT_RETRY_DELAY),
        };
        let timeout = |t: Option<doc::PositiveDuration>| duration(t.or(d.timeout), DEFAULT_TIMEOUT);
        let flag = |f: Option<doc::Flag>, default_flag: Option<doc::Flag>, builtin: bool| {
            f.or(default_flag).map_or(builtin, |f| f.0)
        };
        let action = if let Some(check) = http_check {
            Action::HttpCheck(check)
        } else if let Some(check) = step.tcp_check {
            Action::TcpCheck(TcpCheck {
                host: check.host,
                port: check.port.0,
                timeout: check.timeout.map_or(DEFAULT_CHECK_TIMEOUT, |t| t.0),
                interval: duration(check.interval, DEFAULT_CHECK_INTERVAL),
                connect_timeout: duration(check.connect_timeout, DEFAULT_CONNECT_TIMEOUT),
            })
        } else if let Some(command) = step.command {
            let line = match (command.run, command.shell) {
                (Some(argv), None) => CommandLine::Program(argv.into_iter().map(|a| a.0).collect()),
                (None, Some(script)) => CommandLine::Shell(script),
                _ => {
                    self.error(&segments, doc::run_or_shell_message());
                    return None;
                }
            };
            Action::Command(Command {
                line,
                env: command.env.map(|e| e.0).unwrap_or_default(),
                cwd: command.cwd.map(std::path::PathBuf::from),
                timeout: duration(command.timeout, DEFAULT_COMMAND_TIMEOUT),
                expect_exit: command.expect_exit.map_or(0, |e| e.0),
                idempotent: command.idempotent.is_some_and(|f| f.0),
            })
        } else if let Some(f) = step.failover {
            let call = call(f.plan_id, timeout(f.timeout), f.retries, f.retry_delay);
            Action::Failover(Failover {
                plan_id: call.plan_id,
                restore_point: f
                    .restore_point
                    .or(d.restore_point)
                    .unwrap_or(RestorePoint::Latest),
                execute_chained_plans: flag(
                    f.execute_chained_plans,
                    d.execute_chained_plans,
                    false,
                ),
                protect_storage_volumes: flag(
                    f.protect_storage_volumes,
                    d.protect_storage_volumes,
                    false,
                ),
                wait_for_completion: flag(f.wait_for_completion, d.wait_for_completion, true),
                timeout: call.timeout,
                retries: call.retries,
                retry_delay: call.retry_delay,
                objectives: Objectives {
                    rto: f.rto.or(d.rto).map(|d| d.0),
                    rpo: f.rpo.or(d.rpo).map(|d| d.0),
                    until: RecoveryUntil::FailedOver,
                },
                // The step's `on_halt` replaces the default's as a whole.
                on_halt: f.on_halt.or(d.on_halt).map(|h| OnHalt {
                    option: h.option,
                    times: h.times.map_or(1, |t| t.0),
                }),
            })
        } else if let Some(wait) = step.wait {
            Action::Wait(wait.0)
        } else if let Some(u) = step.undo_failover {
            Action::UndoFailover(call(
                u.plan_id,
                timeout(u.timeout),
                u.retries,
                u.retry_delay,
            ))
        } else if let Some(r) = step.readiness_check {
            Action::ReadinessCheck(ReadinessCheck {
                call: call(r.plan_id, timeout(r.timeout), r.retries, r.retry_delay),
                generate_report: r.generate_report.is_some_and(|f| f.0),
            })
        } else if let Some(e) = step.expect_state {
            // An expectation is checked once unless it says how long to wait: the runbook's
            // `defaults.timeout` is for failovers, not for assertions.
            let wait = e.timeout.map_or(Duration::ZERO, |t| t.0);
            Action::ExpectState(ExpectState {
                call: call(e.plan_id, wait, e.retries, e.retry_delay),
                states: e.state.into_vec(),
            })
        } else {
            let pause = step.pause?;
            Action::Pause(Pause {
                message: pause.message,
            })
        };
        let number = self.steps.len() + self.cleanup.len() + 1;
        let needs: Option<Vec<String>> =
            step.needs.map(|n| n.0.into_iter().map(|id| id.0).collect());
        if let Some(ids) = &needs {
            self.needs.push((number, ids.clone()));
        }
        Some(Step {
            number,
            id: step.id.map(|id| id.0),
            needs: needs.map(|_| Vec::new()),
            expected_duration: step.expected_duration.map(|d| d.0),
            name: step.name.unwrap_or_else(|| default_step_name(&action)),
            pos: self.pos(&segments),
            segments,
            group,
            action,
            on_failure,
            only,
        })
    }

    /// Resolves every `needs` to step numbers: each id must name one step, and that step
    /// must come earlier (outside the step's own parallel group), so it has run before.
    /// Needs that point only backwards cannot form a cycle; a forward one that would is
    /// named as the cycle it makes.
    fn resolve_needs(&mut self) {
        let mut by_id: std::collections::HashMap<String, usize> = Default::default();
        let all: Vec<&Step> = self.steps.iter().chain(&self.cleanup).collect();
        let mut diagnostics = Vec::new();
        for step in &all {
            let Some(id) = &step.id else { continue };
            if let Some(&first) = by_id.get(id) {
                let at = step.field(&["id"]);
                let (_, pos, path) = schema::locate(self.root, &at);
                let first_line = all[first - 1].pos.line;
                diagnostics.push(
                    Diagnostic::new(
                        self.file,
                        pos,
                        path,
                        format!("id `{id}` is already the id of step {first} (line {first_line})"),
                    )
                    .with_hint("step ids are unique in the runbook: rename one of them"),
                );
            } else {
                by_id.insert(id.clone(), step.number);
            }
        }
        let written: std::collections::HashMap<usize, &Vec<String>> =
            self.needs.iter().map(|(n, ids)| (*n, ids)).collect();
        let mut resolved: Vec<(usize, Vec<usize>)> = Vec::new();
        for (number, ids) in &self.needs {
            let step = all[number - 1];
            let mut numbers = Vec::new();
            for (j, id) in ids.iter().enumerate() {
                let at = step.field(&["needs", &j.to_string()]);
                let (_, pos, path) = schema::locate(self.root, &at);
                let problem =
                    |message: String| Diagnostic::new(self.file, pos, path.clone(), message);
                let Some(&needed) = by_id.get(id) else {
                    let known = by_id.keys().map(String::as_str);
                    let mut d = problem(format!("no step has the id `{id}`"));
                    if let Some(close) = super::text::did_you_mean(id, known) {
                        d = d.with_hint(format!("did you mean `{close}`?"));
                    }
                    diagnostics.push(d);
                    continue;
                };
                let other = all[needed - 1];
                if needed == *number {
                    diagnostics.push(
                        problem(format!(
                            "step {number} needs itself: a step cannot wait for its own end"
                        ))
                        .with_hint("remove its own id from its `needs`"),
                    );
                } else if step.group.is_some() && other.group == step.group {
                    diagnostics.push(problem(format!(
                        "`{id}` is step {needed} of the same parallel group: the group's steps run at the same time, so one cannot wait for another"
                    )).with_hint("move the needed step before the group, or this step after it"));
                } else if needed > *number {
                    let mut message = format!(
                        "`{id}` is step {needed}, which comes after step {number}: steps run in file order, so it cannot have run before"
                    );
                    if let Some(chain) = cycle(&written, &all, needed, *number) {
                        message.push_str(&format!("; and it would close a cycle: {chain}"));
                    }
                    diagnostics
                        .push(problem(message).with_hint("move the needed step before this one"));
                } else {
                    numbers.push(needed);
                }
            }
            resolved.push((*number, numbers));
        }
        for (number, numbers) in resolved {
            if let Some(step) = self.steps.get_mut(number - 1) {
                step.needs = Some(numbers);
            }
        }
        self.diagnostics.extend(diagnostics);
    }

    /// The step's `only:`, which scopes the steps around the plans.
    fn scope(&mut self, step: &doc::Step, segments: &[String], action: &str) -> Scope {
        let Some(only) = &step.only else {
            return Scope::default();
        };
        if !doc::AROUND_PLANS.contains(&action) {
            let mut at = segments.to_vec();
            at.push("only".to_owned());
            self.error(
                &at,
                format!(
                    "`only` scopes http_check, tcp_check and command steps, not a `{action}` step"
                ),
            );
        }
        Scope {
            run: only.0.contains(&doc::Purpose::Run),
            drill: only.0.contains(&doc::Purpose::Drill),
        }
    }

    /// An `http_check`, its regular expression compiled and its headers checked.
    fn http_check(&mut self, check: doc::HttpCheck, segments: &[String]) -> Option<HttpCheck> {
        let field = |key: &str| {
            let mut at = segments.to_vec();
            at.extend(["http_check".to_owned(), key.to_owned()]);
            at
        };
        let expect_body = match check.expect_body.as_deref().map(BodyMatch::parse) {
            None => None,
            Some(Ok(body)) => Some(body),
            Some(Err(error)) => {
                let why = error.to_string();
                let why = why.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
                let why = why.trim().trim_start_matches("error: ");
                self.error(
                    &field("expect_body"),
                    format!("`/…/` is a regular expression, and this one does not compile: {why}"),
                );
                return None;
            }
        };
        let headers = check.headers.map(|h| h.0).unwrap_or_default();
        for (name, value) in &headers {
            if reqwest::header::HeaderValue::from_str(value).is_err() {
                let mut at = field("headers");
                at.push(name.clone());
                // The value may be a secret: it is not quoted.
                self.error(
                    &at,
                    format!("the value of header `{name}` cannot be sent: it holds a line break or another control character"),
                );
                return None;
            }
        }
        let timeout = check.timeout.map_or(DEFAULT_CHECK_TIMEOUT, |t| t.0);
        Some(HttpCheck {
            url: check.url.0,
            method: match check.method {
                Some(doc::HttpMethod::Head) => "HEAD",
                _ => "GET",
            },
            expect_status: check.expect_status.map_or_else(|| vec![200], |s| s.0),
            expect_body,
            timeout,
            interval: duration(check.interval, DEFAULT_CHECK_INTERVAL),
            request_timeout: duration(check.request_timeout, DEFAULT_CHECK_REQUEST_TIMEOUT),
            insecure: check.insecure.is_some_and(|f| f.0),
            ca_cert: check.ca_cert.map(std::path::PathBuf::from),
            headers,
        })
    }
}

/// The chain `a → b → a` when step `from`, through the `needs` as written, reaches `to`,
/// which needs `from`: the cycle a forward `needs` of `to` would close.
fn cycle(
    written: &std::collections::HashMap<usize, &Vec<String>>,
    all: &[&Step],
    from: usize,
    to: usize,
) -> Option<String> {
    let number_of = |id: &str| {
        all.iter()
            .find(|s| s.id.as_deref() == Some(id))
            .map(|s| s.number)
    };
    // Depth-first from `from` along its needs, remembering how each step was reached.
    let mut reached: std::collections::HashMap<usize, usize> = Default::default();
    let mut stack = vec![from];
    while let Some(at) = stack.pop() {
        if at == to {
            let mut chain = vec![to];
            let mut step = to;
            while step != from {
                step = reached[&step];
                chain.push(step);
            }
            chain.reverse();
            chain.insert(0, to);
            let names: Vec<String> = chain.iter().map(|n| all[n - 1].label()).collect();
            return Some(names.join(" → "));
        }
        for id in written.get(&at).into_iter().flat_map(|ids| ids.iter()) {
            if let Some(next) = number_of(id)
                && next != at
                && !reached.contains_key(&next)
                && next != from
            {
                reached.insert(next, at);
                stack.push(next);
            }
        }
    }
    None
}

/// The actions a step has (one, when the schema accepted it).
fn actions(step: &doc::Step) -> Vec<&'static str> {
    let present = [
        step.failover.is_some(),
        step.wait.is_some(),
        step.undo_failover.is_some(),
        step.readiness_check.is_some(),
        step.expect_state.is_some(),
        step.pause.is_some(),
        step.parallel.is_some(),
        step.http_check.is_some(),
        step.tcp_check.is_some(),
        step.command.is_some(),
    ];
    doc::ACTIONS
        .iter()
        .zip(present)
        .filter_map(|(action, present)| present.then_some(*action))
        .collect()
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
        Action::HttpCheck(c) => format!("Check {} {}", c.method, c.url),
        Action::TcpCheck(c) => format!("Check that {}:{} accepts connections", c.host, c.port),
        Action::Command(c) => format!("Run {}", c.line),
    }
}
