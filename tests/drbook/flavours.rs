//! VAO 3 and Recovery Orchestrator 7.x / 13: `drbook plans`, the client credentials
//! grant, an MFA demand, `--simulate` following the runbook's `api:`, and the day a plan
//! halts (continued, shown by `status --live`, taken forward). (Run, check, drill, resume
//! and the kill-and-resume of a continued plan run in every edition in their own tests.)

use crate::support::*;
use drbook::sim::{SimApi, SimClient, SimPlan, Simulator};
use serde_json::Value;
use std::time::Duration;

const PLAN_D: &str = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e9f";
const PLAN_E: &str = "5e4d3c2b-1a09-4f8e-8d7c-6b5a4f3e2d1c";
const CLIENT_ID: &str = "drbook-drills";
const CLIENT_SECRET: &str = "Cl1ent-S3cret-for-tests!";

/// Five plans (the second disabled, the third a storage plan) served two to a page.
fn five_plans(api: SimApi) -> Simulator {
    let mut plans: Vec<SimPlan> = [PLAN_A, PLAN_B, PLAN_C, PLAN_D, PLAN_E]
        .iter()
        .map(|id| plan(id, Duration::ZERO))
        .collect();
    plans[1].enabled = false;
    plans[2].plan_type = "Storage".to_owned();
    sim_with(plans, |config| {
        config.api = api;
        config.page_limit = 2;
    })
}

/// `drbook plans --server URL --api API ARGS...` with the test credentials.
fn plans_of(sim: &Simulator, api: SimApi, args: &[&str]) -> (Drbook, Outcome) {
    let t = Drbook::new();
    t.args(["plans", "--server", &sim.base_url(), "--api", api.name()])
        .args(args.iter().copied())
        .env("VAO_USERNAME", USER)
        .env("VAO_PASSWORD", PASSWORD);
    let out = t.run();
    (t, out)
}

#[test]
fn plans_lists_every_plan_page_by_page_and_only_reads() {
    for api in SimApi::ALL {
        let sim = five_plans(api);
        let (_, out) = plans_of(&sim, api, &["--format", "json"]);
        out.assert_code(0).assert_stderr_contains("5 plans");
        let listed: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
        let ids: Vec<&str> = listed.iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [PLAN_A, PLAN_B, PLAN_C, PLAN_D, PLAN_E], "{api:?}");
        assert_eq!(listed[0]["name"], "Plan 6f1c2d9e");
        assert_eq!(listed[0]["type"], "Replica");
        assert_eq!(listed[0]["state"], "Verified");
        assert_eq!(listed[0]["mode"], "Enabled");
        assert_eq!(listed[1]["mode"], "Disabled", "{api:?}");
        assert_eq!(listed[2]["type"], "Storage");
        if api != SimApi::Vao3 {
            assert_eq!(listed[0]["readiness"], "Verified", "planVerificationState");
        }
        // Reads only: the token request is the one POST.
        let requests = sim.requests();
        let posts: Vec<&str> = requests
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| r.path.as_str())
            .collect();
        assert_eq!(posts, [api.token_path()], "{api:?}");
        let lists: Vec<&str> = requests
            .iter()
            .filter(|r| r.method == "GET")
            .map(|r| r.path.as_str())
            .collect();
        let prefix = api.prefix();
        let expected: Vec<String> = if api == SimApi::Vao3 {
            vec![format!("{prefix}/Plans")]
        } else {
            [0, 2, 4]
                .iter()
                .map(|start| format!("{prefix}/Plans?start={start}&limit=100"))
                .collect()
        };
        assert_eq!(lists, expected, "{api:?}");

        let (_, out) = plans_of(&sim, api, &["--only-enabled", "--format", "json"]);
        out.assert_code(0)
            .assert_stderr_contains("4 plans (enabled only)");
        let listed: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
        assert!(listed.iter().all(|p| p["id"] != PLAN_B), "{api:?}");
        if api == SimApi::Vao3 {
            let last = sim.requests().last().unwrap().path.clone();
            assert_eq!(last, "/api/v3/Plans?onlyEnabled=true");
        }
    }
}

#[test]
fn plans_prints_a_table_by_default() {
    let sim = five_plans(SimApi::Vro13);
    let (_, out) = plans_of(&sim, SimApi::Vro13, &[]);
    out.assert_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", out.stdout);
    let heading: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        heading,
        ["ID", "NAME", "TYPE", "STATE", "MODE", "READINESS"]
    );
    let second: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        second,
        [
            PLAN_B, "Plan", "0b8a3c1d", "Replica", "Verified", "Disabled", "Verified"
        ]
    );
}

