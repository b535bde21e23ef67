//! The runbook format, written once: serde types for the document as the user writes it.
//!
//! These types are the single source of the format. `schemars` derives the JSON Schema from
//! them ([`json_schema()`], committed as `schemas/runbook.schema.json`, which editors use and
//! `schema::check` validates against), and serde reads a checked,
//! rendered tree into them ([`from_node`]). Rules live on the types: unknown keys are refused
//! (`deny_unknown_fields`), lengths and ranges are `schemars` attributes or constants, and each
//! scalar type parses with the function in [`values`] that its schema names as a `format`, so
//! the schema and the reader cannot disagree on what a valid value is.
//!
//! After changing a type here, regenerate the committed schema (a test fails until then):
//! `DRBOOK_UPDATE_SCHEMAS=1 cargo test --lib committed_schema_is_generated`.
//!
//! Every value that may be templated accepts "a typed value or a template string" in the
//! schema (`anyOf` with the `template` definition): before rendering, the schema check takes
//! `{{…}}`; after rendering, the reader takes only the typed value.
//!
//! What the schema cannot say well (a restore point with an offset needs
//! `server_time_zone`, a plan failed over twice) is checked on the typed runbook, in
//! `build::check_semantics`.

use super::de::{self, NodeDeserializer};
use super::diagnostic::Diagnostic;
use super::model::{Api, OnFailure};
use super::node::{Node, Pos};
use super::values::{self, RestorePoint, ServerTimeZone};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{Deserialize, Deserializer, Error as _, Unexpected};
use std::borrow::Cow;
use std::time::Duration;

/// The whole document.
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "drbook runbook, version 1",
    description = "A disaster-recovery runbook: ordered failover, undo, readiness-check, state-check, pause and wait steps against the Veeam Availability Orchestrator v3 REST API. Wherever a value may be templated, a string holding a handlebars template ({{name}}) is accepted too.",
    extend("$id" = "urn:drbook:schema:runbook:1")
)]
pub struct Document {
    pub version: Version,
    /// a non-empty runbook name
    #[schemars(length(min = 1))]
    #[serde(deserialize_with = "non_empty")]
    pub name: String,
    /// free text describing the runbook
    pub description: Option<String>,
    pub server: Option<ServerUrl>,
    pub api: Option<Api>,
    pub server_time_zone: Option<TimeZone>,
    pub vars: Option<Vars>,
    pub defaults: Option<Defaults>,
    pub states: Option<States>,
    pub on_failure: Option<OnFailure>,
    pub objectives: Option<Objectives>,
    /// how many plan steps (failover, undo_failover, readiness_check, expect_state) act at once in the whole run, where steps run at the same time (`needs`, parallel groups): 1 to 1000; default: no limit
    pub max_concurrency: Option<RunConcurrency>,
    /// the steps, run in order; at least one
    #[schemars(length(min = 1))]
    #[serde(deserialize_with = "non_empty")]
    pub steps: Vec<Step>,
    /// a drill's own clean-up: commands, checks and waits that `drbook drill` runs after it has undone the failovers, in order, whatever happened; their results are part of the drill's verdict (a real run never runs them)
    #[schemars(length(min = 1))]
    #[serde(default, deserialize_with = "non_empty")]
    pub cleanup: Option<Vec<CleanupStep>>,
}

/// values applied to every step that does not set them (the failover settings to failover steps; timeout and retries to every plan step; rto and rpo to failover steps)
#[derive(Debug, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "defaults")]
pub struct Defaults {
    /// whether VAO also runs the plans chained to a failed-over plan (default false)
    pub execute_chained_plans: Option<Flag>,
    /// whether VAO protects the plan's storage volumes during failover (default false)
    pub protect_storage_volumes: Option<Flag>,
    /// the restore point failover steps use (default latest)
    pub restore_point: Option<RestorePoint>,
    /// whether a failover step waits until the plan is failed over (default true)
    pub wait_for_completion: Option<Flag>,
    /// how long a plan step waits for its plan (default 2h)
    pub timeout: Option<PositiveDuration>,
    /// how often plan states are read while waiting (default 2s)
    pub poll_interval: Option<PositiveDuration>,
    /// read a plan that runs long less often (a twentieth of its running time so far, up to 15s); default false: every poll_interval, so the end of every plan is noticed within one interval
    pub poll_backoff: Option<Flag>,
    /// how many times a failed call may be tried again (default 3)
    pub retries: Option<Retries>,
    /// the first pause before a retry; it doubles each time (default 2s)
    pub retry_delay: Option<PositiveDuration>,
    /// the longest one request to VAO may take (the command line overrides it)
    pub request_timeout: Option<PositiveDuration>,
    /// the longest connecting to VAO may take (the command line overrides it)
    pub connect_timeout: Option<PositiveDuration>,
    /// each failed-over plan's recovery time objective: the most time from the failover request to the plan being failed over
    pub rto: Option<PositiveDuration>,
    /// each failed-over plan's recovery point objective: the oldest restore point acceptable, counted back from the run's start
    pub rpo: Option<PositiveDuration>,
    /// what failover steps do when their plan halts (default: the step fails)
    pub on_halt: Option<OnHalt>,
}

/// what drbook does when a failover's plan is seen stably HALTED: send VAO's Continue (POST /api/v3/Plans/{plan_id}/Continue) with this option, at most `times` times for the step, and wait for the plan again; after that, a halt fails the step
#[derive(Debug, Clone, Copy, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "on_halt")]
pub struct OnHalt {
    /// the executionContinueOptions drbook sends
    #[serde(rename = "continue")]
    pub option: crate::vao::ContinueOption,
    pub times: Option<ContinueTimes>,
}

