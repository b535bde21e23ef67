//! The history page's chart: a runbook's recovery time per drill over time, as inline SVG
//! (no script). One series for the whole run (first failover request to the last plan
//! failed over) and one per plan, the RTO target as a dashed line stepping with the
//! drills' targets, and a cross on the axis for a drill that recovered nothing it could
//! measure. Every point has a tooltip (`<title>`).

use super::model::{Drill, RunbookHistory};
use crate::report::describe;
use maud::{Markup, html};

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = WIDTH - 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = HEIGHT - 36.0;

/// Series colours, in order (the whole run first, in slate).
const COLOURS: [&str; 9] = [
    "#334155", "#2563eb", "#0d9488", "#7c3aed", "#d97706", "#db2777", "#65a30d", "#0891b2",
    "#9333ea",
];

fn n(value: f64) -> String {
    format!("{value:.1}")
}

/// One line of the chart: its name and its points (drill index, milliseconds).
struct Series {
    key: String,
    name: String,
    class: &'static str,
    points: Vec<(usize, u64, Option<bool>)>,
}

/// The whole run, then each plan (by plan id, in the order they first appear, named after
/// their latest step).
fn series(drills: &[Drill]) -> Vec<Series> {
    let mut all = vec![Series {
        key: "run".to_owned(),
        name: "whole run".to_owned(),
        class: "series run",
        points: Vec::new(),
    }];
    for (i, drill) in drills.iter().enumerate() {
        if let Some(ms) = drill.recovery_time_ms {
            all[0].points.push((i, ms, drill.rto_met));
        }
        for plan in &drill.plans {
            let key = plan
                .plan_id
                .map_or_else(|| format!("step {}", plan.step), |id| id.to_string());
            let at = match all.iter().position(|s| s.key == key) {
                Some(at) => at,
                None => {
                    all.push(Series {
                        key,
                        name: String::new(),
                        class: "series plan",
                        points: Vec::new(),
                    });
                    all.len() - 1
                }
            };
            let entry = &mut all[at];
            entry.name = match plan.plan_id {
                Some(id) => format!("{} ({})", plan.name, &id.to_string()[..8]),
                None => plan.name.clone(),
            };
            if let Some(ms) = plan.recovery_time_ms {
                entry.points.push((i, ms, plan.rto_met));
            }
        }
    }
    all
}

/// The RTO each drill was held to: the run's, else the one target every plan shares.
fn rto(drill: &Drill) -> Option<u64> {
    drill.rto_target_ms.or_else(|| {
        let mut targets = drill.plans.iter().map(|p| p.rto_target_ms);
        let first = targets.next()??;
        targets.all(|t| t == Some(first)).then_some(first)
    })
}

/// Tick spacings of the value axis, in milliseconds: round durations.
const TICKS: [u64; 27] = [
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000,
    120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 21_600_000,
    43_200_000, 86_400_000,
];

/// The tick spacing for a value axis up to `max`: at most six ticks.
fn tick(max: u64) -> u64 {
    TICKS
        .into_iter()
        .find(|step| max / step <= 5)
        .unwrap_or(max.div_ceil(5).max(1))
}

fn time_label(at: chrono::DateTime<chrono::Utc>, span_ms: i64) -> String {
    let format = if span_ms < 86_400_000 {
        "%H:%M:%S"
    } else {
        "%Y-%m-%d"
    };
    at.format(format).to_string()
}

