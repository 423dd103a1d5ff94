//! Control-plane faults (`faults:` with `component:`) at run time, as upstream behaves
//! (docs/faults.md): KEDA's metrics adapter or operator, metrics-server or the controller
//! manager unavailable over a window. The handlers of `sim/mod.rs` ask here whether the
//! component they run in is down; this module then skips the act, reschedules it for when the
//! component is back and drops the memory upstream keeps only in the process.

use super::{Control, Run};
use crate::hpa::MetricReading;
use crate::settings::faults::{Component, Fault, down_until};

/// What the HPA's External metrics client gets while KEDA's metrics adapter is down: the
/// aggregated API is unavailable.
const ADAPTER_DOWN: &str = "the server is currently unable to handle the request (get external.metrics.k8s.io) (keda-metrics-apiserver down: injected fault)";

/// What the adapter answers while no KEDA operator leads: it asks the operator's gRPC metrics
/// service for every value, and that service runs in the leader only.
const OPERATOR_DOWN: &str = "rpc error: code = Unavailable: no connection to the KEDA operator's metrics service (keda-operator down: injected fault)";

/// What the HPA's resource metrics client gets while metrics-server is down.
pub(crate) const METRICS_SERVER_DOWN: &str = "the server is currently unable to handle the request (get pods.metrics.k8s.io) (metrics-server down: injected fault)";

/// The error an External metric request fails with at `now`, when KEDA's adapter or operator
/// is down; None when the request reaches the operator.
pub(super) fn external_outage(faults: &[Fault], now: f64) -> Option<MetricReading> {
    if down_until(faults, Component::KedaMetricsApiserver, now).is_some() {
        Some(MetricReading::Error(ADAPTER_DOWN.into()))
    } else if down_until(faults, Component::KedaOperator, now).is_some() {
        Some(MetricReading::Error(OPERATOR_DOWN.into()))
    } else {
        None
    }
}

/// The windows during which `component` is down, in time order.
pub(super) fn outages(faults: &[Fault], component: Component) -> Vec<(f64, f64)> {
    let mut w: Vec<(f64, f64)> = faults
        .iter()
        .filter(|f| f.component() == Some(component))
        .map(|f| (f.from, f.to))
        .collect();
    w.sort_by(|a, b| a.0.total_cmp(&b.0));
    w
}

/// The periodic acts a component restart re-planned: per controller, the loop epoch of the
/// restarted chain (KEDA's objects; 0 for the others) and the instant of its next act. A tick of the
/// chain from before the restart comes at another instant and is dropped.
#[derive(Debug, Default)]
pub(super) struct Restarted {
    hpa_syncs: Vec<Option<(u32, f64)>>,
    keda_hpa_syncs: Vec<Option<(u32, f64)>>,
    keda_polls: Vec<Option<(u32, f64)>>,
    job_polls: Vec<Option<(u32, f64)>>,
}

/// Is a tick at `now` of a chain whose next act after a restart is `expected` stale? A tick
/// that is not updates `expected` to `next`.
fn stale(expected: &mut Vec<Option<(u32, f64)>>, i: usize, tag: u32, now: f64, next: f64) -> bool {
    if expected.len() <= i {
        expected.resize(i + 1, None);
    }
    match expected[i] {
        Some((t, at)) if t == tag && at != now => true,
        Some((t, _)) if t == tag => {
            expected[i] = Some((tag, next));
            false
        }
        _ => {
            expected[i] = None;
            false
        }
    }
}

fn expect(expected: &mut Vec<Option<(u32, f64)>>, i: usize, v: (u32, f64)) {
    if expected.len() <= i {
        expected.resize(i + 1, None);
    }
    expected[i] = Some(v);
}

impl Run<'_, '_> {
    pub(super) fn is_down(&self, component: Component, now: f64) -> bool {
        down_until(&self.scenario.faults, component, now).is_some()
    }

    /// Give metrics-server its outages (it serves no resource metrics and loses its samples),
    /// and plan each component's start at the end of its outage.
    pub(super) fn plan_control_plane_faults(&mut self) {
        let w = outages(&self.scenario.faults, Component::MetricsServer);
        self.metrics_server.set_outages(w);
        for (k, f) in self.scenario.faults.iter().enumerate() {
            if f.component().is_some() && f.to < self.end {
                self.agenda.schedule(f.to, Control::ComponentStart(k));
            }
        }
    }

    /// The component of `faults[k]` starts again (unless another outage still holds it).
    pub(super) fn on_component_start(&mut self, now: f64, k: usize) {
        let Some(c) = self.scenario.faults[k].component() else {
            return;
        };
        if self.is_down(c, now) {
            return;
        }
        match c {
            Component::ControllerManager => self.start_controller_manager(now),
            Component::KedaOperator => self.start_keda_operator(now),
            Component::MetricsServer | Component::KedaMetricsApiserver => {}
        }
    }

    /// kube-controller-manager starts: the HPA controller's in-memory histories are empty (the
    /// HPAs' status, in the API server, is kept); its informer lists every HPA and queues it
    /// rate-limited, so each is first synced one sync period after the start.
    fn start_controller_manager(&mut self, now: f64) {
        for i in 0..self.hpas.len() {
            let d = &mut self.hpas[i];
            d.restart_controller();
            let at = now + d.sync_period();
            self.agenda.schedule(at, Control::HpaSync(i));
            expect(&mut self.restarted.hpa_syncs, i, (0, at));
        }
        for i in 0..self.scaled_objects.len() {
            let so = &mut self.scaled_objects[i];
            if so.is_deleted() {
                continue;
            }
            if let Some(h) = so.hpa.as_mut() {
                h.restart_controller();
            }
            let (epoch, at) = (so.hpa_epoch, now + so.hpa_sync_period());
            self.agenda.schedule(at, Control::KedaHpaSync(i, epoch));
            expect(&mut self.restarted.keda_hpa_syncs, i, (epoch, at));
        }
    }

