//! The shape of a runbook's schedule given its steps' dependencies: which steps could run
//! at the same time (levels), and the critical path by step count and, with
//! `expected_duration`, in time. `drbook validate` prints it; the executor starts each step
//! as soon as what it waits for has finished (`exec::executor::graph`).
//!
//! What a step waits for ([`waits_for`]): with `needs` (even `[]`), the steps it names;
//! without, the step before it, or every step of the parallel group before it, and a step
//! of a group without `needs` waits for what the group's first step would (the groups of a
//! runbook without `needs` keep their meaning). Only `steps:` count; a drill's `cleanup:`
//! runs after them.

use super::model::{Action, Runbook};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Schedule {
    /// Step numbers by level: level 1 waits for nothing, level n for something on level n-1.
    pub levels: Vec<Vec<usize>>,
    /// The longest chain of dependencies by step count, first step first.
    pub critical_path: Vec<usize>,
    /// The longest chain by expected time, when any step says how long it takes.
    pub critical_time: Option<CriticalTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CriticalTime {
    pub steps: Vec<usize>,
    #[serde(rename = "seconds", serialize_with = "seconds")]
    pub duration: Duration,
    /// Steps without an `expected_duration` (and not a `wait`), counted as 0.
    pub unknown: Vec<usize>,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// For each step (by index), the numbers of the steps it waits for.
pub fn waits_for(runbook: &Runbook) -> Vec<Vec<usize>> {
    let mut result: Vec<Vec<usize>> = Vec::with_capacity(runbook.steps.len());
    // What a step without `needs` waits for: the step or whole group before it.
    let mut before: Vec<usize> = Vec::new();
    // Inside a group: what the group as a whole waits for.
    let mut group_before: Vec<usize> = Vec::new();
    for step in &runbook.steps {
        let group = step.group.map(|g| &runbook.groups[g]);
        if let Some(g) = group
            && step.number == g.first
        {
            group_before = before.clone();
        }
        let implied = if group.is_some() {
            &group_before
        } else {
            &before
        };
        result.push(step.needs.clone().unwrap_or_else(|| implied.clone()));
        match group {
            Some(g) if step.number == g.last => before = (g.first..=g.last).collect(),
            Some(_) => {}
            None => before = vec![step.number],
        }
    }
    result
}

/// Whether step `to` comes before step `from` along what `from` waits for, directly or
/// through other steps (`waits` as [`waits_for`] gives it: every step waits only for
/// earlier ones, so the search never goes below `to`).
pub fn reaches(waits: &[Vec<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; from.saturating_sub(to) + 1];
    let mut stack = vec![from];
    while let Some(at) = stack.pop() {
        for &before in &waits[at - 1] {
            if before == to {
                return true;
            }
            if before > to && !std::mem::replace(&mut seen[before - to], true) {
                stack.push(before);
            }
        }
    }
    false
}

/// The schedule of a runbook, or `None` when no step has `needs` (then it is the file's order).
pub fn of(runbook: &Runbook) -> Option<Schedule> {
    if !runbook.has_needs() {
        return None;
    }
    let durations: Vec<Option<Duration>> = runbook
        .steps
        .iter()
        .map(|s| {
            s.expected_duration.or(match s.action {
                Action::Wait(d) => Some(d),
                _ => None,
            })
        })
        .collect();
    let any_expected = runbook.steps.iter().any(|s| s.expected_duration.is_some());
    Some(compute(
        &waits_for(runbook),
        any_expected.then_some(&durations[..]),
    ))
}

/// The schedule of steps numbered 1.. by index, each waiting for earlier steps
/// (`waits[i]`), with their durations if the critical path in time is wanted.
pub fn compute(waits: &[Vec<usize>], durations: Option<&[Option<Duration>]>) -> Schedule {
    let n = waits.len();
    let mut level = vec![0usize; n];
    // Longest chain ending at each step, by count and by time, and where it came from.
    let mut count = vec![0usize; n];
    let mut count_from: Vec<Option<usize>> = vec![None; n];
    let mut time = vec![Duration::ZERO; n];
    let mut time_from: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        let preds = waits[i].iter().map(|&p| p - 1).filter(|&p| p < i);
        for p in preds {
            level[i] = level[i].max(level[p] + 1);
            if count_from[i].is_none() || count[p] + 1 > count[i] {
                count[i] = count[p] + 1;
                count_from[i] = Some(p);
            }
            if time_from[i].is_none_or(|best| time[p] > time[best]) {
                time_from[i] = Some(p);
            }
        }
        if count_from[i].is_none() {
            count[i] = 1;
        }
        let own = durations.and_then(|d| d[i]).unwrap_or_default();
        time[i] = own + time_from[i].map_or(Duration::ZERO, |p| time[p]);
    }
    let mut levels: Vec<Vec<usize>> = Vec::new();
    for (i, &l) in level.iter().enumerate() {
        if levels.len() <= l {
            levels.resize(l + 1, Vec::new());
        }
        levels[l].push(i + 1);
    }
    let path = |from: &[Option<usize>], end: Option<usize>| {
        let mut steps = Vec::new();
        let mut at = end;
        while let Some(i) = at {
            steps.push(i + 1);
            at = from[i];
        }
        steps.reverse();
        steps
    };
    // The first step (in file order) where the longest chain ends.
    let first_max = |values: &dyn Fn(usize) -> (Duration, usize)| {
        (0..n).fold(None, |best: Option<usize>, i| match best {
            Some(b) if values(b) >= values(i) => Some(b),
            _ => Some(i),
        })
    };
    let by_count = first_max(&|i| (Duration::ZERO, count[i]));
    let critical_time = durations.map(|d| {
        // Equal times: the longer chain (a step of unknown duration still waits).
        let end = first_max(&|i| (time[i], count[i]));
        let steps = path(&time_from, end);
        CriticalTime {
            duration: end.map_or(Duration::ZERO, |e| time[e]),
            unknown: (0..n).filter(|&i| d[i].is_none()).map(|i| i + 1).collect(),
            steps,
        }
    });
    Schedule {
        levels,
        critical_path: path(&count_from, by_count),
        critical_time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(minutes: u64) -> Option<Duration> {
        Some(Duration::from_secs(minutes * 60))
    }

    #[test]
    fn a_chain_is_one_step_per_level() {
        let s = compute(&[vec![], vec![1], vec![2]], None);
        assert_eq!(s.levels, vec![vec![1], vec![2], vec![3]]);
        assert_eq!(s.critical_path, vec![1, 2, 3]);
        assert_eq!(s.critical_time, None);
    }

    #[test]
    fn independent_steps_share_a_level() {
        // 1, 2 free; 3 needs both; 4 needs 1.
        let s = compute(&[vec![], vec![], vec![1, 2], vec![1]], None);
        assert_eq!(s.levels, vec![vec![1, 2], vec![3, 4]]);
        assert_eq!(s.critical_path, vec![1, 3]);
    }

    #[test]
    fn the_longest_chain_by_count_wins_over_an_earlier_short_one() {
        // 1 → 2;  3 → 4 → 5.
        let s = compute(&[vec![], vec![1], vec![], vec![3], vec![4]], None);
        assert_eq!(s.critical_path, vec![3, 4, 5]);
        assert_eq!(s.levels.len(), 3);
    }

    #[test]
    fn fan_in_critical_path_in_time_is_twelve_minutes() {
        // dbA(10m) → appA(2m), dbB(2m) → appB(10m): two groups would take 20m.
        let waits = [vec![], vec![], vec![1], vec![2]];
        let durations = [m(10), m(2), m(2), m(10)];
        let s = compute(&waits, Some(&durations));
        assert_eq!(s.levels, vec![vec![1, 2], vec![3, 4]]);
        let time = s.critical_time.unwrap();
        assert_eq!(time.duration, Duration::from_secs(12 * 60));
        assert_eq!(time.steps, vec![1, 3]);
        assert!(time.unknown.is_empty());
    }

    #[test]
    fn by_time_the_slow_branch_wins_even_with_fewer_steps() {
        // 1(1m) → 2(1m) → 3(1m); 4(30m) → 5 needs 3 and 4 (unknown duration).
        let waits = [vec![], vec![1], vec![2], vec![], vec![3, 4]];
        let durations = [m(1), m(1), m(1), m(30), None];
        let s = compute(&waits, Some(&durations));
        assert_eq!(s.critical_path, vec![1, 2, 3, 5]);
        let time = s.critical_time.unwrap();
        assert_eq!(time.steps, vec![4, 5]);
        assert_eq!(time.duration, Duration::from_secs(30 * 60));
        assert_eq!(time.unknown, vec![5]);
    }
}
