//! How much traffic detail a run simulates: every request as an event, or flow-level counts
//! per interval (`fidelity:`, `--fidelity`; `docs/fidelity.md`).

use serde::Deserialize;

/// `fidelity:` as written: the model, or `auto` to let the run's size pick it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FidelityMode {
    /// Every request is an event (the default).
    #[default]
    Request,
    /// Flow level at `fluid_step`.
    Fluid,
    /// Fluid when the run would simulate more than [`AUTO_FLUID_ABOVE_REQUESTS`] requests.
    Auto,
}

impl FidelityMode {
    /// The model in use for a run expected to simulate `expected_requests`, at `step`.
    pub(crate) fn resolve(self, expected_requests: f64, step: f64) -> Fidelity {
        match self {
            FidelityMode::Request => Fidelity::Request,
            FidelityMode::Fluid => Fidelity::Fluid { step },
            FidelityMode::Auto if expected_requests > AUTO_FLUID_ABOVE_REQUESTS => {
                Fidelity::Fluid { step }
            }
            FidelityMode::Auto => Fidelity::Request,
        }
    }
}

/// How much traffic detail to simulate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "model")]
pub(crate) enum Fidelity {
    /// Every request is an event (exact queueing; the default).
    Request,
    /// Flow level: arrivals and service as whole counts per interval `step`.
    Fluid { step: f64 },
}

/// `fidelity: auto` picks the flow-level model when a run would simulate more requests than this.
pub(crate) const AUTO_FLUID_ABOVE_REQUESTS: f64 = 2_000_000.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_picks_fluid_only_above_the_threshold() {
        let at = AUTO_FLUID_ABOVE_REQUESTS;
        assert_eq!(FidelityMode::Auto.resolve(at, 3.0), Fidelity::Request);
        assert_eq!(
            FidelityMode::Auto.resolve(at + 1.0, 3.0),
            Fidelity::Fluid { step: 3.0 }
        );
        assert_eq!(
            FidelityMode::Request.resolve(at * 10.0, 3.0),
            Fidelity::Request
        );
        assert_eq!(
            FidelityMode::Fluid.resolve(0.0, 2.0),
            Fidelity::Fluid { step: 2.0 }
        );
    }

    #[test]
    fn the_default_is_request_level() {
        assert_eq!(FidelityMode::default(), FidelityMode::Request);
    }
}
