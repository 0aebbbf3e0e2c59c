"""Realistic synthetic Parquet manifests of any size, generated inside DuckDB.

The audit engines need manifests of 200,000 items for differential tests and of 10 million
declarations for benchmarks; building those row by row in Python would take longer than the
audits they measure. Every value is a pure function of (seed, item, declaration, field) through
DuckDB's `hash`, so a seed always gives the same file with one DuckDB version, and memory stays
bounded because the rows are only ever streamed and sorted by DuckDB. The mix follows
benchmarks/generate.py: platforms' terms of service, objections, opt-ins, licences,
withdrawals, minors' content, jurisdictions, agents, constraints, duties, creation years
2007–2026, and a few unreadable markers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from aiconsent.manifests.layout import MANIFEST_SCHEMA, UNREADABLE_ID
from aiconsent.manifests.parquet import row_count, write_sorted_from


@dataclass(frozen=True, slots=True)
class SyntheticManifest:
    """What was written: the file, its items and its rows."""

    path: Path
    items: int
    rows: int


def synthetic_manifest(
    path: str | os.PathLike[str],
    items: int,
    seed: int,
    *,
    declarations_per_item: tuple[int, int] = (0, 3),
    dataset: str | None = "https://data.example.org/synthetic",
    unreadable_per_million: int = 2_000,
) -> SyntheticManifest:
    """Write a manifest of `items` items, each with a number of declarations drawn uniformly
    from `declarations_per_item` (inclusive); items drawn with none get an empty row."""
    low, high = declarations_per_item
    if items < 0 or low < 0 or high < low:
        raise ValueError("items and declarations_per_item must be non-negative, low <= high")
    if not 0 <= unreadable_per_million <= 1_000_000:
        raise ValueError("unreadable_per_million must be between 0 and 1,000,000")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            f"CREATE MACRO u(i, j, k) AS "
            f"(hash({int(seed)}::BIGINT, i::BIGINT, j::BIGINT, k::BIGINT) % 1000003) / 1000003.0"
        )
        con.execute(
            f"CREATE MACRO pick(i, j, k, n) AS "
            f"(hash({int(seed)}::BIGINT, i::BIGINT, j::BIGINT, k::BIGINT) % n)::INTEGER"
        )
        # Only the item numbers are sorted (by item key); rows are then generated in that
        # order, so the wide rows never go through a sort (checked while writing).
        con.execute(
            f"CREATE TEMP TABLE item_order AS SELECT i FROM range({int(items)}) AS t(i) "
            f"ORDER BY CASE WHEN {_HASHED} THEN 'sha256:' || sha256('item-' || i::VARCHAR) "
            f"ELSE {_URL} END"
        )
        select = _rows_sql(low, high, unreadable_per_million)
        written = write_sorted_from(select, path, dataset=dataset, connection=con, presorted=True)
    finally:
        con.close()
    return SyntheticManifest(Path(path), items, written)


_PURPOSES = (
    "['genai-training', 'ai-training', 'ai-inference', 'search', 'tdm', "
    "'non-generative-training', 'ai-index']"
)
_JURISDICTIONS = "['AU', 'DE', 'DK', 'FR', 'US', 'GB', 'EU', 'BR', 'JP', 'IE', 'EEA']"
_OFFSETS = "[0, 0, 0, 60, 120, -300, -240, 330, 600, 540, 660, -180]"
_CARRIERS = "['xmp', 'xmp', 'c2pa', 'sidecar', 'html', 'jsonld', 'http-header']"
_HASHED = "u(i, 0, 1) < 0.7"
_URL = "'https://social.example.com/posts/' || i::VARCHAR"
_OTHER_ROLES = "['creator', 'creator', 'data-subject', 'rightsholder', 'guardian', 'publisher']"


def _rows_sql(low: int, high: int, unreadable_per_million: int) -> str:
    """One SELECT yielding every row of the manifest in MANIFEST_SCHEMA's columns."""
    span = high - low + 1
    return f"""
WITH items AS (
    SELECT i,
           {_HASHED} AS hashed,
           sha256('item-' || i::VARCHAR) AS hex,
           {_URL} AS url,
           {low} + pick(i, 0, 2, {span}) AS n,
           TIMESTAMP '2007-01-01' + to_days(pick(i, 0, 3, 7300))
               + to_seconds(pick(i, 0, 4, 86400)) AS created,
           u(i, 0, 5) AS minor_roll,
           u(i, 0, 6) AS visibility_roll,
           u(i, 0, 7) AS personal_roll,
           u(i, 0, 8) < {unreadable_per_million} / 1000000.0 AS unreadable
    FROM item_order
),
keyed AS (
    SELECT *, CASE WHEN hashed THEN 'sha256:' || hex ELSE url END AS item FROM items
),
declarations AS (
    SELECT k.*, j,
           u(i, j, 10) AS kind,
           created + to_days(1 + greatest(j, 0) * 1000 + pick(i, j, 11, 1000))
               + to_seconds(pick(i, j, 12, 86400)) AS declared,
           ({_OFFSETS})[1 + pick(i, j, 13, 12)] AS offset_minutes,
           u(i, j, 14) AS roll_a, u(i, j, 15) AS roll_b, u(i, j, 16) AS roll_c,
           u(i, j, 17) AS roll_d, u(i, j, 18) AS roll_e
    FROM (
        SELECT *, unnest(list_concat(
                   CASE WHEN unreadable THEN [-1] ELSE [] END,
                   CASE WHEN n = 0 AND NOT unreadable THEN [-2] ELSE [] END,
                   range(n))) AS j
        FROM keyed
    ) AS k
),
shaped AS (
    SELECT *,
        CASE WHEN kind < 0.5 THEN 'platform'
             ELSE ({_OTHER_ROLES})[1 + pick(i, j, 20, 6)] END AS role,
        kind < 0.6 AS permits,
        CASE WHEN kind < 0.35 THEN 'terms-of-service'
             WHEN kind < 0.6 THEN (['no-objection', 'explicit-consent', 'license',
                                    'statutory-exception'])[1 + pick(i, j, 21, 4)]
        END AS basis_value
    FROM declarations
),
ruled AS (
    SELECT *,
        CASE WHEN permits THEN [{{
            'purpose': ({_PURPOSES})[1 + pick(i, j, 30, 7)],
            'agent': CASE WHEN roll_a < 0.05 THEN ['GPTBot'] END,
            'constraint': CASE WHEN roll_b < 0.05 THEN ['research']
                               WHEN roll_b < 0.1 THEN ['non-commercial'] END,
            'duty': CASE WHEN basis_value = 'explicit-consent' AND roll_c < 0.5 THEN ['attribute']
                         WHEN basis_value = 'license' AND roll_c < 0.1
                              THEN ['attribute', 'compensate'] END
        }}] END AS permission_value,
        CASE WHEN NOT permits THEN list_concat(
            [{{'purpose': 'genai-training', 'agent': NULL::VARCHAR[],
               'constraint': NULL::VARCHAR[]}},
             {{'purpose': 'ai-training', 'agent': NULL::VARCHAR[],
               'constraint': NULL::VARCHAR[]}}],
            CASE WHEN roll_a < 0.2 THEN [{{'purpose': 'ai-inference', 'agent': ['GPTBot'],
                                           'constraint': NULL::VARCHAR[]}}]
                 ELSE [] END)
        END AS prohibition_value
    FROM shaped
),
typed AS (
    SELECT
        j,
        item,
        'urn:uuid:' || substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3)
            || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12) AS declaration_id,
        CASE WHEN NOT hashed THEN [url] END AS target_url,
        NULL::VARCHAR[] AS target_url_pattern,
        CASE WHEN hashed THEN [hex] END AS target_sha256,
        NULL::VARCHAR[] AS target_collection,
        CASE WHEN role = 'platform' THEN 'https://social.example.com/'
             ELSE 'https://social.example.com/u/' || (i % 5000)::VARCHAR END AS declared_by_id,
        role AS declared_by_role,
        CASE WHEN role = 'platform' THEN 'Example Social Ltd' END AS declared_by_name,
        declared::TIMESTAMPTZ AS declared_at,
        offset_minutes::SMALLINT AS declared_at_offset,
        CASE WHEN permits AND roll_d < 0.02 THEN (declared + to_days(30))::TIMESTAMPTZ
        END AS valid_from,
        CASE WHEN permits AND roll_d >= 0.97 THEN (declared + to_days(365))::TIMESTAMPTZ
        END AS valid_until,
        CASE WHEN permits AND roll_e < 0.1 THEN (declared + to_days(200))::TIMESTAMPTZ
        END AS withdrawn_at,
        CASE WHEN permits THEN basis_value END AS basis,
        CASE WHEN u(i, j, 40) < 0.3 THEN [({_JURISDICTIONS})[1 + pick(i, j, 41, 11)]]
        END AS jurisdiction,
        CASE WHEN permits THEN u(i, j, 42) < 0.7 END AS retroactive,
        CASE WHEN permits THEN list_transform(permission_value, lambda r: r.purpose) END
            AS permitted_purposes,
        CASE WHEN NOT permits THEN list_transform(prohibition_value, lambda r: r.purpose) END
            AS prohibited_purposes,
        permission_value AS permission,
        prohibition_value AS prohibition,
        CASE WHEN u(i, j, 43) < 0.97 THEN created::TIMESTAMPTZ END AS created_at,
        CASE WHEN visibility_roll < 0.7 THEN 'public'
             WHEN visibility_roll < 0.9 THEN 'restricted' ELSE 'private' END AS visibility,
        CASE WHEN personal_roll < 0.1 THEN false
             WHEN personal_roll < 0.95 THEN true END AS personal_data,
        CASE WHEN minor_roll < 0.03 THEN true
             WHEN minor_roll >= 0.06 AND minor_roll < 0.08 THEN false END AS minor_at_creation,
        CASE WHEN minor_roll >= 0.03 AND minor_roll < 0.05 THEN 14
             WHEN minor_roll >= 0.05 AND minor_roll < 0.06 THEN 16 END::SMALLINT
            AS age_at_creation,
        CASE WHEN minor_roll < 0.05 THEN (created + to_days(900))::DATE END AS adult_since,
        CASE WHEN permits AND (roll_c < 0.1 OR role = 'platform')
             THEN 'https://social.example.com/terms/ai' END AS policy_url,
        CASE WHEN permits THEN 'https://social.example.com/settings/ai' END AS withdrawal_url,
        CASE WHEN basis_value = 'explicit-consent' AND roll_e > 0.8
             THEN 'https://social.example.com/receipts/' || i::VARCHAR || '-' || j::VARCHAR
        END AS evidence,
        ({_CARRIERS})[1 + pick(i, j, 44, 7)] AS carrier,
        'batch-' || (i // 10000)::VARCHAR || '/' || i::VARCHAR AS source
    FROM (SELECT *, md5('declaration-' || i::VARCHAR || '-' || j::VARCHAR) AS h FROM ruled)
)
{_final_select()}
"""


