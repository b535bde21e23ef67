//! Fault injection: which requests a [`Fault`] hits and what it does to them.
//!
//! Faults are checked in order for every request; each fault counts the
//! requests that match its endpoint and plan, whichever fault wins. The first
//! fault that is due for the request wins: its `after` matching requests have
//! gone by, it has been applied fewer than `count` times (or `count` is 0),
//! and, with a `probability`, the draw for this request came up. A draw
//! depends only on the seed, the fault's position in the list and the
//! request's position among the requests that fault matched, so the same
//! requests in the same order meet the same faults in every run.

use std::time::Duration;

use serde::Deserialize;

/// Which requests a fault applies to. Requests that name no known route
/// are matched by [`FaultEndpoint::Any`] only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultEndpoint {
    /// `POST /token`.
    Token,
    /// `GET /api/v3/Plans`.
    Plans,
    /// `GET /api/v3/Plans/{id}`.
    Plan,
    /// `GET /api/v3/RuntimeDetails/Plans/{id}`.
    RuntimeDetails,
    /// `POST /api/v3/Plans/{id}/Failover`.
    Failover,
    /// `POST /api/v3/Plans/{id}/Undo`.
    Undo,
    /// `POST /api/v3/Plans/{id}/Halt`.
    Halt,
    /// `POST /api/v3/Plans/{id}/ReadinessCheck`.
    ReadinessCheck,
    /// `POST /api/v3/Plans/{id}/Continue`.
    Continue,
    /// Every request.
    Any,
}

impl FaultEndpoint {
    /// Whether requests to this endpoint are about one plan.
    pub fn names_a_plan(self) -> bool {
        !matches!(self, FaultEndpoint::Token | FaultEndpoint::Plans)
    }

    /// Whether a [`FaultKind::Halt`] can hit its requests: they start a failover run.
    pub fn can_halt(self) -> bool {
        matches!(self, FaultEndpoint::Failover | FaultEndpoint::Continue)
    }
}

/// What a fault does to a request it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Waits this long, then handles the request normally. The request is
    /// handled even if the client gives up waiting, as a slow server would.
    Latency(Duration),
    /// Answers this status (meant for 400–599) with a JSON message, without
    /// acting.
    Status(u16),
    /// Answers 429 with `Retry-After: <seconds>`, without acting.
    RetryAfter(u64),
    /// Handles the request (a failover, undo or check starts and counts as
    /// accepted), then closes the connection without sending any of the
    /// answer.
    DropAfterAction,
    /// Answers 401 like an expired token, without acting; the token stays
    /// valid.
    Unauthorized,
    /// Handles a failover or a `Continue` normally, except that the run it starts halts
    /// (a failover halfway, a continued run where it stopped) whatever the plan's outcome.
    Halt,
}

impl FaultKind {
    /// The name used in plans files and in [`super::RecordedRequest::fault`]:
    /// `latency`, `status`, `retry_after`, `drop_after_action`, `unauthorized`, `halt`.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Latency(_) => "latency",
            FaultKind::Status(_) => "status",
            FaultKind::RetryAfter(_) => "retry_after",
            FaultKind::DropAfterAction => "drop_after_action",
            FaultKind::Unauthorized => "unauthorized",
            FaultKind::Halt => "halt",
        }
    }
}

/// One injected fault. See the module documentation for how faults are
/// matched; [`Fault::new`] and the builder methods set the fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub endpoint: FaultEndpoint,
    /// Only requests about this plan (case-insensitive); `None` for all.
    pub plan: Option<String>,
    pub kind: FaultKind,
    /// Matching requests to let through before the fault applies.
    pub after: usize,
    /// How many requests the fault hits after that; 0 for every one.
    pub count: usize,
    /// Hit each due request with this probability (0.0–1.0), drawn from the
    /// simulator's seed; `None` for always.
    pub probability: Option<f64>,
}

