"""audit(): the driver runs an engine, counts, and fails closed and cleanly on bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from aiconsent.auditing.question import AuditError
from aiconsent.auditing.run import audit
from aiconsent.manifests.layout import empty_row, row_of, unreadable_row
from aiconsent.manifests.parquet import write_manifest
from documents import declaration

AT = "2026-01-01T00:00:00Z"
ENGINES = ["python", "duckdb"]
CREATOR = {"id": "https://x.example/u/1", "role": "creator"}


def _key(n: int) -> str:
    return "sha256:" + f"{n:x}" * 64 if n < 16 else "sha256:" + f"{n:064x}"


def _target(n: int) -> list[dict[str, str]]:
    return [{"sha256": _key(n).removeprefix("sha256:")}]


def sample_rows() -> list[dict[str, Any]]:
    """Five items whose decisions under opt-in for genai-training are known by hand."""
    consent = declaration(
        id="urn:uuid:c1",
        target=_target(1),
        basis="explicit-consent",
        prohibition=None,
        permission=[{"purpose": "ai-training", "duty": ["attribute"]}],
        retroactive=True,
        content={"createdAt": "2015-03-01T00:00:00Z", "personalData": True},
    )
    objection = declaration(id="urn:uuid:o2", target=_target(2))
    terms = declaration(
        id="urn:uuid:t3",
        target=_target(3),
        basis="terms-of-service",
        prohibition=None,
        declaredBy={"id": "https://platform.example", "role": "platform"},
        permission=[{"purpose": "tdm"}],
        retroactive=True,
        content={"createdAt": "2012-06-01T00:00:00Z"},
    )
    withdrawn = declaration(
        id="urn:uuid:w5",
        target=_target(5),
        basis="explicit-consent",
        prohibition=None,
        permission=[{"purpose": "genai-training"}],
        withdrawnAt="2025-06-01T00:00:00Z",
    )
    return [
        row_of(_key(1), consent, carrier="xmp", source="ds/photos/1.jpg"),
        row_of(_key(2), objection, carrier="sidecar", source="ds/photos/2.jpg.consent.jsonld"),
        row_of(_key(3), terms, carrier="html", source="ds/pages/3.html"),
        empty_row(_key(4)),
        row_of(_key(5), withdrawn, carrier="c2pa", source="ds/photos/5.jpg"),
        unreadable_row(_key(6), "XMP packet is not XML", carrier="xmp", source="ds/photos/6.jpg"),
    ]


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "items.parquet"
    write_manifest(sample_rows(), path, dataset="https://data.example/ds")
    return path


@pytest.mark.parametrize("engine", ENGINES)
def test_decisions_and_totals(manifest: Path, engine: str) -> None:
    """Each item's decision under opt-in, counted; the question is echoed in the totals."""
    result = audit(manifest, purposes=["genai-training"], at=AT, engine=engine)
    totals = result.to_dict()
    assert totals["decisions"] == {"allowed": 1, "denied": 5, "unknown": 0}
    assert totals["items"] == 6
    assert totals["unreadableItems"] == 1
    assert totals["withdrawn"]["items"] == 1
    assert totals["byReason"]["permitted"] == 1
    assert totals["byReason"]["prohibited-by-standing-party"] == 2  # objection and withdrawal
    assert totals["byReason"]["unreadable"] == 1
    assert totals["byYear"]["2015"] == {"allowed": 1, "denied": 0, "unknown": 0}
    assert totals["bySource"]["photos"]["denied"] == 3
    assert totals["examples"]["denied"][0] == _key(2)
    assert {k: totals[k] for k in ("engine", "purposes", "jurisdiction", "at", "policy")} == {
        "engine": engine,
        "purposes": ["genai-training"],
        "jurisdiction": None,
        "at": AT,
        "policy": "opt-in",
    }
    assert totals["sha256"] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert not result.all_allowed


def test_json_shape_is_stable(manifest: Path) -> None:
    """Every documented key, sorted, at every level; two runs serialise identically."""
    first = audit(manifest, purposes=["genai-training"], at=AT).to_dict()
    second = audit(manifest, purposes=["genai-training"], at=AT).to_dict()
    assert json.dumps(first) == json.dumps(second)
    assert (
        list(first)
        == sorted(first)
        == sorted(
            [
                "at",
                "byBasis",
                "byCarrier",
                "byJurisdiction",
                "byReason",
                "bySource",
                "byYear",
                "declarations",
                "decisions",
                "engine",
                "examples",
                "items",
                "jurisdiction",
                "manifest",
                "minors",
                "policy",
                "purposes",
                "sha256",
                "unreadableItems",
                "withdrawn",
            ]
        )
    )
    assert set(first["minors"]) == {"items", "allowed", "denied", "unknown"}


def test_policy_changes_the_outcome(manifest: Path) -> None:
    """Under opt-out, silence (the empty item) is allowed and the platform's terms count."""
    totals = audit(manifest, purposes=["genai-training"], at=AT, policy="opt-out").to_dict()
    assert totals["decisions"] == {"allowed": 3, "denied": 3, "unknown": 0}
    signals = audit(manifest, purposes=["genai-training"], at=AT, policy="signals-only")
    assert signals.totals["decisions"]["unknown"] == 2  # the empty item and the unreadable one


