//! What people see: progress on stderr during a run, and the dry-run listing on stdout.

use crate::exec::{Decision, DrillPhase, Event, GuardVerdict, Listener, RunResult, StepResult};
use crate::runbook::values::format_duration;
use crate::secret::Redactor;
use crate::vao::client;
use anstyle::{AnsiColor, Style};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// `-q`: only errors, failed steps and the final summary are printed.
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// What a progress line says about the run, which decides its colour and whether `-q`
/// keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    /// What happened on the way: left out by `-q`.
    Info,
    /// A step that succeeded: left out by `-q`.
    Good,
    /// A warning on the way: left out by `-q`.
    Warn,
    /// A failure, or a line that asks the operator for something: always printed.
    Bad,
    /// The run's final verdict: always printed, green or red.
    Verdict { good: bool },
}

impl Tone {
    fn style(self) -> Style {
        let color = match self {
            Tone::Info => return Style::new(),
            Tone::Good | Tone::Verdict { good: true } => AnsiColor::Green,
            Tone::Warn => AnsiColor::Yellow,
            Tone::Bad | Tone::Verdict { good: false } => AnsiColor::Red,
        };
        let style = Style::new().fg_color(Some(color.into()));
        if matches!(self, Tone::Verdict { .. }) {
            style.bold()
        } else {
            style
        }
    }

    fn kept_when_quiet(self) -> bool {
        matches!(self, Tone::Bad | Tone::Verdict { .. })
    }
}

/// Replaces control characters (terminal escape sequences in a runbook's names or source
/// lines) before they reach a terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Writes one line, made printable; errors are ignored on purpose (see `say!`).
pub fn write_line(stream: &mut dyn Write, text: &str) {
    let _ = writeln!(stream, "{}", printable(text));
}

fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// The most of a command's output line that progress shows.
const MAX_SHOWN_CHARS: usize = 500;

/// Human progress, one line per thing that happened, on stderr.
pub struct Progress {
    total: usize,
    started: Option<chrono::DateTime<chrono::Utc>>,
    /// Steps under way (several in a parallel group): when each started, its last state.
    running: std::collections::BTreeMap<usize, (chrono::DateTime<chrono::Utc>, Option<String>)>,
    /// Steps have run at the same time since `running` was last empty.
    concurrent: bool,
    redactor: Redactor,
    succeeded: usize,
    failed: usize,
    skipped: usize,
    /// In a drill's clean-up phase.
    cleanup: bool,
    /// Clean-up undos that succeeded (not counted with the runbook's steps).
    cleaned: usize,
    /// A pre-flight (`drbook check`): steps would run, or not.
    checked: bool,
    /// Steps that failed in this process: a retry or skip the operator decides takes the
    /// failure back out of the count.
    failed_steps: std::collections::BTreeSet<usize>,
    /// The step whose question is on the screen (its failure, or a pause): while it is
    /// asked, what other steps do is held back, so that nothing is printed into the
    /// question, and shown once it is answered.
    asking: Option<usize>,
    held: Vec<Event>,
    /// Plans by the names VAO gave them in this run's reads, for the steps that come later.
    plan_names: std::collections::HashMap<uuid::Uuid, String>,
    /// The plan each step that has started acts on.
    step_plans: std::collections::HashMap<usize, uuid::Uuid>,
    /// stderr takes no styling (not a terminal, `--color never`, NO_COLOR): lines go to it
    /// as they are, without anstream looking at the stream and stripping every line again.
    plain: bool,
}

impl Progress {
    pub fn new(redactor: Redactor) -> Progress {
        Progress {
            total: 0,
            started: None,
            running: Default::default(),
            concurrent: false,
            redactor,
            succeeded: 0,
            failed: 0,
            skipped: 0,
            cleanup: false,
            cleaned: 0,
            checked: false,
            failed_steps: Default::default(),
            asking: None,
            held: Vec::new(),
            plan_names: Default::default(),
            step_plans: Default::default(),
            plain: anstream::AutoStream::choice(&std::io::stderr()) == anstream::ColorChoice::Never,
        }
    }

    fn say(&self, line: &str) {
        self.say_as(Tone::Info, line);
    }

    /// A line in its tone: coloured where colour is on (`--color`, NO_COLOR; anstream
    /// strips the styling otherwise), left out under `-q` unless it matters there.
    fn say_as(&self, tone: Tone, line: &str) {
        if quiet() && !tone.kept_when_quiet() {
            return;
        }
        // The whole line in one write.
        let mut text = printable(&self.redactor.redact(line));
        if !self.plain {
            let style = tone.style();
            text = format!("{style}{text}{style:#}");
        }
        text.push('\n');
        if self.plain {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        } else {
            let _ = anstream::stderr().lock().write_all(text.as_bytes());
        }
    }

