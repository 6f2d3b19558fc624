"""Benchmark the demo-bank generator: `python bench/generate.py [--customers N] [--json out.json]`.

Prints rows per file, seconds and CPU seconds per stage, rows per second, output size and the load
average (the machine is shared: read wall time beside CPU time and load). Writes into a temporary
directory that is deleted afterwards unless --out is given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from keyclient.demo.generator import generate


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--txn-per-month", type=float, default=8.0)
    parser.add_argument(
        "--out", type=Path, help="keep the output here (default: a temporary directory, deleted)"
    )
    parser.add_argument("--json", type=Path, help="write the results as JSON to this path")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    out = args.out or Path(tempfile.mkdtemp(prefix="keyclient-bench-"))
    load_before = os.getloadavg()

    def progress(stage: str, done: int, total: int) -> None:
        if not args.quiet:
            print(f"  {stage}: {done}/{total}  ({time.perf_counter() - started:.1f} s)", file=sys.stderr)

    started = time.perf_counter()
    cpu0 = time.process_time()
    try:
        summary = generate(
            out,
            customers=args.customers,
            seed=args.seed,
            fmt=args.format,
            months=args.months,
            as_of=args.as_of,
            progress=progress,
            txn_per_month=args.txn_per_month,
        )
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu0
        size = _size(out)
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "customers": args.customers,
        "months": args.months,
        "format": args.format,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(peak_mb),
        "output_bytes": size,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
        "stage_cpu_seconds": summary["cpu_seconds"],
        **{
            k: summary[k]
            for k in ("rows", "seconds", "private_banking", "tiers", "pareto_top20_share", "leavers")
        },
    }
    _print(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _print(r: dict) -> None:
    print(f"\nkeyclient demo generator: {r['customers']:,} clients x {r['months']} months ({r['format']})")
    print(f"{'file':<24}{'rows':>15}{'rows/s (wall)':>16}")
    for name, rows in r["rows"].items():
        print(f"{name:<24}{rows:>15,}{rows / r['wall_seconds']:>16,.0f}")
    total = sum(r["rows"].values())
    print(f"{'total':<24}{total:>15,}{total / r['wall_seconds']:>16,.0f}")
    print(f"\n{'stage':<24}{'seconds':>10}{'cpu s':>10}   (cpu s counts both threads)")
    for stage, sec in r["seconds"].items():
        print(f"{stage:<24}{sec:>10.2f}{r['stage_cpu_seconds'].get(stage, 0.0):>10.2f}")
    print(
        f"\nwall {r['wall_seconds']:.1f} s · cpu {r['cpu_seconds']:.1f} s · peak RSS {r['peak_rss_mb']:,} MB · "
        f"output {r['output_bytes'] / 1e9:.2f} GB · {r['cores']} cores"
    )
    print(f"load average before {r['load_average_before']} after {r['load_average_after']}")
    print(
        f"private banking {r['private_banking']:,} · tiers {r['tiers']} · top-20% AUM share "
        f"{r['pareto_top20_share']:.3f} · leavers {r['leavers']:,}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