/// overrides of the plan state names drbook recognises
#[derive(Debug, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "states")]
pub struct States {
    /// the states in which a plan can be failed over
    pub ready: Option<StateList>,
    /// the states of a plan whose failover is still running
    pub in_progress: Option<StateList>,
    /// the states of a plan failed over successfully
    pub succeeded: Option<StateList>,
    /// the states of a plan whose failover failed
    pub failed: Option<StateList>,
}

/// the run's recovery objectives: rto bounds the time from the first failover request to the last plan failed over; rpo bounds the age of every restore point used
#[derive(Debug, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "objectives")]
pub struct Objectives {
    /// the recovery time objective
    pub rto: Option<PositiveDuration>,
    /// the recovery point objective
    pub rpo: Option<PositiveDuration>,
    pub until: Option<RecoveryUntil>,
}

/// A step's actions: exactly one of them per step.
pub const ACTIONS: &[&str] = &[
    "failover",
    "wait",
    "undo_failover",
    "readiness_check",
    "expect_state",
    "pause",
    "parallel",
    "http_check",
    "tcp_check",
    "command",
];

/// The step kinds that `only:` may scope, and that a drill's `cleanup:` may hold (with
/// `wait`): the steps around the plans.
pub const AROUND_PLANS: &[&str] = &["http_check", "tcp_check", "command"];

/// What a step of a drill's `cleanup:` may not have: it runs after the undos, whatever
/// happened, so no plan actions, no policy and no scope of its own.
pub const NOT_IN_CLEANUP: &[&str] = &[
    "failover",
    "undo_failover",
    "readiness_check",
    "expect_state",
    "pause",
    "parallel",
    "on_failure",
    "only",
    "needs",
];

/// What a step inside a parallel group may not have: the group's policy applies, nothing
/// can ask the operator while other steps run, and groups do not nest.
pub const NOT_IN_GROUP: &[&str] = &["on_failure", "pause", "parallel"];

/// a step with exactly one action: failover, wait, undo_failover, readiness_check, expect_state, pause, parallel (a group of steps that run at the same time), http_check, tcp_check or command
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "step", transform = exactly_one_action)]
pub struct Step {
    /// a non-empty step name
    #[schemars(length(min = 1))]
    #[serde(default, deserialize_with = "non_empty")]
    pub name: Option<String>,
    pub failover: Option<Box<Failover>>,
    /// how long to wait before the next step
    pub wait: Option<AnyDuration>,
    pub undo_failover: Option<Box<UndoFailover>>,
    pub readiness_check: Option<Box<ReadinessCheck>>,
    pub expect_state: Option<Box<ExpectState>>,
    pub pause: Option<Box<Pause>>,
    /// what a failed step does to the run (default: the runbook's on_failure)
    pub on_failure: Option<OnFailure>,
    pub parallel: Option<Box<Parallel>>,
    pub http_check: Option<Box<HttpCheck>>,
    pub tcp_check: Option<Box<TcpCheck>>,
    pub command: Option<Box<Command>>,
    pub only: Option<Only>,
    pub id: Option<StepId>,
    pub needs: Option<Needs>,
    /// how long the step is expected to take (only `drbook validate`'s critical path in time reads it)
    pub expected_duration: Option<AnyDuration>,
}

/// `oneOf` the actions, each `required`: a step has exactly one.
fn exactly_one_action(schema: &mut Schema) {
    let actions: Vec<serde_json::Value> = schema
        .get("properties")
        .and_then(|p| p.as_object())
        .map(|p| {
            p.keys()
                .filter(|k| ACTIONS.contains(&k.as_str()))
                .map(|k| serde_json::json!({ "required": [k] }))
                .collect()
        })
        .unwrap_or_default();
    schema.insert("oneOf".into(), actions.into());
}

/// A step of a parallel group: a [`Step`] without what [`NOT_IN_GROUP`] names (the schema
/// refuses those keys there; the reader reads it as a step).
#[derive(Debug)]
pub struct GroupStep(pub Step);

impl<'de> Deserialize<'de> for GroupStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Step::deserialize(d).map(GroupStep)
    }
}

impl JsonSchema for GroupStep {
    fn schema_name() -> Cow<'static, str> {
        "group_step".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = Step::json_schema(generator);
        if let Some(serde_json::Value::Object(properties)) = schema.get_mut("properties") {
            properties.retain(|key, _| !NOT_IN_GROUP.contains(&key.as_str()));
        }
        schema.insert(
            "description".into(),
            "a step of a parallel group: exactly one action of failover, wait, undo_failover, readiness_check, expect_state, http_check, tcp_check or command (no on_failure: the group's applies; no pause; groups do not nest)".into(),
        );
        exactly_one_action(&mut schema);
        schema
    }
}

/// A step of a drill's `cleanup:`: a [`Step`] without what [`NOT_IN_CLEANUP`] names.
#[derive(Debug)]
pub struct CleanupStep(pub Step);

impl<'de> Deserialize<'de> for CleanupStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Step::deserialize(d).map(CleanupStep)
    }
}

impl JsonSchema for CleanupStep {
    fn schema_name() -> Cow<'static, str> {
        "cleanup_step".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = Step::json_schema(generator);
        if let Some(serde_json::Value::Object(properties)) = schema.get_mut("properties") {
            properties.retain(|key, _| !NOT_IN_CLEANUP.contains(&key.as_str()));
        }
        schema.insert(
            "description".into(),
            "a step of a drill's clean-up: exactly one of command, http_check, tcp_check or wait"
                .into(),
        );
        exactly_one_action(&mut schema);
        schema
    }
}

