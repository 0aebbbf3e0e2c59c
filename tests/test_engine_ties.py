"""Step 7's ties and the copy that stands are decided by content, never by input order
(spec §6.4 step 7, §6.2 rule 2); and the audit engines agree on them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aiconsent.auditing import duckdb_engine, python_engine
from aiconsent.auditing.question import AuditQuestion
from aiconsent.engine import check, prepare
from aiconsent.engine.policy import builtin
from aiconsent.manifests.layout import (
    MANIFEST_SCHEMA,
    row_of,
    schema_with_metadata,
    unreadable_of,
    unreadable_row,
)

AT = datetime(2026, 6, 1, tzinfo=UTC)
ITEM = "https://x.example/post/1"


def declaration(number: int, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        "type": "ConsentDeclaration",
        "target": [{"url": ITEM}],
        "declaredBy": {"id": "https://creator.example/", "role": "creator"},
        "declaredAt": "2025-01-01T00:00:00Z",
        "permission": [{"purpose": "genai-training"}],
        "basis": "explicit-consent",
        "retroactive": True,
    }
    value.update(changes)
    return value


def test_equally_new_permissions_of_a_party_are_ordered_by_content() -> None:
    """Two permissions of one party at one instant: the basis first in code-point order
    decides ('explicit-consent' before 'terms-of-service'), whichever id or order."""
    strict = declaration(2, basis="explicit-consent")
    loose = declaration(1, basis="terms-of-service")
    policy = builtin("opt-in")
    for ordered in itertools.permutations([strict, loose]):
        decision = check(list(ordered), "genai-training", at=AT, policy=policy)
        permitted = [r for r in decision.reasons if r.code == "permitted"]
        assert [r.declaration for r in permitted] == [strict["id"]]


def test_equally_new_prohibitions_prefer_the_role_first_in_order() -> None:
    by_creator = declaration(
        5, permission=None, prohibition=[{"purpose": "genai-training"}], basis=None
    )
    by_platform = {**by_creator, "id": "urn:uuid:00000000-0000-4000-8000-000000000001"}
    by_platform["declaredBy"] = {"id": "https://creator.example/", "role": "platform"}
    for value in (by_creator, by_platform):
        value.pop("permission")
        value.pop("basis")
    for ordered in itertools.permutations([by_platform, by_creator]):
        decision = check(list(ordered), "genai-training", at=AT)
        assert decision.decision == "denied"
        assert {r.code for r in decision.reasons} == {"prohibited-by-standing-party"}


def test_the_copy_that_stands_is_the_earliest_withdrawal_then_the_first_carrier() -> None:
    from aiconsent.model.found import Found

    value = declaration(7)
    copies = [Found(value, "a", "xmp"), Found(value, "b", "c2pa"), Found(value, "c", "html")]
    for ordered in itertools.permutations(copies):
        (kept,) = prepare(list(ordered)).declarations
        assert kept.carrier == "c2pa"
    withdrawn = {**value, "withdrawnAt": "2026-07-01T00:00:00Z"}
    with_withdrawal = [Found(value, "a", "c2pa"), Found(withdrawn, "b", "xmp")]
    for ordered in itertools.permutations(with_withdrawal):
        (kept,) = prepare(list(ordered)).declarations
        assert kept.carrier == "xmp"  # the withdrawal stands, whatever its carrier


def write(rows: list[dict[str, Any]], path: Path) -> Path:
    table = pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA)
    pq.write_table(table.replace_schema_metadata(schema_with_metadata(None).metadata), path)
    return path


@pytest.mark.parametrize("policy", ["opt-in", "signals-only"])
def test_both_engines_break_ties_and_keep_copies_alike(tmp_path: Path, policy: str) -> None:
    same_instant = [
        declaration(2, basis="explicit-consent"),
        declaration(1, basis="terms-of-service"),
    ]
    copy = declaration(3, declaredBy={"id": "https://other.example/", "role": "rightsholder"})
    rows = [row_of(ITEM, d, carrier="jsonld", source="s") for d in same_instant]
    rows += [
        row_of(ITEM, copy, carrier=carrier, source=carrier) for carrier in ("xmp", "c2pa", "html")
    ]
    manifest = write(rows[::-1], tmp_path / "m.parquet")
    question = AuditQuestion(("genai-training",), None, AT, builtin(policy))
    reference, compiled = tmp_path / "p.parquet", tmp_path / "d.parquet"
    python_engine.decide(manifest, question, reference)
    duckdb_engine.decide(manifest, question, compiled)
    assert pq.read_table(reference).to_pylist() == pq.read_table(compiled).to_pylist()
    (row,) = pq.read_table(compiled).to_pylist()
    assert row["declarations"] == 3 and row["decision"] == "allowed"


def test_markers_are_known_by_id_and_scoped_by_prohibited_purposes(tmp_path: Path) -> None:
    scoped = unreadable_row(
        ITEM, "XMP broken", carrier="xmp", source="a.jpg", purposes=frozenset({"search"})
    )
    assert scoped["prohibited_purposes"] == ["search"]
    assert unreadable_of(scoped).purposes == frozenset({"search"})
    # the JSON alone names no purposes any more: a marker without the column is for all
    everything = {**scoped, "prohibited_purposes": None}
    assert unreadable_of(everything).purposes is None
    question = AuditQuestion(("genai-training",), None, AT, builtin("signals-only"))
    allowed = row_of(ITEM, declaration(9), carrier="jsonld", source="s")
    for marker, unreadable in ((scoped, False), (everything, True)):
        manifest = write([marker, allowed], tmp_path / "m.parquet")
        for engine in (python_engine, duckdb_engine):
            out = tmp_path / f"{engine.__name__}.parquet"
            engine.decide(manifest, question, out)
            (row,) = pq.read_table(out).to_pylist()
            assert row["unreadable"] is True  # some marker concerns the item
            assert (row["decision"] == "unknown") is unreadable, engine.__name__
