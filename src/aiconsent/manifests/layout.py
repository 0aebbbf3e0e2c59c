"""The Parquet row layout of an item manifest (spec §10.4.2), both ways.

One module owns the mapping between a compact ConsentDeclaration and a manifest row so that the
writer, the reader and every audit engine agree on it: a row the mapping cannot turn back into
the same declaration is unreadable, never a silent permission (spec §6.2 rule 4).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Final, get_args

import pyarrow as pa

from aiconsent.dates import parse_date, parse_datetime
from aiconsent.engine.targets import normalise_url
from aiconsent.model.declaration import (
    Basis,
    Carrier,
    Constraint,
    Duty,
    Purpose,
    Role,
    Visibility,
)
from aiconsent.model.found import Found, Unreadable

V1_CONTEXT: Final = "https://w3id.org/aiconsent/v1"
LAYOUT_VERSION: Final = "1.0.0-draft"
UNREADABLE_ID: Final = "urn:aiconsent:unreadable"
"""The `declaration_id` of an unreadable-marker row (see `unreadable_row`)."""

_MICROS_UTC: Final = pa.timestamp("us", tz="UTC")
_STRINGS: Final = pa.list_(pa.string())

PERMISSION_TYPE: Final = pa.struct(
    [
        ("purpose", pa.string()),
        ("agent", _STRINGS),
        ("constraint", _STRINGS),
        ("duty", _STRINGS),
    ]
)
PROHIBITION_TYPE: Final = pa.struct(
    [("purpose", pa.string()), ("agent", _STRINGS), ("constraint", _STRINGS)]
)

MANIFEST_SCHEMA: Final = pa.schema(
    [
        pa.field("item", pa.string(), nullable=False),
        pa.field("declaration_id", pa.string()),
        pa.field("target_url", _STRINGS),
        pa.field("target_url_pattern", _STRINGS),
        pa.field("target_sha256", _STRINGS),
        pa.field("target_collection", _STRINGS),
        pa.field("declared_by_id", pa.string()),
        pa.field("declared_by_role", pa.string()),
        pa.field("declared_by_name", pa.string()),
        pa.field("declared_at", _MICROS_UTC),
        pa.field("declared_at_offset", pa.int16()),
        pa.field("valid_from", _MICROS_UTC),
        pa.field("valid_until", _MICROS_UTC),
        pa.field("withdrawn_at", _MICROS_UTC),
        pa.field("basis", pa.string()),
        pa.field("jurisdiction", _STRINGS),
        pa.field("retroactive", pa.bool_()),
        pa.field("permitted_purposes", _STRINGS),
        pa.field("prohibited_purposes", _STRINGS),
        pa.field("permission", pa.list_(PERMISSION_TYPE)),
        pa.field("prohibition", pa.list_(PROHIBITION_TYPE)),
        pa.field("created_at", _MICROS_UTC),
        pa.field("visibility", pa.string()),
        pa.field("personal_data", pa.bool_()),
        pa.field("minor_at_creation", pa.bool_()),
        pa.field("age_at_creation", pa.int16()),
        pa.field("adult_since", pa.date32()),
        pa.field("policy_url", pa.string()),
        pa.field("withdrawal_url", pa.string()),
        pa.field("evidence", pa.string()),
        pa.field("carrier", pa.string()),
        pa.field("source", pa.string()),
        pa.field("declaration_json", pa.string()),
    ]
)
"""The columns of spec §10.4.2, in order, with their Parquet types."""

COLUMNS: Final = tuple(MANIFEST_SCHEMA.names)
EMPTY_ROW_COLUMNS: Final = tuple(
    c for c in COLUMNS if c not in ("item", "declaration_id", "declaration_json")
)
"""Columns that are all null on the row of an item with no declaration (the JSON is not
consulted: typed columns are authoritative, spec §10.4.2)."""

METADATA_VERSION: Final = "aiconsent.version"
METADATA_CONTEXT: Final = "aiconsent.context"
METADATA_DATASET: Final = "aiconsent.dataset"
METADATA_KEYS: Final = (METADATA_VERSION, METADATA_CONTEXT, METADATA_DATASET)


class ManifestRowError(ValueError):
    """A manifest row that cannot be turned back into a declaration (so: unreadable)."""


# Enumerations of spec §4.8, from the one place the model keeps them: a row with a value
# outside them is refused.
PURPOSES: Final = frozenset(get_args(Purpose))
ROLES: Final = frozenset(get_args(Role))
BASES: Final = frozenset(get_args(Basis))
VISIBILITIES: Final = frozenset(get_args(Visibility))
CONSTRAINTS: Final = frozenset(get_args(Constraint))
DUTIES: Final = frozenset(get_args(Duty))
CARRIERS: Final = frozenset(get_args(Carrier))

_TARGET_COLUMNS: Final = (
    ("url", "target_url"),
    ("urlPattern", "target_url_pattern"),
    ("sha256", "target_sha256"),
    ("collection", "target_collection"),
)
_DATE_TIMES: Final = (
    ("validFrom", "valid_from"),
    ("validUntil", "valid_until"),
    ("withdrawnAt", "withdrawn_at"),
)
_PLAIN: Final = (
    ("basis", "basis"),
    ("retroactive", "retroactive"),
    ("policyUrl", "policy_url"),
    ("withdrawalUrl", "withdrawal_url"),
    ("evidence", "evidence"),
)
_CONTENT: Final = (
    ("visibility", "visibility"),
    ("personalData", "personal_data"),
    ("minorAtCreation", "minor_at_creation"),
    ("ageAtCreation", "age_at_creation"),
)
_HEX64: Final = re.compile(r"^[0-9a-f]{64}$")
# Keys of the compact form kept only in declaration_json: the context is in the file metadata,
# and `carrier` is set by the reader (spec §4.7), held by the `carrier` column.
_NOT_IN_JSON: Final = frozenset({"@context", "carrier"})


# --- declaration -> row ------------------------------------------------------------------------


def item_keys(declaration: Mapping[str, Any]) -> list[str]:
    """The item keys a declaration is filed under (spec §10.4): its sha256 targets, else URLs.

    A declaration whose targets are only `urlPattern` or `collection` has no key of its own:
    the builder files it under the items it covers.
    """
    targets = [t for t in declaration.get("target", []) if isinstance(t, Mapping)]
    hashes = [f"sha256:{t['sha256']}" for t in targets if "sha256" in t]
    keys = hashes or [normalise_url(t["url"]) for t in targets if "url" in t]
    return list(dict.fromkeys(keys))


def empty_row(item: str) -> dict[str, Any]:
    """The row of an item for which nothing was found (spec §10.4.2: all but `item` null)."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row["item"] = item
    return row