#[test]
fn the_yaml_skeleton_validates_once_it_is_named() {
    for api in SimApi::ALL {
        let sim = five_plans(api);
        let (t, out) = plans_of(&sim, api, &["--format", "yaml"]);
        out.assert_code(0);
        let skeleton = out.stdout.clone();
        assert!(
            skeleton.contains(&format!(
                "version: 1\nname: \"\"\nserver: \"{}\"\napi: {}\nsteps:\n",
                sim.base_url(),
                api.name()
            )),
            "{skeleton}"
        );
        assert!(skeleton.contains(&format!(
            "  - name: \"Plan 6f1c2d9e\"\n    failover: {{ plan_id: {PLAN_A} }}\n"
        )));
        // The disabled plan's step is there, commented out.
        assert!(skeleton.contains(&format!(
            "  # - name: \"Plan 0b8a3c1d\"\n  #   failover: {{ plan_id: {PLAN_B} }}\n"
        )));
        let unnamed = t.file("skeleton.yaml", &skeleton);
        let out = Drbook::new()
            .args(["validate", unnamed.to_str().unwrap()])
            .run();
        out.assert_code(2).assert_stderr_contains("name");
        let named = t.file(
            "named.yaml",
            skeleton.replacen("name: \"\"", "name: \"site-a-to-b\"", 1),
        );
        Drbook::new()
            .args(["validate", named.to_str().unwrap()])
            .run()
            .assert_code(0);
        // And a check of it passes against the server it came from.
        let checked = Drbook::new();
        checked.runbook_file("named.yaml", std::fs::read(&named).unwrap());
        checked
            .live("check", &sim.base_url())
            .yes(false)
            .run()
            .assert_code(0);
    }
}

#[test]
fn plans_refuses_bad_input_like_check() {
    let sim = five_plans(SimApi::Vro7);
    let out = Drbook::new()
        .args(["plans", "--api", "vro7"])
        .env("VAO_USERNAME", USER)
        .env("VAO_PASSWORD", PASSWORD)
        .run();
    out.assert_code(2).assert_stderr_contains("no server");
    let out = Drbook::new()
        .args(["plans", "--server", &sim.base_url(), "--api", "vro7"])
        .run();
    out.assert_code(2).assert_stderr_contains("no credentials");
    let out = Drbook::new()
        .args(["plans", "--server", &sim.base_url(), "--api", "vro8"])
        .run();
    out.assert_code(2).assert_stderr_contains("vro7");
    let out = Drbook::new()
        .args(["plans", "--server", "https://user:pw@vro:9898"])
        .env("VAO_USERNAME", USER)
        .env("VAO_PASSWORD", PASSWORD)
        .run();
    out.assert_code(2);
    assert!(!out.stderr.contains("pw@"), "{}", out.stderr);
    let out = Drbook::new()
        .args([
            "plans",
            "--server",
            &sim.base_url(),
            "--ca-cert",
            "/nonexistent/ca.pem",
        ])
        .env("VAO_USERNAME", USER)
        .env("VAO_PASSWORD", PASSWORD)
        .run();
    out.assert_code(2).assert_stderr_contains("--ca-cert");
    assert!(sim.requests().is_empty(), "nothing sent on bad input");
    // The wrong flavour: the token endpoint is not there, and drbook says what to look at.
    let (_, out) = plans_of(&sim, SimApi::Vao3, &[]);
    out.assert_code(1)
        .assert_stderr_contains("is the API flavour right");
    assert!(sim.requests().iter().all(|r| r.method == "POST"));
}

