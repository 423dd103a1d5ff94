//! Reading big traces: a million-row CSV must load in well under a second.
//!
//! `cargo bench --bench trace_read`. The files are written once per run into a temporary folder.

use scalesim::trace::{ReadOptions, read, stats};
use std::io::Write;
use std::path::PathBuf;
use std::sync::LazyLock;

const ROWS: usize = 1_000_000;

struct Files {
    _dir: tempfile::TempDir,
    /// `time,rps`: seconds from the start, 1 s apart (the shape of the shipped traces).
    seconds: PathBuf,
    /// `timestamp,rps,queue_length`: Unix epoch seconds plus an extra metric column.
    epoch_with_column: PathBuf,
}

static FILES: LazyLock<Files> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    let seconds = dir.path().join("seconds.csv");
    let epoch_with_column = dir.path().join("epoch.csv");
    let mut a = std::io::BufWriter::new(std::fs::File::create(&seconds).expect("create"));
    let mut b = std::io::BufWriter::new(std::fs::File::create(&epoch_with_column).expect("create"));
    writeln!(a, "time,rps").unwrap();
    writeln!(b, "timestamp,rps,queue_length").unwrap();
    // A deterministic, uneven rate with 3 decimals, like a real per-second trace.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..ROWS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let rate = (x % 500_000) as f64 / 1000.0;
        writeln!(a, "{i},{rate}").unwrap();
        writeln!(b, "{},{rate},{}", 1_700_000_000 + i, x % 1000).unwrap();
    }
    a.flush().unwrap();
    b.flush().unwrap();
    drop((a, b));
    Files {
        _dir: dir,
        seconds,
        epoch_with_column,
    }
});

fn main() {
    LazyLock::force(&FILES);
    divan::main();
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn read_1m_rows_seconds(bencher: divan::Bencher) {
    bencher.bench(|| read::read(&FILES.seconds, &ReadOptions::default()).expect("loads"));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn read_1m_rows_epoch_and_column(bencher: divan::Bencher) {
    bencher.bench(|| read::read(&FILES.epoch_with_column, &ReadOptions::default()).expect("loads"));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn stats_1m_rows(bencher: divan::Bencher) {
    let trace = read::read(&FILES.seconds, &ReadOptions::default())
        .expect("loads")
        .trace;
    bencher.bench(|| stats::stats(&trace));
}