    /// A line about one step, indented under it; while steps of a parallel group run at
    /// the same time, each line names its step.
    fn detail(&mut self, step: usize, text: &str) {
        self.detail_as(step, Tone::Info, text);
    }

    fn detail_as(&mut self, step: usize, tone: Tone, text: &str) {
        // Named from the moment two steps run at once until none runs.
        self.concurrent = (self.concurrent && !self.running.is_empty()) || self.running.len() > 1;
        if self.concurrent {
            self.say_as(tone, &format!("  [{step}] {text}"));
        } else if quiet() {
            // Without the step's header line, the step is named.
            self.say_as(tone, &format!("[{step}] {text}"));
        } else {
            self.say_as(tone, &format!("      {text}"));
        }
    }
}

fn since(from: Option<chrono::DateTime<chrono::Utc>>, to: chrono::DateTime<chrono::Utc>) -> String {
    from.and_then(|f| (to - f).to_std().ok())
        .map(seconds)
        .unwrap_or_default()
}

impl Listener for Progress {
    fn on_event(&mut self, event: &Event) {
        let ends_run = matches!(event, Event::RunFinished { .. });
        match self.asking {
            Some(asked) if event.step() != Some(asked) && !ends_run => {
                self.held.push(event.clone());
                return;
            }
            Some(_) if ends_run => self.release(),
            _ => {}
        }
        self.show(event);
        let asked = match event {
            Event::Asking { .. } | Event::Paused { asking: true, .. } => event.step(),
            Event::Decided { .. } | Event::Approved { .. } | Event::StepFinished { .. } => None,
            _ => self.asking,
        };
        let before = std::mem::replace(&mut self.asking, asked);
        if before.is_some() && asked.is_none() {
            self.release();
        }
    }
}

impl Progress {
    /// Shows what was held back while a question was on the screen.
    fn release(&mut self) {
        self.asking = None;
        for event in std::mem::take(&mut self.held) {
            self.on_event(&event);
        }
    }

