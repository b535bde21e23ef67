//! The schema and the typed builder must give the same verdict on every example and every
//! fixture, so editors (which use the schema) and drbook never disagree.

use crate::validate::{examples, invalid_fixtures};
use drbook::runbook::{build, schema, yaml};
use drbook::template::{self, VarInputs, Variables};

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
        let Ok(rendered) = template::render(&name, &root, &vars) else {
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
