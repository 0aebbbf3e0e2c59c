"""Totals: every breakdown counts the engine's decisions correctly, whatever the engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aiconsent.auditing.decisions import DECISION_SCHEMA
from aiconsent.auditing.totals import common_root, compute_totals, file_sha256
from aiconsent.manifests.layout import empty_row, row_of, unreadable_row
from aiconsent.manifests.parquet import write_manifest
from documents import declaration

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
C = "sha256:" + "c" * 64
URL = "https://a.example/x"


def _decisions(path: Path, rows: list[dict[str, Any]]) -> Path:
    defaults = {
        "reasons": [],
        "duties": [],
        "minor": False,
        "withdrawn": False,
        "created_year": None,
        "declarations": 0,
        "unreadable": False,
    }
    pq.write_table(pa.Table.from_pylist([{**defaults, **r} for r in rows], DECISION_SCHEMA), path)
    return path


@pytest.fixture
def counted(tmp_path: Path) -> dict[str, Any]:
    """A URL item, a file with two declarations, one with none, one unreadable."""
    prohibition = declaration(id="urn:uuid:1", target=[{"url": URL}])
    permission = declaration(
        id="urn:uuid:2",
        target=[{"sha256": "a" * 64}],
        basis="explicit-consent",
        prohibition=None,
        permission=[{"purpose": "genai-training"}],
        jurisdiction=["DE", "FR"],
        content={"createdAt": "2012-05-01T00:00:00Z"},
    )
    licence = declaration(
        id="urn:uuid:3",
        target=[{"sha256": "a" * 64}],
        basis="license",
        declaredBy={"id": "https://x.example/u/2", "role": "rightsholder"},
    )
    rows = [
        row_of(URL, prohibition, carrier="html", source=URL),
        row_of(A, permission, carrier="xmp", source="/data/ds/flickr/2012/p.jpg"),
        row_of(A, licence, carrier="sidecar", source="/data/ds/flickr/2012/p.jpg.consent.jsonld"),
        empty_row(B),
        unreadable_row(C, "bad XMP", carrier="xmp", source="/data/ds/own/c.jpg"),
    ]
    manifest = tmp_path / "m.parquet"
    write_manifest(rows, manifest, dataset="https://data.example/ds")
    decisions = _decisions(
        tmp_path / "d.parquet",
        [
            {
                "item": URL,
                "decision": "denied",
                "reasons": ["prohibited-by-standing-party"],
                "declarations": 1,
            },
            {
                "item": A,
                "decision": "allowed",
                "reasons": ["permitted"],
                "created_year": 2012,
                "declarations": 2,
                "duties": ["attribute"],
            },
            {"item": B, "decision": "unknown", "reasons": ["no-signal"], "minor": True},
            {
                "item": C,
                "decision": "denied",
                "reasons": ["unreadable", "policy-default"],
                "unreadable": True,
                "withdrawn": True,
            },
        ],
    )
    return compute_totals(manifest, decisions)


def test_overall_counts(counted: dict[str, Any]) -> None:
    """Items, declarations, unreadable items and the three outcomes are counted per item."""
    assert counted["items"] == 4
    assert counted["declarations"] == 3
    assert counted["unreadableItems"] == 1
    assert counted["decisions"] == {"allowed": 1, "denied": 2, "unknown": 1}


def test_by_reason_counts_items_per_code(counted: dict[str, Any]) -> None:
    """byReason: how many items' reasons include each code."""
    assert counted["byReason"] == {
        "no-signal": 1,
        "permitted": 1,
        "policy-default": 1,
        "prohibited-by-standing-party": 1,
        "unreadable": 1,
    }


def test_breakdowns_count_each_item_once_per_key(counted: dict[str, Any]) -> None:
    """An item counts once under each distinct key; no declaration, unreadable and unstated show."""
    assert counted["byBasis"] == {
        "explicit-consent": {"allowed": 1, "denied": 0, "unknown": 0},
        "license": {"allowed": 1, "denied": 0, "unknown": 0},
        "none": {"allowed": 0, "denied": 0, "unknown": 1},
        "unreadable": {"allowed": 0, "denied": 1, "unknown": 0},
        "unstated": {"allowed": 0, "denied": 1, "unknown": 0},
    }
    assert counted["byCarrier"]["xmp"] == {"allowed": 1, "denied": 0, "unknown": 0}
    assert counted["byCarrier"]["sidecar"] == {"allowed": 1, "denied": 0, "unknown": 0}
    assert counted["byJurisdiction"] == {
        "DE": {"allowed": 1, "denied": 0, "unknown": 0},
        "FR": {"allowed": 1, "denied": 0, "unknown": 0},
        "everywhere": {"allowed": 1, "denied": 1, "unknown": 0},
        "none": {"allowed": 0, "denied": 0, "unknown": 1},
        "unreadable": {"allowed": 0, "denied": 1, "unknown": 0},
    }
    assert counted["byYear"] == {
        "2012": {"allowed": 1, "denied": 0, "unknown": 0},
        "unknown": {"allowed": 0, "denied": 2, "unknown": 1},
    }


