//! The HTML report's timeline: an inline SVG chart with one bar per step, from its start
//! to its end on the run's clock. Waits, pauses, checks and undos each look different, the
//! drill's clean-up sits on a band of its own, failed steps are red, and every bar carries
//! a tooltip (`<title>`, no script) saying what the step waited for and for how long.

use super::describe::{self, is_cleanup};
use super::model::{Report, StepRecord};
use super::timestamp::Timestamp;
use crate::exec::{StepKind, StepResult};
use maud::{Markup, html};

const WIDTH: f64 = 1000.0;
const LABEL_WIDTH: f64 = 300.0;
const CHART_LEFT: f64 = LABEL_WIDTH + 10.0;
const CHART_RIGHT: f64 = WIDTH - 70.0;
const AXIS_HEIGHT: f64 = 28.0;
const ROW: f64 = 26.0;
const BAR: f64 = 16.0;
const LEGEND_HEIGHT: f64 = 34.0;
/// Where the legend's rows begin, and how far apart they are.
const LEGEND_LEFT: f64 = 40.0;
const LEGEND_ROW: f64 = 18.0;
/// Longest step label before it is cut (the tooltip has it whole).
const LABEL_CHARS: usize = 40;

/// Tick spacings the axis may use, in milliseconds.
const TICKS: [u64; 18] = [
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
    900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000,
];

/// The chart's time range, in milliseconds since the run's start.
struct Scale {
    span: u64,
}

impl Scale {
    fn x(&self, ms: u64) -> f64 {
        CHART_LEFT + (CHART_RIGHT - CHART_LEFT) * (ms.min(self.span) as f64 / self.span as f64)
    }
}

/// One decimal place: enough for a chart, and the SVG stays short.
fn n(value: f64) -> String {
    format!("{value:.1}")
}

/// The CSS class of a step's bar: its kind, or `failed`.
fn bar_class(step: &StepRecord) -> &'static str {
    match step.result {
        StepResult::Failed | StepResult::CheckFailed => "bar failed",
        StepResult::Interrupted => "bar interrupted",
        _ => match step.kind {
            StepKind::Failover => "bar failover",
            StepKind::Wait => "bar wait",
            StepKind::Pause => "bar pause",
            StepKind::Undo | StepKind::UndoFailover => "bar undo",
            StepKind::ReadinessCheck | StepKind::ExpectState => "bar check",
            StepKind::HttpCheck | StepKind::TcpCheck => "bar health",
            StepKind::Command => "bar command",
        },
    }
}

