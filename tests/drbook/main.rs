//! Integration tests: the real `drbook` binary, over real HTTP, against the VAO simulator on
//! 127.0.0.1 (port 0). Nothing here talks to anything but loopback.

mod auth;
mod checks;
mod dates;
mod docs;
mod drill;
mod examples;
mod exit_codes;
mod faults;
mod flavours;
mod forward;
mod generated;
mod halt;
mod history;
mod interrupt;
mod journal;
mod needs;
mod output;
mod parallel;
mod policies;
mod reports;
mod resilience;
mod robustness;
mod run;
mod secrets;
mod simulator;
mod status;
mod support;
mod templating;
mod validate;
