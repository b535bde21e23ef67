//! `drbook plans`: "what are my plan IDs?", the question every runbook starts with (the
//! orchestrator's console does not show them). It logs in, lists every plan (page by page
//! where the API pages collections) and prints a table, JSON, or a runbook skeleton to start
//! from. It reads only: the token request is the one POST it sends.

use super::args::{PlansArgs, PlansFormat};
use super::credentials::credentials_from;
use super::exit::{Error, Exit, Outcome};
use super::output::printable;
use super::run::{NO_CREDENTIALS, base_options, check_server, warn_about_transport};
use crate::runbook::model::{DEFAULT_RETRIES, DEFAULT_RETRY_DELAY};
use crate::secret::Redactor;
use crate::vao::{ApiFlavour, PlanInfo, RetryPolicy, VaoClient};
use serde_json::json;

pub async fn plans(args: &PlansArgs, redactor: &Redactor) -> Outcome {
    let server = args
        .connect
        .server
        .clone()
        .ok_or_else(|| Error::refused("no server: pass --server URL"))?;
    check_server(&server)?;
    let credentials =
        credentials_from(&args.connect)?.ok_or_else(|| Error::refused(NO_CREDENTIALS))?;
    for secret in credentials.secrets() {
        redactor.add(&secret);
    }
    warn_about_transport(&server, args.connect.insecure);
    let api = args.connect.api.unwrap_or_default();
    let options = base_options(&args.connect, &args.endpoint, api, &server)?;
    let client = VaoClient::new(options, credentials, redactor.clone())
        .map_err(|e| Error::refused(e.to_string()))?;
    let failed = |what: &str, error: crate::vao::VaoError| {
        say!("error: {what}: {}", redactor.redact(&error.to_string()));
        Ok(Exit::Failed)
    };
    match client.authenticate().await {
        Ok(login) => say!("{login}"),
        Err(error) => return failed("cannot log in", error),
    }
    let policy = RetryPolicy {
        retries: DEFAULT_RETRIES,
        delay: DEFAULT_RETRY_DELAY,
    };
    let plans = match client.list_plans(args.only_enabled, policy).await {
        Ok(plans) => plans,
        Err(error) => return failed("cannot list the plans", error),
    };
    let text = match args.format {
        PlansFormat::Table => table(&plans),
        PlansFormat::Json => {
            serde_json::to_string_pretty(&plans.iter().map(record).collect::<Vec<_>>())
                .unwrap_or_default()
        }
        PlansFormat::Yaml => skeleton(&plans, &server, api),
    };
    out!("{}", printable(&redactor.redact(&text)));
    say!(
        "{}{}",
        super::run::plural(plans.len(), "plan"),
        if args.only_enabled {
            " (enabled only)"
        } else {
            ""
        }
    );
    Ok(Exit::Success)
}

/// `Enabled`, `Disabled`, or `None` where the plan does not say.
fn mode(plan: &PlanInfo) -> Option<&'static str> {
    plan.enabled
        .map(|on| if on { "Enabled" } else { "Disabled" })
}

/// The last readiness check's result, else VRO's verification state.
fn readiness(plan: &PlanInfo) -> Option<&str> {
    plan.status
        .check_result
        .as_deref()
        .or(plan.verification.as_deref())
}

fn state(plan: &PlanInfo) -> &str {
    plan.status
        .state_name
        .as_deref()
        .unwrap_or(&plan.status.state)
}

/// One plan for `--format json`.
fn record(plan: &PlanInfo) -> serde_json::Value {
    json!({
        "id": plan.id,
        "name": plan.name,
        "type": plan.plan_type,
        "state": plan.status.state,
        "state_name": plan.status.state_name,
        "mode": mode(plan),
        "readiness": readiness(plan),
    })
}

