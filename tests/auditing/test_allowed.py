"""--write-allowed: the cleared part of a manifest, in a form that can be audited again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from aiconsent.auditing.allowed import AllowedFormatError, allowed_format
from aiconsent.auditing.question import AuditError
from aiconsent.auditing.run import audit
from aiconsent.manifests.layout import MANIFEST_SCHEMA, empty_row, row_of, unreadable_row
from aiconsent.manifests.parquet import open_manifest, write_manifest
from documents import declaration

AT = "2026-01-01T00:00:00Z"


def _key(letter: str) -> str:
    return "sha256:" + letter * 64


def _permission(letter: str, n: int, **changes: Any) -> dict[str, Any]:
    return declaration(
        id=f"urn:uuid:{letter}{n}",
        target=[{"sha256": letter * 64}],
        basis="explicit-consent",
        prohibition=None,
        permission=[{"purpose": "ai-training", "duty": ["attribute"]}],
        retroactive=True,
        **changes,
    )


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """Two allowed items (one with two declarations), a denied one, an empty and an unreadable."""
    rows = [
        row_of(_key("a"), _permission("a", 1), carrier="xmp", source="d/a.jpg"),
        row_of(
            _key("a"),
            _permission("a", 2, declaredAt="2025-02-01T10:00:00+05:30"),
            carrier="sidecar",
            source="d/a.jpg.consent.jsonld",
        ),
        row_of(_key("b"), _permission("b", 1), carrier="c2pa", source="d/b.jpg"),
        row_of(
            _key("c"),
            declaration(id="urn:uuid:c", target=[{"sha256": "c" * 64}]),
            carrier="xmp",
            source="d/c.jpg",
        ),
        empty_row(_key("d")),
        unreadable_row(_key("e"), "broken", carrier="xmp", source="d/e.jpg"),
    ]
    path = tmp_path / "items.parquet"
    write_manifest(rows, path, dataset="https://data.example/ds")
    return path


def test_parquet_is_the_manifest_filtered(manifest: Path, tmp_path: Path) -> None:
    """Same schema and metadata, only the allowed items' rows, in the manifest's order."""
    out = tmp_path / "allowed.parquet"
    result = audit(manifest, purposes=["genai-training"], at=AT, write_allowed=out)
    assert result.allowed == out
    assert result.allowed_rows == 3
    open_manifest(out)  # a valid manifest
    table = pq.read_table(out)
    assert table.schema.remove_metadata().equals(MANIFEST_SCHEMA)
    assert table.schema.metadata[b"aiconsent.dataset"] == b"https://data.example/ds"
    assert table.column("item").to_pylist() == [_key("a"), _key("a"), _key("b")]
    original = {r["declaration_id"]: r for r in pq.read_table(manifest).to_pylist()}
    for row in table.to_pylist():
        assert row == original[row["declaration_id"]]


def test_parquet_round_trip_is_all_allowed(manifest: Path, tmp_path: Path) -> None:
    """Auditing the allowed file again with the same question allows every item."""
    out = tmp_path / "allowed.parquet"
    audit(manifest, purposes=["genai-training"], at=AT, write_allowed=out)
    again = audit(out, purposes=["genai-training"], at=AT)
    assert again.totals["decisions"] == {"allowed": 2, "denied": 0, "unknown": 0}
    assert again.all_allowed


def test_json_lines_round_trip(manifest: Path, tmp_path: Path) -> None:
    """One compact line per declaration with its context and carrier; auditing it allows all."""
    out = tmp_path / "allowed.jsonl"
    result = audit(manifest, purposes=["genai-training"], at=AT, write_allowed=out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert result.allowed_rows == len(lines) == 3
    assert [d["id"] for d in lines] == ["urn:uuid:a1", "urn:uuid:a2", "urn:uuid:b1"]
    assert all(d["@context"] == "https://w3id.org/aiconsent/v1" for d in lines)
    assert [d["carrier"] for d in lines] == ["xmp", "sidecar", "c2pa"]
    assert lines[1]["declaredAt"] == "2025-02-01T10:00:00+05:30"  # the offset as written
    again = audit(out, purposes=["genai-training"], at=AT)
    assert again.totals["decisions"] == {"allowed": 2, "denied": 0, "unknown": 0}


def test_nothing_allowed_writes_an_empty_manifest(manifest: Path, tmp_path: Path) -> None:
    """A question nothing passes still writes a valid, empty file."""
    out = tmp_path / "allowed.parquet"
    result = audit(manifest, purposes=["search"], at=AT, write_allowed=out)
    assert result.allowed_rows == 0
    assert pq.read_table(out).num_rows == 0
    open_manifest(out)


@pytest.mark.parametrize("name", ["allowed.csv", "allowed", "allowed.json"])
def test_other_suffixes_are_refused(name: str) -> None:
    """The format comes from the suffix; anything but .parquet/.jsonl is a usage error."""
    with pytest.raises(AllowedFormatError, match=r"\.parquet or \.jsonl"):
        allowed_format(Path(name))


def test_unwritable_target_leaves_nothing(manifest: Path, tmp_path: Path) -> None:
    """A folder in the way is a clear error; no temporary file is left."""
    out = tmp_path / "taken.parquet"
    out.mkdir()
    with pytest.raises(AuditError, match="folder"):
        audit(manifest, purposes=["genai-training"], at=AT, write_allowed=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.parquet", "taken.parquet"]