#[test]
fn the_client_credentials_grant_logs_in_unattended_and_its_secret_never_shows() {
    for api in [SimApi::Vro7, SimApi::Vro13] {
        let plans = vec![plan(PLAN_A, Duration::ZERO), plan(PLAN_B, Duration::ZERO)];
        let sim = sim_with(plans, |config| {
            config.api = api;
            config.client = Some(SimClient {
                id: CLIENT_ID.to_owned(),
                secret: CLIENT_SECRET.to_owned(),
            });
        });
        let t = Drbook::new();
        t.runbook_text(runbook_in(api, &one_failover(PLAN_A)));
        let out = t
            .global_args(["-vvv"])
            .live("run", &sim.base_url())
            .without_credentials()
            .env("VAO_CLIENT_ID", CLIENT_ID)
            .env("VAO_CLIENT_SECRET", CLIENT_SECRET)
            .run();
        out.assert_code(0)
            .assert_stderr_contains(&format!("logged in as client {CLIENT_ID}"));
        let token = &sim.requests()[0];
        assert_eq!(token.path, "/api/token");
        let form: Vec<(String, String)> = url::form_urlencoded::parse(token.body.as_bytes())
            .into_owned()
            .collect();
        assert!(form.contains(&("grant_type".into(), "client_credentials".into())));
        assert!(form.contains(&("client_id".into(), CLIENT_ID.into())));
        assert!(form.contains(&("client_secret".into(), CLIENT_SECRET.into())));
        assert_eq!(sim.accepted_failovers(PLAN_A), 1);
        let everything = format!("{}\n{}\n{}", out.stdout, out.stderr, t.report_texts());
        assert!(!everything.contains(CLIENT_SECRET), "{everything}");

        // From a file, with the id as a flag.
        let t = Drbook::new();
        t.runbook_text(runbook_in(api, &one_failover(PLAN_B)));
        let secret = t.file("client-secret", format!("{CLIENT_SECRET}\n"));
        t.live("check", &sim.base_url())
            .yes(false)
            .without_credentials()
            .args(["--client-id", CLIENT_ID])
            .args(["--client-secret-file", secret.to_str().unwrap()])
            .run()
            .assert_code(0);
    }
    // A client id without its secret is refused before anything is sent.
    let sim = sim_in(SimApi::Vro7, vec![plan(PLAN_A, Duration::ZERO)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    t.without_credentials()
        .args(["--client-id", CLIENT_ID])
        .run()
        .assert_code(2)
        .assert_stderr_contains("never taken as arguments");
    assert!(sim.requests().is_empty());
}

#[test]
fn an_mfa_demand_is_a_clear_error_not_a_loop() {
    for api in SimApi::ALL {
        let sim = sim_with(vec![plan(PLAN_A, Duration::ZERO)], |config| {
            config.api = api;
            config.mfa = true;
        });
        let t = Drbook::new();
        t.runbook_text(runbook_in(api, &one_failover(PLAN_A)));
        let out = t.live("run", &sim.base_url()).run();
        out.assert_code(1)
            .assert_stderr_contains("multi-factor authentication (MFA)")
            .assert_stderr_contains("--client-id");
        let tokens = sim
            .requests()
            .iter()
            .filter(|r| r.path == api.token_path())
            .count();
        assert_eq!(tokens, 1, "{api:?}: asked once, never again");
        assert_eq!(sim.failover_count(PLAN_A), 0);
        assert!(!out.stderr.contains(PASSWORD));

        let (_, out) = plans_of(&sim, api, &[]);
        out.assert_code(1)
            .assert_stderr_contains("cannot answer an MFA prompt");
    }
}

#[test]
fn simulate_follows_the_runbooks_api() {
    for api in SimApi::ALL {
        let t = Drbook::new();
        t.runbook_text(runbook_in(api, &one_failover(PLAN_A)));
        let out = t
            .args([
                "run",
                "rb.yaml",
                "--simulate",
                "--sim-failover-time",
                "100ms",
            ])
            .run();
        out.assert_code(0)
            .assert_stderr_contains(&format!("POST {}/Plans/{PLAN_A}/Failover", api.prefix()));
    }
}

#[test]
fn a_dry_run_shows_the_editions_paths_and_hides_the_client_secret() {
    let t = Drbook::new();
    t.runbook_text(runbook_in(SimApi::Vro13, &one_failover(PLAN_A)));
    let out = t
        .args([
            "run",
            "rb.yaml",
            "--dry-run",
            "--server",
            "https://vro.example:9898",
        ])
        .env("VAO_CLIENT_ID", CLIENT_ID)
        .env("VAO_CLIENT_SECRET", CLIENT_SECRET)
        .run();
    out.assert_code(0);
    assert!(
        out.stdout.contains(&format!(
            "POST https://vro.example:9898/api/token (application/x-www-form-urlencoded, client credentials grant for client {CLIENT_ID}; client secret not shown)"
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&format!(
        "POST https://vro.example:9898/api/v13/Plans/{PLAN_A}/Failover"
    )));
    // --api-prefix and --token-path still win over the edition's.
    let out = t
        .args(["--api-prefix", "/api/v13.1", "--token-path", "/api/token2"])
        .run();
    out.assert_code(0);
    assert!(out.stdout.contains("/api/token2 ("), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("/api/v13.1/Plans/{PLAN_A}/Failover"))
    );
    assert!(!format!("{}{}", out.stdout, t.report_texts()).contains(CLIENT_SECRET));
}

#[test]
fn an_unknown_api_in_the_runbook_is_invalid_input_with_its_position() {
    let t = Drbook::new();
    t.runbook_text(
        runbook_in(SimApi::Vro7, &one_failover(PLAN_A)).replace("api: vro7", "api: vro8"),
    );
    let out = t.args(["validate", "rb.yaml"]).run();
    out.assert_code(2).assert_stderr_contains("rb.yaml:3:6");
    assert!(out.stderr.contains("vro13"), "{}", out.stderr);
}

/// The day a plan halts, in every edition: `on_halt` continues a halted plan; a run that
/// halts without it is shown by `status --live` (reads only, under the edition's prefix),
/// taken forward with `resume --retry --continue` (one Continue, at the edition's path),
/// and a failover refused by VAO is skipped on the operator's word.
#[test]
fn a_halted_plan_is_continued_shown_and_taken_forward_in_every_edition() {
    for api in SimApi::ALL {
        // A live run of two failovers, A then B, that fails: the test and its run id.
        let failed_run = |sim: &Simulator| {
            let t = Drbook::new();
            t.runbook_text(runbook_in(
                api,
                &format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B)),
            ));
            t.live("run", &sim.base_url()).run().assert_code(1);
            let run_id = t.report()["run_id"].as_str().unwrap().to_owned();
            (t, run_id)
        };
        let continues = |sim: &Simulator| -> Vec<String> {
            sim.requests()
                .into_iter()
                .filter(|r| r.method == "POST" && r.path.ends_with("/Continue"))
                .map(|r| r.path)
                .collect()
        };
        // on_halt.
        let sim = sim_in(api, vec![plan(PLAN_A, Duration::ZERO).halting(1)]);
        let t = Drbook::new();
        t.runbook_text(runbook_in(
            api,
            &format!(
                "  - failover:\n      plan_id: {PLAN_A}\n      on_halt: {{ continue: ProceedToNextVm }}\n"
            ),
        ));
        t.live("run", &sim.base_url()).run().assert_code(0);
        let continue_path = format!("{}/Plans/{PLAN_A}/Continue", api.prefix());
        assert_eq!(
            continues(&sim),
            std::slice::from_ref(&continue_path),
            "{api:?}"
        );

        // No on_halt: status --live, then the operator's Continue.
        let sim = sim_in(
            api,
            vec![
                plan(PLAN_A, Duration::ZERO).halting(1),
                plan(PLAN_B, Duration::ZERO),
            ],
        );
        let (t, run_id) = failed_run(&sim);
        let before = sim.requests().len();
        let out = t
            .status([run_id.as_str(), "--live", "--format", "json"])
            .env("VAO_USERNAME", USER)
            .env("VAO_PASSWORD", PASSWORD)
            .run();
        out.assert_code(0);
        let sent: Vec<(String, String)> = sim.requests()[before..]
            .iter()
            .map(|r| (r.method.clone(), r.path.clone()))
            .collect();
        assert_eq!(
            sent,
            [
                ("POST".to_owned(), api.token_path().to_owned()),
                ("GET".to_owned(), format!("{}/Plans/{PLAN_A}", api.prefix())),
            ],
            "{api:?}"
        );
        let status: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(
            status["failed_over"][0]["live"]["phase"], "failed",
            "{api:?}"
        );
        assert_eq!(status["resume"]["on_decision"], true, "{api:?}");
        t.resume(&run_id)
            .args(["--report-dir", &t.reports_dir()])
            .args(["--retry", "--continue", "RetryFailedStep"])
            .run()
            .assert_code(0);
        assert_eq!(continues(&sim), [continue_path], "{api:?}");
        assert_eq!(
            (sim.failover_count(PLAN_A), sim.accepted_failovers(PLAN_B)),
            (1, 1),
            "{api:?}"
        );
        assert_eq!(t.report()["result"], "succeeded", "{api:?}");

        // A refused failover, skipped.
        let mut refusal = drbook::sim::Fault::new(
            drbook::sim::FaultEndpoint::Failover,
            drbook::sim::FaultKind::Status(400),
        );
        refusal.plan = Some(PLAN_A.to_owned());
        let sim = sim_with(
            vec![plan(PLAN_A, Duration::ZERO), plan(PLAN_B, Duration::ZERO)],
            |config| {
                config.api = api;
                config.faults = vec![refusal];
            },
        );
        let (t, run_id) = failed_run(&sim);
        t.resume(&run_id)
            .args(["--report-dir", &t.reports_dir()])
            .args(["--skip", "1", "--reason", "failed over by hand"])
            .run()
            .assert_code(0);
        let sent_to_a = failovers(&sim)
            .iter()
            .filter(|(id, _)| id == PLAN_A)
            .count();
        assert_eq!(
            (sent_to_a, sim.accepted_failovers(PLAN_B)),
            (1, 1),
            "{api:?}"
        );
        let report = t.report();
        assert_eq!(report["steps"][0]["result"], "skipped", "{api:?}");
        assert_eq!(report["result"], "succeeded", "{api:?}");
    }
}
