"""Audit speed (issue 6): the DuckDB engine on a 10,000,000-declaration Parquet manifest, the
Python reference engine on a sample, and Spark local[2] on the same file.

    python benchmarks/bench_audit.py [--declarations 10000000] [--sample 200000] [--no-spark]

The manifest is generated once by aiconsent.manifests.synthetic (seeded) and cached under
benchmarks/data/. Each engine runs in its own subprocess, so the wall time includes start-up
and the peak RSS is that process's (GNU time when present, else getrusage of the child).
Prints a table and writes benchmarks/results/audit.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"
SEED = 10
MEAN_DECLARATIONS_PER_ITEM = 1.5  # synthetic_manifest's default: 0..3 per item, uniform
AT = "2026-06-01T00:00:00+00:00"

RUN = """
import sys, time
from datetime import datetime
from pathlib import Path
from aiconsent.auditing import question_of
from aiconsent.auditing import {engine}_engine as engine
question = question_of("genai-training", at=datetime.fromisoformat("{at}"), policy="opt-in")
start = time.perf_counter()
items = engine.decide(Path(sys.argv[1]), question, Path(sys.argv[2]))
print("RESULT", items, time.perf_counter() - start)
"""


def manifest(declarations: int, seed: int = SEED) -> Path:
    """The cached synthetic manifest with about this many declarations."""
    from aiconsent.manifests.synthetic import synthetic_manifest

    DATA.mkdir(parents=True, exist_ok=True)
    items = round(declarations / MEAN_DECLARATIONS_PER_ITEM)
    path = DATA / f"audit-{items}-items-s{seed}.parquet"
    if not path.exists():
        print(f"generating {path.name} ({items:,} items) ...", flush=True)
        synthetic_manifest(path, items, seed)
    return path


def run_engine(engine: str, source: Path, out: Path) -> dict[str, Any]:
    """Run one engine in a subprocess; wall time, engine time, items and peak RSS."""
    command = [sys.executable, "-c", RUN.format(engine=engine, at=AT), str(source), str(out)]
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if timer is not None:
        command = [timer, "-v", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{completed.stderr[-4000:]}")
    match = re.search(r"^RESULT (\d+) ([0-9.]+)$", completed.stdout, re.MULTILINE)
    if match is None:
        raise SystemExit(f"{engine} printed no result:\n{completed.stdout[-2000:]}")
    peak_kib = None
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", completed.stderr)
    if found is not None:
        peak_kib = int(found.group(1))
    else:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak_kib = after if after > before else None
    return {
        "engine": engine,
        "items": int(match.group(1)),
        "engine_seconds": round(float(match.group(2)), 2),
        "wall_seconds": round(wall, 2),
        "peak_rss_mib": round(peak_kib / 1024) if peak_kib else None,
    }


def rows_of(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--declarations", type=int, default=10_000_000)
    parser.add_argument("--sample", type=int, default=200_000, help="items for the Python engine")
    parser.add_argument("--no-spark", action="store_true")
    arguments = parser.parse_args()

    big = manifest(arguments.declarations)
    sample = manifest(round(arguments.sample * MEAN_DECLARATIONS_PER_ITEM))
    scratch = DATA / "audit-out"
    scratch.mkdir(exist_ok=True)
    runs = [run_engine("duckdb", big, scratch / "duckdb.parquet")]
    runs.append(run_engine("python", sample, scratch / "python.parquet"))
    runs.append(run_engine("duckdb", sample, scratch / "duckdb-sample.parquet"))
    if not arguments.no_spark:
        runs.append(run_engine("spark", big, scratch / "spark.parquet"))
    for entry, source in zip(runs, [big, sample, sample, big], strict=False):
        entry["manifest"] = source.name
        entry["manifest_rows"] = rows_of(source)
        entry["items_per_second"] = round(entry["items"] / entry["engine_seconds"])
    python_rate = runs[1]["items_per_second"]
    ratio = runs[0]["items_per_second"] / python_rate
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "question": "genai-training, no J, opt-in, T=" + AT,
        "runs": runs,
        "duckdb_to_python_ratio": round(ratio, 1),
        "targets": {"duckdb_wall_seconds": 20, "duckdb_peak_rss_mib": 4096},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audit.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    header = ("engine", "manifest rows", "items", "wall s", "items/s", "RSS MiB")
    print("{:8} {:>14} {:>11} {:>8} {:>10} {:>8}".format(*header))
    for entry in runs:
        print(
            f"{entry['engine']:8} {entry['manifest_rows']:>14,} {entry['items']:>11,} "
            f"{entry['wall_seconds']:>8} {entry['items_per_second']:>10,} "
            f"{entry['peak_rss_mib'] or '?':>8}"
        )
    print(f"DuckDB / Python items per second: {ratio:.1f}x")


if __name__ == "__main__":
    main()
