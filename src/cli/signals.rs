//! SIGINT and SIGTERM: a run stopped by Ctrl-C or by Kubernetes removes its staging files,
//! says so in one line and exits 130 (SIGINT) or 143 (SIGTERM). The earlier results in the
//! output folder are untouched: a run only moves its files into place once all are complete,
//! and a move already under way is finished first (see `crate::output`).

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Start the thread that waits for SIGINT/SIGTERM. Without it (if the handler cannot be
/// installed) the default action still stops the process, and the staging folder left behind
/// is removed by the next run into that folder.
pub(super) fn install() {
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                crate::output::abandon_all();
                let name = if sig == SIGINT {
                    "interrupted"
                } else {
                    "terminated"
                };
                eprintln!(
                    "{name}: stopped; no output was written, earlier results are as they were"
                );
                std::process::exit(128 + sig);
            }
        });
}