fn label(step: &StepRecord) -> String {
    let text = format!("{}. {}", step.number, step.name);
    if text.chars().count() > LABEL_CHARS {
        let cut: String = text.chars().take(LABEL_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn tooltip(step: &StepRecord) -> String {
    let mut lines = vec![
        format!("{}. {}", step.number, step.name),
        format!(
            "{}: {}",
            step.kind.as_str(),
            describe::step_result(step.result)
        ),
    ];
    if let Some(plan) = &step.plan_id {
        lines.push(format!("plan {plan}"));
    }
    if let Some(group) = &step.group {
        lines.push(format!("in the parallel group {group}"));
    }
    lines.extend(describe::waited_for(step));
    if let (Some(from), Some(to)) = (&step.started_at, &step.finished_at) {
        lines.push(format!("{from} → {to}"));
    }
    lines.extend(describe::waited(step));
    for a in step.attempts.iter().filter(|a| a.halted.is_some()) {
        lines.extend(a.halt_text());
        lines.push(format!(
            "{} → {}",
            a.label(),
            a.status
                .map_or_else(|| "no answer".to_owned(), |s| s.to_string())
        ));
    }
    lines.extend(step.error.clone());
    lines.join("\n")
}

/// The chain of steps that decided when the run's steps ended: from the step that finished
/// last, back through the needed step that finished last each time (the one it really
/// waited for). Empty without `needs` in the report.
pub fn critical_path(report: &Report) -> Vec<usize> {
    let finished = |number: usize| {
        report
            .steps
            .get(number.wrapping_sub(1))
            .and_then(|s| s.finished_at.filter(|_| s.started_at.is_some()))
    };
    let Some(last) = report
        .steps
        .iter()
        .filter(|s| s.needs.is_some())
        .filter_map(|s| Some((finished(s.number)?, s.number)))
        .max()
        .map(|(_, n)| n)
    else {
        return Vec::new();
    };
    let mut chain = vec![last];
    let mut at = last;
    while let Some(before) = report.steps[at - 1]
        .needs
        .iter()
        .flatten()
        .filter_map(|&n| Some((finished(n)?, n)))
        .max()
        .map(|(_, n)| n)
    {
        chain.push(before);
        at = before;
    }
    chain.reverse();
    chain
}

/// Where the chart ends: the run's end, else the last moment any step reached.
fn end_of(report: &Report) -> u64 {
    let start = report.started_at;
    let mut end = report
        .finished_at
        .and_then(|f| start.millis_until(f))
        .unwrap_or(0);
    for step in &report.steps {
        for at in [step.started_at, step.finished_at].into_iter().flatten() {
            end = end.max(start.millis_until(at).unwrap_or(0));
        }
    }
    end
}

/// The run's RTO as a moment: the first failover request plus the target.
fn rto_deadline(report: &Report) -> Option<u64> {
    let target = report.objectives.measured.rto_target_ms?;
    let first = report
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Failover)
        .filter_map(|s| report.started_at.millis_until(s.request.as_ref()?.sent_at))
        .min()?;
    Some(first + target)
}

fn tick_step(span: u64) -> u64 {
    TICKS
        .into_iter()
        .find(|step| span / step <= 8)
        .unwrap_or(span.div_ceil(8).max(1))
}

fn tick_label(ms: u64) -> String {
    match ms {
        0 => "0".to_owned(),
        _ if ms.is_multiple_of(3_600_000) => format!("{} h", ms / 3_600_000),
        _ if ms.is_multiple_of(60_000) => format!("{} min", ms / 60_000),
        _ if ms.is_multiple_of(1_000) => format!("{} s", ms / 1_000),
        _ => format!("{:.1} s", ms as f64 / 1000.0),
    }
}

/// The chart, or `None` when no step has started (nothing to draw).
pub fn render(report: &Report) -> Option<Markup> {
    let start = report.started_at;
    if report.steps.iter().all(|s| s.started_at.is_none()) {
        return None;
    }
    let end = end_of(report).max(1);
    // The RTO line stretches the chart only a little: a deadline far beyond the run's end
    // would squeeze every bar to the left, so it is named in the legend instead.
    let (rto, rto_off_chart) = match rto_deadline(report) {
        Some(deadline) if deadline <= end + end / 4 => (Some(deadline), None),
        other => (None, other),
    };
    let span = end.max(rto.unwrap_or(0));
    let scale = Scale { span };
    let rows = report.steps.len() as f64;
    let chart_bottom = AXIS_HEIGHT + rows * ROW;
    let legend = legend(report.steps.iter().any(|s| s.needs.is_some()));
    // Where the legend's last row is (rows are filled in order), below its first.
    let legend_below = legend.last().map_or(0.0, |(_, _, (_, y))| *y);
    let height = chart_bottom
        + LEGEND_HEIGHT
        + legend_below
        + if rto_off_chart.is_some() { 18.0 } else { 0.0 };
    let at = |t: Timestamp| start.millis_until(t);
    let step_ms = tick_step(span);
    let ticks: Vec<u64> = (0..=span / step_ms).map(|i| i * step_ms).collect();
    let critical = critical_path(report);
    let row_of = |number: usize| AXIS_HEIGHT + (number - 1) as f64 * ROW + ROW / 2.0;
    // An arrow from the end of each needed step to the start of the step that waited for it.
    let (critical_ref, scale_ref) = (&critical, &scale);
    let arrows: Vec<(f64, f64, f64, f64, bool)> = report
        .steps
        .iter()
        .filter_map(|s| Some((s, at(s.started_at?)?)))
        .flat_map(|(s, from)| {
            s.needs.iter().flatten().filter_map(move |&n| {
                let needed = report.steps.get(n - 1)?;
                let ended = at(needed.finished_at?)?;
                let on_path = critical_ref.windows(2).any(|w| w == [n, s.number]);
                Some((
                    scale_ref.x(ended),
                    row_of(n),
                    scale_ref.x(from),
                    row_of(s.number),
                    on_path,
                ))
            })
        })
        .collect();
    let cleanup_rows: Vec<usize> = report
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| is_cleanup(s))
        .map(|(i, _)| i)
        .collect();
    Some(html! {
        svg class="timeline" viewBox=(format!("0 0 {WIDTH} {}", n(height))) width=(WIDTH) height=(n(height))
            role="img" aria-label="Timeline of the run's steps" {
            defs {
                pattern id="hatch-wait" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                    rect width="6" height="6" fill="#cbd5e1" {}
                    line x1="0" y1="0" x2="0" y2="6" stroke="#64748b" stroke-width="2" {}
                }
                pattern id="hatch-pause" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                    rect width="6" height="6" fill="#fde68a" {}
                    line x1="0" y1="0" x2="0" y2="6" stroke="#d97706" stroke-width="2" {}
                }
                @if !arrows.is_empty() {
                    marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto" {
                        path d="M0 0 L8 4 L0 8 z" fill="#475569" {}
                    }
                }
            }
            @if let (Some(first), Some(last)) = (cleanup_rows.first(), cleanup_rows.last()) {
                rect class="cleanup-band" x="0" y=(n(AXIS_HEIGHT + *first as f64 * ROW))
                    width=(WIDTH) height=(n((last - first + 1) as f64 * ROW)) {}
                text class="cleanup-label" x=(n(WIDTH - 6.0)) y=(n(AXIS_HEIGHT + *first as f64 * ROW + 11.0))
                    text-anchor="end" { "clean-up" }
            }
            @for tick in &ticks {
                line class="grid" x1=(n(scale.x(*tick))) x2=(n(scale.x(*tick))) y1=(n(AXIS_HEIGHT - 6.0)) y2=(n(chart_bottom)) {}
                text class="tick" x=(n(scale.x(*tick))) y=(n(AXIS_HEIGHT - 10.0)) text-anchor="middle" { (tick_label(*tick)) }
            }
            @for (i, step) in report.steps.iter().enumerate() {
                @let y = AXIS_HEIGHT + i as f64 * ROW;
                @let bar_y = y + (ROW - BAR) / 2.0;
                text class="label" x=(n(LABEL_WIDTH)) y=(n(y + ROW / 2.0 + 4.0)) text-anchor="end" {
                    title { (format!("{}. {}", step.number, step.name)) }
                    (label(step))
                }
                @match (step.started_at.and_then(at), step.finished_at.and_then(at)) {
                    (Some(from), to) => {
                        @let to = to.unwrap_or(span);
                        @let x1 = scale.x(from);
                        @let x2 = scale.x(to).max(x1 + 2.0);
                        g class="step" {
                            title { (tooltip(step)) }
                            rect class=(bar_class(step)) x=(n(x1)) y=(n(bar_y)) width=(n(x2 - x1)) height=(n(BAR)) rx="3" {}
                            @if critical.contains(&step.number) {
                                rect class="critical" x=(n(x1 - 2.0)) y=(n(bar_y - 2.0)) width=(n(x2 - x1 + 4.0)) height=(n(BAR + 4.0)) rx="4" {}
                            }
                            // Each halt, and the Continue that took the plan on: ▼ on the bar.
                            @for a in step.attempts.iter().filter(|a| a.halted.is_some()) {
                                @if let Some(halted) = a.halted.as_ref().and_then(|h| at(h.at)) {
                                    @let x = scale.x(halted);
                                    path class="halted" d=(format!("M{} {} l5 0 l-5 8 l-5 -8 z", n(x), n(bar_y - 3.0))) {
                                        title { (a.halt_text().unwrap_or_default()) "; " (a.label()) }
                                    }
                                }
                            }
                            @if let Some(approved) = step.approval.as_ref().and_then(|a| at(a.at)) {
                                @let x = scale.x(approved);
                                path class="approved" d=(format!("M{} {} l5 5 l-5 5 l-5 -5 z", n(x), n(bar_y - 2.0))) {}
                            }
                            text class="took" x=(n(x2 + 5.0)) y=(n(y + ROW / 2.0 + 4.0)) {
                                @if matches!(step.result, StepResult::Failed | StepResult::CheckFailed) { "✗ " }
                                @else if step.result == StepResult::Interrupted { "! " }
                                (describe::duration(to.saturating_sub(from)))
                            }
                        }
                    }
                    (None, _) => {
                        text class="notrun" x=(n(CHART_LEFT + 4.0)) y=(n(y + ROW / 2.0 + 4.0)) {
                            (describe::step_result(step.result))
                        }
                    }
                }
            }
            // A needed step's end to the waiting step's start: across, then down.
            @for (x1, y1, x2, y2, on_path) in &arrows {
                @let mid = x1.max(x2 - 6.0);
                path class=(if *on_path { "dep on-path" } else { "dep" })
                    d=(format!("M{} {} H{} V{} H{}", n(*x1), n(*y1), n(mid), n(*y2), n(*x2))) {}
            }
            @if let Some(deadline) = rto {
                line class="rto" x1=(n(scale.x(deadline))) x2=(n(scale.x(deadline))) y1=(n(AXIS_HEIGHT - 6.0)) y2=(n(chart_bottom)) {
                    title { "the run's RTO: the first failover request plus " (describe::duration(report.objectives.measured.rto_target_ms.unwrap_or_default())) }
                }
                text class="rto-label" x=(n(scale.x(deadline) + 3.0)) y=(n(chart_bottom - 4.0)) { "RTO" }
            }
            g class="legend" transform=(format!("translate({} {})", n(LEGEND_LEFT), n(chart_bottom + 12.0))) {
                @for (class, name, (x, y)) in &legend {
                    rect class=(class) x=(n(*x)) y=(n(*y)) width="14" height="12" rx="2" {}
                    text class="legend-text" x=(n(x + 18.0)) y=(n(y + 10.0)) { (name) }
                }
                @if let Some(deadline) = rto_off_chart {
                    text class="rto-label" x="0" y=(n(legend_below + LEGEND_ROW + 14.0)) {
                        "The run's RTO ends at " (describe::duration(deadline))
                        " from the start, beyond the chart →"
                    }
                }
            }
        }
    })
}

