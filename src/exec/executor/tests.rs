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
        decider: Default::default(),
        ask: false,
        run_id: None,
        redactor: Default::default(),
        asking: None,
    }
}

/// Runs the runbook to its end: its result and every event it emitted.
async fn run(runbook: &Runbook, client: &VaoClient) -> (RunResult, Recorder) {
    let (_stop, interrupt) = watch::channel(false);
    let mut events = Recorder(Vec::new());
    let result = Executor::new(runbook, client, options(), interrupt, &mut events)
        .run()
        .await;
    (result, events)
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
    let (result, events) = run(&runbook, &client).await;
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

/// A simulator whose plan [`A`] halts `times` times, with these faults.
async fn halting(times: usize, faults: Vec<Fault>) -> (Simulator, SimConfig) {
    let mut config = SimConfig::with_plans([A.to_owned()], Duration::ZERO);
    config.plans[0] = config.plans[0].clone().halting(times);
    config.faults = faults;
    let sim = Simulator::start(config.clone(), (std::net::Ipv4Addr::LOCALHOST, 0).into())
        .await
        .unwrap();
    (sim, config)
}

fn continues(events: &[Event]) -> Vec<(crate::vao::ContinueOption, u32, Option<u32>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Continuing {
                option,
                try_number,
                times,
                ..
            } => Some((*option, *try_number, *times)),
            _ => None,
        })
        .collect()
}

/// A Continue whose answer is lost is not sent again: the plan, no longer halted, shows
/// that VAO took it.
#[tokio::test]
async fn a_continue_whose_answer_is_lost_is_reconciled_by_reading_the_plan() {
    let drop = Fault::new(FaultEndpoint::Continue, FaultKind::DropAfterAction);
    let (sim, config) = halting(1, vec![drop]).await;
    let client = client(&sim, &config, Duration::from_secs(5));
    let runbook = runbook(&format!(
        "  - failover:\n      plan_id: {A}\n      on_halt: {{ continue: ProceedToNextVm, times: 3 }}\n"
    ));
    let (result, events) = run(&runbook, &client).await;
    assert_eq!(result, RunResult::Succeeded, "{:#?}", events.0);
    assert_eq!(
        (sim.continue_count(A), sim.accepted_continues(A)),
        (1, 1),
        "sent once"
    );
    assert_eq!(
        continues(&events.0),
        [(crate::vao::ContinueOption::ProceedToNextVm, 1, Some(3))]
    );
    assert!(
        events.0.iter().any(|e| matches!(
            e,
            Event::Reconciled { accepted: true, status, .. } if status.state != "Halted"
        )),
        "{:#?}",
        events.0
    );
    // A proceed completes with warnings.
    assert!(
        events.0.iter().any(|e| matches!(
            e,
            Event::StepFinished {
                result: StepResult::SucceededWithWarnings,
                ..
            }
        )),
        "{:#?}",
        events.0
    );
}

/// The operator's Continue (`drbook resume --retry --continue`): sent once to a halted
/// plan and waited for; refused, sending nothing, when the plan is not halted.
#[tokio::test]
async fn the_operators_continue_goes_to_a_halted_plan_only() {
    let (sim, config) = halting(1, Vec::new()).await;
    let client = client(&sim, &config, Duration::from_secs(5));
    let runbook = runbook(&format!("  - failover: {{ plan_id: {A} }}\n"));
    let (result, mut events) = run(&runbook, &client).await;
    assert_eq!(result, RunResult::Failed);
    assert_eq!(sim.continue_count(A), 0, "no on_halt: nothing continued");
    let step = runbook.steps[0].clone();
    let (_stop, interrupt) = watch::channel(false);
    let mut executor = Executor::new(&runbook, &client, options(), interrupt, &mut events);
    assert!(executor.client.authenticate().await.is_ok());
    let end = executor
        .retry_step(&step, Some(crate::vao::ContinueOption::RetryFailedStep))
        .await;
    assert!(
        matches!(end, StepEnd::Done(StepResult::Succeeded, None)),
        "{:#?}",
        events.0
    );
    let mut executor = Executor::new(
        &runbook,
        &client,
        options(),
        watch::channel(false).1,
        &mut events,
    );
    let end = executor
        .retry_step(&step, Some(crate::vao::ContinueOption::RetryFailedStep))
        .await;
    assert!(
        matches!(&end, StepEnd::Done(StepResult::Failed, Some(why)) if why.contains("not HALTED")),
        "{:#?}",
        events.0
    );
    assert_eq!((sim.continue_count(A), sim.accepted_continues(A)), (1, 1));
    assert_eq!(
        continues(&events.0),
        [(crate::vao::ContinueOption::RetryFailedStep, 1, None)]
    );
}

#[test]
fn poll_backoff_is_off_unless_the_runbook_asks_for_it() {
    assert!(!runbook("  - wait: 1s\n").poll_backoff);
    let text = "version: 1\nname: t\ndefaults:\n  poll_backoff: true\nsteps:\n  - wait: 1s\n";
    let asked = prepare(Source::from_text("rb.yaml", text), &VarInputs::default())
        .expect("a valid runbook")
        .runbook;
    assert!(asked.poll_backoff);
}
