//! Exports of a finished run into formats other tools read (`run --export FORMAT`): each a
//! pure rendering of the [`RunResult`](crate::sim::RunResult), written through the run's
//! output folder like every other output.
//!
//! - [`openmetrics`]: the run as an OpenMetrics text file under the metric names production
//!   dashboards query, for `promtool tsdb create-blocks-from openmetrics` (`docs/outputs.md`).

pub(crate) mod openmetrics;