/// an HTTP health check, a read: the URL is requested every interval until an answer matches (status, and body if expect_body is given), or the timeout passes (the step then fails with the last answer seen); redirects are not followed
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "http_check")]
pub struct HttpCheck {
    pub url: CheckUrl,
    pub method: Option<HttpMethod>,
    pub expect_status: Option<ExpectStatus>,
    /// what the answer's body must hold: a text it contains, or /a regular expression/ it matches (default: anything)
    #[schemars(length(min = 1))]
    #[serde(default, deserialize_with = "non_empty")]
    pub expect_body: Option<String>,
    /// how long to keep trying (default 5m; 0: one try)
    pub timeout: Option<AnyDuration>,
    /// the pause between two tries (default 5s)
    pub interval: Option<PositiveDuration>,
    /// the longest one try may take (default 10s, at most the timeout left)
    pub request_timeout: Option<PositiveDuration>,
    /// accept any TLS certificate (default false)
    pub insecure: Option<Flag>,
    /// a PEM CA certificate (bundle) file to trust in addition to the system's
    #[schemars(length(min = 1))]
    #[serde(default, deserialize_with = "non_empty")]
    pub ca_cert: Option<String>,
    pub headers: Option<Headers>,
}

/// a TCP check, a read: a connection to host:port is tried every interval until one opens, or the timeout passes
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "tcp_check")]
pub struct TcpCheck {
    /// the host name or IP address to connect to
    #[schemars(length(min = 1))]
    #[serde(deserialize_with = "non_empty")]
    pub host: String,
    pub port: Port,
    /// how long to keep trying (default 5m; 0: one try)
    pub timeout: Option<AnyDuration>,
    /// the pause between two tries (default 5s)
    pub interval: Option<PositiveDuration>,
    /// the longest one connection attempt may take (default 5s, at most the timeout left)
    pub connect_timeout: Option<PositiveDuration>,
}

/// a command, a state-changing step: a program run without a shell (run), or a script for sh -c (shell); its intent is journalled before it starts, and it is never started twice by resume unless idempotent
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "command", transform = run_or_shell)]
pub struct Command {
    /// the program and its arguments, run without a shell; secret variables may not appear here (pass them in env)
    #[schemars(length(min = 1))]
    #[serde(default, deserialize_with = "non_empty")]
    pub run: Option<Vec<Arg>>,
    /// a script run with sh -c, instead of run; secret variables may not appear here (pass them in env)
    #[schemars(length(min = 1))]
    #[serde(default, deserialize_with = "non_empty")]
    pub shell: Option<String>,
    pub env: Option<Env>,
    /// the working directory (default: drbook's)
    #[schemars(length(min = 1))]
    #[serde(default, deserialize_with = "non_empty")]
    pub cwd: Option<String>,
    /// how long it may run; then its whole process group is killed and the step fails (default 10m)
    pub timeout: Option<PositiveDuration>,
    pub expect_exit: Option<ExitCode>,
    /// whether running it again is harmless: only then does `drbook resume` start again a command an earlier process had started (default false)
    pub idempotent: Option<Flag>,
}

/// `oneOf` `run` and `shell`, each `required`: a command has exactly one.
fn run_or_shell(schema: &mut Schema) {
    schema.insert(
        "oneOf".into(),
        serde_json::json!([{ "required": ["run"] }, { "required": ["shell"] }]),
    );
}

/// a failover: POST /api/v3/Plans/{plan_id}/Failover
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "failover")]
pub struct Failover {
    /// the plan to fail over
    pub plan_id: PlanId,
    /// whether VAO also runs the plans chained to this one (default: defaults, else false)
    pub execute_chained_plans: Option<Flag>,
    /// whether VAO protects the plan's storage volumes (default: defaults, else false)
    pub protect_storage_volumes: Option<Flag>,
    /// the restore point to fail over to (default: defaults, else latest)
    pub restore_point: Option<RestorePoint>,
    /// whether the step waits until the plan is failed over (default: defaults, else true)
    pub wait_for_completion: Option<Flag>,
    /// how long to wait for the plan (default: defaults, else 2h)
    pub timeout: Option<PositiveDuration>,
    /// how many times a failed call may be tried again (default: defaults, else 3)
    pub retries: Option<Retries>,
    /// the first pause before a retry (default: defaults, else 2s)
    pub retry_delay: Option<PositiveDuration>,
    /// this plan's recovery time objective (default: defaults)
    pub rto: Option<PositiveDuration>,
    /// this plan's recovery point objective (default: defaults)
    pub rpo: Option<PositiveDuration>,
    /// what to do when the plan halts (default: defaults, else the step fails)
    pub on_halt: Option<OnHalt>,
}

/// undo a failover: POST /api/v3/Plans/{plan_id}/Undo, then wait for UNDO FAILOVER
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "undo_failover")]
pub struct UndoFailover {
    /// the plan whose failover is undone
    pub plan_id: PlanId,
    /// how long to wait for the undo (default: defaults, else 2h)
    pub timeout: Option<PositiveDuration>,
    /// how many times a failed call may be tried again (default: defaults, else 3)
    pub retries: Option<Retries>,
    /// the first pause before a retry (default: defaults, else 2s)
    pub retry_delay: Option<PositiveDuration>,
}

/// a readiness check: POST /api/v3/Plans/{plan_id}/ReadinessCheck, then wait for its result; a failed check fails the step
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "readiness_check")]
pub struct ReadinessCheck {
    /// the plan to check
    pub plan_id: PlanId,
    /// how long to wait for the check's result (default: defaults, else 2h)
    pub timeout: Option<PositiveDuration>,
    /// how many times a failed call may be tried again (default: defaults, else 3)
    pub retries: Option<Retries>,
    /// the first pause before a retry (default: defaults, else 2s)
    pub retry_delay: Option<PositiveDuration>,
    /// whether VAO generates a readiness check report (default false)
    pub generate_report: Option<Flag>,
}

/// assert a plan's state: read the plan until it is in one of the named states, or fail after timeout
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "expect_state")]
pub struct ExpectState {
    /// the plan to read
    pub plan_id: PlanId,
    /// how long to wait for the state (default 0: read once)
    pub timeout: Option<AnyDuration>,
    /// how many times a failed read may be tried again (default: defaults, else 3)
    pub retries: Option<Retries>,
    /// the first pause before a retry (default: defaults, else 2s)
    pub retry_delay: Option<PositiveDuration>,
    pub state: StateNames,
}