    fn show(&mut self, event: &Event) {
        let step = event.step().unwrap_or_default();
        match event {
            Event::RunStarted { at, steps } => {
                self.total = *steps;
                self.started = Some(*at);
            }
            Event::Authenticated { how, .. } => self.say(how),
            Event::StepStarted {
                name, at, plan_id, ..
            } => {
                self.running.insert(step, (*at, None));
                if let Some(id) = plan_id {
                    self.step_plans.insert(step, *id);
                }
                // A plan read earlier in the run (a rollback's or clean-up's undo, a later
                // step on it) is named as VAO named it.
                let name = match plan_id.and_then(|id| Some((id, self.plan_names.get(&id)?))) {
                    Some((id, known)) => crate::exec::event::with_plan_name(name, id, known),
                    None => name.clone(),
                };
                if self.cleanup {
                    self.say(&format!("[clean-up] {name}"));
                } else if step > self.total {
                    self.say(&format!("[rollback] {name}"));
                } else {
                    self.say(&format!("[{step}/{}] {name}", self.total));
                }
            }
            Event::Request {
                method, path, body, ..
            } => {
                let body = body.as_ref().map(|b| format!(" {b}")).unwrap_or_default();
                self.detail(step, &format!("{method} {path}{body}"));
            }
            Event::Answer {
                status,
                elapsed,
                attempts,
                ..
            } => {
                let again = if *attempts > 1 {
                    " (sent twice: the first try was refused with 401 before VAO acted; the token was renewed)"
                } else {
                    ""
                };
                self.detail(step, &format!("→ {status} in {}{again}", seconds(*elapsed)));
            }
            Event::Polled { status, .. } => {
                let summary = status.summary();
                let last = self.running.get(&step).and_then(|(_, last)| last.as_ref());
                if last != Some(&summary) {
                    self.detail(step, &format!("plan: {summary}"));
                    if let Some((_, last)) = self.running.get_mut(&step) {
                        *last = Some(summary);
                    }
                }
            }
            Event::Guard { verdict, plan, .. } => {
                let named = plan.as_ref().and_then(|p| p.name.clone());
                if let (Some(&id), Some(name)) = (self.step_plans.get(&step), named) {
                    self.plan_names.insert(id, name);
                }
                match verdict {
                    GuardVerdict::Passed => self.detail(
                        step,
                        &format!(
                            "guard: plan {}{}",
                            plan.as_ref()
                                .and_then(|p| p.name.as_deref())
                                .map(|name| format!("\"{name}\" "))
                                .unwrap_or_default(),
                            plan.as_ref().map_or_else(
                                || "is ready".to_owned(),
                                |p| if p.status.source == "predicted" {
                                    format!("will be {} (after the steps before)", p.status.state)
                                } else {
                                    format!("is {}", p.status.summary())
                                }
                            )
                        ),
                    ),
                    GuardVerdict::Skipped => self.detail(step, "guard: skipped (--force)"),
                    GuardVerdict::Refused(_) => {}
                }
            }
            Event::AttemptFailed { attempt, error, .. } => {
                self.detail(step, &format!("try {attempt} failed: {error}"))
            }
            Event::Reconciled {
                status,
                accepted,
                of_continue,
                ..
            } => {
                let verdict = match (*of_continue, *accepted) {
                    (false, true) => {
                        "the failover was accepted; waiting for it (not sending it again)"
                    }
                    (false, false) => "not accepted; it may be sent again",
                    (true, true) => {
                        "no longer halted: the Continue was accepted; waiting for the plan (not sending it again)"
                    }
                    (true, false) => "still halted: whether the Continue was accepted is unknown",
                };
                self.detail(
                    step,
                    &format!("read the plan: {} → {verdict}", status.summary()),
                )
            }
            Event::Continuing {
                option,
                try_number,
                times,
                halted,
                ..
            } => {
                let of = match times {
                    Some(times) => format!("on_halt, {try_number} of {times}"),
                    None => "asked by the operator".to_owned(),
                };
                self.detail(
                    step,
                    &format!(
                        "plan halted: {} → continuing it with {option} ({of})",
                        halted.summary()
                    ),
                )
            }
            Event::ReadsRetried { errors, .. } => self.detail(
                step,
                &format!(
                    "({} read(s) failed and were tried again: {})",
                    errors.len(),
                    errors.last().map(String::as_str).unwrap_or_default()
                ),
            ),
            Event::Note { text, .. } => self.detail(step, &format!("note: {text}")),
            Event::Paused {
                message, asking, ..
            } => {
                let tone = if *asking { Tone::Bad } else { Tone::Warn };
                self.detail_as(step, tone, &format!("⏸ {message}"));
                if *asking {
                    // A question is never left out: the run waits for its answer.
                    self.say_as(
                        Tone::Bad,
                        "type `approve` and Enter to go on; anything else stops the run:",
                    );
                }
            }
            Event::Approved { by, how, .. } => {
                self.detail(step, &format!("approved by {by} ({how})"))
            }
            Event::Decided {
                decision,
                option,
                by,
                how,
                reason,
                ..
            } => {
                if *decision != Decision::Abort
                    && *decision != Decision::Rollback
                    && self.failed_steps.remove(&step)
                {
                    self.failed = self.failed.saturating_sub(1);
                }
                let what = match option {
                    Some(option) => format!("{} {option}", decision.as_str()),
                    None => decision.as_str().to_owned(),
                };
                let why = reason
                    .as_deref()
                    .map_or_else(String::new, |r| format!(": {r}"));
                self.say(&format!(
                    "operator decision: step {step}: {what} (by {by}, {how}){why}"
                ));
            }
            Event::Asking {
                halted,
                default,
                problem,
                ..
            } => {
                if let Some(problem) = problem {
                    self.say(&format!("      {problem}"));
                }
                let continue_ = if *halted {
                    format!(
                        ", `continue OPTION` (the plan is halted; VAO's options: {})",
                        crate::vao::ContinueOption::listed()
                    )
                } else {
                    String::new()
                };
                self.say(&format!(
                    "step {step} failed: what now? Type `retry`{continue_}, `skip REASON`, `abort` or `rollback`, then Enter (Enter alone: {}, the step's on_failure):",
                    default.as_str()
                ));
            }
            Event::PhaseStarted { phase, .. } => {
                self.cleanup = *phase == DrillPhase::Cleanup;
                if self.cleanup {
                    self.say(
                        "drill clean-up: undoing every failover this drill made, newest first, then the runbook's clean-up steps",
                    );
                }
            }
            Event::CleanupFinished {
                undone,
                left_failed_over,
                interrupted,
                ..
            } => {
                if *interrupted && !left_failed_over.is_empty() {
                    self.say_as(Tone::Bad, &format!(
                        "drill clean-up INTERRUPTED: plan(s) {} may still be failed over; `drbook resume` finishes the clean-up",
                        crate::exec::ledger::list(left_failed_over)
                    ));
                } else if left_failed_over.is_empty() {
                    self.say_as(
                        Tone::Good,
                        &format!(
                            "drill clean-up: clean ({} plan(s) undone and ready again)",
                            undone.len()
                        ),
                    );
                } else {
                    self.say_as(Tone::Bad, &format!(
                        "DRILL CLEAN-UP FAILED: plan(s) {} are STILL FAILED OVER; undo them in VAO",
                        crate::exec::ledger::list(left_failed_over)
                    ));
                }
            }
            Event::Resumed { at, steps } => {
                self.total = *steps;
                self.started = Some(*at);
                self.say("resuming the run: finished steps are kept, the step in flight is checked with VAO");
            }
            Event::Probed {
                attempt,
                healthy,
                answer,
                ..
            } => {
                let last = self.running.get(&step).and_then(|(_, last)| last.as_ref());
                if *healthy || last != Some(answer) {
                    let mark = if *healthy { "healthy" } else { "not yet" };
                    self.detail(step, &format!("check: {answer} (try {attempt}, {mark})"));
                    if let Some((_, last)) = self.running.get_mut(&step) {
                        *last = Some(answer.clone());
                    }
                }
            }
            Event::Spawning { command, cwd, .. } => {
                let cwd = cwd
                    .as_ref()
                    .map(|c| format!(" (in {c})"))
                    .unwrap_or_default();
                self.detail(step, &format!("run: {command}{cwd}"));
            }
            Event::Output { stream, line, .. } => {
                let from = match stream {
                    crate::exec::event::Stream::Stdout => "│",
                    crate::exec::event::Stream::Stderr => "┃",
                };
                // Masked whole, then shortened for the terminal.
                let line = self.redactor.redact(line);
                let shown: String = line.chars().take(MAX_SHOWN_CHARS).collect();
                let more = if shown.len() < line.len() { "…" } else { "" };
                self.detail(step, &format!("{from} {shown}{more}"));
            }
            Event::Exited {
                code,
                signal,
                timed_out,
                elapsed,
                ..
            } => {
                let how = match (timed_out, code, signal) {
                    (true, _, _) => "killed at its timeout (with its process group)".to_owned(),
                    (_, Some(code), _) => format!("exited with status {code}"),
                    (_, None, Some(signal)) => format!("killed by signal {signal}"),
                    _ => "ended".to_owned(),
                };
                self.detail(step, &format!("{how} after {}", seconds(*elapsed)));
            }
            Event::PollFailed { error, .. } => self.detail(
                step,
                &format!("(reading the plan failed, retrying: {error})"),
            ),
            Event::Waiting { duration, note, .. } => match note {
                Some(note) => self.detail(step, note),
                None => self.detail(step, &format!("waiting {}", format_duration(*duration))),
            },
            Event::StepFinished {
                result, error, at, ..
            } => {
                let took = since(self.running.get(&step).map(|(at, _)| *at), *at);
                let tone = match result {
                    StepResult::Succeeded | StepResult::CheckPassed => Tone::Good,
                    StepResult::SucceededWithWarnings | StepResult::Interrupted => Tone::Warn,
                    StepResult::Failed | StepResult::CheckFailed => Tone::Bad,
                    StepResult::Skipped | StepResult::Planned => Tone::Info,
                };
                let line = match result {
                    StepResult::Succeeded if self.cleanup => {
                        self.cleaned += 1;
                        format!("✓ succeeded in {took}")
                    }
                    StepResult::Succeeded => {
                        self.succeeded += 1;
                        format!("✓ succeeded in {took}")
                    }
                    StepResult::SucceededWithWarnings => {
                        self.succeeded += 1;
                        format!(
                            "✓ succeeded with warnings in {took}: {}",
                            error.as_deref().unwrap_or("")
                        )
                    }
                    StepResult::Failed => {
                        self.failed += 1;
                        self.failed_steps.insert(step);
                        format!("✗ failed after {took}: {}", error.as_deref().unwrap_or(""))
                    }
                    StepResult::Interrupted => {
                        format!("⚠ interrupted: {}", error.as_deref().unwrap_or(""))
                    }
                    StepResult::Skipped => {
                        self.skipped += 1;
                        // A step that started and was left out (by its scope) says why.
                        if self.running.contains_key(&step) {
                            self.detail(
                                step,
                                &format!("– {}", error.as_deref().unwrap_or("skipped")),
                            );
                        }
                        self.running.remove(&step);
                        self.concurrent &= !self.running.is_empty();
                        return;
                    }
                    StepResult::Planned => return,
                    StepResult::CheckPassed => {
                        self.succeeded += 1;
                        self.checked = true;
                        "✓ would run".to_owned()
                    }
                    StepResult::CheckFailed => {
                        self.failed += 1;
                        self.checked = true;
                        format!("✗ would fail: {}", error.as_deref().unwrap_or(""))
                    }
                };
                self.detail_as(step, tone, &line);
                self.running.remove(&step);
                self.concurrent &= !self.running.is_empty();
            }
            Event::RunFinished { result, at, error } => {
                let took = since(self.started, *at);
                let (ok, failed, skipped) = (self.succeeded, self.failed, self.skipped);
                let line = match result {
                    RunResult::Succeeded if self.checked && skipped == 0 => format!(
                        "check passed: all {} steps would run now ({took}; nothing was changed)",
                        self.total
                    ),
                    RunResult::Succeeded if self.checked => format!(
                        "check passed: {ok} of {} steps would run now, {skipped} not checked ({took}; nothing was changed)",
                        self.total
                    ),
                    RunResult::Failed if self.checked => format!(
                        "check FAILED: {failed} of {} steps would fail now, {ok} would run{} (nothing was changed){}",
                        self.total,
                        if skipped == 0 {
                            String::new()
                        } else {
                            format!(", {skipped} not checked")
                        },
                        error
                            .as_deref()
                            .map(|e| format!("\n  {e}"))
                            .unwrap_or_default()
                    ),
                    RunResult::Succeeded if self.cleanup => format!(
                        "drill succeeded: {ok} of {} steps, then {} clean-up step(s), in {took}",
                        self.total, self.cleaned
                    ),
                    RunResult::Succeeded => {
                        format!("run succeeded: {ok} of {} steps in {took}", self.total)
                    }
                    RunResult::Failed => format!(
                        "run FAILED after {took}: {ok} succeeded, {failed} failed, {skipped} not run{}",
                        error
                            .as_deref()
                            .map(|e| format!("\n  {e}"))
                            .unwrap_or_default()
                    ),
                    RunResult::Interrupted => format!(
                        "run INTERRUPTED after {took}: {ok} succeeded, {skipped} not run; plans already started keep running in VAO"
                    ),
                    RunResult::DryRun => {
                        format!("dry run: {} steps planned, nothing sent", self.total)
                    }
                };
                let good = matches!(result, RunResult::Succeeded | RunResult::DryRun);
                self.say_as(Tone::Verdict { good }, &line);
            }
        }
    }
}