impl Fault {
    /// A fault that hits the first matching request once.
    pub fn new(endpoint: FaultEndpoint, kind: FaultKind) -> Self {
        Fault {
            endpoint,
            plan: None,
            kind,
            after: 0,
            count: 1,
            probability: None,
        }
    }

    /// Only requests about this plan.
    pub fn for_plan(mut self, plan_id: impl Into<String>) -> Self {
        self.plan = Some(plan_id.into());
        self
    }

    /// Lets the first `n` matching requests through.
    pub fn skip(mut self, n: usize) -> Self {
        self.after = n;
        self
    }

    /// Hits `n` requests (0: every one).
    pub fn times(mut self, n: usize) -> Self {
        self.count = n;
        self
    }

    /// Hits each due request with probability `p`.
    pub fn with_probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }

    fn matches(&self, request: &FaultTarget) -> bool {
        let endpoint_ok =
            self.endpoint == FaultEndpoint::Any || Some(self.endpoint) == request.endpoint;
        let plan_ok = match (&self.plan, &request.plan) {
            (None, _) => true,
            (Some(want), Some(got)) => want.trim().eq_ignore_ascii_case(got),
            (Some(_), None) => false,
        };
        endpoint_ok && plan_ok
    }
}

/// What a request is about, as far as faults care.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FaultTarget {
    /// `None` for a request that matches no known route.
    pub endpoint: Option<FaultEndpoint>,
    /// The plan id in the path, if any.
    pub plan: Option<String>,
}

/// The faults of one simulator with their counters.
pub(crate) struct FaultPlan {
    seed: u64,
    faults: Vec<FaultCounter>,
}

struct FaultCounter {
    fault: Fault,
    /// Requests that matched so far.
    seen: usize,
    /// Requests the fault hit so far.
    hits: usize,
}

impl FaultPlan {
    pub(crate) fn new(faults: Vec<Fault>, seed: u64) -> Self {
        FaultPlan {
            seed,
            faults: faults
                .into_iter()
                .map(|fault| FaultCounter {
                    fault,
                    seen: 0,
                    hits: 0,
                })
                .collect(),
        }
    }

    /// The fault that hits this request, if any; advances the counters.
    pub(crate) fn pick(&mut self, request: &FaultTarget) -> Option<FaultKind> {
        let mut winner = None;
        for (position, counter) in self.faults.iter_mut().enumerate() {
            if !counter.fault.matches(request) {
                continue;
            }
            let index = counter.seen;
            counter.seen = counter.seen.saturating_add(1);
            if winner.is_some() || index < counter.fault.after {
                continue;
            }
            if counter.fault.count != 0 && counter.hits >= counter.fault.count {
                continue;
            }
            if let Some(p) = counter.fault.probability {
                // A NaN probability never hits.
                if unit_draw(self.seed, position, index) >= p || p.is_nan() {
                    continue;
                }
            }
            counter.hits = counter.hits.saturating_add(1);
            winner = Some(counter.fault.kind);
        }
        winner
    }
}