/// The chart of a runbook's drills, or `None` when it has none.
pub fn render(rb: &RunbookHistory) -> Option<Markup> {
    let drills = &rb.drills;
    if drills.is_empty() {
        return None;
    }
    let series = series(drills);
    let targets: Vec<Option<u64>> = drills.iter().map(rto).collect();
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(targets.iter().flatten().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let y_max = max + max / 10;
    let y = |ms: u64| BOTTOM - (BOTTOM - TOP) * (ms as f64 / y_max as f64);
    let first = drills[0].started_at.utc();
    let last = drills[drills.len() - 1].started_at.utc();
    let span = (last - first).num_milliseconds().max(0);
    let x = |i: usize| {
        if span == 0 {
            (LEFT + RIGHT) / 2.0
        } else {
            let at = (drills[i].started_at.utc() - first).num_milliseconds();
            LEFT + 10.0 + (RIGHT - LEFT - 20.0) * (at as f64 / span as f64)
        }
    };
    let step = tick(y_max);
    let ticks: Vec<u64> = (0..=y_max / step).map(|i| i * step).collect();
    // The RTO as a stepped line: each drill's target holds until the next drill's.
    let mut rto_path = String::new();
    let mut previous: Option<u64> = None;
    for (i, target) in targets.iter().enumerate() {
        match (target, previous) {
            (Some(t), None) => {
                // From the chart's left edge for the first drill, else just before its drill.
                let from = if i == 0 { LEFT } else { x(i) - 8.0 };
                rto_path.push_str(&format!("M{} {} ", n(from), n(y(*t))));
            }
            (Some(t), Some(p)) => rto_path.push_str(&format!(
                "L{} {} L{} {} ",
                n(x(i)),
                n(y(p)),
                n(x(i)),
                n(y(*t))
            )),
            (None, _) => {}
        }
        previous = *target;
        if target.is_none() {
            previous = None;
        }
    }
    if let Some(p) = previous {
        rto_path.push_str(&format!("L{} {}", n(RIGHT), n(y(p))));
    }
    // The series and the RTO target, three to a row.
    let legend_rows = (series.len() + 1).div_ceil(3);
    let height = HEIGHT + 18.0 * legend_rows as f64;
    let label = format!("Recovery time per drill of {}", rb.name);
    Some(html! {
        svg class="history-chart" viewBox=(format!("0 0 {WIDTH} {}", n(height))) width=(WIDTH) height=(n(height))
            role="img" aria-label=(label) {
            @for t in &ticks {
                line class="grid" x1=(n(LEFT)) x2=(n(RIGHT)) y1=(n(y(*t))) y2=(n(y(*t))) {}
                text class="tick" x=(n(LEFT - 6.0)) y=(n(y(*t) + 4.0)) text-anchor="end" { (describe::duration(*t)) }
            }
            line class="axis" x1=(n(LEFT)) x2=(n(RIGHT)) y1=(n(BOTTOM)) y2=(n(BOTTOM)) {}
            text class="tick" x=(n(x(0))) y=(n(BOTTOM + 16.0)) text-anchor="middle" { (time_label(first, span)) }
            @if span > 0 {
                text class="tick" x=(n(x(drills.len() - 1))) y=(n(BOTTOM + 16.0)) text-anchor="middle" { (time_label(last, span)) }
            }
            @if !rto_path.is_empty() {
                path class="rto" d=(rto_path.trim_end()) fill="none" {
                    title { "RTO target" }
                }
            }
            @for (s, colour) in series.iter().zip(COLOURS.iter().cycle()) {
                g class=(s.class) data-series=(s.key) stroke=(colour) fill=(colour) {
                    title { (s.name) }
                    @if s.points.len() > 1 {
                        polyline fill="none" stroke-width="2" points=(
                            s.points.iter().map(|(i, ms, _)| format!("{},{}", n(x(*i)), n(y(*ms)))).collect::<Vec<_>>().join(" ")
                        ) {}
                    }
                    @for (i, ms, met) in &s.points {
                        circle class=(if *met == Some(false) { "point missed" } else { "point" })
                            cx=(n(x(*i))) cy=(n(y(*ms))) r="4" {
                            title {
                                (s.name) ": " (describe::duration(*ms)) " on " (drills[*i].started_at)
                                @if *met == Some(false) { " (RTO missed)" }
                            }
                        }
                    }
                }
            }
            @for (i, drill) in drills.iter().enumerate() {
                @if drill.recovery_time_ms.is_none() {
                    text class="unrecovered" x=(n(x(i))) y=(n(BOTTOM + 4.0)) text-anchor="middle" {
                        title { "drill " (drill.run_id) ": " (describe::run_result(drill.result)) ", no recovery time measured" }
                        "✗"
                    }
                }
            }
            g class="legend" transform=(format!("translate({} {})", n(LEFT), n(HEIGHT - 8.0))) {
                @for (k, (s, colour)) in series.iter().zip(COLOURS.iter().cycle()).enumerate() {
                    @let (col, row) = (k % 3, k / 3);
                    rect x=(n(col as f64 * 300.0)) y=(n(row as f64 * 18.0)) width="14" height="4" fill=(colour) {}
                    text class="legend-text" x=(n(col as f64 * 300.0 + 20.0)) y=(n(row as f64 * 18.0 + 6.0)) { (s.name) }
                }
                @if !rto_path.is_empty() {
                    @let (col, row) = (series.len() % 3, series.len() / 3);
                    line class="rto" x1=(n(col as f64 * 300.0)) x2=(n(col as f64 * 300.0 + 14.0))
                        y1=(n(row as f64 * 18.0 + 2.0)) y2=(n(row as f64 * 18.0 + 2.0)) {}
                    text class="legend-text rto-label" x=(n(col as f64 * 300.0 + 20.0)) y=(n(row as f64 * 18.0 + 6.0)) { "RTO target" }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::tick;

    #[test]
    fn value_ticks_are_round() {
        assert_eq!(tick(330), 100);
        assert_eq!(tick(1_100), 200);
        assert_eq!(tick(3_960_000), 900_000);
    }
}
