"""Image attach speed (issue 5): attach a declaration to 1,000 JPEGs of 1 megapixel and read it
back, files per second on one core, against exiftool writing the same XMP to the same files.

    python benchmarks/bench_attach_images.py [--files 1000] [--runs 3]

Each image is a 1000x1000 JPEG (quality 85, a gradient with noise, about 250 KB) with an EXIF
block, made once with Pillow into a temporary folder. Each file gets its own declaration (its
own id and target), as a platform stamping its users' uploads would. aiconsent: `attach_image`
(validate, exiv2 update, re-read check, atomic replace with fsync) then `read_image` (XMP parse
and full JSON-LD read of the declaration). exiftool 12.57, the peer: one `-stay_open` process
fed an argument file per image (its fastest mode for per-file values) writing plus:DataMining
and aic:declarations (tests/carriers/data/exiftool-aic.config declares both, which Debian's
12.57 needs), then one process reading both tags back from all files as JSON.
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
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import declaration  # noqa: E402

# the exiftool tag config is the one the tests use
CONFIG = HERE.parent / "tests" / "carriers" / "data" / "exiftool-aic.config"


def make_images(folder: Path, count: int) -> list[Path]:
    """`count` distinct 1-megapixel JPEGs with EXIF, written once."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(5)
    ramp = np.linspace(0, 255, 1000)
    base = (np.add.outer(ramp, ramp) / 2).astype(np.int16)
    paths = []
    for index in range(count):
        shifted = np.roll(base, index * 7, axis=1)
        pixels = np.stack([base, base[::-1], shifted], -1) + rng.integers(-20, 20, (1000, 1000, 3))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        exif = Image.Exif()
        exif[0x010F] = "aiconsent-bench"  # Make
        exif[0x0131] = "bench_attach_images"  # Software
        path = folder / f"photo-{index:05d}.jpg"
        image.save(path, quality=85, exif=exif)
        paths.append(path)
    return paths


def declarations_for(paths: list[Path]) -> list[dict[str, Any]]:
    rng = random.Random(5)
    result = []
    for index, path in enumerate(paths):
        value = declaration(rng, index)
        value["target"] = [{"url": f"https://photos.example.com/{path.name}"}]
        result.append(value)
    return result


def run_aiconsent(paths: list[Path], values: list[dict[str, Any]]) -> float:
    from aiconsent.carriers.image_xmp import attach_image, read_image

    start = time.perf_counter()
    for path, value in zip(paths, values, strict=True):
        attach_image(path, [value])
        result = read_image(path)
        if len(result.found) < 1 or result.unreadable:
            raise SystemExit(f"{path.name}: did not read back: {result}")
    return time.perf_counter() - start


def run_exiftool(paths: list[Path], values: list[dict[str, Any]]) -> float:
    from aiconsent.formats.iptc import write_data_mining

    commands: list[str] = []
    for path, value in zip(paths, values, strict=True):
        code = write_data_mining([value]).uri
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        commands += [
            "-overwrite_original",
            f"-XMP-plus:DataMining={code}",
            f"-XMP-aic:declarations={text}",
            str(path),
            "-execute",
        ]
    start = time.perf_counter()
    process = subprocess.Popen(
        ["exiftool", "-config", str(CONFIG), "-stay_open", "True", "-@", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write("\n".join(commands) + "\n-stay_open\nFalse\n")
    process.stdin.close()
    process.wait()
    printed = subprocess.run(
        [
            "exiftool",
            "-config",
            str(CONFIG),
            "-j",
            "-XMP-plus:DataMining",
            "-XMP-aic:declarations",
            *map(str, paths),
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    elapsed = time.perf_counter() - start
    rows = json.loads(printed)
    if len(rows) != len(paths) or not all(
        "DataMining" in row and "Declarations" in row for row in rows
    ):
        raise SystemExit("exiftool did not write every file")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory(prefix="aic-bench-") as scratch:
        originals = Path(scratch) / "originals"
        originals.mkdir()
        paths = make_images(originals, arguments.files)
        size = statistics.mean(path.stat().st_size for path in paths)
        values = declarations_for(paths)
        work = Path(scratch) / "work"
        figures: dict[str, list[float]] = {"aiconsent": [], "exiftool": []}
        for _ in range(arguments.runs):
            for tool, run in (("aiconsent", run_aiconsent), ("exiftool", run_exiftool)):
                if tool == "exiftool" and shutil.which("exiftool") is None:
                    continue
                shutil.rmtree(work, ignore_errors=True)
                shutil.copytree(originals, work)
                copies = [work / path.name for path in paths]
                os.sync()
                figures[tool].append(len(copies) / run(copies, values))
    best = {tool: max(rates) for tool, rates in figures.items() if rates}
    print(f"{arguments.files} JPEGs, 1000x1000, mean {size / 1024:.0f} KiB, one core")
    print(f"{'tool':<12}{'files/s (best)':>16}{'runs':>30}")
    for tool, rates in figures.items():
        if rates:
            shown = ", ".join(f"{rate:.0f}" for rate in rates)
            print(f"{tool:<12}{best[tool]:>16.1f}{shown:>30}")
    if "exiftool" in best:
        print(f"ratio aiconsent / exiftool: {best['aiconsent'] / best['exiftool']:.2f}x")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "attach_images.json").write_text(
        json.dumps({"files": arguments.files, "mean_bytes": size, "rates": figures}, indent=2)
    )


if __name__ == "__main__":
    main()
