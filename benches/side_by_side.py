"""scalesim's M/M/10 against SimPy and two minimal references, side by side (not part of CI).

Runs, in alternating rounds on one core (core 0 through `taskset` when it is there):
SimPy (`benches/simpy_mmc.py`, skipped with a note when `import simpy` fails) and the divan
benches `engine::mmc_queue`, `engine::mmc_reference_event_heap` and
`engine::mmc_reference_recursion` (all the same model: M/M/10 at utilisation 0.9). Prints each
round's figures, then the medians and scalesim's ratio to each of the others — the ratios are
the comparable figure on a shared, noisy machine.

    pip install simpy
    cargo bench --bench engine --no-run
    python3 benches/side_by_side.py [rounds, default 3]
"""
import os
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIN = ["taskset", "-c", "0"] if shutil.which("taskset") else []
NAMES = ["mmc_queue", "mmc_reference_event_heap", "mmc_reference_recursion"]
SCALE = {"": 1.0, "K": 1e3, "M": 1e6, "G": 1e9}


def simpy_rate():
    """SimPy's customers per second, or None when SimPy is not installed."""
    out = subprocess.run(PIN + [sys.executable, os.path.join(ROOT, "benches/simpy_mmc.py"),
                                "300000"], capture_output=True, text=True, cwd=ROOT)
    found = re.search(r"= ([\d,]+) customers/s", out.stdout)
    return float(found.group(1).replace(",", "")) if found else None


def bench_rates():
    """Each reference bench's median items per second, from divan's table."""
    out = subprocess.run(PIN + ["cargo", "bench", "-q", "--bench", "engine", "--", "mmc"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    lines, rates = out.splitlines(), {}
    for i, line in enumerate(lines):
        for name in NAMES:
            if re.search(rf"\b{name}\b", line) and i + 1 < len(lines):
                cells = [c.strip() for c in lines[i + 1].split("│")]
                # the throughput row: fastest, slowest, median, mean
                found = re.match(r"([\d.]+) (\w?)item/s", cells[3] if len(cells) > 3 else "")
                if found:
                    rates[name] = float(found.group(1)) * SCALE[found.group(2)]
    return rates


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seen = {name: [] for name in ["simpy"] + NAMES}
    for r in range(rounds):
        rate = simpy_rate()
        if rate is not None:
            seen["simpy"].append(rate)
        for name, value in bench_rates().items():
            seen[name].append(value)
        print(f"round {r + 1}: " + ", ".join(
            f"{n} {v[-1] / 1e6:.3f} M/s" for n, v in seen.items() if v), flush=True)
    if not seen["simpy"]:
        print("SimPy is not installed (pip install simpy): no SimPy column")
    median = {n: statistics.median(v) for n, v in seen.items() if v}
    ours = median.get("mmc_queue")
    for name, value in median.items():
        ratio = f"  scalesim is {ours / value:.2f}x this" if ours and name != "mmc_queue" else ""
        print(f"median {name}: {value / 1e6:.3f} M customers/s{ratio}")


if __name__ == "__main__":
    main()
