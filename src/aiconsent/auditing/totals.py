"""The totals of an audit: how many items got each decision, broken down every useful way.

Aggregation is not the consent algorithm, so one implementation serves every engine: DuckDB
SQL over the engine's per-item decision table joined to the manifest. Nothing here decides
anything; it only counts what the engine decided, so the engines cannot drift apart in their
reports. Keys are sorted so that the JSON output of two runs compares byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import duckdb

from aiconsent.manifests.layout import UNREADABLE_ID

OUTCOMES: Final = ("allowed", "denied", "unknown")
EXAMPLES: Final = 5
NO_DECLARATION: Final = "none"  # the key of an item the manifest holds no declaration for
NOT_RECORDED: Final = "unstated"  # a declaration row without the value (e.g. no basis)
UNKNOWN_SOURCE: Final = "unknown"  # a row that records no source
UNREADABLE: Final = "unreadable"  # an unreadable marker row (spec §6.2 rule 4)
EVERYWHERE: Final = "everywhere"  # a declaration without `jurisdiction`
UNKNOWN_YEAR: Final = "unknown"

_SCHEME: Final = r"^([A-Za-z][A-Za-z0-9+.\-]*)://"
_HOST: Final = r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^/?#@]*@)?([^/?#]*)"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (manifests can be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with bounded memory that spills rather than fails on large inputs."""
    connection = duckdb.connect(":memory:")
    connection.execute("SET memory_limit = '2GB'")
    connection.execute("SET preserve_insertion_order = false")
    connection.execute("SET enable_progress_bar = false")  # never write to the user's terminal
    return connection


def _origin(column: str) -> str:
    """SQL for scheme://host of a URL-valued column (lowercased, without user information)."""
    return (
        f"lower(regexp_extract({column}, '{_SCHEME}', 1)) || '://' || "
        f"lower(regexp_extract({column}, '{_HOST}', 1))"
    )


def _local(column: str) -> str:
    """SQL for a path with forward slashes (a Windows path reads like a POSIX one)."""
    return f"replace({column}, '\\', '/')"


def _parent(column: str) -> str:
    """SQL for the folder part of a path ('' for a bare file name)."""
    folder = f"regexp_replace({column}, '/[^/]*$', '')"
    return f"CASE WHEN contains({column}, '/') THEN {folder} ELSE '' END"


def common_root(lowest: str | None, highest: str | None) -> str | None:
    """The deepest folder containing both folders (and so every folder sorting between them).

    The longest common prefix of the lexicographically smallest and largest strings is the
    common prefix of the whole set; it is then cut back to a whole path component.
    """
    if lowest is None or highest is None:
        return None
    size = 0
    for left, right in zip(lowest, highest, strict=False):
        if left != right:
            break
        size += 1
    prefix = lowest[:size]

    def whole(text: str) -> bool:
        return len(text) == size or text[size] == "/"

    if whole(lowest) and whole(highest):
        root = prefix
    else:
        cut = prefix.rfind("/")
        root = prefix[:cut] if cut > 0 else ("/" if cut == 0 else "")
    if root == "" and lowest.startswith("/") and highest.startswith("/"):
        root = "/"
    return root


def _source_label_sql(root: str) -> str:
    """SQL for a local source's label: its top folder below the common root of all sources."""
    quoted_root = _quote(root)
    below = root if root.endswith("/") or root == "" else root + "/"
    name = root.rstrip("/").rsplit("/", 1)[-1] or root or "."
    parent = _parent(_local("source"))
    return (
        f"CASE WHEN {parent} = {quoted_root} THEN {_quote(name)} "
        f"WHEN starts_with({parent}, {_quote(below)}) "
        f"THEN nullif(split_part(substr({parent}, {len(below) + 1}), '/', 1), '') "
        f"ELSE nullif({parent}, '') END"
    )


def _quote(text: str) -> str:
    """A SQL string literal (the text comes from the manifest's own paths)."""
    return "'" + text.replace("'", "''") + "'"


def _breakdown(rows: Iterable[tuple[Any, Any, Any]]) -> dict[str, dict[str, int]]:
    """{key: {allowed, denied, unknown}} from (key, decision, count) rows, keys sorted."""
    table: dict[str, dict[str, int]] = {}
    for key, decision, count in rows:
        counts = table.setdefault(str(key), dict.fromkeys(OUTCOMES, 0))
        counts[str(decision)] = counts.get(str(decision), 0) + int(count)
    return {key: table[key] for key in sorted(table)}


def _flagged(row: tuple[Any, ...]) -> dict[str, int]:
    items, allowed, denied, unknown = (int(value or 0) for value in row)
    return {"allowed": allowed, "denied": denied, "items": items, "unknown": unknown}


