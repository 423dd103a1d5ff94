//! A human explanation of a [`Decision`], laid out like `kubectl describe hpa` plus the steps
//! the controller took (proposal `P`, stabilized `S`, the limit that bound the result).

use super::decision::Decision;
use std::fmt::Write;

impl Decision {
    /// A multi-line, `kubectl describe hpa`-like account of this reconcile.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "t={}: {}",
            crate::units::format_seconds(self.now),
            self.reason
        );
        let _ = writeln!(
            out,
            "Min replicas: {}  Max replicas: {}  Current: {} (status {})  Desired: {}{}",
            self.min_replicas,
            self.max_replicas,
            self.current_replicas,
            self.status_replicas,
            self.desired_replicas,
            if self.rescale { " (rescale)" } else { "" }
        );
        if !self.metrics.is_empty() {
            let _ = writeln!(out, "Metrics: ( current / target )");
            let width = self
                .metrics
                .iter()
                .map(|m| m.label.len() + 1)
                .max()
                .unwrap_or(0);
            for m in &self.metrics {
                let label = format!("{}:", m.label);
                let outcome = match (&m.proposal, &m.error) {
                    (Some(p), _) => format!("proposes {p}"),
                    (None, Some(e)) => {
                        format!("{}: {e}", m.failure_reason.as_deref().unwrap_or("error"))
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {label:width$}  {} / {}  → {outcome}",
                    m.current, m.target
                );
            }
        }
        if let Some(p) = self.proposal {
            let _ = writeln!(
                out,
                "Proposal P: {p} ({})",
                self.proposal_metric.as_deref().unwrap_or("")
            );
        }
        if let Some(s) = &self.stabilization {
            match &s.window {
                Some(w) => {
                    let _ = writeln!(
                        out,
                        "Stabilized S: {} (from {}; {}: {w})",
                        s.to, s.from, s.reason
                    );
                }
                None => {
                    let _ = writeln!(out, "Stabilized S: {} ({})", s.to, s.reason);
                }
            }
        }
        if let Some(l) = &self.limit {
            match self.limited_by() {
                Some(by) => {
                    let _ = writeln!(out, "Limited: {} → {} ({by})", l.from, l.to);
                }
                None => {
                    let _ = writeln!(out, "Limits: {} within range ({})", l.to, l.reason);
                }
            }
        }
        if let Some(min) = self.scale_from_zero_floor {
            let _ = writeln!(out, "Scale from zero: raised to minReplicas {min}");
        }
        if !self.conditions.is_empty() {
            let _ = writeln!(out, "Conditions:");
            let _ = writeln!(
                out,
                "  {:<15} {:<7} {:<28} Message",
                "Type", "Status", "Reason"
            );
            for c in &self.conditions {
                let _ = writeln!(
                    out,
                    "  {:<15} {:<7} {:<28} {}",
                    c.condition_type.to_string(),
                    c.status.to_string(),
                    c.reason,
                    c.message
                );
            }
        }
        if !self.events.is_empty() {
            let _ = writeln!(out, "Events:");
            for e in &self.events {
                let _ = writeln!(out, "  {:<8} {:<30} {}", e.event_type, e.reason, e.message);
            }
        }
        out
    }
}
