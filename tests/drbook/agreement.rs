//! The schema and the typed builder must give the same verdict on every example and every
//! fixture, so editors (which use the schema) and drbook never disagree.

use crate::validate::{examples, invalid_fixtures};
use drbook::runbook::{build, schema, yaml};
use drbook::template::{self, Clock, VarInputs, Variables};

#[test]
fn schema_and_typed_builder_agree_on_every_file() {
    let mut compared = 0;
    for path in examples().into_iter().chain(invalid_fixtures()) {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // Files that are not YAML, or whose templates cannot be rendered, never reach
        // either judge.
        let Ok(root) = yaml::parse(&name, &text) else {
            continue;
        };
        let Ok(vars) = Variables::collect(root.get("vars"), &VarInputs::default()) else {
            continue;
        };
        let Ok(rendered) = template::render(&name, &root, &vars, Clock::now()) else {
            continue;
        };
        let schema_ok = schema::check(&name, &rendered).is_empty();
        let builder_ok = build::build(&name, &rendered).is_ok();
        assert_eq!(
            schema_ok, builder_ok,
            "schema says {schema_ok}, builder says {builder_ok}: {name}"
        );
        compared += 1;
    }
    assert!(compared >= 18, "only {compared} files compared");
}

#[test]
fn the_shipped_schema_is_the_one_drbook_checks_against() {
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/runbook.schema.json"
    ))
    .unwrap();
    assert_eq!(shipped, schema::RUNBOOK_SCHEMA);
    let value: serde_json::Value = serde_json::from_str(&shipped).unwrap();
    assert_eq!(
        value["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(
        jsonschema::meta::is_valid(&value),
        "not a valid draft 2020-12 schema"
    );
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    /// The verdicts of both judges on one document.
    fn verdicts(text: &str) -> Option<(bool, bool)> {
        let root = yaml::parse("gen.yaml", text).ok()?;
        Some((
            schema::check("gen.yaml", &root).is_empty(),
            build::build("gen.yaml", &root).is_ok(),
        ))
    }

    /// A runbook with one value (written as a JSON string, which YAML reads as is) in one
    /// field.
    fn document(field: &str, value: &str) -> String {
        let v = serde_json::to_string(value).unwrap();
        let plan = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";
        match field {
            "server" => format!("version: 1\nname: g\nserver: {v}\nsteps:\n  - wait: 1s\n"),
            "server_time_zone" => {
                format!("version: 1\nname: g\nserver_time_zone: {v}\nsteps:\n  - wait: 1s\n")
            }
            "wait" => format!("version: 1\nname: g\nsteps:\n  - wait: {v}\n"),
            "poll_interval" => format!(
                "version: 1\nname: g\ndefaults:\n  poll_interval: {v}\nsteps:\n  - wait: 1s\n"
            ),
            "objectives.rto" => {
                format!("version: 1\nname: g\nobjectives:\n  rto: {v}\nsteps:\n  - wait: 1s\n")
            }
            "expect_state.timeout" => format!(
                "version: 1\nname: g\nsteps:\n  - expect_state:\n      plan_id: {plan}\n      state: Failover\n      timeout: {v}\n"
            ),
            "expect_state.state" => format!(
                "version: 1\nname: g\nsteps:\n  - expect_state:\n      plan_id: {plan}\n      state: {v}\n"
            ),
            "readiness_check.generate_report" => format!(
                "version: 1\nname: g\nsteps:\n  - readiness_check:\n      plan_id: {plan}\n      generate_report: {value}\n"
            ),
            "undo_failover.plan_id" => {
                format!("version: 1\nname: g\nsteps:\n  - undo_failover:\n      plan_id: {v}\n")
            }
            "pause.message" => {
                format!("version: 1\nname: g\nsteps:\n  - pause:\n      message: {v}\n")
            }
            "parallel.max_concurrency" => format!(
                "version: 1\nname: g\nsteps:\n  - parallel:\n      max_concurrency: {value}\n      steps:\n        - wait: 1s\n"
            ),
            other => format!(
                "version: 1\nname: g\nsteps:\n  - failover:\n      plan_id: {}\n      {other}: {v}\n",
                if other == "plan_id" { v.clone() } else { plan.to_owned() }
            )
            .replacen(&format!("      plan_id: {v}\n      plan_id: {v}\n"), &format!("      plan_id: {v}\n"), 1),
        }
    }

    fn near_date_time() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,10})?)?(Z|[+-][0-9]{2}:[0-9]{2}|[+-][0-9]{1,4})?",
            "[0-9T:Z+. -]{0,28}",
            Just("latest".to_owned()),
            Just("Latest".to_owned()),
        ]
    }

    fn near_duration() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{0,3} ?(ms|s|m|h|d|w|y|min|sec|µs|ns|x)?( [0-9]{1,2}[a-z]{1,3})?",
            "[-+ 0-9a-zµ]{0,10}"
        ]
    }

    fn near_uuid() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "[0-9a-gA-G{}-]{30,40}",
        ]
    }

    fn near_url() -> impl Strategy<Value = String> {
        "(https?|ftp)?(://)?[a-z0-9@:. ]{0,12}(:[0-9]{1,6})?(/[a-z?#]{0,4})?"
    }

    fn near_zone() -> impl Strategy<Value = String> {
        prop_oneof![
            "[+-]?[0-9]{1,2}:?[0-9]{0,3}",
            "(Europe|America|Mars|UTC|Etc)(/[A-Za-z_+0-9-]{1,10})?",
            "[A-Za-z0-9/_+:-]{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 800, ..ProptestConfig::default() })]

        #[test]
        fn schema_and_builder_agree_on_generated_values(
            (field, value) in prop_oneof![
                near_uuid().prop_map(|v| ("plan_id", v)),
                near_date_time().prop_map(|v| ("restore_point", v)),
                near_duration().prop_map(|v| ("timeout", v)),
                near_duration().prop_map(|v| ("wait", v)),
                near_duration().prop_map(|v| ("poll_interval", v)),
                near_url().prop_map(|v| ("server", v)),
                near_zone().prop_map(|v| ("server_time_zone", v)),
                "(true|false|yes|no|True|1)".prop_map(|v| ("execute_chained_plans", v)),
                near_duration().prop_map(|v| ("rto", v)),
                near_duration().prop_map(|v| ("objectives.rto", v)),
                near_duration().prop_map(|v| ("expect_state.timeout", v)),
                "[A-Za-z ]{0,12}".prop_map(|v| ("expect_state.state", v)),
                "(true|false|yes|no|1|\"true\")".prop_map(|v| ("readiness_check.generate_report", v)),
                near_uuid().prop_map(|v| ("undo_failover.plan_id", v)),
                "[a-z ]{0,6}".prop_map(|v| ("pause.message", v)),
                "(-1|0|1|2|64|65|1.0|1.5|\"2\"|x)".prop_map(|v| ("parallel.max_concurrency", v)),
            ]
        ) {
            // Templates are judged after rendering, where none is left.
            prop_assume!(!value.contains("{{"));
            let text = document(field, &value);
            if let Some((schema_ok, builder_ok)) = verdicts(&text) {
                prop_assert_eq!(schema_ok, builder_ok, "{}", text);
            }
        }
    }

    #[test]
    fn numbers_where_version_and_flags_go() {
        for version in ["1", "1.0", "2", "0", "-1", "1e0", "true", "'1'"] {
            let text = format!("version: {version}\nname: g\nsteps:\n  - wait: 1s\n");
            let (schema_ok, builder_ok) = verdicts(&text).unwrap();
            assert_eq!(schema_ok, builder_ok, "{text}");
        }
    }
}