def test_several_purposes_combine(manifest: Path) -> None:
    """An item is allowed only if allowed for every purpose (spec §10.5)."""
    one = audit(manifest, purposes=["ai-training"], at=AT, policy="opt-out").totals
    both = audit(manifest, purposes=["ai-training", "search"], at=AT, policy="opt-out").totals
    assert both["decisions"]["allowed"] <= one["decisions"]["allowed"]
    assert both["purposes"] == ["ai-training", "search"]


def test_decisions_out_is_kept(manifest: Path, tmp_path: Path) -> None:
    """decisions_out keeps the per-item table the totals were computed from."""
    out = tmp_path / "decisions.parquet"
    result = audit(manifest, purposes=["genai-training"], at=AT, decisions_out=out)
    assert result.decisions == out
    table = pq.read_table(out)
    assert table.num_rows == 6
    assert "reasons" in table.column_names


def test_input_is_never_changed(manifest: Path, tmp_path: Path) -> None:
    """The manifest's bytes are the same after an audit that writes everything."""
    before = manifest.read_bytes()
    audit(
        manifest,
        purposes=["genai-training"],
        at=AT,
        write_allowed=tmp_path / "ok.parquet",
        report=tmp_path / "r.html",
    )
    assert manifest.read_bytes() == before


def test_json_lines_manifest(tmp_path: Path) -> None:
    """A JSON Lines manifest is converted and audited like the Parquet one."""
    consent = declaration(
        id="urn:uuid:c1",
        target=_target(1),
        basis="explicit-consent",
        prohibition=None,
        permission=[{"purpose": "ai-training"}],
        retroactive=True,
    )
    objection = declaration(id="urn:uuid:o2", target=_target(2))
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in (consent, objection)) + "\n")
    totals = audit(path, purposes=["genai-training"], at=AT).to_dict()
    assert totals["items"] == 2
    assert totals["decisions"] == {"allowed": 1, "denied": 1, "unknown": 0}
    assert totals["manifest"] == str(path)
    assert totals["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_broken_json_line_concerns_every_item(tmp_path: Path) -> None:
    """A line that cannot be read is an unreadable marker for every item (spec §10.4.1)."""
    consent = declaration(
        id="urn:uuid:c1",
        target=_target(1),
        basis="explicit-consent",
        prohibition=None,
        permission=[{"purpose": "ai-training"}],
        retroactive=True,
    )
    path = tmp_path / "items.ndjson"  # any name: the content says it is JSON Lines
    path.write_text(json.dumps(consent) + "\n{not json\n")
    totals = audit(path, purposes=["genai-training"], at=AT).to_dict()
    assert totals["decisions"]["allowed"] == 0
    assert totals["unreadableItems"] == totals["items"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"manifest": "missing.parquet"}, "missing.parquet: no such file"),
        ({"purposes": ["world-domination"]}, "unknown purpose"),
        ({"jurisdiction": "EU"}, "group"),
        ({"at": "yesterday"}, "RFC 3339"),
        ({"at": "2026-01-01T00:00:00"}, "time zone"),
        ({"policy": "lenient"}, "lenient"),
        ({"engine": "excel"}, "unknown engine"),
        ({"write_allowed": "ok.csv"}, ".parquet or .jsonl"),
    ],
)
def test_bad_input_is_an_audit_error(
    manifest: Path, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    """Bad arguments raise AuditError naming the problem, and nothing is written."""
    arguments: dict[str, Any] = {"purposes": ["genai-training"], "at": AT}
    target = manifest
    for key, value in change.items():
        if key == "manifest":
            target = tmp_path / value
        elif key == "write_allowed":
            arguments[key] = tmp_path / value
        else:
            arguments[key] = value
    with pytest.raises(AuditError, match=message):
        audit(target, report=tmp_path / "r.html", **arguments)
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PAR1 but not really a parquet file", "not a readable Parquet file"),
        (b"name,item\nx,y\n", "neither Parquet nor JSON Lines"),
        (b"", "neither Parquet nor JSON Lines"),
    ],
)
def test_not_a_manifest(tmp_path: Path, content: bytes, message: str) -> None:
    """A file that is not a manifest is named in a clear error."""
    path = tmp_path / "thing.parquet"
    path.write_bytes(content)
    with pytest.raises(AuditError, match=message) as caught:
        audit(path, purposes=["genai-training"], at=AT)
    assert str(path) in str(caught.value)


def test_parquet_with_the_wrong_columns(tmp_path: Path) -> None:
    """Some other Parquet file is refused with the reason."""
    import pyarrow as pa

    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"item": ["a"], "x": [1]}), path)
    with pytest.raises(AuditError, match="not an aiconsent manifest"):
        audit(path, purposes=["genai-training"], at=AT)


def test_a_folder_is_not_a_manifest(tmp_path: Path) -> None:
    """A folder gets a clear message, not an IsADirectoryError."""
    with pytest.raises(AuditError, match="is a folder"):
        audit(tmp_path, purposes=["genai-training"], at=AT)


def test_progress_is_reported(manifest: Path) -> None:
    """The engine's progress reaches the callback (the CLI's bar)."""
    seen: list[int] = []
    audit(manifest, purposes=["genai-training"], at=AT, engine="python", progress=seen.append)
    assert sum(seen) == 6
