//! The one way a state-changing call (an undo, a readiness check, a Continue) is sent:
//! once, its intent journalled first, and an unclear answer settled by reading the plan,
//! never by sending again. A failover, whose tries and guard baseline are its own, is
//! `executor.rs`'s.

use super::Executor;
use crate::exec::event::Event;
use crate::runbook::PlanCall;
use crate::vao::{self, PlanStatus, VaoError};
use chrono::Utc;

/// Why a state-changing call sent once is not known to be accepted.
#[derive(Debug, thiserror::Error)]
pub(super) enum CallError {
    #[error("the run's journal cannot be written: the {action} of plan {plan} was not sent")]
    NotDurable {
        action: &'static str,
        plan: uuid::Uuid,
    },
    /// The server refused it, or it certainly did not reach the server.
    #[error(transparent)]
    Refused(VaoError),
    #[error("{unclear}; the plan shows no {action} under way, and drbook does not send it again")]
    NoTrace {
        unclear: VaoError,
        action: &'static str,
    },
    #[error(
        "{unclear}; plan {plan} cannot be read ({error}), so whether the {action} was accepted is unknown: drbook does not send it again"
    )]
    Unknown {
        unclear: VaoError,
        plan: uuid::Uuid,
        action: &'static str,
        error: VaoError,
    },
}

impl Executor<'_> {
    /// Sends a state-changing call once. `Ok(())` when the server accepted it, or when an
    /// unclear answer was followed by a read showing the plan at work (`started`).
    /// `attempt` numbers the request among the step's tries of it (1 for an undo or a
    /// check; a step's Continues count from 1).
    pub(super) async fn post_once(
        &mut self,
        number: usize,
        attempt: u32,
        call: &PlanCall,
        request: &impl vao::PlanRequest,
        started: impl Fn(&Self, &PlanStatus) -> bool,
    ) -> Result<(), CallError> {
        let (action, body) = (request.action(), request.body());
        let path = self.client.options().plan_path(&call.plan_id, action);
        self.emit(Event::Request {
            step: number,
            attempt,
            method: "POST".to_owned(),
            path: path.clone(),
            body: body.clone(),
            at: Utc::now(),
        });
        let plan = call.plan_id;
        if !self.journal_ok() {
            return Err(CallError::NotDurable { action, plan });
        }
        let sent = self.client.plan_action(&call.plan_id, request).await;
        let unclear = match sent {
            Ok(answer) => {
                self.emit_answer(number, &answer);
                let error = vao::client::http_error("POST", &path, &answer);
                match answer.status {
                    200..=299 => return Ok(()),
                    status if status >= 500 || status == 408 => error,
                    _ => return Err(CallError::Refused(error)),
                }
            }
            Err(
                error @ VaoError::Transport {
                    connected: true, ..
                },
            ) => error,
            Err(error) => return Err(CallError::Refused(error)),
        };
        // The try's answer was lost or unclear: the report says so beside the try.
        self.emit(Event::AttemptFailed {
            step: number,
            attempt,
            status: unclear.status(),
            error: unclear.to_string(),
            at: Utc::now(),
        });
        // The server may have acted on a call whose answer was lost: the plan tells.
        match self.read_call(number, call).await {
            Ok(info) => {
                let accepted = started(self, &info.status);
                self.emit(Event::Reconciled {
                    step: number,
                    status: info.status,
                    accepted,
                    at: Utc::now(),
                    of_continue: action == <vao::ContinueRequest as vao::PlanRequest>::ACTION,
                });
                if accepted {
                    return Ok(());
                }
                Err(CallError::NoTrace { unclear, action })
            }
            Err(error) => Err(CallError::Unknown {
                unclear,
                plan,
                action,
                error,
            }),
        }
    }
}