/// a manual gate: the operator approves on a terminal, or --approve does
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "pause")]
pub struct Pause {
    /// what the operator is asked to confirm
    #[schemars(length(min = 1))]
    #[serde(deserialize_with = "non_empty")]
    pub message: String,
}

/// steps that run at the same time, at most max_concurrency at once; the group completes when every step in it has, and the step's on_failure applies to the group as a whole
#[derive(Debug, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "parallel")]
pub struct Parallel {
    pub max_concurrency: Option<MaxConcurrency>,
    /// the group's steps; at least one
    #[schemars(length(min = 1))]
    #[serde(deserialize_with = "non_empty")]
    pub steps: Vec<GroupStep>,
}

/// Reads a checked, rendered tree into the document.
pub fn from_node(root: &Node) -> Result<Document, de::Error> {
    NodeDeserializer::new(root).read()
}

/// The JSON Schema of the format, as committed in `schemas/runbook.schema.json`.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Document>();
    let mut schema = schema.to_value();
    present_means_a_value(&mut schema);
    // The header first, as a reader expects it.
    let mut ordered = serde_json::Map::new();
    if let serde_json::Value::Object(mut rest) = schema {
        for key in ["$schema", "$id", "title", "description"] {
            if let Some(value) = rest.remove(key) {
                ordered.insert(key.into(), value);
            }
        }
        ordered.extend(rest);
    }
    ordered.into()
}

/// An `Option` field may be left out, but a key that is there has a value: `timeout: null`
/// is refused, not taken as "not set" (the reader, too, hands `null` to the field's type).
/// schemars lets `Option`s be `null`; this takes that alternative out again.
fn present_means_a_value(schema: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(object) = schema else {
        return;
    };
    if let Some(Value::Array(any_of)) = object.get("anyOf")
        && any_of.len() == 2
        && any_of[1] == serde_json::json!({ "type": "null" })
        && let Value::Object(typed) = any_of[0].clone()
    {
        object.remove("anyOf");
        for (key, value) in typed {
            object.entry(key).or_insert(value);
        }
    }
    if let Some(Value::Array(types)) = object.get("type")
        && types.len() == 2
        && types[1] == "null"
    {
        let only = types[0].clone();
        object.insert("type".into(), only);
    }
    for value in object.values_mut() {
        match value {
            Value::Array(items) => items.iter_mut().for_each(present_means_a_value),
            value => present_means_a_value(value),
        }
    }
}

/// The committed schema's text: [`json_schema()`], pretty-printed, with a final newline.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).expect("a schema serialises");
    text.push('\n');
    text
}

// Scalar types. Each one's description is also what an error says it expected, and each
// parses with the function of `values` that its schema's `format` names.

/// A whole number in `range` (JSON Schema's `integer` takes 3.0 as well).
fn whole(value: &serde_json::Value, range: std::ops::RangeInclusive<u64>) -> Option<u64> {
    let f = value.as_f64()?;
    (f.fract() == 0.0 && (*range.start() as f64..=*range.end() as f64).contains(&f))
        .then_some(f as u64)
}

/// Reads a value and converts it; what it expected is named in the error.
fn parse_scalar<'de, D: Deserializer<'de>, T>(
    d: D,
    expected: &'static str,
    parse: impl FnOnce(&serde_json::Value) -> Option<T>,
) -> Result<T, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    parse(&value).ok_or_else(|| D::Error::invalid_value(Unexpected::Other("value"), &expected))
}

/// Implements `JsonSchema` for a type from its name, whether it is inlined, and a schema
/// built with the generator.
macro_rules! schema {
    ($type:ty, $name:literal, inline: $inline:literal, |$generator:ident| $body:expr) => {
        impl JsonSchema for $type {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }
            fn inline_schema() -> bool {
                $inline
            }
            fn json_schema($generator: &mut SchemaGenerator) -> Schema {
                $body
            }
        }
    };
}

/// a string holding a handlebars template such as {{name}}
pub struct Template;

schema!(Template, "template", inline: false, |_g| json_schema!({
    "description": "a string holding a handlebars template such as {{name}}",
    "type": "string",
    "pattern": "\\{\\{"
}));

/// What the schema's `minLength: 1` and `minItems: 1` say, read: a string or list that is
/// not empty (an absent optional one is fine).
fn non_empty<'de, D: Deserializer<'de>, T: Deserialize<'de> + Emptiable>(
    d: D,
) -> Result<T, D::Error> {
    let value = T::deserialize(d)?;
    if value.is_empty_value() {
        Err(D::Error::custom("must not be empty"))
    } else {
        Ok(value)
    }
}

trait Emptiable {
    fn is_empty_value(&self) -> bool;
}