    /// A KEDA operator leads again (restarted, or a standby that acquired the lease): it
    /// rebuilds its scalers and metrics cache (what `status` holds — last active time, fallback
    /// health — survives) and starts every loop at once.
    fn start_keda_operator(&mut self, now: f64) {
        for i in 0..self.scaled_objects.len() {
            let so = &mut self.scaled_objects[i];
            if so.is_deleted() {
                continue;
            }
            so.restart_operator();
            let epoch = so.loop_epoch;
            self.agenda.schedule(now, Control::KedaPoll(i, epoch));
            expect(&mut self.restarted.keda_polls, i, (epoch, now));
        }
        for i in 0..self.scaled_jobs.len() {
            self.agenda.schedule(now, Control::JobPoll(i));
            expect(&mut self.restarted.job_polls, i, (0, now));
        }
    }

    /// Plan ScaledJob `i`'s loop to tick at `at` (a change restarted it): earlier planned
    /// ticks are then stale.
    pub(super) fn plan_job_poll(&mut self, i: usize, at: f64) {
        self.agenda.schedule(at, Control::JobPoll(i));
        expect(&mut self.restarted.job_polls, i, (0, at));
    }

    /// When KEDA's operator leads again, if no operator leads at `now`: a change to a KEDA
    /// object waits for it (the operator reconciles it when it starts).
    pub(super) fn keda_operator_back_at(&self, now: f64) -> Option<f64> {
        down_until(&self.scenario.faults, Component::KedaOperator, now)
    }

    /// Should hand-made HPA `i`'s sync at `now` be skipped? While the controller manager is
    /// down, or a tick planned before it restarted.
    pub(super) fn hpa_sync_held(&mut self, now: f64, i: usize) -> bool {
        if self.is_down(Component::ControllerManager, now) {
            return true;
        }
        let next = now + self.hpas[i].sync_period();
        stale(&mut self.restarted.hpa_syncs, i, 0, now, next)
    }

    /// Should the sync at `now` of the HPA ScaledObject `i` generated be skipped? As
    /// [`Self::hpa_sync_held`].
    pub(super) fn keda_hpa_sync_held(&mut self, now: f64, i: usize, epoch: u32) -> bool {
        if self.is_down(Component::ControllerManager, now) {
            return true;
        }
        let next = now + self.scaled_objects[i].hpa_sync_period();
        stale(&mut self.restarted.keda_hpa_syncs, i, epoch, now, next)
    }

    /// Should KEDA's loop for ScaledObject `i` skip its run at `now`? While no operator leads
    /// (no activation, deactivation, fallback or cooldown decision), or a tick of the loop of
    /// an earlier leader.
    pub(super) fn keda_poll_held(&mut self, now: f64, i: usize, epoch: u32) -> bool {
        if self.is_down(Component::KedaOperator, now) {
            return true;
        }
        let next = now + self.scaled_objects[i].polling_interval();
        stale(&mut self.restarted.keda_polls, i, epoch, now, next)
    }

    /// KEDA's loop for ScaledJob `i`: as [`Self::keda_poll_held`].
    pub(super) fn job_poll_held(&mut self, now: f64, i: usize) -> bool {
        if self.is_down(Component::KedaOperator, now) {
            return true;
        }
        let next = now + self.scaled_jobs[i].polling_interval();
        stale(&mut self.restarted.job_polls, i, 0, now, next)
    }

    /// Columns `fault_<component>`: 1 for a row during which the component was down at some
    /// point (the charts shade them). Only for the components the scenario takes down.
    pub(super) fn record_fault_columns(&mut self, row: usize, now: f64) {
        let start = now - self.scenario.step;
        for c in Component::ALL {
            let w = outages(&self.scenario.faults, c);
            if w.is_empty() {
                continue;
            }
            let down = w.iter().any(|&(from, to)| from < now && to > start);
            self.world.recorder_mut().series_mut().set_extra(
                &c.column(),
                row,
                if down { 1.0 } else { 0.0 },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::faults::down;

    #[test]
    fn external_requests_fail_while_the_adapter_or_the_operator_is_down() {
        let faults = [
            down(Component::KedaMetricsApiserver, 10.0, 20.0),
            down(Component::KedaOperator, 30.0, 40.0),
            down(Component::MetricsServer, 50.0, 60.0),
        ];
        let msg = |t| match external_outage(&faults, t) {
            Some(MetricReading::Error(e)) => Some(e),
            _ => None,
        };
        assert!(msg(15.0).unwrap().contains("keda-metrics-apiserver down"));
        assert!(msg(35.0).unwrap().contains("keda-operator down"));
        assert_eq!(msg(20.0), None);
        assert_eq!(msg(55.0), None, "metrics-server serves no External metric");
    }

    #[test]
    fn outages_are_listed_in_time_order_per_component() {
        let faults = [
            down(Component::MetricsServer, 50.0, 60.0),
            down(Component::KedaOperator, 0.0, 5.0),
            down(Component::MetricsServer, 10.0, 20.0),
        ];
        assert_eq!(
            outages(&faults, Component::MetricsServer),
            vec![(10.0, 20.0), (50.0, 60.0)]
        );
        assert!(outages(&faults, Component::ControllerManager).is_empty());
    }
}
