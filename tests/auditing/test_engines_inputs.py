"""The audit engines on hostile or broken input: quotes in names and paths, files that are not
manifests, and hand-made cases the differential tests meet only rarely."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aiconsent.auditing import AuditError, decide, duckdb_engine, python_engine, question_of
from aiconsent.auditing.question import AuditQuestion
from aiconsent.auditing.sql import DUCKDB, SPARK, compile_audit
from aiconsent.engine.policy import builtin, compile_policy
from aiconsent.manifests.layout import MANIFEST_SCHEMA, row_of, schema_with_metadata

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _declaration(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "urn:uuid:11111111-2222-4333-8444-555555555555",
        "type": "ConsentDeclaration",
        "target": [{"url": "https://x.example/a"}],
        "declaredBy": {"id": "https://x.example/u/1", "role": "creator"},
        "declaredAt": "2025-01-01T00:00:00Z",
        "basis": "explicit-consent",
        "retroactive": True,
        "permission": [{"purpose": "genai-training", "duty": ["attribute"]}],
    }
    value.update(changes)
    return value


def _manifest(path: Path, rows: list[dict[str, Any]]) -> Path:
    table = pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA)
    pq.write_table(table.replace_schema_metadata(schema_with_metadata(None).metadata), path)
    return path


def _both(manifest: Path, question: AuditQuestion, folder: Path) -> list[dict[str, Any]]:
    reference, compiled = folder / "py.parquet", folder / "dd.parquet"
    python_engine.decide(manifest, question, reference)
    duckdb_engine.decide(manifest, question, compiled)
    expected = pq.read_table(reference).to_pylist()
    assert sorted(pq.read_table(compiled).to_pylist(), key=lambda r: r["item"]) == sorted(
        expected, key=lambda r: r["item"]
    )
    return expected


def test_a_manifest_path_with_quotes_is_read_safely(tmp_path: Path) -> None:
    folder = tmp_path / 'it\'s a "folder"; DROP TABLE x; --'
    folder.mkdir()
    manifest = _manifest(
        folder / "o'brien.parquet", [row_of("item-1", _declaration(), carrier="xmp", source="s")]
    )
    out = folder / "out'put.parquet"
    assert decide(manifest, question_of("genai-training", at=AT), out) == 1
    assert pq.read_table(out).to_pylist()[0]["decision"] == "allowed"


def test_a_policy_file_named_with_quotes_compiles_to_inert_literals(tmp_path: Path) -> None:
    document = {
        "type": "EvaluationPolicy",
        "name": "x'); DROP TABLE t; --",
        "extends": "signals-only",
        "unknownBecomes": "denied",
        "trustedCarriers": ["xmp"],
    }
    path = tmp_path / "pol'icy.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    policy = compile_policy(document, str(path))
    question = AuditQuestion(("genai-training",), None, AT, policy)
    for dialect in (DUCKDB, SPARK):
        assert "DROP TABLE" not in compile_audit(question, dialect, "manifest")
    manifest = _manifest(
        tmp_path / "m.parquet",
        [
            row_of("a", _declaration(), carrier="xmp", source="s"),
            row_of("b", _declaration(), carrier="c2pa", source="s"),
        ],
    )
    rows = _both(manifest, question, tmp_path)
    assert {row["item"]: row["reasons"] for row in rows} == {
        "a": ["permitted"],
        "b": ["policy-default", "untrusted-carrier"],
    }


def test_quotes_in_literals_are_escaped_per_dialect() -> None:
    assert DUCKDB.quote("it's") == "'it''s'"
    assert SPARK.quote("it's \\") == "'it\\'s \\\\'"


@pytest.mark.parametrize(
    ("purposes", "place", "message"),
    [
        (("gen-ai",), None, "unknown purpose"),
        (("genai-training",), "EU", "is a group"),
        (("genai-training",), "D'E", "ISO 3166-1"),
        ((), None, "at least one purpose"),
    ],
)
def test_questions_outside_the_vocabulary_are_refused(
    purposes: tuple[str, ...], place: str | None, message: str
) -> None:
    with pytest.raises(AuditError, match=message):
        AuditQuestion(purposes, place, AT, builtin("opt-in"))


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(AuditError, match="time zone"):
        AuditQuestion(("tdm",), None, datetime(2026, 1, 1), builtin("opt-in"))


def test_a_file_that_is_not_parquet_is_a_clear_error(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.parquet"
    manifest.write_text("item,decision\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    for engine in ("duckdb", "python"):
        with pytest.raises(AuditError, match=r"manifest\.parquet"):
            decide(manifest, question_of("genai-training", at=AT), out, engine=engine)
    assert not out.exists()
    assert manifest.read_text(encoding="utf-8") == "item,decision\n"


def test_a_parquet_file_with_another_schema_is_a_clear_error(tmp_path: Path) -> None:
    manifest = tmp_path / "other.parquet"
    pq.write_table(pa.table({"item": ["a"], "x": [1]}), manifest)
    with pytest.raises(AuditError, match=r"other\.parquet: not an aiconsent manifest"):
        duckdb_engine.decide(manifest, question_of("tdm", at=AT), tmp_path / "out.parquet")


def test_agreeing_copies_keep_the_carrier_of_the_earliest_withdrawal(tmp_path: Path) -> None:
    trusting = compile_policy(
        {
            "type": "EvaluationPolicy",
            "name": "t",
            "extends": "signals-only",
            "trustedCarriers": ["xmp"],
        },
        "t",
    )
    later = _declaration(withdrawnAt="2027-01-01T00:00:00Z")
    earlier = _declaration(withdrawnAt="2026-06-01T00:00:00Z")
    rows = [
        row_of("a", later, carrier="xmp", source="1"),
        row_of("a", earlier, carrier="c2pa", source="2"),
        row_of("b", _declaration(), carrier="c2pa", source="1"),
        row_of("b", _declaration(), carrier="xmp", source="2"),
    ]
    manifest = _manifest(tmp_path / "m.parquet", rows)
    result = _both(manifest, AuditQuestion(("genai-training",), None, AT, trusting), tmp_path)
    by_item = {row["item"]: row for row in result}
    assert by_item["a"]["reasons"] == ["untrusted-carrier"]  # the c2pa copy was kept
    assert by_item["b"]["reasons"] == ["untrusted-carrier"]  # no withdrawal: the first copy
    assert by_item["a"]["declarations"] == 1


def test_equally_new_declarations_of_a_party_let_the_prohibition_win(tmp_path: Path) -> None:
    permit = _declaration()
    refuse = _declaration(
        id="urn:uuid:00000000-2222-4333-8444-555555555555",
        permission=None,
        prohibition=[{"purpose": "ai-training"}],
    )
    refuse = {k: v for k, v in refuse.items() if v is not None}
    manifest = _manifest(
        tmp_path / "m.parquet",
        [
            row_of("a", permit, carrier="xmp", source="1"),
            row_of("a", refuse, carrier="xmp", source="2"),
        ],
    )
    question = AuditQuestion(("genai-training",), None, AT, builtin("opt-out"))
    (row,) = _both(manifest, question, tmp_path)
    assert (row["decision"], row["reasons"]) == ("denied", ["prohibited-by-standing-party"])


def test_the_local_date_of_declared_at_decides_adult_since(tmp_path: Path) -> None:
    content = {"ageAtCreation": 15, "adultSince": "2025-01-02", "personalData": False}
    # 2025-01-01T23:30-05:00 is 2025-01-02 in UTC but 2025-01-01 where it was declared.
    early = _declaration(declaredAt="2025-01-01T23:30:00-05:00", content=content)
    manifest = _manifest(tmp_path / "m.parquet", [row_of("a", early, carrier="xmp", source="1")])
    question = AuditQuestion(("genai-training",), "DE", AT, builtin("signals-only"))
    (row,) = _both(manifest, question, tmp_path)
    assert (row["decision"], row["reasons"], row["minor"]) == (
        "denied",
        ["minor-content"],
        True,
    )


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_progress_adds_up_to_the_manifest_rows(engine: str, tmp_path: Path) -> None:
    rows = [row_of(f"item-{n:03d}", _declaration(), carrier="xmp", source="s") for n in range(40)]
    manifest = _manifest(tmp_path / "m.parquet", rows)
    done: list[int] = []
    question = question_of("genai-training", at=AT)
    assert decide(manifest, question, tmp_path / "o.parquet", engine=engine, progress=done.append)
    assert sum(done) == len(rows)