def unreadable_row(
    item: str,
    message: str,
    *,
    carrier: str | None,
    source: str | None,
    purposes: frozenset[str] | None = None,
) -> dict[str, Any]:
    """A marker row: something was found for the item but could not be read (§6.2 rule 4).

    It has `declaration_id` = UNREADABLE_ID, the purposes it concerns (if only some) in
    `prohibited_purposes`, no other declaration column, and `declaration_json`
    `{"unreadable": message[, "purposes": [...]]}` for people. The typed columns say it all,
    so the SQL engines never need to read the JSON; and a reader that does not know markers
    still finds the row unreadable (no declared_at): fail closed.
    """
    marker: dict[str, Any] = {"unreadable": message}
    if purposes is not None:
        marker["purposes"] = sorted(purposes)
    row = empty_row(item)
    row.update(
        declaration_id=UNREADABLE_ID,
        prohibited_purposes=sorted(purposes) if purposes else None,
        carrier=carrier,
        source=source,
        declaration_json=json.dumps(marker, ensure_ascii=False, separators=(",", ":")),
    )
    return row


def row_of(
    item: str, declaration: Mapping[str, Any], *, carrier: str | None, source: str | None
) -> dict[str, Any]:
    """One row for a (schema-valid) compact ConsentDeclaration filed under `item`."""
    row = empty_row(item)
    row["declaration_id"] = declaration["id"]
    targets = declaration["target"]
    for key, column in _TARGET_COLUMNS:
        row[column] = [t[key] for t in targets if key in t] or None
    party = declaration["declaredBy"]
    row["declared_by_id"] = party["id"]
    row["declared_by_role"] = party["role"]
    row["declared_by_name"] = party.get("name")
    declared_at = parse_datetime(declaration["declaredAt"])
    row["declared_at"] = declared_at.astimezone(UTC)
    row["declared_at_offset"] = _offset_minutes(declared_at)
    for key, column in _DATE_TIMES:
        if key in declaration:
            row[column] = parse_datetime(declaration[key]).astimezone(UTC)
    for key, column in _PLAIN:
        row[column] = declaration.get(key)
    row["jurisdiction"] = (
        list(declaration["jurisdiction"]) if "jurisdiction" in declaration else None
    )
    permissions = declaration.get("permission")
    prohibitions = declaration.get("prohibition")
    row["permission"] = [_rule_row(r, with_duty=True) for r in permissions] if permissions else None
    row["prohibition"] = (
        [_rule_row(r, with_duty=False) for r in prohibitions] if prohibitions else None
    )
    row["permitted_purposes"] = _purposes_of(permissions)
    row["prohibited_purposes"] = _purposes_of(prohibitions)
    content = declaration.get("content") or {}
    if "createdAt" in content:
        row["created_at"] = parse_datetime(content["createdAt"]).astimezone(UTC)
    for key, column in _CONTENT:
        row[column] = content.get(key)
    if "adultSince" in content:
        row["adult_since"] = parse_date(content["adultSince"])
    row["carrier"] = carrier
    row["source"] = source
    row["declaration_json"] = declaration_json_of(declaration)
    return row