/// A number in `[0, 1)` determined by the seed, a fault's position and the
/// index of the request among those it matched (splitmix64 rounds).
fn unit_draw(seed: u64, position: usize, index: usize) -> f64 {
    let mut h = splitmix64(seed);
    h = splitmix64(h ^ position as u64);
    h = splitmix64(h ^ index as u64);
    // The top 53 bits fill an f64 mantissa exactly.
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";
    const B: &str = "0b8a3c1d-2e4f-4a6b-9c8d-7e6f5a4b3c2d";

    fn target(endpoint: FaultEndpoint, plan: Option<&str>) -> FaultTarget {
        FaultTarget {
            endpoint: Some(endpoint),
            plan: plan.map(str::to_string),
        }
    }

    fn hits(plan: &mut FaultPlan, request: &FaultTarget, n: usize) -> Vec<Option<&'static str>> {
        (0..n)
            .map(|_| plan.pick(request).map(|k| k.name()))
            .collect()
    }

    #[test]
    fn after_and_count() {
        let failover = target(FaultEndpoint::Failover, Some(A));
        let mut plan = FaultPlan::new(
            vec![
                Fault::new(FaultEndpoint::Failover, FaultKind::Status(503))
                    .skip(1)
                    .times(2),
            ],
            0,
        );
        assert_eq!(
            hits(&mut plan, &failover, 5),
            [None, Some("status"), Some("status"), None, None]
        );
        let mut every = FaultPlan::new(
            vec![Fault::new(FaultEndpoint::Any, FaultKind::Unauthorized).times(0)],
            0,
        );
        assert_eq!(hits(&mut every, &failover, 3), [Some("unauthorized"); 3]);
        assert_eq!(
            every.pick(&FaultTarget::default()),
            Some(FaultKind::Unauthorized)
        );
    }

    #[test]
    fn first_due_fault_wins_and_all_matching_faults_count() {
        let failover = target(FaultEndpoint::Failover, Some(A));
        let mut plan = FaultPlan::new(
            vec![
                Fault::new(FaultEndpoint::Failover, FaultKind::Status(503)).times(2),
                Fault::new(FaultEndpoint::Any, FaultKind::DropAfterAction).skip(2),
            ],
            0,
        );
        assert_eq!(
            hits(&mut plan, &failover, 4),
            [
                Some("status"),
                Some("status"),
                Some("drop_after_action"),
                None
            ]
        );
    }

    #[test]
    fn endpoint_and_plan_filters() {
        let mut plan = FaultPlan::new(
            vec![
                Fault::new(FaultEndpoint::RuntimeDetails, FaultKind::RetryAfter(1))
                    .for_plan(A.to_uppercase())
                    .times(0),
            ],
            0,
        );
        assert_eq!(
            plan.pick(&target(FaultEndpoint::RuntimeDetails, Some(B))),
            None
        );
        assert_eq!(plan.pick(&target(FaultEndpoint::Plan, Some(A))), None);
        assert_eq!(plan.pick(&target(FaultEndpoint::Token, None)), None);
        assert_eq!(
            plan.pick(&target(FaultEndpoint::RuntimeDetails, Some(A))),
            Some(FaultKind::RetryAfter(1))
        );
        assert!(!FaultEndpoint::Token.names_a_plan());
        assert!(FaultEndpoint::Any.names_a_plan());
    }

    #[test]
    fn probability_is_reproducible_from_the_seed() {
        let run = |seed| {
            let mut plan = FaultPlan::new(
                vec![
                    Fault::new(FaultEndpoint::Failover, FaultKind::Status(500))
                        .times(0)
                        .with_probability(0.3),
                ],
                seed,
            );
            hits(&mut plan, &target(FaultEndpoint::Failover, Some(A)), 200)
        };
        let first = run(7);
        assert_eq!(first, run(7));
        assert_ne!(first, run(8));
        let hit = first.iter().filter(|h| h.is_some()).count();
        assert!((30..=90).contains(&hit), "{hit} of 200");
        for p in [0.0, f64::NAN] {
            let mut never = FaultPlan::new(
                vec![
                    Fault::new(FaultEndpoint::Any, FaultKind::Unauthorized)
                        .times(0)
                        .with_probability(p),
                ],
                1,
            );
            assert_eq!(hits(&mut never, &FaultTarget::default(), 50), [None; 50]);
        }
        let draws: Vec<f64> = (0..1000).map(|i| unit_draw(3, 0, i)).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
    }

    #[test]
    fn probability_counts_hits_not_chances() {
        // With a probability, `count` bounds the hits: the fault keeps
        // drawing until it has hit `count` requests.
        let mut plan = FaultPlan::new(
            vec![
                Fault::new(FaultEndpoint::Failover, FaultKind::DropAfterAction)
                    .times(2)
                    .with_probability(0.5),
            ],
            11,
        );
        let seen = hits(&mut plan, &target(FaultEndpoint::Failover, Some(A)), 200);
        assert_eq!(seen.iter().filter(|h| h.is_some()).count(), 2);
    }
}
