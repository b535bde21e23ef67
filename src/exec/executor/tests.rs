//! The executor against the simulator, in process: what the event stream and the server
//! show for the cases the integration tests cannot stage precisely.

use super::*;
use crate::prepare::prepare;
use crate::runbook::Source;
use crate::secret::{Redactor, Secret};
use crate::sim::{Fault, FaultEndpoint, FaultKind, SimConfig, Simulator};
use crate::template::VarInputs;
use crate::vao::{ClientOptions, Credentials};

const A: &str = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";

struct Recorder(Vec<Event>);

impl Listener for Recorder {
    fn on_event(&mut self, event: &Event) {
        self.0.push(event.clone());
    }
}

fn runbook(steps: &str) -> Runbook {
    let text = format!(
        "version: 1\nname: t\ndefaults:\n  poll_interval: 20ms\n  retries: 3\n  retry_delay: 10ms\nsteps:\n{steps}"
    );
    prepare(Source::from_text("rb.yaml", &text), &VarInputs::default())
        .expect("a valid runbook")
        .runbook
}

fn options() -> ExecOptions {
    ExecOptions {
        poll_interval: Duration::from_millis(20),
        force: false,
        halt_on_interrupt: false,
        journal_ok: None,
        approvals: Approvals::default(),
        cleanup: false,
        run_id: String::new(),
        redactor: Default::default(),
    }
}

async fn simulator(faults: Vec<Fault>) -> (Simulator, SimConfig) {
    let mut config = SimConfig::with_plans([A.to_owned()], Duration::ZERO);
    config.faults = faults;
    let sim = Simulator::start(config.clone(), (std::net::Ipv4Addr::LOCALHOST, 0).into())
        .await
        .unwrap();
    (sim, config)
}

fn client(sim: &Simulator, config: &SimConfig, request_timeout: Duration) -> VaoClient {
    let mut options = ClientOptions::new(&sim.base_url());
    options.request_timeout = request_timeout;
    let credentials = Credentials::Password {
        username: config.username.clone(),
        password: Secret::new(config.password.clone()),
    };
    VaoClient::new(options, credentials, Redactor::default()).unwrap()
}

/// A failover whose answer did not come within the request timeout may still be acted on
/// by a slow server: drbook gives it as long again before it reads the plan, and so finds
/// it accepted instead of sending it a second time.
#[tokio::test]
async fn a_failover_that_timed_out_is_given_as_long_again_before_the_plan_is_read() {
    let latency = Duration::from_millis(500);
    let fault = Fault::new(FaultEndpoint::Failover, FaultKind::Latency(latency)).times(1);
    let (sim, config) = simulator(vec![fault]).await;
    let client = client(&sim, &config, Duration::from_millis(400));
    let runbook = runbook(&format!("  - failover: {{ plan_id: {A} }}\n"));
    let (_stop, interrupt) = watch::channel(false);
    let mut events = Recorder(Vec::new());
    let result = Executor::new(&runbook, &client, options(), interrupt, &mut events)
        .run()
        .await;
    assert_eq!(result, RunResult::Succeeded, "{:#?}", events.0);
    assert_eq!(sim.accepted_failovers(A), 1, "sent once");
    let tries = events
        .0
        .iter()
        .filter(|e| matches!(e, Event::Request { .. }))
        .count();
    assert_eq!(tries, 1, "{:#?}", events.0);
    assert!(
        events.0.iter().any(|e| matches!(
            e,
            Event::AttemptFailed { status: None, error, .. } if error.contains("timed out")
        )),
        "{:#?}",
        events.0
    );
}
