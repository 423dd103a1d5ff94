//! The run's event log as it is written: each event of `events.jsonl` goes, the moment it
//! happens, either to the file being streamed (`scalesim run`: the run's staging folder, see
//! `docs/outputs.md`) or, for callers that want every event back, into memory. Either way the
//! log keeps what the report and exports read, bounded whatever the run's length (see
//! `docs/performance.md`, "Memory"): the decisions the report lists (the first
//! [`LISTED_CAP`], with the conditions each changed) and when each KEDA object's activity
//! changed.

use super::LogEvent;
use super::event_json::Line;
use crate::hpa::{ConditionStatus, ConditionType, Decision, Reason};
use std::io::Write;

/// How many decisions the report lists; the rest are counted.
pub(crate) const LISTED_CAP: usize = 500;

/// A condition as the report compares it: type, status, reason.
type ConditionKey = Vec<(ConditionType, ConditionStatus, Reason)>;

/// An event the report's decision log lists, with the conditions that changed since the same
/// autoscaler's previous logged decision (`type=Status (Reason)`; empty for non-HPA events).
#[derive(Debug, Clone)]
pub(crate) struct ListedEvent {
    pub(crate) event: LogEvent,
    pub(crate) changed_conditions: Vec<String>,
}

/// The report's decision log, built as events are logged: decisions that changed the replicas
/// or a condition, and every other non-pod event (KEDA polls, nodes).
#[derive(Debug, Clone, Default)]
pub(crate) struct DecisionLog {
    /// The first [`LISTED_CAP`] listed events, in log order.
    pub(crate) listed: Vec<ListedEvent>,
    /// Every event that would be listed, the unlisted ones beyond the cap included.
    pub(crate) total: usize,
    /// Each autoscaler's conditions at its previous logged decision.
    previous: Vec<(String, ConditionKey)>,
}

impl DecisionLog {
    /// Take `event` into account, keeping it when it is listed and the cap allows.
    fn observe(&mut self, event: &LogEvent) {
        let changed_conditions = match event {
            LogEvent::Pod(_) => return,
            LogEvent::Autoscaler(a) => {
                let Some(changed) = self.changed_conditions(&a.autoscaler, &a.decision) else {
                    return;
                };
                changed
            }
            LogEvent::Keda(_) | LogEvent::Node(_) => Vec::new(),
        };
        self.total += 1;
        if self.listed.len() < LISTED_CAP {
            self.listed.push(ListedEvent {
                event: event.clone(),
                changed_conditions,
            });
        }
    }

    /// The conditions of `d` not at `autoscaler`'s previous decision, remembering `d`'s; `None`
    /// when the decision is not listed (no rescale, no failed one, no condition changed).
    fn changed_conditions(&mut self, autoscaler: &str, d: &Decision) -> Option<Vec<String>> {
        let key = condition_key(d);
        let before = self.previous.iter_mut().find(|(n, _)| n == autoscaler);
        let is_new = |c: &&(ConditionType, ConditionStatus, Reason)| {
            before.as_ref().is_none_or(|(_, k)| !k.contains(c))
        };
        // Spelled only for a decision that will be listed.
        let changed: Vec<String> = if self.listed.len() < LISTED_CAP {
            key.iter()
                .filter(is_new)
                .map(|(t, s, r)| format!("{t}={s:?} ({r})"))
                .collect()
        } else {
            Vec::new()
        };
        let any_changed = key.iter().any(|c| is_new(&c));
        match before {
            Some(b) => b.1 = key,
            None => self.previous.push((autoscaler.to_string(), key)),
        }
        (d.rescale || d.failed_rescale_to.is_some() || any_changed).then_some(changed)
    }
}

fn condition_key(d: &Decision) -> ConditionKey {
    d.conditions
        .iter()
        .map(|c| (c.condition_type, c.status, c.reason))
        .collect()
}

