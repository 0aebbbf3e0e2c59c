"""The validator test suite: tests/vectors/manifest.json, in the JSON-LD test-suite style.

Each entry names an input file and the exact (code, pointer) pairs the validator must report,
warnings included, in any order.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aiconsent.validation.codes import CODES
from aiconsent.validation.validate import Options, validate_file

VECTORS = Path(__file__).resolve().parent / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))
ENTRIES: list[dict[str, Any]] = MANIFEST["sequence"]


def _options(entry: dict[str, Any]) -> Options:
    settings = entry.get("option", {})
    return Options(
        strict=settings.get("strict", False),
        max_bytes=settings.get("maxBytes", Options().max_bytes),
        max_depth=settings.get("maxDepth", Options().max_depth),
        layers=tuple(settings.get("layers", Options().layers)),
    )


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["@id"].lstrip("#") for entry in ENTRIES])
def test_vector(entry: dict[str, Any]) -> None:
    """The validator reports exactly the expected codes at the expected pointers."""
    report = validate_file(VECTORS / entry["input"], _options(entry))
    found = Counter((issue.code, issue.path) for issue in report.issues)
    expected = Counter((item["code"], item["path"]) for item in entry["expect"])
    assert found == expected, [issue.to_dict() for issue in report.issues]
    positive = "aict:PositiveValidationTest" in entry["@type"]
    assert report.is_valid(strict=_options(entry).strict) is positive


def test_manifest_is_large_and_covers_every_code() -> None:
    """At least 60 vectors, and every issue code is expected by at least one of them."""
    assert len(ENTRIES) >= 60
    expected_codes = {item["code"] for entry in ENTRIES for item in entry["expect"]}
    missing = sorted(set(CODES) - expected_codes)
    assert not missing, f"no vector expects {missing}"


def test_vector_ids_and_inputs_are_unique() -> None:
    """Each vector has its own id and its own input file."""
    ids = [entry["@id"] for entry in ENTRIES]
    inputs = [entry["input"] for entry in ENTRIES]
    assert len(set(ids)) == len(ids)
    assert len(set(inputs)) == len(inputs)
