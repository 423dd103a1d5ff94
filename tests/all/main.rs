//! Every integration test but the two conformance runners, as modules of one test binary (one
//! link of the library instead of one per file; see docs/testing.md). Run one group with
//! `cargo test --test all run_e2e::`, one test with its full path.

mod helpers;

mod calibrate;
mod change_columns;
mod changes;
mod charts;
mod check_cli;
mod cli_errors;
mod compare_cli;
mod control_plane_faults;
mod fluid_agreement;
mod fuzz_inputs;
mod hostile_bounds;
mod hostile_messages;
mod hpa_extra_vectors;
mod hpa_properties;
mod hpa_scenarios;
mod install;
mod keda_corpus;
mod keda_scenarios;
mod layout;
mod metric_columns;
mod metric_phases;
mod nodes_overload;
mod observers;
mod output_safety;
mod promtool;
mod queueing;
mod report_browser;
mod rolling_update;
mod rollout_nodes;
mod run_e2e;
mod schema;
mod shipped_summaries;
mod statefulset;
mod stdout_pipe;
mod streamed_series;
mod sweep_cli;
mod traces;
mod validate_cli;
mod verdict;
mod your_service;
