//! Writes runbooks of any size for the benchmarks: N failover steps of N distinct plans (a
//! plan may be failed over once per runbook), each step named through a template, so that
//! loading, the schema check, rendering and the typed build all do their real work.
//!
//! Shared by the benchmarks (`benches/prepare.rs`, `benches/e2e/`) and by a test that keeps
//! every generated runbook valid (`tests/drbook/generated.rs`).

use std::fmt::Write;

/// What a generated runbook looks like.
#[derive(Debug, Clone)]
pub struct Spec {
    pub steps: usize,
    /// `defaults.wait_for_completion`.
    pub wait_for_completion: bool,
    /// `defaults.poll_interval`, such as `2s`.
    pub poll_interval: Option<String>,
    /// `server:`, when the runbook names one.
    pub server: Option<String>,
}

impl Spec {
    pub fn new(steps: usize) -> Spec {
        Spec {
            steps,
            wait_for_completion: true,
            poll_interval: None,
            server: None,
        }
    }
}

/// The plan ID of step `index` (0-based): distinct for every index, and a valid hyphenated
/// version-4 UUID.
pub fn plan_id(index: usize) -> String {
    let n = index as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        0x6f1c_0000_u64 + (n >> 16 & 0xffff),
        n & 0xffff,
        n % 0xfff,
        (n * 7) % 0xfff,
        0x0a1b_2c3d_0000_u64 + n
    )
}

/// The plan IDs of a runbook with `steps` steps, in step order.
pub fn plan_ids(steps: usize) -> Vec<String> {
    (0..steps).map(plan_id).collect()
}

/// The runbook's YAML text.
pub fn runbook(spec: &Spec) -> String {
    let mut yaml = String::with_capacity(200 + spec.steps * 160);
    let _ = writeln!(yaml, "version: 1");
    let _ = writeln!(yaml, "name: bench-{}-steps", spec.steps);
    let _ = writeln!(
        yaml,
        "description: Generated for the benchmarks, {} failovers and no waits.",
        spec.steps
    );
    if let Some(server) = &spec.server {
        let _ = writeln!(yaml, "server: {server}");
    }
    let _ = writeln!(yaml, "vars:\n  site: site-b\n  protect: true");
    let _ = writeln!(yaml, "defaults:");
    let _ = writeln!(yaml, "  wait_for_completion: {}", spec.wait_for_completion);
    let _ = writeln!(yaml, "  protect_storage_volumes: \"{{{{protect}}}}\"");
    let _ = writeln!(yaml, "  timeout: 30m");
    if let Some(interval) = &spec.poll_interval {
        let _ = writeln!(yaml, "  poll_interval: {interval}");
    }
    let _ = writeln!(yaml, "steps:");
    for index in 0..spec.steps {
        let _ = writeln!(
            yaml,
            "  - name: \"Fail over application {} to {{{{site}}}}\"\n    failover:\n      plan_id: {}",
            index + 1,
            plan_id(index)
        );
    }
    yaml
}