/// Where the events of a run go.
pub(crate) enum Destination<'w> {
    /// Kept in memory, every one (returned in `RunResult::events`).
    Keep,
    /// Written to this file as they happen.
    Stream(&'w mut dyn Write),
    /// Nowhere: only the summary is wanted (sweep points).
    Discard,
}

/// Where each event goes as it is logged.
pub(crate) struct EventLog<'w> {
    destination: Destination<'w>,
    /// The first write error; nothing more is written after it.
    error: Option<std::io::Error>,
    /// Every event, when kept.
    pub(crate) all: Vec<LogEvent>,
    pub(crate) decisions: DecisionLog,
    /// KEDA objects' activity (name, time, active) at each poll where it changed.
    pub(crate) keda_activity: Vec<(String, f64, bool)>,
    /// The streamed lines not yet handed to the stream (see [`BATCH`]).
    line: Line,
}

impl<'w> EventLog<'w> {
    pub(crate) fn new(destination: Destination<'w>) -> EventLog<'w> {
        EventLog {
            destination,
            error: None,
            all: Vec::new(),
            decisions: DecisionLog::default(),
            keda_activity: Vec::new(),
            line: Line::default(),
        }
    }

    /// Log `event`: write it (or keep it) and note what the report and exports read.
    pub(crate) fn push(&mut self, event: LogEvent) {
        if matches!(self.destination, Destination::Discard) {
            return;
        }
        self.decisions.observe(&event);
        self.note_keda_activity(&event);
        match &mut self.destination {
            Destination::Stream(w) => write_line(&mut **w, &mut self.line, &event, &mut self.error),
            _ => self.all.push(event),
        }
    }

    fn note_keda_activity(&mut self, event: &LogEvent) {
        let LogEvent::Keda(k) = event else { return };
        let Some(p) = &k.poll else { return };
        let last = self
            .keda_activity
            .iter()
            .rev()
            .find(|(n, _, _)| *n == k.autoscaler);
        if last.is_none_or(|(_, _, active)| *active != p.is_active) {
            self.keda_activity
                .push((k.autoscaler.clone(), k.t, p.is_active));
        }
    }

    /// Whether events go to a file rather than into memory.
    pub(crate) fn streamed(&self) -> bool {
        matches!(self.destination, Destination::Stream(_))
    }

    /// Hand the lines still batched to the stream; then the first error writing it, if any.
    pub(crate) fn take_error(&mut self) -> Option<std::io::Error> {
        if let Destination::Stream(w) = &mut self.destination {
            hand_over(&mut **w, &mut self.line, &mut self.error);
        }
        self.error.take()
    }
}

/// Lines are handed to the stream in batches of about this many bytes: a batch at least as
/// large as the stream's buffer goes to the file without another copy.
const BATCH: usize = 1 << 16;

/// Append `event` as one JSON line to the batch `line` and hand the batch to `w` once it is
/// [`BATCH`] bytes long, unless an earlier write failed; the first failure is kept in `error`.
/// The line's bytes are serde_json's, written by [`super::event_json`] when it can.
fn write_line(
    w: &mut dyn Write,
    line: &mut Line,
    event: &LogEvent,
    error: &mut Option<std::io::Error>,
) {
    if error.is_some() {
        return;
    }
    let start = line.len();
    if super::event_json::write_compact(line, event).is_err() {
        line.truncate(start);
        match serde_json::to_vec(event) {
            Ok(bytes) => line.extend_from_slice(&bytes),
            Err(e) => {
                *error = Some(std::io::Error::other(e));
                return;
            }
        }
    }
    line.push(b'\n');
    if line.len() >= BATCH {
        hand_over(w, line, error);
    }
}

/// Write the batch `line` to `w` and empty it, keeping the first failure in `error`.
fn hand_over(w: &mut dyn Write, line: &mut Line, error: &mut Option<std::io::Error>) {
    if error.is_none()
        && let Err(e) = w.write_all(line.as_bytes())
    {
        *error = Some(e);
    }
    line.clear();
}