def declaration_json_of(declaration: Mapping[str, Any]) -> str:
    """The `declaration_json` value: the compact JSON as read, without context and carrier."""
    kept = {k: v for k, v in declaration.items() if k not in _NOT_IN_JSON}
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":"))


def _rule_row(rule: Mapping[str, Any], *, with_duty: bool) -> dict[str, Any]:
    value: dict[str, Any] = {
        "purpose": rule["purpose"],
        "agent": list(rule["agent"]) if rule.get("agent") else None,
        "constraint": list(rule["constraint"]) if rule.get("constraint") else None,
    }
    if with_duty:
        value["duty"] = list(rule["duty"]) if rule.get("duty") else None
    return value


def _purposes_of(rules: list[Mapping[str, Any]] | None) -> list[str] | None:
    """The derived purpose column: each purpose once, in the order of the rules."""
    if not rules:
        return None
    return list(dict.fromkeys(rule["purpose"] for rule in rules))


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    if offset is None:  # the schema requires an offset; a naive value is read as UTC
        return 0
    return int(offset.total_seconds() // 60)


# --- row -> declaration ------------------------------------------------------------------------


def is_empty_row(row: Mapping[str, Any]) -> bool:
    """True for the row of an item with no declaration."""
    return row.get("declaration_id") is None


def is_unreadable_row(row: Mapping[str, Any]) -> bool:
    """True for an unreadable-marker row (see `unreadable_row`): known by its id alone."""
    return row.get("declaration_id") == UNREADABLE_ID


def unreadable_of(row: Mapping[str, Any]) -> Unreadable:
    """The unreadable marker a marker row stands for: the purposes of `prohibited_purposes`
    that are purposes, or every purpose when it names none (the JSON only gives the message)."""
    marker = _marker_of(row) or {}
    message = marker.get("unreadable")
    purposes = row.get("prohibited_purposes")
    scoped = (
        frozenset(p for p in purposes if isinstance(p, str) and p in PURPOSES) or None
        if isinstance(purposes, list)
        else None
    )
    return Unreadable(
        _str_or_none(row.get("source")),
        message if isinstance(message, str) else "unreadable manifest row",
        _str_or_none(row.get("carrier")),
        scoped,
    )


def entry_of(row: Mapping[str, Any], *, row_index: int | None = None) -> Found | Unreadable | None:
    """What a row gives an evaluation: a Found, an unreadable marker, or None (no declaration).

    A row that cannot be read becomes an Unreadable for every purpose, so it can never be
    mistaken for silence or a permission.
    """
    if is_unreadable_row(row):
        return unreadable_of(row)
    if is_empty_row(row):
        problems = [c for c in EMPTY_ROW_COLUMNS if row.get(c) is not None]
        if problems:
            where = f"row {row_index}: " if row_index is not None else ""
            return Unreadable(
                _str_or_none(row.get("source")),
                f"{where}declaration_id is null but {', '.join(problems)} are set",
                _str_or_none(row.get("carrier")),
            )
        return None
    try:
        declaration = declaration_of(row)
    except ManifestRowError as error:
        where = f"/{row_index}: " if row_index is not None else ""
        return Unreadable(_str_or_none(row.get("source")), f"{where}{error}", _carrier_or_none(row))
    return Found(declaration, _str_or_none(row.get("source")), _carrier_or_none(row) or "jsonld")


def declaration_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a row back into its compact declaration, or raise ManifestRowError.

    The typed columns are authoritative (spec §10.4.2); `declaration_json`, when present, must
    mean the same (compared as canonical JSON with date-times as UTC instants) and is then
    returned, since it keeps the offsets the typed columns do not.
    """
    if is_unreadable_row(row):
        raise ManifestRowError(f"unreadable marker: {unreadable_of(row).message}")
    if is_empty_row(row):
        raise ManifestRowError("the row marks an item with no declaration")
    typed = _typed_declaration(row)
    text = row.get("declaration_json")
    if text is None:
        return {"@context": V1_CONTEXT, **typed}
    if not isinstance(text, str):
        raise ManifestRowError("declaration_json is not a string")
    try:
        stored = json.loads(text)
    except ValueError as error:
        raise ManifestRowError(f"declaration_json is not JSON: {error}") from None
    if not isinstance(stored, dict):
        raise ManifestRowError("declaration_json is not a JSON object")
    stored = {k: v for k, v in stored.items() if k not in _NOT_IN_JSON}
    try:
        same = _meaning(stored) == _meaning(typed)
    except (ValueError, TypeError, KeyError, AttributeError):
        same = False
    if not same:
        raise ManifestRowError(
            f"declaration_json disagrees with the typed columns of {row.get('declaration_id')!r}"
        )
    return {"@context": V1_CONTEXT, **stored}


def _typed_declaration(row: Mapping[str, Any]) -> dict[str, Any]:
    """The compact declaration the typed columns spell (checked, with enums verified)."""
    out: dict[str, Any] = {"id": _required_str(row, "declaration_id"), "type": "ConsentDeclaration"}
    targets: list[dict[str, str]] = []
    for key, column in _TARGET_COLUMNS:
        for value in _str_list(row, column) or []:
            if key == "sha256" and not _HEX64.match(value):
                raise ManifestRowError(f"{column} holds {value!r}, not 64 lowercase hex digits")
            targets.append({key: value})
    if not targets:
        raise ManifestRowError("the row has no target")
    out["target"] = targets
    party: dict[str, Any] = {"id": _required_str(row, "declared_by_id")}
    party["role"] = _enum(row, "declared_by_role", ROLES, required=True)
    name = _optional_str(row, "declared_by_name")
    if name is not None:
        party["name"] = name
    out["declaredBy"] = party
    declared_at = _timestamp(row, "declared_at")
    if declared_at is None:
        raise ManifestRowError("declared_at is null")
    offset = row.get("declared_at_offset")
    if offset is None:
        offset = 0
    if not isinstance(offset, int) or isinstance(offset, bool) or not -1439 <= offset <= 1439:
        raise ManifestRowError(f"declared_at_offset {offset!r} is not an offset in minutes")
    out["declaredAt"] = format_datetime(declared_at, offset)
    for key, column in _DATE_TIMES:
        moment = _timestamp(row, column)
        if moment is not None:
            out[key] = format_datetime(moment, 0)
    basis = _enum(row, "basis", BASES)
    if basis is not None:
        out["basis"] = basis
    jurisdiction = _str_list(row, "jurisdiction")
    if jurisdiction is not None:
        out["jurisdiction"] = jurisdiction
    retroactive = _bool(row, "retroactive")
    if retroactive is not None:
        out["retroactive"] = retroactive
    permissions = _rules(row, "permission", with_duty=True)
    prohibitions = _rules(row, "prohibition", with_duty=False)
    if permissions is None and prohibitions is None:
        raise ManifestRowError("the row has neither permission nor prohibition rules")
    _check_derived(row, "permitted_purposes", permissions)
    _check_derived(row, "prohibited_purposes", prohibitions)
    if permissions is not None:
        out["permission"] = permissions
    if prohibitions is not None:
        out["prohibition"] = prohibitions
    content = _content(row)
    if content:
        out["content"] = content
    for key, column in (
        ("policyUrl", "policy_url"),
        ("withdrawalUrl", "withdrawal_url"),
        ("evidence", "evidence"),
    ):
        text = _optional_str(row, column)
        if text is not None:
            out[key] = text
    _enum(row, "carrier", CARRIERS)
    return out


def _content(row: Mapping[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    created = _timestamp(row, "created_at")
    if created is not None:
        content["createdAt"] = format_datetime(created, 0)
    visibility = _enum(row, "visibility", VISIBILITIES)
    if visibility is not None:
        content["visibility"] = visibility
    for key, column in (
        ("personalData", "personal_data"),
        ("minorAtCreation", "minor_at_creation"),
    ):
        flag = _bool(row, column)
        if flag is not None:
            content[key] = flag
    age = row.get("age_at_creation")
    if age is not None:
        if not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 150:
            raise ManifestRowError(f"age_at_creation {age!r} is not an age from 0 to 150")
        content["ageAtCreation"] = age
    adult_since = row.get("adult_since")
    if adult_since is not None:
        if not isinstance(adult_since, date) or isinstance(adult_since, datetime):
            raise ManifestRowError(f"adult_since {adult_since!r} is not a date")
        content["adultSince"] = adult_since.isoformat()
    return content


def _rules(row: Mapping[str, Any], column: str, *, with_duty: bool) -> list[dict[str, Any]] | None:
    value = row.get(column)
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise ManifestRowError(f"{column} is not a non-empty list of rules")
    rules: list[dict[str, Any]] = []
    for entry in value:
        if not isinstance(entry, Mapping):
            raise ManifestRowError(f"{column} holds {entry!r}, not a rule")
        purpose = entry.get("purpose")
        if purpose not in PURPOSES:
            raise ManifestRowError(f"{column} has the unknown purpose {purpose!r}")
        rule: dict[str, Any] = {"purpose": purpose}
        lists: list[tuple[str, frozenset[str] | None]] = [
            ("agent", None),
            ("constraint", CONSTRAINTS),
        ]
        if with_duty:
            lists.append(("duty", DUTIES))
        elif entry.get("duty") is not None:
            raise ManifestRowError(f"{column} has a duty, which a prohibition cannot have")
        for key, allowed in lists:
            items = entry.get(key)
            if items is None:
                continue
            if (
                not isinstance(items, list)
                or not items
                or not all(isinstance(i, str) for i in items)
            ):
                raise ManifestRowError(f"{column}.{key} is not a non-empty list of strings")
            if allowed is not None and not set(items) <= allowed:
                unknown = sorted(set(items) - allowed)
                raise ManifestRowError(f"{column}.{key} has the unknown value(s) {unknown}")
            rule[key] = list(items)
        rules.append(rule)
    return rules


def _check_derived(row: Mapping[str, Any], column: str, rules: list[dict[str, Any]] | None) -> None:
    derived = _str_list(row, column)
    expected = None if rules is None else {rule["purpose"] for rule in rules}
    if (None if derived is None else set(derived)) != expected:
        raise ManifestRowError(
            f"{column} {derived!r} disagrees with the rules' purposes "
            f"{sorted(expected) if expected is not None else None!r}"
        )


def _required_str(row: Mapping[str, Any], column: str) -> str:
    value = _optional_str(row, column)
    if value is None or not value:
        raise ManifestRowError(f"{column} is null or empty")
    return value


def _optional_str(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(column)
    if value is None or isinstance(value, str):
        return value
    raise ManifestRowError(f"{column} holds {value!r}, not a string")


def _enum(
    row: Mapping[str, Any], column: str, allowed: frozenset[str], *, required: bool = False
) -> str | None:
    value = _required_str(row, column) if required else _optional_str(row, column)
    if value is not None and value not in allowed:
        raise ManifestRowError(f"{column} has the unknown value {value!r}")
    return value


def _bool(row: Mapping[str, Any], column: str) -> bool | None:
    value = row.get(column)
    if value is None or isinstance(value, bool):
        return value
    raise ManifestRowError(f"{column} holds {value!r}, not a boolean")


def _str_list(row: Mapping[str, Any], column: str) -> list[str] | None:
    value = row.get(column)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestRowError(f"{column} is not a list of strings")
    if not value:
        raise ManifestRowError(f"{column} is an empty list (absent values are null)")
    return list(value)


def _timestamp(row: Mapping[str, Any], column: str) -> datetime | None:
    value = row.get(column)
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ManifestRowError(f"{column} holds {value!r}, not a timestamp")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _carrier_or_none(row: Mapping[str, Any]) -> str | None:
    value = row.get("carrier")
    return value if isinstance(value, str) and value in CARRIERS else None


def _marker_of(row: Mapping[str, Any]) -> dict[str, Any] | None:
    text = row.get("declaration_json")
    if not isinstance(text, str) or '"unreadable"' not in text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "unreadable" in value else None


# --- date-times --------------------------------------------------------------------------------


def format_datetime(moment: datetime, offset_minutes: int) -> str:
    """An RFC 3339 date-time for an instant, written in the given offset (0 → `Z`)."""
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}".rstrip("0")
    if offset_minutes == 0:
        return f"{_pad_year(text, local.year)}Z"
    sign = "+" if offset_minutes > 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{_pad_year(text, local.year)}{sign}{hours:02d}:{minutes:02d}"


def _pad_year(text: str, year: int) -> str:
    # strftime("%Y") does not zero-pad years below 1000 on every platform.
    return f"{year:04d}{text[text.index('-') :]}"


_DATE_TIME_KEYS: Final = frozenset({"declaredAt", "validFrom", "validUntil", "withdrawnAt"})


def _meaning(declaration: Mapping[str, Any]) -> str:
    """Canonical JSON of a declaration with its date-times as UTC instants (for comparison)."""
    value = dict(declaration)
    targets = value.get("target")
    if isinstance(targets, list):  # the typed columns group targets by kind: order is not meaning
        value["target"] = sorted(targets, key=lambda t: json.dumps(t, sort_keys=True))
    for key in _DATE_TIME_KEYS & value.keys():
        value[key] = _instant(value[key])
    content = value.get("content")
    if isinstance(content, Mapping) and "createdAt" in content:
        value["content"] = {**content, "createdAt": _instant(content["createdAt"])}
    if isinstance(value.get("declaredAt"), str) and isinstance(declaration.get("declaredAt"), str):
        value["declaredAt"] += "@" + str(_offset_minutes(parse_datetime(declaration["declaredAt"])))
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _instant(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError("not a date-time")
    moment = parse_datetime(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# --- file metadata -----------------------------------------------------------------------------


def file_metadata(dataset: str | None) -> dict[bytes, bytes]:
    """The key-value metadata of a manifest file (spec §10.4.2)."""
    metadata: dict[str, str] = {METADATA_VERSION: LAYOUT_VERSION, METADATA_CONTEXT: V1_CONTEXT}
    if dataset is not None:
        metadata[METADATA_DATASET] = dataset
    return {key.encode(): value.encode() for key, value in metadata.items()}


def schema_with_metadata(dataset: str | None) -> pa.Schema:
    """MANIFEST_SCHEMA carrying the file metadata, as written to disk."""
    return MANIFEST_SCHEMA.with_metadata(file_metadata(dataset))
