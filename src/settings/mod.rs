//! The settings layer: the resolved, typed run configuration. `crate::scenario` parses a
//! scenario file (and its manifests) into these types with every default applied; `world`,
//! `metrics` and `sim` read them and never the YAML. It sits below every simulation layer and
//! depends only on the foundations and the input formats (units, rng, trace, manifest, hpa,
//! keda): see `docs/architecture.md` for the layer order and the test that keeps it.
//!
//! - [`scenario`]: [`Scenario`], the whole run configuration;
//! - [`workload`]: workload kind, load balancer, serving model and pods;
//! - [`dist`]: random durations (service time, start-up, provisioning);
//! - [`nodes`]: node pools and node autoscalers;
//! - [`overload`]: retries, queue caps, liveness restarts, CFS quota;
//! - [`fidelity`]: the traffic model (request level or fluid);
//! - [`signal`], [`backend`], [`binding`]: what an autoscaler metric reads, through which backend;
//! - [`metric_phases`]: whether the metrics pipeline samples on the run's grid or on seeded phases;
//! - [`autoscalers`]: the HPAs, ScaledObjects and ScaledJobs loaded from the manifests;
//! - [`faults`], [`changes`]: backend outages and changes to objects during the run;
//! - [`jobs`]: what a ScaledJob's job does (one message, drain, sleep);
//! - [`slo`], [`observed`]: objectives to check and recorded series to backtest against.

pub(crate) mod autoscalers;
pub(crate) mod backend;
pub(crate) mod binding;
pub(crate) mod changes;
pub(crate) mod dist;
pub(crate) mod faults;
pub(crate) mod fidelity;
pub(crate) mod jobs;
pub(crate) mod metric_phases;
pub(crate) mod nodes;
pub(crate) mod observed;
pub(crate) mod overload;
pub(crate) mod scenario;
pub(crate) mod signal;
pub(crate) mod slo;
pub(crate) mod workload;

pub(crate) use scenario::Scenario;