/// One line per plan under a heading, in columns; `-` where the server does not say.
fn table(plans: &[PlanInfo]) -> String {
    let dash = |v: Option<&str>| v.unwrap_or("-").replace(['\n', '\r', '\t'], " ");
    let mut rows = vec![["ID", "NAME", "TYPE", "STATE", "MODE", "READINESS"].map(str::to_owned)];
    for plan in plans {
        rows.push([
            dash(plan.id.as_deref()),
            dash(plan.name.as_deref()),
            dash(plan.plan_type.as_deref()),
            dash(Some(state(plan))),
            dash(mode(plan)),
            dash(readiness(plan)),
        ]);
    }
    let mut widths = [0; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:width$}"))
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A YAML string: JSON's double-quoted form is YAML's too.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// Text for a comment line.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A runbook skeleton: `version`, an empty `name` to fill in (validation refuses it until
/// then), `server`, `api`, and a failover step per plan, each under a comment saying what
/// the plan is. A plan that cannot fail over now (disabled, or not a replica or storage
/// plan, or without a UUID) gets its step commented out, with the reason.
fn skeleton(plans: &[PlanInfo], server: &str, api: ApiFlavour) -> String {
    let mut lines = vec![
        format!(
            "# A drbook runbook skeleton from the plans of {} (api {api}).",
            comment(server)
        ),
        "# Fill in `name`, keep the failover steps to run in the order they should run, then"
            .to_owned(),
        "# `drbook validate` and `drbook check` it before a drill.".to_owned(),
        "version: 1".to_owned(),
        "name: \"\"".to_owned(),
        format!("server: {}", quoted(server)),
        format!("api: {api}"),
        "steps:".to_owned(),
    ];
    for plan in plans {
        let id = plan
            .id
            .as_deref()
            .and_then(|id| uuid::Uuid::parse_str(id.trim()).ok());
        let label = plan.name.as_deref().unwrap_or("(no name)");
        lines.push(format!(
            "  # {}: {} plan, {}, {}, readiness {}",
            comment(label),
            comment(plan.plan_type.as_deref().unwrap_or("type unknown")),
            comment(state(plan)),
            mode(plan).unwrap_or("mode unknown"),
            comment(readiness(plan).unwrap_or("unknown"))
        ));
        let Some(id) = id else {
            lines.push(format!(
                "  #   no step: its id {:?} is not a UUID",
                comment(plan.id.as_deref().unwrap_or(""))
            ));
            continue;
        };
        // A name with a template in it would be rendered: the id names the step instead.
        let name = match plan.name.as_deref() {
            Some(name) if !name.trim().is_empty() && !name.contains("{{") => name.to_owned(),
            _ => format!("Fail over plan {id}"),
        };
        let why_not = if plan.enabled == Some(false) {
            Some("the plan is disabled; a failover would be refused")
        } else if !plan.allows_failover() {
            Some("failover applies to replica and storage plans only")
        } else {
            None
        };
        let step = [
            format!("- name: {}", quoted(&name)),
            format!("  failover: {{ plan_id: {id} }}"),
        ];
        match why_not {
            None => lines.extend(step.map(|l| format!("  {l}"))),
            Some(why) => {
                lines.push(format!("  #   ({why})"));
                lines.extend(step.map(|l| format!("  # {l}")));
            }
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(value: serde_json::Value) -> PlanInfo {
        PlanInfo::from_json(&value).unwrap()
    }

    #[test]
    fn the_skeleton_comments_out_what_cannot_fail_over() {
        let plans = [
            plan(
                json!({"id": "6F1C2D9E-3B4A-4C5D-8E7F-0A1B2C3D4E5F", "name": "DB \"tier\"",
                "planType": "Replica", "state": "Verified", "planMode": "Enabled"}),
            ),
            plan(
                json!({"id": "0b8a3c1d-2e4f-4a6b-9c8d-7e6f5a4b3c2d", "name": "App",
                "planType": "Replica", "state": "Verified", "planMode": "Disabled"}),
            ),
            plan(
                json!({"id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", "name": "{{x}}",
                "state": "Verified"}),
            ),
        ];
        let yaml = skeleton(&plans, "https://vro.example:9898", ApiFlavour::Vro7);
        assert!(yaml.contains("api: vro7\nsteps:\n"), "{yaml}");
        assert!(yaml.contains(
            "  - name: \"DB \\\"tier\\\"\"\n    failover: { plan_id: 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f }"
        ), "{yaml}");
        assert!(
            yaml.contains(
                "  #   (the plan is disabled; a failover would be refused)\n  # - name: \"App\""
            ),
            "{yaml}"
        );
        assert!(
            yaml.contains("- name: \"Fail over plan 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a\""),
            "{yaml}"
        );
    }

    #[test]
    fn the_table_has_a_column_per_field() {
        let plans = [plan(
            json!({"id": "p-1", "name": "DB", "planType": "Replica",
            "state": "Verified", "stateName": "Verified", "planMode": "Disabled",
            "planVerificationState": "Verified"}),
        )];
        assert_eq!(
            table(&plans),
            "ID   NAME  TYPE     STATE     MODE      READINESS\np-1  DB    Replica  Verified  Disabled  Verified"
        );
    }
}