/// The dry-run listing: the exact requests, in order, on stdout.
pub struct DryRunListing {
    server: String,
    lines: Vec<String>,
}

impl DryRunListing {
    pub fn new(runbook: &str, server: &str) -> DryRunListing {
        DryRunListing {
            server: server.to_owned(),
            lines: vec![format!(
                "# dry run of \"{runbook}\": nothing is sent\n# (nothing is read either: plans are shown by id; a real run names them as VAO does)"
            )],
        }
    }

    /// The token request a real run starts with.
    pub fn login(&mut self, token_path: &str, credentials: &crate::vao::Credentials) {
        let hidden = match credentials {
            crate::vao::Credentials::Client { .. } => "client secret not shown",
            _ => "password not shown",
        };
        self.lines.push(format!(
            "\n0. Log in\n   POST {}{token_path} (application/x-www-form-urlencoded, {}; {hidden})",
            self.server,
            credentials.describe()
        ));
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

impl Listener for DryRunListing {
    fn on_event(&mut self, event: &Event) {
        match event {
            Event::StepStarted { step, name, .. } => {
                self.lines.push(format!("\n{step}. {name}"));
            }
            Event::Note { text, .. } => self.lines.push(format!("   {text}")),
            Event::Request {
                method, path, body, ..
            } => {
                self.lines
                    .push(format!("   {method} {}{path}", self.server));
                self.lines.push("   Authorization: Bearer ***".to_owned());
                if body.is_some() {
                    self.lines
                        .push(format!("   Content-Type: {}", client::CONTENT_TYPE));
                }
                self.lines.push(format!("   Accept: {}", client::ACCEPT));
                if let Some(body) = body {
                    self.lines.push(format!("   {body}"));
                }
            }
            Event::Waiting { duration, note, .. } => match note {
                Some(note) => self.lines.push(format!("   {note}")),
                None => self
                    .lines
                    .push(format!("   wait {}", format_duration(*duration))),
            },
            _ => {}
        }
    }
}
