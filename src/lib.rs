//! drbook executes disaster-recovery runbooks against the Veeam Availability Orchestrator
//! (VAO) v3 REST API.
//!
//! The code follows the pipeline: [`runbook`] (load and check) → [`template`] (render) →
//! [`prepare`] (the two together) → [`exec`] (plan and execute, against [`vao`]) →
//! [`report`], which [`history`] reads back over time. [`cli`] wires it to the command line; [`sim`] is a VAO simulator for demos
//! and tests. [`secret`] (secrets and the redactor that masks them) serves every layer.

pub mod cli;
pub mod exec;
pub mod history;
pub mod prepare;
pub mod report;
pub mod runbook;
pub mod secret;
pub mod sim;
pub mod template;
pub mod vao;