impl Emptiable for String {
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

impl<T> Emptiable for Vec<T> {
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

impl<T: Emptiable> Emptiable for Option<T> {
    fn is_empty_value(&self) -> bool {
        self.as_ref().is_some_and(Emptiable::is_empty_value)
    }
}

/// `anyOf` the typed value's schemas and a template.
fn or_template(generator: &mut SchemaGenerator, description: &str, typed: &[Schema]) -> Schema {
    let mut any_of: Vec<serde_json::Value> = typed.iter().map(|s| s.clone().to_value()).collect();
    any_of.push(generator.subschema_for::<Template>().to_value());
    json_schema!({ "description": description, "anyOf": any_of })
}

/// A whole number in `range`, or a template.
fn whole_or_template(
    generator: &mut SchemaGenerator,
    description: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Schema {
    let typed = json_schema!({
        "type": "integer", "minimum": range.start(), "maximum": range.end()
    });
    or_template(generator, description, &[typed])
}

/// Defines a scalar type of the format: its definition's name, whether the schema inlines
/// it, what it expects (the schema's description, and what an error says was expected), its
/// schema (given the generator and that description) and how it parses the value.
macro_rules! scalar {
    (
        $(#[$attr:meta])*
        $name:ident($inner:ty), $def:literal, inline: $inline:literal,
        expected: $expected:expr,
        schema: |$generator:ident, $description:ident| $schema:expr,
        parse: |$scalar:ident| $parse:expr $(,)?
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $inner);

        impl $name {
            pub const EXPECTED: &str = $expected;
        }

        schema!($name, $def, inline: $inline, |$generator| {
            let $description = $name::EXPECTED;
            $schema
        });

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                parse_scalar(d, $name::EXPECTED, |$scalar| $parse.map($name))
            }
        }
    };
}

scalar! {
    /// The format version, 1.
    #[derive(Copy)]
    Version(u64), "version", inline: true,
    expected: "the runbook format version, 1",
    schema: |_g, description| json_schema!({ "description": description, "const": 1 }),
    parse: |s| whole(s, 1..=1),
}

scalar! {
    /// The VAO server's base URL.
    ServerUrl(String), "server_url", inline: true,
    expected: "the VAO server's base URL (http:// or https://, no user name or password), or a template",
    schema: |g, description| or_template(g, description, &[json_schema!({
        "type": "string",
        "format": "drbook-server-url",
        "pattern": "^https?://[^\\s/?#@]+(/[^\\s?#]*)?$"
    })]),
    parse: |s| s.as_str().filter(|s| values::is_server_url(s)).map(str::to_owned),
}

scalar! {
    /// The VAO server's time zone.
    #[derive(Copy)]
    TimeZone(ServerTimeZone), "server_time_zone", inline: true,
    expected: "the VAO server's time zone: an IANA name such as Europe/Berlin, or a UTC offset such as +01:00 or Z; restore points written with an offset are converted into the server-local time VAO reads",
    schema: |_g, description| json_schema!({
        "description": description,
        "type": "string",
        "format": "drbook-time-zone",
        "pattern": "^(Z|UTC|[+-]\\d{2}:\\d{2}|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*)$"
    }),
    parse: |s| s.as_str().and_then(values::parse_time_zone),
}

scalar! {
    /// `true` or `false`.
    #[derive(Copy)]
    Flag(bool), "flag", inline: false,
    expected: "true, false or a template",
    schema: |g, description| or_template(g, description, &[json_schema!({ "type": "boolean" })]),
    parse: |s| s.as_bool(),
}

scalar! {
    /// A plan ID: a hyphenated UUID.
    #[derive(Copy)]
    PlanId(uuid::Uuid), "plan_id", inline: false,
    expected: "a plan UUID such as 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f, or a template",
    schema: |g, description| or_template(g, description, &[json_schema!({
        "type": "string",
        "format": "uuid",
        "pattern": "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
    })]),
    parse: |s| s.as_str().and_then(values::parse_plan_id),
}

const RESTORE_POINT: &str = "latest, an ISO 8601 date-time such as 2026-11-25T22:00:00 (optionally with Z or an offset like +01:00), or a template";

schema!(RestorePoint, "restore_point", inline: false, |g| or_template(
    g,
    RESTORE_POINT,
    &[
        json_schema!({ "const": "latest" }),
        json_schema!({
            "type": "string",
            "format": "drbook-date-time",
            "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})?$"
        }),
    ]
));

impl<'de> Deserialize<'de> for RestorePoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        parse_scalar(d, RESTORE_POINT, |s| {
            s.as_str().and_then(values::parse_restore_point)
        })
    }
}

/// A duration's schema: its shape for editors (the format says the rest), or a template.
fn duration_schema(g: &mut SchemaGenerator, description: &str, format: &str) -> Schema {
    let shape = "^\\s*\\d+\\s*[A-Za-z]+(\\s*\\d+\\s*[A-Za-z]+)*\\s*$";
    or_template(
        g,
        description,
        &[json_schema!({ "type": "string", "format": format, "pattern": shape })],
    )
}

scalar! {
    /// A duration, zero allowed.
    #[derive(Copy)]
    AnyDuration(Duration), "duration", inline: false,
    expected: "a duration such as 30s, 5m or 1h30m, or a template",
    schema: |g, description| duration_schema(g, description, "drbook-duration"),
    parse: |s| s.as_str().and_then(values::parse_duration),
}

scalar! {
    /// A duration greater than zero.
    #[derive(Copy)]
    PositiveDuration(Duration), "positive_duration", inline: false,
    expected: "a duration greater than zero such as 30s, 5m or 2h, or a template",
    schema: |g, description| duration_schema(g, description, "drbook-positive-duration"),
    parse: |s| s.as_str().and_then(values::parse_positive_duration),
}

/// The most retries a runbook may ask for.
pub const MAX_RETRIES: u64 = 20;

scalar! {
    /// How many times a failed call may be tried again.
    #[derive(Copy)]
    Retries(u32), "retries", inline: false,
    expected: "how many times a failed call may be tried again (0 to 20), or a template",
    schema: |g, description| whole_or_template(g, description, 0..=MAX_RETRIES),
    parse: |s| whole(s, 0..=MAX_RETRIES).map(|n| n as u32),
}

/// The most Continues one failover step may send.
pub const MAX_CONTINUES: u64 = 20;

scalar! {
    /// How many times a step sends VAO's Continue.
    #[derive(Copy)]
    ContinueTimes(u32), "continue_times", inline: true,
    expected: "how many times drbook sends the Continue for this step (1 to 20; default 1), or a template",
    schema: |g, description| whole_or_template(g, description, 1..=MAX_CONTINUES),
    parse: |s| whole(s, 1..=MAX_CONTINUES).map(|n| n as u32),
}

/// The most steps of one group that run at once.
pub const MAX_CONCURRENCY: u64 = 64;

