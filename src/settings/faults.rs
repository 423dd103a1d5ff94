//! Injected faults (`faults:`) after resolution: a KEDA trigger's metric backend failing, or a
//! control-plane component down, when, and with which error (docs/faults.md).

use serde::Deserialize;

/// A control-plane component a fault takes down (`faults[].component`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Component {
    /// KEDA's metrics adapter (`keda-operator-metrics-apiserver`): the HPA's External metrics
    /// fail (`FailedGetExternalMetric`).
    KedaMetricsApiserver,
    /// KEDA's operator (the leader): no activation, deactivation, fallback or cooldown
    /// decisions, and the adapter, which asks the operator for every value, cannot answer.
    KedaOperator,
    /// metrics-server: the HPA's Resource metrics fail (`FailedGetResourceMetric`).
    MetricsServer,
    /// kube-controller-manager restarting: no HPA syncs; the HPA controller's memory is lost.
    ControllerManager,
}

impl Component {
    /// Every component, in the order the charts list them.
    pub(crate) const ALL: [Component; 4] = [
        Component::KedaMetricsApiserver,
        Component::KedaOperator,
        Component::MetricsServer,
        Component::ControllerManager,
    ];

    /// The name scenario files use, e.g. `keda-operator`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Component::KedaMetricsApiserver => "keda-metrics-apiserver",
            Component::KedaOperator => "keda-operator",
            Component::MetricsServer => "metrics-server",
            Component::ControllerManager => "controller-manager",
        }
    }

    /// The `timeseries.csv` column that is 1 while the component is down (the charts shade it).
    pub(crate) fn column(self) -> String {
        format!("fault_{}", self.name().replace('-', "_"))
    }
}

/// What a fault takes down.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FaultKind {
    /// The metric backend of the KEDA trigger named `target` (its name, metric name, type or
    /// index) fails with `error`.
    Backend { target: String, error: String },
    /// A control-plane component is unavailable. `failover`: a standby took over (the KEDA
    /// operator's leader election), rather than the component coming back.
    Component {
        component: Component,
        failover: bool,
    },
}

/// A resolved fault window `[from, to)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fault {
    pub(crate) kind: FaultKind,
    pub(crate) from: f64,
    pub(crate) to: f64,
}

impl Fault {
    /// The trigger whose backend this fault fails, for a backend fault.
    pub(crate) fn backend_target(&self) -> Option<&str> {
        match &self.kind {
            FaultKind::Backend { target, .. } => Some(target),
            FaultKind::Component { .. } => None,
        }
    }

    /// The error a backend fault's backend returns (empty for a control-plane fault).
    pub(crate) fn error(&self) -> &str {
        match &self.kind {
            FaultKind::Backend { error, .. } => error,
            FaultKind::Component { .. } => "",
        }
    }

    /// The component this fault takes down, for a control-plane fault.
    pub(crate) fn component(&self) -> Option<Component> {
        match self.kind {
            FaultKind::Component { component, .. } => Some(component),
            FaultKind::Backend { .. } => None,
        }
    }

    /// Is `t` inside the window?
    pub(crate) fn covers(&self, t: f64) -> bool {
        self.from <= t && t < self.to
    }
}

/// The end of the window during which `component` is down at `t`, if it is (overlapping or
/// touching windows of one component count as one outage).
pub(crate) fn down_until(faults: &[Fault], component: Component, t: f64) -> Option<f64> {
    let mut end: Option<f64> = None;
    let mut at = t;
    loop {
        let next = faults
            .iter()
            .filter(|f| f.component() == Some(component) && f.covers(at))
            .map(|f| f.to)
            .reduce(f64::max);
        match next {
            Some(e) if end.is_none_or(|x| e > x) => {
                end = Some(e);
                at = e;
            }
            _ => return end,
        }
    }
}

/// `component` down over `[from, to)` (for tests).
#[cfg(test)]
pub(crate) fn down(component: Component, from: f64, to: f64) -> Fault {
    Fault {
        kind: FaultKind::Component {
            component,
            failover: false,
        },
        from,
        to,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_until_joins_touching_windows_of_one_component_only() {
        let faults = [
            down(Component::MetricsServer, 10.0, 20.0),
            down(Component::MetricsServer, 20.0, 30.0),
            down(Component::KedaOperator, 0.0, 100.0),
        ];
        assert_eq!(down_until(&faults, Component::MetricsServer, 9.9), None);
        assert_eq!(
            down_until(&faults, Component::MetricsServer, 10.0),
            Some(30.0)
        );
        assert_eq!(
            down_until(&faults, Component::MetricsServer, 25.0),
            Some(30.0)
        );
        assert_eq!(down_until(&faults, Component::MetricsServer, 30.0), None);
        assert_eq!(
            down_until(&faults, Component::ControllerManager, 15.0),
            None
        );
    }

    #[test]
    fn component_names_and_columns() {
        assert_eq!(
            Component::KedaMetricsApiserver.name(),
            "keda-metrics-apiserver"
        );
        assert_eq!(
            Component::ControllerManager.column(),
            "fault_controller_manager"
        );
        let parsed: Component = serde_json::from_str("\"keda-operator\"").unwrap();
        assert_eq!(parsed, Component::KedaOperator);
    }
}
