"""Differential tests: the compiled SQL (DuckDB, Spark) decides every item exactly as the Python
reference engine (aiconsent.engine's prepare and check) does.

Manifests are drawn by hypothesis from strategies that reach every rule of spec §6: parties and
roles, bases, withdrawals, validity windows, retroactivity, jurisdictions with groups and
aliases, minors (ages, adultSince, offsets), visibility, personal data, agents, constraints,
duties, copies that agree or disagree, unreadable rows. The tables must be equal row for row.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiconsent.auditing import duckdb_engine, python_engine
from aiconsent.auditing.question import AuditQuestion
from aiconsent.engine.policy import Policy, builtin, compile_policy
from aiconsent.manifests import layout
from aiconsent.manifests.layout import (
    MANIFEST_SCHEMA,
    empty_row,
    row_of,
    schema_with_metadata,
    unreadable_row,
)

LEAVES = ["genai-training", "non-generative-training", "ai-inference", "ai-index", "search"]
PURPOSES = ["tdm", "ai-use", "ai-training", *LEAVES]
ROLES = sorted(layout.ROLES)
BASES = sorted(layout.BASES)
PLACES = ["DE", "FR", "EU", "EEA", "UK", "GB", "EL", "US", "AU", "NO", "DK"]
CARRIERS = ["xmp", "c2pa", "sidecar", "jsonld", "http-header", "html"]
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
OFFSETS = [0, 60, -300, 330, 600, -720, 840]

STRICT_POLICY = compile_policy(
    {
        "type": "EvaluationPolicy",
        "name": "strict",
        "extends": "signals-only",
        "accept": [
            {
                "purpose": "ai-training",
                "basis": ["explicit-consent", "license"],
                "role": ["creator", "rightsholder"],
            },
            {"purpose": "search", "basis": ["no-objection", "terms-of-service"]},
        ],
        "unknownBecomes": "denied",
        "excludeMinors": True,
        "trustedCarriers": ["xmp", "c2pa"],
    },
    "strict.json",
)
LENIENT_POLICY = compile_policy(
    {
        "type": "EvaluationPolicy",
        "name": "lenient",
        "extends": "opt-out",
        "excludePrivate": True,
        "unknownBecomes": "allowed",
        "trustedCarriers": ["jsonld", "sidecar", "xmp"],
    },
    "lenient.json",
)
POLICIES: list[Policy] = [
    builtin("opt-in"),
    builtin("opt-out"),
    builtin("signals-only"),
    STRICT_POLICY,
    LENIENT_POLICY,
]


# -- generators: one code path for hypothesis (shrinking) and for seeded fixtures -----------


class Picker(Protocol):
    def one(self, options: Sequence[Any]) -> Any: ...
    def number(self, low: int, high: int) -> int: ...


class DrawPicker:
    """Choices drawn by hypothesis (so failures shrink)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def one(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def number(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


class RandomPicker:
    """Choices from a seeded generator (fixed fixtures outside @given)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def one(self, options: Sequence[Any]) -> Any:
        return options[self.rng.randrange(len(options))]

    def number(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


def _instant(pick: Picker, offset: int = 0) -> str:
    # A small pool of instants, so that ties (same declaredAt, T on a boundary) are common.
    moment = BASE_TIME + timedelta(days=pick.one([0, 150, 300, 301, 600]), hours=pick.one([0, 22]))
    local = moment.replace(tzinfo=None) + timedelta(minutes=offset)
    if offset == 0:
        return local.isoformat() + "Z"
    sign = "+" if offset > 0 else "-"
    return f"{local.isoformat()}{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


def _rules(pick: Picker, *, duties: bool) -> list[dict[str, Any]]:
    found = []
    for _ in range(pick.number(1, 2)):
        rule: dict[str, Any] = {"purpose": pick.one(PURPOSES)}
        if pick.number(0, 9) == 0:
            rule["agent"] = pick.one([["GPTBot"], ["CCBot", "gptbot"]])
        if pick.number(0, 9) == 0:
            rule["constraint"] = pick.one(
                [["research"], ["non-commercial"], ["research", "non-commercial"]]
            )
        if duties and pick.number(0, 3) == 0:
            rule["duty"] = pick.one([["attribute"], ["notify", "compensate"]])
        found.append(rule)
    return found


def make_declaration(pick: Picker, number: int) -> dict[str, Any]:
    """A schema-valid declaration touching a random selection of spec §6's rules."""
    value: dict[str, Any] = {
        "id": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        "type": "ConsentDeclaration",
        "target": [{"url": "https://x.example/item"}],
        "declaredBy": {"id": f"https://party.example/{pick.number(0, 2)}", "role": pick.one(ROLES)},
        "declaredAt": _instant(pick, pick.one(OFFSETS)),
    }
    if pick.number(0, 1):
        value["permission"] = _rules(pick, duties=True)
    if "permission" not in value or pick.number(0, 1):
        value["prohibition"] = _rules(pick, duties=False)
    if pick.number(0, 4) == 0:
        value["validFrom"] = _instant(pick)
    if pick.number(0, 4) == 0:
        value["validUntil"] = _instant(pick)
    if pick.number(0, 3) == 0:
        value["withdrawnAt"] = _instant(pick)
    if pick.number(0, 1):
        value["basis"] = pick.one(BASES)
    if pick.number(0, 2) == 0:
        first = pick.one(PLACES)
        second = pick.one(PLACES)
        value["jurisdiction"] = [first] if first == second else [first, second]
    retroactive = pick.one([None, True, False])
    if retroactive is not None:
        value["retroactive"] = retroactive
    content: dict[str, Any] = {}
    if pick.number(0, 1):
        content["createdAt"] = _instant(pick, pick.one(OFFSETS))
    if pick.number(0, 1):
        content["visibility"] = pick.one(["public", "restricted", "private"])
    if pick.number(0, 1):
        content["personalData"] = pick.one([True, False])
    if pick.number(0, 5) == 0:
        content["minorAtCreation"] = pick.one([True, False])
    if pick.number(0, 3) == 0:
        content["ageAtCreation"] = pick.number(11, 19)
    if pick.number(0, 3) == 0:
        day = BASE_TIME.date() + timedelta(days=pick.one([0, 149, 150, 151, 300, 301, 600]))
        content["adultSince"] = day.isoformat()
    if content:
        value["content"] = content
    if pick.number(0, 5) == 0:
        value["declaredBy"]["name"] = "Someone"
    return value


def make_item_rows(pick: Picker, item: str, first: int) -> list[dict[str, Any]]:
    """The manifest rows of one item: declarations, copies, unreadable and empty rows."""
    rows: list[dict[str, Any]] = []
    for number in range(first, first + pick.number(0, 6)):
        value = make_declaration(pick, number)
        carrier = pick.one(CARRIERS)
        rows.append(row_of(item, value, carrier=carrier, source=f"src/{number}"))
        copy_kind = pick.number(0, 5)
        if copy_kind == 0:  # an agreeing copy: another carrier, maybe another withdrawal
            copy = dict(value)
            if pick.number(0, 1):
                copy["withdrawnAt"] = _instant(pick)
            else:
                copy.pop("withdrawnAt", None)
            rows.append(row_of(item, copy, carrier=pick.one(CARRIERS), source="copy"))
        elif copy_kind == 1:  # a disagreeing copy
            copy = dict(value)
            copy["basis"] = "license" if value.get("basis") != "license" else "unspecified"
            rows.append(row_of(item, copy, carrier=carrier, source="other"))
    extra = pick.number(0, 14)
    if extra == 0:
        scoped = pick.one([None, frozenset({"genai-training"}), frozenset({"search", "tdm"})])
        rows.append(unreadable_row(item, "broken", carrier="xmp", source="u", purposes=scoped))
    elif extra == 1 and rows:
        bad = dict(rows[0])
        bad["declared_by_role"] = "nobody"
        rows.append(bad)
    elif extra == 2:
        stray = empty_row(item)
        stray["carrier"] = "xmp"
        rows.append(stray)
    elif extra == 3 and rows:
        bad = dict(rows[0])
        bad["permitted_purposes"] = ["search"] if bad["permission"] else None
        rows.append(bad)
    if not rows:
        rows.append(empty_row(item))
    return rows


def make_manifest_rows(pick: Picker, items: int, prefix: str = "i") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for index in range(items):
        rows += make_item_rows(pick, f"https://x.example/{prefix}/{index:03d}", index * 100)
    return rows


QUESTION_PURPOSES = [
    ("genai-training",),
    ("ai-training",),
    ("ai-use",),
    ("tdm",),
    ("search",),
    ("genai-training", "search"),
    ("ai-inference", "ai-training"),
]
QUESTION_PLACES = [None, "DE", "FR", "GB", "US", "NO", "AU", "DK"]


def make_question(pick: Picker) -> AuditQuestion:
    at = BASE_TIME + timedelta(days=pick.one([0, 150, 301, 450, 600, 900]), hours=pick.one([0, 22]))
    return AuditQuestion(
        pick.one(QUESTION_PURPOSES), pick.one(QUESTION_PLACES), at, pick.one(POLICIES)
    )


@st.composite
def manifests(draw: st.DrawFn) -> list[dict[str, Any]]:
    pick = DrawPicker(draw)
    return make_manifest_rows(pick, pick.number(1, 30))


@st.composite
def questions(draw: st.DrawFn) -> AuditQuestion:
    return make_question(DrawPicker(draw))


# -- helpers -------------------------------------------------------------------------------


def write_rows(rows: list[dict[str, Any]], path: Path) -> Path:
    """A manifest file in spec §10.4.2's layout (rows sorted by item, file order kept)."""
    ordered = sorted(rows, key=lambda row: row["item"])  # stable: copies keep their order
    table = pa.Table.from_pylist(ordered, schema=MANIFEST_SCHEMA)
    pq.write_table(table.replace_schema_metadata(schema_with_metadata(None).metadata), path)
    return path


def table_of(path: Path) -> list[dict[str, Any]]:
    return sorted(pq.read_table(path).to_pylist(), key=lambda row: row["item"])


def assert_same(expected: Path, found: Path) -> None:
    left, right = table_of(expected), table_of(found)
    assert [row["item"] for row in left] == [row["item"] for row in right]
    for want, got in zip(left, right, strict=True):
        assert got == want, f"item {want['item']}"


# -- tests ---------------------------------------------------------------------------------


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rows=manifests(), question=questions())
def test_duckdb_decides_every_item_as_the_python_engine(
    rows: list[dict[str, Any]], question: AuditQuestion, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("differential")
    manifest = write_rows(rows, folder / "manifest.parquet")
    reference = folder / "python.parquet"
    compiled = folder / "duckdb.parquet"
    count = python_engine.decide(manifest, question, reference)
    assert duckdb_engine.decide(manifest, question, compiled, threads=1) == count
    assert count == len({row["item"] for row in rows})
    assert_same(reference, compiled)


def test_the_generators_reach_every_reason_and_outcome(tmp_path: Path) -> None:
    """Guard against a differential test that passes because it never meets a rule."""
    pick = RandomPicker(5)
    manifest = write_rows(make_manifest_rows(pick, 400), tmp_path / "m.parquet")
    seen_reasons: set[str] = set()
    seen: set[str] = set()
    minor = withdrawn = unreadable = False
    for policy in POLICIES:
        for place in ("DE", None):
            question = AuditQuestion(
                ("ai-use", "search"), place, datetime(2025, 6, 1, tzinfo=UTC), policy
            )
            out = tmp_path / "out.parquet"
            duckdb_engine.decide(manifest, question, out)
            for row in table_of(out):
                seen_reasons.update(row["reasons"])
                seen.add(row["decision"])
                minor |= row["minor"]
                withdrawn |= row["withdrawn"]
                unreadable |= row["unreadable"]
    assert seen_reasons >= REASON_CODES, REASON_CODES - seen_reasons
    assert seen == {"allowed", "denied", "unknown"}
    assert minor and withdrawn and unreadable


REASON_CODES = {
    "permitted",
    "prohibited-by-standing-party",
    "prohibited",
    "withdrawn",
    "minor-content",
    "private-content",
    "basis-not-accepted",
    "not-retroactive",
    "expired",
    "not-yet-valid",
    "out-of-jurisdiction",
    "agent-not-matched",
    "constraint-not-met",
    "no-signal",
    "unreadable",
    "policy-default",
    "untrusted-carrier",
}