scalar! {
    /// How many of a group's steps run at once.
    #[derive(Copy)]
    MaxConcurrency(usize), "max_concurrency", inline: true,
    expected: "how many of the group's steps run at once (1 to 64; default: all of them), or a template",
    schema: |g, description| whole_or_template(g, description, 1..=MAX_CONCURRENCY),
    parse: |s| whole(s, 1..=MAX_CONCURRENCY).map(|n| n as usize),
}

/// The most plan steps of a run that act at once.
pub const MAX_RUN_CONCURRENCY: u64 = 1000;

scalar! {
    /// How many plan steps of the whole run act at once.
    #[derive(Copy)]
    RunConcurrency(usize), "run_concurrency", inline: true,
    expected: "how many plan steps act at once in the whole run (1 to 1000; default: no limit), or a template",
    schema: |g, description| whole_or_template(g, description, 1..=MAX_RUN_CONCURRENCY),
    parse: |s| whole(s, 1..=MAX_RUN_CONCURRENCY).map(|n| n as usize),
}

scalar! {
    /// A health check's URL.
    CheckUrl(String), "check_url", inline: true,
    expected: "the URL to check: http:// or https://, no user name or password (send credentials in headers), or a template",
    schema: |g, description| or_template(g, description, &[json_schema!({
        "type": "string",
        "format": "drbook-check-url",
        "pattern": "^https?://[^\\s/?#@]+([/?][^\\s#]*)?$"
    })]),
    parse: |s| s.as_str().filter(|s| values::is_check_url(s)).map(str::to_owned),
}

/// The HTTP method of a health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum HttpMethod {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "HEAD")]
    Head,
}

schema!(HttpMethod, "http_method", inline: true, |_g| json_schema!({
    "description": "the request's method: GET or HEAD (default GET)",
    "enum": ["GET", "HEAD"]
}));

const EXPECT_STATUS: &str =
    "the HTTP status (100 to 599) a healthy answer has, or a non-empty list of them (default 200)";

/// The statuses a health check accepts.
#[derive(Debug, Clone)]
pub struct ExpectStatus(pub Vec<u16>);

schema!(ExpectStatus, "expect_status", inline: true, |_g| {
    let code = json_schema!({ "type": "integer", "minimum": 100, "maximum": 599 });
    json_schema!({
        "description": EXPECT_STATUS,
        "anyOf": [code, { "type": "array", "minItems": 1, "items": code }]
    })
});

impl<'de> Deserialize<'de> for ExpectStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = |v: &serde_json::Value| whole(v, 100..=599).map(|n| n as u16);
        parse_scalar(d, EXPECT_STATUS, |value| match value {
            serde_json::Value::Array(items) if !items.is_empty() => {
                items.iter().map(code).collect::<Option<Vec<u16>>>()
            }
            value => code(value).map(|c| vec![c]),
        })
        .map(ExpectStatus)
    }
}

/// A name → value mapping whose values are texts (numbers and booleans are taken as
/// written), in the order written.
fn text_map<'de, D: Deserializer<'de>>(
    d: D,
    expected: &'static str,
    name_ok: fn(&str) -> bool,
) -> Result<Vec<(String, String)>, D::Error> {
    parse_scalar(d, expected, |value| {
        let serde_json::Value::Object(map) = value else {
            return None;
        };
        map.iter()
            .map(|(name, value)| {
                if !name_ok(name) {
                    return None;
                }
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((name.clone(), text))
            })
            .collect()
    })
}

