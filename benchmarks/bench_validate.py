"""Validator speed, measured against its peers in the same run (issue 2).

    python benchmarks/bench_validate.py            # 10,000 declarations, 10 cold starts
    python benchmarks/bench_validate.py --quick    # smaller, for a smoke run

Pinned to one core. Prints a table and writes benchmarks/results/validate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import write  # noqa: E402

SMALL_FILE = ROOT / "examples" / "04-artist-explicit-opt-in-with-duties.jsonld"
CORPUS = ROOT.parent / "shared" / "corpus" / "croissant"


def best_of(repeats: int, action: Callable[[], Any]) -> float:
    """The fastest of several runs: the figure least disturbed by the machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def median_wall(command: list[str], runs: int) -> float | None:
    """Median wall time of a command started from nothing, or None if it cannot run."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            sys.stderr.write(
                f"{command[0]} exited {result.returncode}: {result.stderr.decode()[-300:]}\n"
            )
            return None
    return statistics.median(times)


def plain_jsonschema(lines: list[str]) -> int:
    """python-jsonschema, one document at a time, with format checks: the usual way."""
    import jsonschema

    from aiconsent.vocabulary.documents import SCHEMA_URL, json_schema_registry, load_document

    validator = jsonschema.Draft202012Validator(
        load_document(SCHEMA_URL),
        registry=json_schema_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    errors = 0
    for line in lines:
        errors += sum(1 for _ in validator.iter_errors(json.loads(line)))
    return errors


def croissant_card_near(size: int) -> Path | None:
    """The corpus Croissant card closest in size to our small file."""
    cards = sorted(CORPUS.glob("1.*/*.json"), key=lambda path: abs(path.stat().st_size - size))
    return cards[0] if cards else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.count, arguments.runs = 1_000, 3
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from aiconsent.validation.validate import validate

    data = write(arguments.count, HERE / "data" / f"declarations-{arguments.count}.jsonl")
    lines = data.read_text(encoding="utf-8").splitlines()
    count = len(lines)
    rows: list[tuple[str, str, float | None]] = []

    fast = best_of(3, lambda: validate(data, layers=["syntax", "schema", "semantic"]))
    rows.append(
        ("aiconsent validate: syntax+schema+semantic", f"{count} declarations", count / fast)
    )
    full = best_of(2, lambda: validate(data))
    rows.append(
        ("aiconsent validate: all layers (JSON-LD + SHACL)", f"{count} declarations", count / full)
    )
    plain = best_of(1, lambda: plain_jsonschema(lines))
    rows.append(
        ("python-jsonschema, one document at a time", f"{count} declarations", count / plain)
    )

    executable = shutil.which("aiconsent") or ""
    cold = (
        median_wall([executable, "validate", str(SMALL_FILE)], arguments.runs)
        if executable
        else None
    )
    cold_fast = (
        median_wall(
            [executable, "validate", str(SMALL_FILE), "--layers", "syntax,schema,semantic"],
            arguments.runs,
        )
        if executable
        else None
    )
    card = croissant_card_near(SMALL_FILE.stat().st_size)
    croissant = shutil.which("mlcroissant")
    mlc = (
        median_wall([croissant, "validate", "--jsonld", str(card)], arguments.runs)
        if croissant and card
        else None
    )

    machine = f"{platform.machine()} {platform.processor() or ''}".strip()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'measure':58} {'input':22} {'result':>14}")
    for name, what, value in rows:
        print(f"{name:58} {what:22} {value:>10,.0f} /s")
    card_name = card.name if card else "-"
    for name, what, seconds in (
        ("aiconsent validate, cold start, all layers", SMALL_FILE.name, cold),
        ("aiconsent validate, cold start, no JSON-LD/SHACL", SMALL_FILE.name, cold_fast),
        ("mlcroissant validate, cold start", card_name, mlc),
    ):
        shown = f"{seconds:.3f} s" if seconds is not None else "n/a"
        print(f"{name:58} {what[:22]:22} {shown:>14}")
    ratios = {
        "fast_path_vs_plain_jsonschema": (count / fast) / (count / plain),
        "full_path_vs_plain_jsonschema": (count / full) / (count / plain),
        "cold_start_vs_mlcroissant": (mlc / cold) if mlc and cold else None,
    }
    print(
        "ratios:",
        json.dumps({key: round(value, 2) if value else None for key, value in ratios.items()}),
    )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "validate.json").write_text(
        json.dumps(
            {
                "count": count,
                "throughput_per_s": {name: value for name, _, value in rows},
                "cold_start_s": {
                    "all_layers": cold,
                    "fast_layers": cold_fast,
                    "mlcroissant": mlc,
                    "croissant_card": card.name if card else None,
                },
                "ratios": ratios,
                "python": platform.python_version(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