def test_sources_by_origin_and_top_folder(counted: dict[str, Any]) -> None:
    """URL items count under scheme://host; local files under their top folder below the root."""
    assert counted["bySource"] == {
        "flickr": {"allowed": 1, "denied": 0, "unknown": 0},
        "https://a.example": {"allowed": 0, "denied": 1, "unknown": 0},
        "own": {"allowed": 0, "denied": 1, "unknown": 0},
        "unknown": {"allowed": 0, "denied": 0, "unknown": 1},
    }


def test_minors_withdrawn_and_examples(counted: dict[str, Any]) -> None:
    """Flagged items are counted by outcome; examples are the first items, sorted."""
    assert counted["minors"] == {"items": 1, "allowed": 0, "denied": 0, "unknown": 1}
    assert counted["withdrawn"] == {"items": 1, "allowed": 0, "denied": 1, "unknown": 0}
    assert counted["examples"] == {"denied": [URL, C], "unknown": [B]}


def test_keys_are_sorted(counted: dict[str, Any]) -> None:
    """Two runs serialise byte for byte the same."""
    assert list(counted) == sorted(counted)
    assert json.dumps(counted) == json.dumps(json.loads(json.dumps(counted)))
    assert list(counted["byBasis"]) == sorted(counted["byBasis"])


def test_examples_are_capped(tmp_path: Path) -> None:
    """At most five examples per outcome, the smallest item keys."""
    items = [f"https://a.example/{i:02d}" for i in range(9)]
    manifest = tmp_path / "m.parquet"
    write_manifest([empty_row(item) for item in items], manifest, dataset=None)
    decisions = _decisions(
        tmp_path / "d.parquet", [{"item": i, "decision": "denied"} for i in items]
    )
    counted = compute_totals(manifest, decisions)
    assert counted["examples"]["denied"] == items[:5]
    assert counted["bySource"] == {"https://a.example": {"allowed": 0, "denied": 9, "unknown": 0}}


def test_hostile_sources_are_counted_not_executed(tmp_path: Path) -> None:
    """Quotes and SQL in paths are data: the common-root literal is quoted."""
    evil = "/data/it's'; DROP TABLE x; --/sub/a.jpg"
    other = "/data/it's'; DROP TABLE x; --/other/b.jpg"
    rows = [
        row_of(A, declaration(target=[{"sha256": "a" * 64}]), carrier="xmp", source=evil),
        row_of(B, declaration(target=[{"sha256": "b" * 64}]), carrier="xmp", source=other),
    ]
    manifest = tmp_path / "m.parquet"
    write_manifest(rows, manifest, dataset=None)
    decisions = _decisions(
        tmp_path / "d.parquet",
        [
            {"item": A, "decision": "denied"},
            {"item": B, "decision": "denied"},
        ],
    )
    counted = compute_totals(manifest, decisions)
    assert set(counted["bySource"]) == {"sub", "other"}


@pytest.mark.parametrize(
    ("lowest", "highest", "root"),
    [
        ("/data/ds/a", "/data/ds/b", "/data/ds"),
        ("/data/ds", "/data/ds/b/c", "/data/ds"),
        ("/data/a", "/data/ab", "/data"),
        ("/a/x", "/b/y", "/"),
        ("photos", "texts/old", ""),
        ("same/dir", "same/dir", "same/dir"),
        (None, None, None),
    ],
)
def test_common_root(lowest: str | None, highest: str | None, root: str | None) -> None:
    """The deepest whole folder shared by the smallest and largest folder."""
    assert common_root(lowest, highest) == root


def test_file_sha256(tmp_path: Path) -> None:
    """The digest of the manifest file's bytes."""
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