/// An HTTP header name: one or more of RFC 9110's token characters.
const HEADER_NAME_PATTERN: &str = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+.^_`|~-".contains(&b))
}

const HEADERS: &str = "request headers: names to values (templates allowed; a value from a secret variable is masked everywhere)";

/// A health check's request headers.
#[derive(Debug, Clone)]
pub struct Headers(pub Vec<(String, String)>);

schema!(Headers, "headers", inline: true, |_g| json_schema!({
    "description": HEADERS,
    "type": "object",
    "propertyNames": { "pattern": HEADER_NAME_PATTERN },
    "additionalProperties": { "type": ["string", "number", "boolean"] }
}));

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        text_map(d, HEADERS, is_header_name).map(Headers)
    }
}

const ENV: &str = "environment variables added to drbook's for the command: names to values; the one place a secret variable may be passed to a command";

/// A command's added environment.
#[derive(Debug, Clone)]
pub struct Env(pub Vec<(String, String)>);

schema!(Env, "env", inline: true, |_g| json_schema!({
    "description": ENV,
    "type": "object",
    "propertyNames": { "pattern": values::VARIABLE_NAME_PATTERN },
    "additionalProperties": { "type": ["string", "number", "boolean"] }
}));

impl<'de> Deserialize<'de> for Env {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        text_map(d, ENV, values::is_variable_name).map(Env)
    }
}

/// A program or one of its arguments: a non-empty string.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Arg(pub String);

impl TryFrom<String> for Arg {
    type Error = &'static str;
    fn try_from(arg: String) -> Result<Arg, Self::Error> {
        if arg.is_empty() {
            Err("a program or an argument must not be empty")
        } else {
            Ok(Arg(arg))
        }
    }
}

schema!(Arg, "arg", inline: true, |_g| json_schema!({
    "description": "a program or one of its arguments",
    "type": "string",
    "minLength": 1
}));

scalar! {
    /// A TCP port.
    #[derive(Copy)]
    Port(u16), "port", inline: true,
    expected: "a TCP port (1 to 65535), or a template",
    schema: |g, description| whole_or_template(g, description, 1..=65535),
    parse: |s| whole(s, 1..=65535).map(|n| n as u16),
}

scalar! {
    /// The exit status a command must end with.
    #[derive(Copy)]
    ExitCode(i32), "expect_exit", inline: true,
    expected: "the exit status the command must end with (0 to 255; default 0), or a template",
    schema: |g, description| whole_or_template(g, description, 0..=255),
    parse: |s| whole(s, 0..=255).map(|n| n as i32),
}

scalar! {
    /// A step's `id`, which `needs` names.
    StepId(String), "step_id", inline: false,
    expected: "a step id: lower-case letters, digits, `_` and `-`, unique in the runbook",
    schema: |_g, description| json_schema!({
        "description": description,
        "type": "string",
        "pattern": STEP_ID_PATTERN
    }),
    parse: |s| s.as_str().filter(|s| is_step_id(s)).map(str::to_owned),
}

/// The shape of a step id.
pub const STEP_ID_PATTERN: &str = "^[a-z0-9_-]+$";

fn is_step_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The ids of the steps a step waits for.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(try_from = "Vec<StepId>")]
pub struct Needs(pub Vec<StepId>);

impl TryFrom<Vec<StepId>> for Needs {
    type Error = String;
    fn try_from(ids: Vec<StepId>) -> Result<Needs, String> {
        let names: Vec<&str> = ids.iter().map(|id| id.0.as_str()).collect();
        match repeated(&names) {
            Some(id) => Err(format!("`{id}` is named twice")),
            None => Ok(Needs(ids)),
        }
    }
}

schema!(Needs, "needs", inline: true, |g| json_schema!({
    "description": "the ids of the earlier steps this step depends on: it starts once each of them has succeeded (or been skipped by scope or by the operator), and is not run when one failed. With `needs` (even `[]`) a step waits only for the steps it names; without it, for the step (or parallel group) before it to finish",
    "type": "array",
    "uniqueItems": true,
    "items": g.subschema_for::<StepId>()
}));

/// The first item that stands earlier in `items` too: what the schema's `uniqueItems` refuses.
fn repeated<T: PartialEq>(items: &[T]) -> Option<&T> {
    items
        .iter()
        .enumerate()
        .find(|(at, item)| items[..*at].contains(item))
        .map(|(_, item)| item)
}

/// Where a step runs: a real run, a drill, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Run,
    Drill,
}

/// The runs a step belongs to.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(try_from = "Vec<Purpose>")]
pub struct Only(pub Vec<Purpose>);

impl TryFrom<Vec<Purpose>> for Only {
    type Error = &'static str;
    fn try_from(runs: Vec<Purpose>) -> Result<Only, Self::Error> {
        if runs.is_empty() {
            Err("the list must not be empty")
        } else if repeated(&runs).is_some() {
            Err("each of run and drill at most once")
        } else {
            Ok(Only(runs))
        }
    }
}

schema!(Only, "only", inline: true, |_g| json_schema!({
    "description": "the runs this step belongs to: run (a real failover: drbook run, and resume of it), drill (drbook drill), or both (the default); the step is skipped, saying so, in the other",
    "type": "array",
    "minItems": 1,
    "uniqueItems": true,
    "items": {
        "description": "run (a real failover) or drill (drbook drill)",
        "enum": ["run", "drill"]
    }
}));

/// What the run's recovery time is measured to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryUntil {
    /// The last plan seen failed over.
    #[default]
    FailedOver,
    /// The last successful health check (http_check or tcp_check).
    Healthy,
}

schema!(RecoveryUntil, "recovery_until", inline: true, |_g| json_schema!({
    "description": "where the run's recovery time ends: failed_over (the last plan seen failed over; the default) or healthy (the last successful http_check or tcp_check of the run's steps: when the service answered)",
    "enum": ["failed_over", "healthy"]
}));

const VARS: &str = "default values of template variables: names of letters, digits and underscores, values that are strings, booleans, numbers or null";

/// Default values of template variables (read by `crate::template`; here for the schema).
#[derive(Debug)]
pub struct Vars;

schema!(Vars, "vars", inline: true, |_g| json_schema!({
    "description": VARS,
    "type": "object",
    "propertyNames": { "pattern": values::VARIABLE_NAME_PATTERN },
    "additionalProperties": { "type": ["string", "boolean", "number", "null"] }
}));

/// The schema's rules, read: names of letters, digits and underscores, scalar values.
impl<'de> Deserialize<'de> for Vars {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        parse_scalar(d, VARS, |value| {
            let serde_json::Value::Object(map) = value else {
                return None;
            };
            map.iter()
                .all(|(name, value)| {
                    values::is_variable_name(name) && !value.is_array() && !value.is_object()
                })
                .then_some(Vars)
        })
    }
}

/// A non-empty list of plan state names.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct StateList(pub Vec<String>);

impl TryFrom<Vec<String>> for StateList {
    type Error = &'static str;
    fn try_from(names: Vec<String>) -> Result<StateList, Self::Error> {
        if names.is_empty() {
            Err("the list must not be empty")
        } else if names.iter().any(String::is_empty) {
            Err("a state name must not be empty")
        } else {
            Ok(StateList(names))
        }
    }
}

schema!(StateList, "state_list", inline: false, |_g| json_schema!({
    "description": "a non-empty list of VAO plan state names (matched ignoring case, spaces and separators)",
    "type": "array",
    "minItems": 1,
    "items": { "type": "string", "minLength": 1 }
}));

/// The states an `expect_state` step waits for.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum StateNames {
    One(#[serde(deserialize_with = "non_empty")] String),
    Any(StateList),
}

schema!(StateNames, "state_names", inline: true, |g| json_schema!({
    "description": "a state name, or a non-empty list of state names (any of them)",
    "anyOf": [
        { "type": "string", "minLength": 1 },
        g.subschema_for::<StateList>()
    ]
}));

impl StateNames {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            StateNames::One(name) => vec![name],
            StateNames::Any(list) => list.0,
        }
    }
}

schema!(Api, "api", inline: true, |_g| json_schema!({
    "description": "which edition of the orchestrator's REST API the server speaks: vao3 (Veeam Availability Orchestrator 3.0: /api/v3, POST /token; the default), vro7 (Veeam Recovery Orchestrator 7.x: /api/v7.21, POST /api/token) or vro13 (VRO 13: /api/v13, POST /api/token)",
    "enum": ["vao3", "vro7", "vro13"]
}));

const ON_FAILURE: &str = "what a failed step does to the run: abort, continue or rollback";

schema!(OnFailure, "on_failure", inline: false, |_g| json_schema!({
    "description": ON_FAILURE,
    "enum": ["abort", "continue", "rollback"]
}));

// Messages about a step's actions, shared by the schema check and the reader.

/// A key a step inside a parallel group may not have.
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

/// A key a step of a drill's `cleanup:` may not have.
pub fn in_cleanup_error(file: &str, pos: Pos, path: &str, key: &str) -> Diagnostic {
    let message = match key {
        "on_failure" => {
            "a drill's clean-up steps all run, whatever happened: `on_failure` has no meaning there"
                .to_owned()
        }
        "only" => "a drill's clean-up runs only in drills: `only` has no meaning there".to_owned(),
        "needs" => {
            "a drill's clean-up steps run in order, whatever happened: `needs` has no meaning there"
                .to_owned()
        }
        _ => format!(
            "a drill's clean-up runs commands, checks and waits; `{key}` cannot be one of its steps"
        ),
    };
    Diagnostic::new(file, pos, path, message).with_hint(
        "the drill undoes every failover it made by itself, before its `cleanup:` steps; put other steps in `steps:`",
    )
}

/// `cleanup:` anywhere but at the top level.
pub fn cleanup_misplaced(file: &str, pos: Pos, path: &str) -> Diagnostic {
    Diagnostic::new(
        file,
        pos,
        path,
        "`cleanup:` belongs at the top level of the runbook: a drill's clean-up steps run after its undos",
    )
    .with_hint("move the list to a top-level `cleanup:` key, beside `steps:`")
}

/// The message for a command with neither or both of `run` and `shell`.
pub fn run_or_shell_message() -> String {
    "a command needs exactly one of `run` (a program and its arguments, run without a shell) or `shell` (a script for sh -c)".to_owned()
}

/// The message for a step without an action.
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

/// The message for a step with more than one action.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed schema is the generated one. After changing the types, regenerate it:
    /// `DRBOOK_UPDATE_SCHEMAS=1 cargo test --lib committed_schema_is_generated`.
    /// The bounds are written out in the words an error quotes; they must say the checked ones.
    #[test]
    fn ranges_are_described_as_they_are_checked() {
        let schema = json_schema();
        let retries = schema["$defs"]["retries"]["description"].as_str().unwrap();
        assert!(
            retries.contains(&format!("(0 to {MAX_RETRIES})")),
            "{retries}"
        );
        let times = schema["$defs"]["on_halt"]["properties"]["times"]["description"]
            .as_str()
            .unwrap();
        assert!(
            times.contains(&format!("(1 to {MAX_CONTINUES};")),
            "{times}"
        );
        // The Continue options are VAO's, listed once (`vao::ContinueOption`).
        let options: Vec<&str> = schema["$defs"]["continue_option"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap())
            .collect();
        assert_eq!(options, crate::vao::ContinueOption::ALL.map(|o| o.as_str()));
        let group = &schema["$defs"]["parallel"]["properties"]["max_concurrency"];
        let concurrency = group["description"].as_str().unwrap();
        assert!(
            concurrency.contains(&format!("(1 to {MAX_CONCURRENCY};")),
            "{concurrency}"
        );
    }

    #[test]
    fn committed_schema_is_generated() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/runbook.schema.json");
        let generated = json_schema_text();
        if std::env::var_os("DRBOOK_UPDATE_SCHEMAS").is_some_and(|v| v == "1") {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap();
        assert!(
            committed == generated,
            "schemas/runbook.schema.json is not the schema generated from src/runbook/document.rs; \
             run `DRBOOK_UPDATE_SCHEMAS=1 cargo test --lib committed_schema_is_generated` and commit the result"
        );
    }

    /// Editors show a description for every key: each property has one, or refers to a
    /// definition that has one.
    #[test]
    fn every_field_is_described() {
        let schema = json_schema();
        let described = |property: &serde_json::Value| {
            property.get("description").is_some()
                || property
                    .get("$ref")
                    .and_then(|r| r.as_str())
                    .is_some_and(|r| {
                        schema
                            .pointer(r.trim_start_matches('#'))
                            .is_some_and(|def| def.get("description").is_some())
                    })
        };
        let mut objects = vec![("".to_owned(), &schema)];
        objects.extend(
            schema["$defs"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v)),
        );
        let mut checked = 0;
        for (name, object) in objects {
            for (key, property) in object
                .get("properties")
                .and_then(|p| p.as_object())
                .into_iter()
                .flatten()
            {
                assert!(described(property), "{name}.{key} has no description");
                checked += 1;
            }
        }
        assert!(checked > 50, "{checked}");
    }

    /// Wherever a value may be templated, the schema takes a template string too.
    #[test]
    fn templated_values_take_a_template() {
        let schema = json_schema();
        let template = serde_json::json!({ "$ref": "#/$defs/template" });
        for def in [
            "flag",
            "plan_id",
            "restore_point",
            "duration",
            "positive_duration",
            "retries",
        ] {
            let any_of = schema["$defs"][def]["anyOf"].as_array().unwrap();
            assert_eq!(any_of.last(), Some(&template), "{def}");
        }
        assert!(
            schema["properties"]["server"]["anyOf"]
                .as_array()
                .unwrap()
                .contains(&template)
        );
        let max = &schema["$defs"]["parallel"]["properties"]["max_concurrency"];
        assert!(max["anyOf"].as_array().unwrap().contains(&template));
        assert!(
            jsonschema::meta::is_valid(&schema),
            "not a valid draft 2020-12 schema"
        );
    }
}
