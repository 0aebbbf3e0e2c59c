"""The row layout of spec §10.4.2: exact schema, lossless round trip, unreadable rows."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiconsent.dates import parse_datetime
from aiconsent.engine import check
from aiconsent.manifests.layout import (
    MANIFEST_SCHEMA,
    METADATA_KEYS,
    UNREADABLE_ID,
    V1_CONTEXT,
    ManifestRowError,
    declaration_of,
    empty_row,
    entry_of,
    file_metadata,
    format_datetime,
    is_empty_row,
    is_unreadable_row,
    item_keys,
    row_of,
    unreadable_of,
    unreadable_row,
)
from aiconsent.model.found import Found, Unreadable
from documents import example_files, nodes_in
from manifests.strategies import declarations

TARGET_COLUMNS = ("target_url", "target_url_pattern", "target_sha256", "target_collection")
SPEC = Path(__file__).resolve().parents[2] / "spec.md"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _through_arrow(row: dict[str, Any]) -> dict[str, Any]:
    """The row as a reader gets it back: through an Arrow table of the manifest's schema."""
    return pa.Table.from_pylist([row], schema=MANIFEST_SCHEMA).to_pylist()[0]


def _without_reader_terms(declaration: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in declaration.items() if k not in {"@context", "carrier"}}
    return {"@context": V1_CONTEXT, **body}


def _example_declarations() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.name}#{node['id']}", node)
        for path in example_files()
        for node in nodes_in(path)
        if node.get("type") == "ConsentDeclaration"
    ]


EXAMPLES = _example_declarations()


# --- the schema is the spec's table ------------------------------------------------------------


def _spec_table() -> list[tuple[str, str, str]]:
    text = SPEC.read_text(encoding="utf-8")
    section = text[text.index("#### 10.4.2") : text.index("### 10.5")]
    rows = []
    for line in section.splitlines():
        match = re.match(r"^\| `([a-z0-9_]+)` \| `([^`]+)` \| (yes|no) \|", line)
        if match:
            rows.append((match.group(1), match.group(2), match.group(3)))
    return rows