def compute_totals(
    manifest: Path,
    decisions: Path,
    *,
    examples: int = EXAMPLES,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, Any]:
    """Count the engine's per-item decisions (a Parquet file) against the Parquet manifest.

    Unreadable-marker rows (declaration_id = layout.UNREADABLE_ID) count under the key
    "unreadable" in the breakdowns.
    """
    con = connection or connect()
    con.read_parquet(str(manifest)).create_view("audit_manifest")
    con.read_parquet(str(decisions)).create_view("audit_decisions")
    summary = con.execute(
        """
        SELECT count(*),
               coalesce(sum(declarations), 0),
               count(*) FILTER (WHERE unreadable),
               count(*) FILTER (WHERE decision = 'allowed'),
               count(*) FILTER (WHERE decision = 'denied'),
               count(*) FILTER (WHERE decision = 'unknown'),
               count(*) FILTER (WHERE minor),
               count(*) FILTER (WHERE minor AND decision = 'allowed'),
               count(*) FILTER (WHERE minor AND decision = 'denied'),
               count(*) FILTER (WHERE minor AND decision = 'unknown'),
               count(*) FILTER (WHERE withdrawn),
               count(*) FILTER (WHERE withdrawn AND decision = 'allowed'),
               count(*) FILTER (WHERE withdrawn AND decision = 'denied'),
               count(*) FILTER (WHERE withdrawn AND decision = 'unknown')
        FROM audit_decisions
        """
    ).fetchone()
    assert summary is not None  # an aggregate always returns one row
    by_reason = con.execute(
        """
        SELECT code, count(*) FROM (
            SELECT unnest(list_distinct(reasons)) AS code FROM audit_decisions
        ) GROUP BY code ORDER BY code
        """
    ).fetchall()
    by_year = con.execute(
        f"""
        SELECT coalesce(CAST(created_year AS VARCHAR), '{UNKNOWN_YEAR}'), decision, count(*)
        FROM audit_decisions GROUP BY ALL
        """
    ).fetchall()
    dimensions = _dimension_counts(con)
    picked: dict[str, list[str]] = {}
    for outcome in ("denied", "unknown"):
        picked[outcome] = [
            str(row[0])
            for row in con.execute(
                "SELECT item FROM audit_decisions WHERE decision = ? ORDER BY item LIMIT ?",
                [outcome, examples],
            ).fetchall()
        ]
    return {
        "byBasis": _breakdown(dimensions.get("basis", [])),
        "byCarrier": _breakdown(dimensions.get("carrier", [])),
        "byJurisdiction": _breakdown(dimensions.get("jurisdiction", [])),
        "byReason": {str(code): int(count) for code, count in by_reason},
        "bySource": _breakdown(dimensions.get("source", [])),
        "byYear": _breakdown(by_year),
        "decisions": {
            "allowed": int(summary[3]),
            "denied": int(summary[4]),
            "unknown": int(summary[5]),
        },
        "declarations": int(summary[1]),
        "examples": picked,
        "items": int(summary[0]),
        "minors": _flagged(summary[6:10]),
        "unreadableItems": int(summary[2]),
        "withdrawn": _flagged(summary[10:14]),
    }


def _dimension_counts(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, Any, Any]]]:
    """(dimension, key, decision, items) for every breakdown over the manifest's rows.

    An item counts once under each distinct key among its rows. Each breakdown reads only the
    columns it needs (Parquet projection), and a URL item's source comes from the decision
    table (one row per item) rather than from every manifest row.
    """
    url = "(contains({0}, '://') AND NOT contains(split_part({0}, '://', 1), '/'))"
    url_item = url.format("item")
    local_source = f"source IS NOT NULL AND NOT {url.format('source')} AND NOT {url_item}"
    bounds = con.execute(
        f"""
        SELECT min(folder), max(folder) FROM (
            SELECT {_parent(_local("source"))} AS folder FROM audit_manifest
            WHERE {local_source}
        )
        """
    ).fetchone()
    root = common_root(*(bounds or (None, None)))
    local_label = _source_label_sql(root) if root is not None else "NULL"
    marker = f"declaration_id = {_quote(UNREADABLE_ID)}"

    def key(column: str) -> str:
        return f"""CASE WHEN {marker} THEN '{UNREADABLE}'
                        WHEN declaration_id IS NULL THEN '{NO_DECLARATION}'
                        ELSE coalesce({column}, '{NOT_RECORDED}') END"""

    jurisdictions = f"""CASE WHEN {marker} THEN ['{UNREADABLE}']
                             WHEN declaration_id IS NULL THEN ['{NO_DECLARATION}']
                             WHEN jurisdiction IS NULL OR len(jurisdiction) = 0
                                 THEN ['{EVERYWHERE}']
                             ELSE jurisdiction END"""
    source_key = f"""CASE WHEN source IS NULL THEN '{UNKNOWN_SOURCE}'
                          WHEN {url.format("source")} THEN {_origin("source")}
                          ELSE coalesce({local_label}, '{UNKNOWN_SOURCE}') END"""
    keyed = {
        "basis": f"SELECT DISTINCT item, {key('basis')} AS key FROM audit_manifest",
        "carrier": f"SELECT DISTINCT item, {key('carrier')} AS key FROM audit_manifest",
        "jurisdiction": (
            f"SELECT DISTINCT item, unnest({jurisdictions}) AS key FROM audit_manifest"
        ),
        "source": (
            f"SELECT item, {_origin('item')} AS key FROM audit_decisions WHERE {url_item} "
            f"UNION ALL SELECT DISTINCT item, {source_key} AS key FROM audit_manifest "
            f"WHERE NOT {url_item}"
        ),
    }
    result: dict[str, list[tuple[Any, Any, Any]]] = {}
    for dimension, select in keyed.items():
        result[dimension] = [
            (key_value, decision, count)
            for key_value, decision, count in con.execute(
                f"""
                SELECT keyed.key, audit_decisions.decision, count(*)
                FROM ({select}) AS keyed JOIN audit_decisions USING (item)
                GROUP BY ALL
                """
            ).fetchall()
        ]
    return result