def _final_select() -> str:
    """The manifest's columns: a declaration row (slot >= 0), a marker (-1) or an empty row (-2)."""
    columns = []
    for name in MANIFEST_SCHEMA.names:
        if name == "item":
            columns.append("item")
        elif name == "declaration_id":
            columns.append(
                f"CASE WHEN j = -1 THEN '{UNREADABLE_ID}' WHEN j >= 0 THEN declaration_id END"
                " AS declaration_id"
            )
        elif name == "carrier":
            columns.append("CASE WHEN j = -1 THEN 'xmp' WHEN j >= 0 THEN carrier END AS carrier")
        elif name == "source":
            columns.append("CASE WHEN j >= -1 THEN source END AS source")
        elif name == "declaration_json":
            columns.append(
                "CASE WHEN j = -1 THEN "
                '\'{"unreadable":"synthetic: the XMP packet does not parse"}\' '
                f"WHEN j >= 0 THEN {_declaration_json_sql()} END AS declaration_json"
            )
        else:
            columns.append(f"CASE WHEN j >= 0 THEN {name} END AS {name}")
    return "SELECT " + ",\n       ".join(columns) + "\nFROM typed"


def _declaration_json_sql() -> str:
    """SQL for declaration_json: the compact form the typed columns spell, absent keys omitted.

    Built by concatenation (`concat` skips NULL pieces), which is several times faster than
    serialising a struct and stripping its nulls. Every generated value is a URL, an enum name,
    a hex digest or a date-time, none of which needs JSON escaping, so strings are quoted as
    they are (the round-trip test through declaration_of would catch a value that did).
    """

    def member(key: str, value: str) -> str:
        return f"',\"{key}\":' || {value}"

    def text(value: str) -> str:
        return f"('\"' || {value} || '\"')"

    def texts(value: str) -> str:
        return f"('[\"' || array_to_string({value}, '\",\"') || '\"]')"

    def flag(value: str) -> str:
        return f"(CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END)"

    def instant(column: str) -> str:
        return text(f"strftime({column}, '%Y-%m-%dT%H:%M:%SZ')")

    declared_at = text(
        "strftime(declared_at + to_minutes(declared_at_offset), '%Y-%m-%dT%H:%M:%S') || "
        "CASE WHEN declared_at_offset = 0 THEN 'Z' ELSE "
        "(CASE WHEN declared_at_offset > 0 THEN '+' ELSE '-' END) || "
        "lpad((abs(declared_at_offset) // 60)::VARCHAR, 2, '0') || ':' || "
        "lpad((abs(declared_at_offset) % 60)::VARCHAR, 2, '0') END"
    )

    def rules(column: str, keys: tuple[str, ...]) -> str:
        parts = ", ".join(
            member(key, texts(f"r.{key}"))
            if key != "purpose"
            else "'\"purpose\":' || " + text("r.purpose")
            for key in keys
        )
        body = f"concat('{{', {parts}, '}}')"
        return f"'[' || array_to_string(list_transform({column}, lambda r: {body}), ',') || ']'"

    content = (
        "concat("
        + ", ".join(
            [
                member("createdAt", instant("created_at")),
                member("visibility", text("visibility")),
                member("personalData", flag("personal_data")),
                member("minorAtCreation", flag("minor_at_creation")),
                member("ageAtCreation", "age_at_creation::VARCHAR"),
                member("adultSince", text("strftime(adult_since, '%Y-%m-%d')")),
            ]
        )
        + ")"
    )
    pieces = [
        "'{\"id\":' || " + text("declaration_id"),
        '\',"type":"ConsentDeclaration"\'',
        "',\"target\":[' || CASE WHEN target_sha256 IS NOT NULL "
        "THEN '{\"sha256\":' || " + text("target_sha256[1]") + " "
        "ELSE '{\"url\":' || " + text("target_url[1]") + " END || '}]'",
        '\',"declaredBy":{"id":\' || '
        + text("declared_by_id")
        + " || ',\"role\":' || "
        + text("declared_by_role")
        + " || coalesce(',\"name\":' || "
        + text("declared_by_name")
        + ", '') || '}'",
        member("declaredAt", declared_at),
        member("validFrom", instant("valid_from")),
        member("validUntil", instant("valid_until")),
        member("withdrawnAt", instant("withdrawn_at")),
        member("basis", text("basis")),
        member("jurisdiction", texts("jurisdiction")),
        member("retroactive", flag("retroactive")),
        member("permission", rules("permission", ("purpose", "agent", "constraint", "duty"))),
        member("prohibition", rules("prohibition", ("purpose", "agent", "constraint"))),
        f"',\"content\":{{' || nullif(ltrim({content}, ','), '') || '}}'",
        member("policyUrl", text("policy_url")),
        member("withdrawalUrl", text("withdrawal_url")),
        member("evidence", text("evidence")),
        "'}'",
    ]
    return "concat(" + ", ".join(pieces) + ")"


def synthetic_row_count(path: str | os.PathLike[str]) -> int:
    """The rows of a written synthetic manifest (a convenience for benchmarks)."""
    return row_count(path)