def _parse_type(text: str) -> pa.DataType:
    """The Parquet type notation of the spec's table, as an Arrow type."""
    text = text.strip()
    simple = {
        "STRING": pa.string(),
        "STRING (JSON)": pa.string(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
        "INT32 (INT(16))": pa.int16(),
        "TIMESTAMP(MICROS, UTC)": pa.timestamp("us", tz="UTC"),
    }
    if text in simple:
        return simple[text]
    if text.startswith("LIST<") and text.endswith(">"):
        return pa.list_(_parse_type(text[5:-1]))
    if text.startswith("STRUCT<") and text.endswith(">"):
        fields, depth, start, body = [], 0, 0, text[7:-1]
        for index, char in enumerate(body + ","):
            depth += char == "<"
            depth -= char == ">"
            if char == "," and depth == 0:
                name, _, kind = body[start:index].partition(":")
                fields.append(pa.field(name.strip(), _parse_type(kind)))
                start = index + 1
        return pa.struct(fields)
    raise AssertionError(f"unknown type notation in spec.md: {text}")


def test_schema_columns_and_order_are_the_spec_table() -> None:
    table = _spec_table()
    assert len(table) == 33
    assert [name for name, _, _ in table] == MANIFEST_SCHEMA.names


@pytest.mark.parametrize("name,notation,nullable", _spec_table())
def test_each_column_type_is_the_spec_type(name: str, notation: str, nullable: str) -> None:
    field = MANIFEST_SCHEMA.field(name)
    assert field.type == _parse_type(notation)
    assert field.nullable == (nullable == "yes")


def test_file_metadata_holds_the_three_keys() -> None:
    metadata = file_metadata("https://data.example/set")
    assert {k.decode() for k in metadata} == set(METADATA_KEYS)
    assert metadata[b"aiconsent.version"] == b"1.0.0-draft"
    assert metadata[b"aiconsent.context"] == V1_CONTEXT.encode()
    assert b"aiconsent.dataset" not in file_metadata(None)


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("declaration", [d for _, d in EXAMPLES], ids=[i for i, _ in EXAMPLES])
def test_every_example_round_trips(declaration: dict[str, Any]) -> None:
    for item in item_keys(declaration) or ["https://x.example/"]:
        row = _through_arrow(row_of(item, declaration, carrier="jsonld", source="e.jsonld"))
        assert declaration_of(row) == _without_reader_terms(declaration)
        typed_only = declaration_of({**row, "declaration_json": None})
        assert _meaning(typed_only) == _meaning(declaration)


def _meaning(declaration: dict[str, Any]) -> str:
    """Canonical JSON with date-times as instants and targets in a fixed order."""
    value = _without_reader_terms(declaration)
    for key in ("declaredAt", "validFrom", "validUntil", "withdrawnAt"):
        if key in value:
            value[key] = parse_datetime(value[key]).astimezone(UTC).isoformat()
    if "createdAt" in value.get("content", {}):
        created = parse_datetime(value["content"]["createdAt"]).astimezone(UTC).isoformat()
        value["content"] = {**value["content"], "createdAt": created}
    value["target"] = sorted(value["target"], key=lambda t: json.dumps(t, sort_keys=True))
    return json.dumps(value, sort_keys=True)


@SETTINGS
@given(declarations())
def test_generated_declarations_round_trip(declaration: dict[str, Any]) -> None:
    item = (item_keys(declaration) or ["https://social.example/"])[0]
    row = _through_arrow(row_of(item, declaration, carrier="xmp", source="a.jpg"))
    assert declaration_of(row) == _without_reader_terms(declaration)
    typed_only = declaration_of({**row, "declaration_json": None})
    assert _meaning(typed_only) == _meaning(declaration)
    # the offset of declaredAt survives the typed columns: the adultSince rule needs it
    written = parse_datetime(declaration["declaredAt"])
    restored = parse_datetime(typed_only["declaredAt"])
    assert restored == written
    assert restored.utcoffset() == written.utcoffset()
    assert entry_of(row) == Found(_without_reader_terms(declaration), "a.jpg", "xmp")


@SETTINGS
@given(
    declarations(),
    st.sampled_from(["genai-training", "search", "ai-index"]),
    st.sampled_from([None, "DE", "DK", "AU"]),
)
def test_typed_columns_alone_give_the_same_decision(
    declaration: dict[str, Any], purpose: str, jurisdiction: str | None
) -> None:
    """The typed columns are authoritative: without declaration_json the engine decides alike."""
    row = _through_arrow(row_of("https://x.example/", declaration, carrier=None, source=None))
    typed_only = declaration_of({**row, "declaration_json": None})
    at = datetime(2030, 1, 1, tzinfo=UTC)
    first = check([declaration], purpose=purpose, jurisdiction=jurisdiction, at=at)
    second = check([typed_only], purpose=purpose, jurisdiction=jurisdiction, at=at)
    assert first.decision == second.decision
    assert [r.code for r in first.reasons] == [r.code for r in second.reasons]


def test_format_datetime_writes_offsets_and_fractions() -> None:
    moment = datetime(2024, 2, 29, 23, 30, 0, 120000, tzinfo=UTC)
    assert format_datetime(moment, 0) == "2024-02-29T23:30:00.12Z"
    assert format_datetime(moment, 330) == "2024-03-01T05:00:00.12+05:30"
    assert format_datetime(moment, -300) == "2024-02-29T18:30:00.12-05:00"


# --- item keys ---------------------------------------------------------------------------------


def test_item_keys_prefer_sha256_then_normalised_urls() -> None:
    hex64 = "ab" * 32
    both = {"target": [{"url": "https://X.example:443"}, {"sha256": hex64}]}
    assert item_keys(both) == [f"sha256:{hex64}"]
    assert item_keys({"target": [{"url": "HTTPS://X.example:443"}]}) == ["https://x.example/"]
    assert item_keys({"target": [{"urlPattern": "/a/*"}, {"collection": "https://d/"}]}) == []


# --- unreadable rows ---------------------------------------------------------------------------


def _row(**changes: Any) -> dict[str, Any]:
    base = next(d for _, d in EXAMPLES if d.get("permission") and d.get("prohibition"))
    row = _through_arrow(row_of("https://x.example/", base, carrier="html", source="p.html"))
    row.update(changes)
    return row


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"permitted_purposes": ["tdm"]}, "permitted_purposes"),
        ({"prohibited_purposes": None}, "prohibited_purposes"),
        ({"basis": "license"}, "disagrees"),
        ({"declared_by_role": "friend"}, "declared_by_role"),
        ({"visibility": "secret"}, "visibility"),
        ({"jurisdiction": []}, "empty list"),
        ({"declared_at": None}, "declared_at is null"),
        ({"declared_at_offset": 123}, "disagrees"),
        ({"declared_at_offset": 5000}, "offset in minutes"),
        ({"declaration_json": "{not json"}, "not JSON"),
        ({"declaration_json": "[1]"}, "not a JSON object"),
        (dict.fromkeys(TARGET_COLUMNS), "no target"),
        ({"target_sha256": ["ABC"]}, "64 lowercase hex"),
        ({"age_at_creation": 151}, "age_at_creation"),
        ({"carrier": "carrier-pigeon"}, "carrier"),
    ],
)
def test_rows_that_disagree_are_unreadable(changes: dict[str, Any], message: str) -> None:
    row = _row(**changes)
    with pytest.raises(ManifestRowError, match=message):
        declaration_of(row)
    entry = entry_of(row, row_index=7)
    assert isinstance(entry, Unreadable)
    assert entry.purposes is None  # every purpose: it cannot be known which it concerned
    assert "/7" in entry.message


def test_a_json_offset_of_another_date_time_is_the_same_meaning() -> None:
    row = _row()
    stored = json.loads(row["declaration_json"])
    moment = parse_datetime(stored["declaredAt"])
    stored["validFrom"] = format_datetime(moment, -600)
    row["valid_from"] = moment.astimezone(UTC)
    row["declaration_json"] = json.dumps(stored)
    assert declaration_of(row)["validFrom"] == stored["validFrom"]


def test_the_empty_row_and_its_checks() -> None:
    row = empty_row("sha256:" + "0" * 64)
    assert is_empty_row(row) and not is_unreadable_row(row)
    assert entry_of(row) is None
    with pytest.raises(ManifestRowError, match="no declaration"):
        declaration_of(row)
    broken = {**row, "basis": "license"}
    assert isinstance(entry_of(broken), Unreadable)


def test_unreadable_marker_rows() -> None:
    row = _through_arrow(
        unreadable_row(
            "sha256:" + "1" * 64,
            "XMP packet does not parse",
            carrier="xmp",
            source="a.jpg",
            purposes=frozenset({"genai-training"}),
        )
    )
    assert row["declaration_id"] == UNREADABLE_ID
    assert row["declared_at"] is None and row["permitted_purposes"] is None
    assert is_unreadable_row(row)
    marker = unreadable_of(row)
    assert marker == Unreadable(
        "a.jpg", "XMP packet does not parse", "xmp", frozenset({"genai-training"})
    )
    assert entry_of(row) == marker
    with pytest.raises(ManifestRowError, match="unreadable marker"):
        declaration_of(row)
    everything = unreadable_row("u", "broken", carrier=None, source=None)
    assert unreadable_of(everything).purposes is None
