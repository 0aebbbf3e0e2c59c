"""Evaluation engine speed (issue 3): (declaration set, question) pairs per second on one core,
and the cold start of `aiconsent check` on one file.

    python benchmarks/bench_check.py [--pairs 200000] [--runs 10]

Sets of 1 to 5 declarations about one post each, generated as in generate.py. The purpose
tree and the policies are compiled once; each set is prepared (parsed, merged) once, as a
consumer holding a manifest would. The figure with preparation per check is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import declaration  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--sets", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=10)
    arguments = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from aiconsent.engine import check, prepare

    rng = random.Random(11)
    sets = []
    for index in range(arguments.sets):
        size = rng.randint(1, 5)
        members = [declaration(rng, index) for _ in range(size)]
        for member in members:
            member["target"] = [{"url": f"https://social.example.com/posts/{index}"}]
        sets.append(members)
    prepared = [prepare(members) for members in sets]
    purposes = ["genai-training"] * 6 + ["ai-training", "search", "ai-inference", "tdm"]
    questions = [
        (
            rng.randrange(len(sets)),
            rng.choice(purposes),
            rng.choice([None, "DE", "AU", "US", "DK"]),
            f"{rng.randint(2015, 2026)}-06-01T00:00:00Z",
            rng.choice(["opt-in", "opt-out", "signals-only"]),
        )
        for _ in range(arguments.pairs)
    ]
    outcomes: dict[str, int] = {}
    start = time.perf_counter()
    for index, purpose, place, at, policy in questions:
        result = check(prepared[index], purpose, jurisdiction=place, at=at, policy=policy)
        outcomes[result.decision] = outcomes.get(result.decision, 0) + 1
    compiled_rate = len(questions) / (time.perf_counter() - start)

    sample = questions[: max(1, len(questions) // 10)]
    start = time.perf_counter()
    for index, purpose, place, at, policy in sample:
        check(sets[index], purpose, jurisdiction=place, at=at, policy=policy)
    raw_rate = len(sample) / (time.perf_counter() - start)

    executable = shutil.which("aiconsent")
    example = ROOT / "examples" / "02-eu-no-objection-user-objected-2024.jsonld"
    cold = None
    if executable:
        times = []
        for _ in range(arguments.runs):
            begin = time.perf_counter()
            subprocess.run(
                [
                    executable,
                    "check",
                    str(example),
                    "--purpose",
                    "genai-training",
                    "--jurisdiction",
                    "DE",
                ],
                capture_output=True,
                check=False,
            )
            times.append(time.perf_counter() - begin)
        cold = statistics.median(times)

    print(f"{'measure':62} {'result':>16}")
    print(f"{'check(), prepared sets of 1-5 declarations':62} {compiled_rate:>12,.0f} /s")
    print(f"{'check(), preparing the set on every call':62} {raw_rate:>12,.0f} /s")
    print(f"{'aiconsent check, cold start, one file (median)':62} {cold or float('nan'):>14.3f} s")
    print("outcomes:", json.dumps(outcomes))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "check.json").write_text(
        json.dumps(
            {
                "pairs": len(questions),
                "prepared_per_s": compiled_rate,
                "unprepared_per_s": raw_rate,
                "cold_start_s": cold,
                "outcomes": outcomes,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