/// The legend's entries with their x offsets (text widths estimated at 6.2 px a character);
/// with `needs`, the dependency arrows and the critical path too.
fn legend(needs: bool) -> Vec<(&'static str, &'static str, (f64, f64))> {
    let mut entries = vec![
        ("bar failover", "failover"),
        ("bar wait", "wait"),
        ("bar pause", "pause (◆ approved)"),
        ("bar check", "plan check"),
        ("bar undo", "undo"),
        ("bar health", "health"),
        ("bar command", "command"),
        ("bar failed", "failed"),
        ("halted", "▼ halted, continued"),
    ];
    if needs {
        entries.push(("legend-dep", "→ waited for"));
        entries.push(("critical", "critical path"));
    }
    let (mut x, mut y) = (0.0, 0.0);
    entries
        .into_iter()
        .map(|(class, name)| {
            let width = 18.0 + name.chars().count() as f64 * 6.2 + 16.0;
            // A row is as wide as the chart; what does not fit goes on the next.
            if x > 0.0 && x + width > WIDTH - LEGEND_LEFT {
                (x, y) = (0.0, y + LEGEND_ROW);
            }
            let at = (x, y);
            x += width;
            (class, name, at)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{tick_label, tick_step};

    #[test]
    fn the_axis_has_at_most_nine_round_ticks() {
        assert_eq!(tick_step(7_000), 1_000);
        assert_eq!(tick_step(65_000), 10_000);
        assert_eq!(tick_step(3 * 3_600_000), 1_800_000);
        assert!(30 * 86_400_000 / tick_step(30 * 86_400_000) <= 8);
        assert_eq!(tick_label(0), "0");
        assert_eq!(tick_label(1_500), "1.5 s");
        assert_eq!(tick_label(120_000), "2 min");
    }
}
