"""Synthetic manifests: valid, realistic, reproducible, every row readable back."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from aiconsent.manifests.layout import entry_of, is_unreadable_row
from aiconsent.manifests.parquet import iter_items, read_metadata
from aiconsent.manifests.synthetic import synthetic_manifest
from aiconsent.model.found import Found, Unreadable
from aiconsent.validation.validate import Options, validate_bytes


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "m.parquet"
    result = synthetic_manifest(path, 4000, seed=11, unreadable_per_million=5_000)
    assert result.items == 4000
    return path


def test_every_row_reads_back(manifest: Path) -> None:
    kinds: Counter[str] = Counter()
    items = 0
    for item, rows in iter_items(manifest):
        items += 1
        for row in rows:
            entry = entry_of(row)
            kinds[type(entry).__name__] += 1
            if isinstance(entry, Unreadable):
                assert is_unreadable_row(row), entry.message
            if isinstance(entry, Found):
                keys = [
                    f"sha256:{t['sha256']}" if "sha256" in t else t.get("url")
                    for t in entry.declaration["target"]
                ]
                assert item in keys
    assert items == 4000
    assert kinds["Found"] > 4000 and kinds["NoneType"] > 500 and kinds["Unreadable"] > 0


def test_the_mix_is_realistic(manifest: Path) -> None:
    table = pq.read_table(manifest)
    rows = [r for r in table.to_pylist() if r["declared_by_role"] is not None]
    count = Counter()
    for row in rows:
        count[row["basis"]] += 1
        count[row["declared_by_role"]] += 1
        count["withdrawn"] += row["withdrawn_at"] is not None
        count["minor"] += bool(row["minor_at_creation"]) or row["age_at_creation"] is not None
        count["jurisdiction"] += row["jurisdiction"] is not None
        count["agent"] += any(
            r["agent"] for r in (row["prohibition"] or []) + (row["permission"] or [])
        )
        count["constraint"] += any(r["constraint"] for r in row["permission"] or [])
        count["duty"] += any(r["duty"] for r in row["permission"] or [])
        count["offset"] += row["declared_at_offset"] != 0
        count[row["created_at"].year if row["created_at"] else "no-created"] += 1
    for key in (
        "terms-of-service",
        "no-objection",
        "explicit-consent",
        "license",
        "platform",
        "creator",
        "data-subject",
        "withdrawn",
        "minor",
        "jurisdiction",
        "agent",
        "constraint",
        "duty",
        "offset",
        "no-created",
    ):
        assert count[key] > 0, key
    assert {year for year in count if isinstance(year, int)} >= set(range(2007, 2026))
    assert read_metadata(manifest)["aiconsent.dataset"] == "https://data.example.org/synthetic"


def test_a_sample_passes_the_validator(manifest: Path) -> None:
    table = pq.read_table(manifest, columns=["declaration_json", "declaration_id"])
    texts = [
        t
        for t, i in zip(
            table["declaration_json"].to_pylist(), table["declaration_id"].to_pylist(), strict=True
        )
        if t and i != "urn:aiconsent:unreadable"
    ][:300]
    lines = "\n".join(
        json.dumps({"@context": "https://w3id.org/aiconsent/v1", **json.loads(t)}) for t in texts
    )
    report = validate_bytes(lines.encode(), "sample.jsonl", Options())
    assert [i for i in report.issues if i.severity == "error"] == []


def test_a_seed_gives_the_same_file(tmp_path: Path) -> None:
    first = synthetic_manifest(tmp_path / "a.parquet", 300, seed=2)
    second = synthetic_manifest(tmp_path / "b.parquet", 300, seed=2)
    synthetic_manifest(tmp_path / "c.parquet", 300, seed=3)
    assert first.rows == second.rows
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert (tmp_path / "a.parquet").read_bytes() != (tmp_path / "c.parquet").read_bytes()


def test_declarations_per_item_bounds(tmp_path: Path) -> None:
    none = synthetic_manifest(
        tmp_path / "n.parquet", 50, seed=1, declarations_per_item=(0, 0), unreadable_per_million=0
    )
    assert none.rows == 50
    assert all(
        row["declaration_id"] is None for row in pq.read_table(tmp_path / "n.parquet").to_pylist()
    )
    two = synthetic_manifest(
        tmp_path / "t.parquet", 50, seed=1, declarations_per_item=(2, 2), unreadable_per_million=0
    )
    assert two.rows == 100
    with pytest.raises(ValueError, match="low <= high"):
        synthetic_manifest(tmp_path / "x.parquet", 5, seed=1, declarations_per_item=(3, 1))
