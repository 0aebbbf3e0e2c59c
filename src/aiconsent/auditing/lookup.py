"""`lookup`: the creator's question — is my work in this dataset, under what, and is it used?

A creator holds a URL or a file. The manifest is searched for it with DuckDB (a filter on the
item key and list_has_any over the target columns, pushed down to the Parquet scan, never a
Python loop over millions of rows); each item found is then judged by the Python reference
engine on just that item's rows, with the reasons' messages a person can act on.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import duckdb

from aiconsent.auditing.python_engine import decide_item
from aiconsent.auditing.question import AuditError, AuditQuestion, question_of
from aiconsent.auditing.run import format_instant, moment_of, parquet_manifest
from aiconsent.auditing.totals import connect
from aiconsent.engine import check, prepare
from aiconsent.engine.policy import Policy, PolicyError
from aiconsent.engine.targets import normalise_url, target_matches
from aiconsent.manifests.layout import MANIFEST_SCHEMA, entry_of
from aiconsent.model.found import Found, Unreadable

MOST_ITEMS: Final = 100
MOST_COVERING: Final = 100
_HEX64: Final = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class ItemMatch:
    """One item of the dataset that is the work, with its declarations and the decision."""

    item: str
    matched_by: tuple[str, ...]  # "item" (the key itself), "url" or "sha256" (a target)
    found: tuple[Found, ...]
    unreadable: tuple[Unreadable, ...]
    decision: dict[str, Any]  # the decision table's row (decide_item)
    purposes: dict[str, dict[str, Any]]  # purpose -> Decision.to_dict(), with messages

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "matchedBy": list(self.matched_by),
            "declarations": [{**f.to_dict(), "source": f.source} for f in self.found],
            "unreadable": [marker.to_dict() for marker in self.unreadable],
            "decision": self.decision["decision"],
            "reasons": list(self.decision["reasons"]),
            "duties": list(self.decision["duties"]),
            "minor": self.decision["minor"],
            "withdrawn": self.decision["withdrawn"],
            "purposes": self.purposes,
        }


@dataclass(frozen=True, slots=True)
class LookupResult:
    """Whether the work is in the dataset: the items that are it, and declarations about it."""

    manifest: str
    url: str | None
    sha256: str | None
    question: AuditQuestion
    items: tuple[ItemMatch, ...]
    more_items: int  # items found beyond MOST_ITEMS, not shown
    covering: tuple[Found, ...]  # declarations whose urlPattern covers the URL

    @property
    def found(self) -> bool:
        """True when the work is an item of the dataset (exit 0), False otherwise (exit 1)."""
        return bool(self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest": self.manifest,
            "query": {"sha256": self.sha256, "url": self.url},
            "found": self.found,
            "purposes": list(self.question.purposes),
            "jurisdiction": self.question.jurisdiction,
            "at": format_instant(self.question.at),
            "policy": self.question.policy.name,
            "items": [match.to_dict() for match in self.items],
            "moreItems": self.more_items,
            "coveringPatterns": [{**f.to_dict(), "source": f.source} for f in self.covering],
        }


def file_digest(path: Path) -> str:
    """Hex SHA-256 of a file's bytes: the key of a content file in a manifest (spec §10.4)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise AuditError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AuditError(f"{path}: is a folder, not a file") from None
    except OSError as error:
        raise AuditError(f"{path}: cannot be read ({error.strerror or error})") from None
    return digest.hexdigest()


def _url_forms(url: str) -> list[str]:
    """The URL as given and normalised (item keys are normalised, targets are as written)."""
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", url):
        raise AuditError(f"--url {url!r} is not an absolute URL")
    try:
        forms = {url, normalise_url(url)}
    except ValueError as error:
        raise AuditError(f"--url {url!r} is not a valid URL: {error}") from None
    return sorted(forms)


def lookup(
    manifest: Path | str,
    *,
    url: str | None = None,
    file: Path | str | None = None,
    sha256: str | None = None,
    purposes: Sequence[str] | str = ("genai-training",),
    jurisdiction: str | None = None,
    at: datetime | str | None = None,
    policy: str | Path | Policy = "opt-in",
) -> LookupResult:
    """Is the work (a URL, a file, or the SHA-256 of its bytes) in the manifest, and usable?

    The manifest may be Parquet or JSON Lines. Raises AuditError (a ValueError) for bad input.
    """
    if sum(value is not None for value in (url, file, sha256)) != 1:
        raise AuditError("give exactly one of a URL, a file or a SHA-256")
    try:
        chosen = purposes if isinstance(purposes, str) else list(purposes)
        question = question_of(chosen, jurisdiction=jurisdiction, at=moment_of(at), policy=policy)
    except PolicyError as error:
        raise AuditError(str(error)) from None
    digest = file_digest(Path(file)) if file is not None else sha256
    path = Path(manifest)
    with (
        tempfile.TemporaryDirectory(prefix="aiconsent-lookup-") as folder,
        parquet_manifest(path, Path(folder)) as parquet,
    ):
        result = search(parquet, question, url=url, sha256=digest)
    return replace(result, manifest=str(path))


def search(
    manifest: Path,
    question: AuditQuestion,
    *,
    url: str | None = None,
    sha256: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> LookupResult:
    """Find the work (by URL, or by the SHA-256 of its bytes) in a checked Parquet manifest."""
    if (url is None) == (sha256 is None):
        raise AuditError("give exactly one of a URL or a SHA-256")
    con = connection or connect()
    con.read_parquet(str(manifest)).create_view("lookup_manifest")
    if url is not None:
        forms = _url_forms(url)
        condition = "item IN (SELECT unnest($keys)) OR list_has_any(target_url, $keys)"
        keys: list[str] = forms
        targets = forms
        kind = "url"
    else:
        digest = str(sha256).lower()
        if not _HEX64.match(digest):
            raise AuditError(f"{sha256!r} is not a SHA-256 (64 hex digits)")
        keys = [f"sha256:{digest}"]
        targets = [digest]
        condition = "item IN (SELECT unnest($keys)) OR list_has_any(target_sha256, $targets)"
        kind = "sha256"
    parameters: dict[str, Any] = {"keys": keys}
    if kind == "sha256":
        parameters["targets"] = targets
    hits = con.execute(
        f"""
        SELECT item, bool_or(item IN (SELECT unnest($keys))) AS by_key
        FROM lookup_manifest WHERE {condition}
        GROUP BY item ORDER BY NOT by_key, item
        """,
        parameters,
    ).fetchall()
    shown = hits[:MOST_ITEMS]
    rows_by_item = _rows_of(con, [str(item) for item, _ in shown])
    matches = []
    for item, by_key in shown:
        how = ("item",) if by_key else (kind,)
        matches.append(_judge(str(item), how, rows_by_item.get(str(item), []), question))
    covering = _covering(con, url) if url is not None else ()
    return LookupResult(
        str(manifest),
        url,
        sha256.lower() if sha256 is not None else None,
        question,
        tuple(matches),
        max(0, len(hits) - MOST_ITEMS),
        covering,
    )


def _rows_of(con: duckdb.DuckDBPyConnection, items: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every manifest row of these items, in manifest order."""
    if not items:
        return {}
    columns = ", ".join(f'"{name}"' for name in MANIFEST_SCHEMA.names)
    table = con.sql(
        f"""
        SELECT {columns} FROM lookup_manifest WHERE item IN (SELECT unnest($items))
        ORDER BY item, declared_at NULLS FIRST, declaration_id NULLS FIRST
        """,
        params={"items": items},
    ).to_arrow_table()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in table.to_pylist():
        grouped.setdefault(row["item"], []).append(row)
    return grouped


def _judge(
    item: str, matched_by: tuple[str, ...], rows: list[dict[str, Any]], question: AuditQuestion
) -> ItemMatch:
    """The reference engine's decision for one item, plus each purpose's reasons in words."""
    entries = [e for i, row in enumerate(rows) if (e := entry_of(row, row_index=i)) is not None]
    found = tuple(e for e in entries if isinstance(e, Found))
    unreadable = tuple(e for e in entries if isinstance(e, Unreadable))
    prepared = prepare(entries)
    purposes = {
        purpose: check(
            prepared,
            purpose,
            jurisdiction=question.jurisdiction,
            at=question.at,
            policy=question.policy,
        ).to_dict()
        for purpose in question.purposes
    }
    return ItemMatch(
        item, matched_by, found, unreadable, decide_item(item, rows, question), purposes
    )


def _covering(con: duckdb.DuckDBPyConnection, url: str) -> tuple[Found, ...]:
    """Declarations whose urlPattern covers the URL (each once), whatever item they are under.

    They say something about the URL but do not show that it is an item of the dataset.
    DuckDB keeps only rows with a pattern that could match (site-relative, or naming the host);
    the engine's own matcher then decides.
    """
    host = (re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^/?#@]*@)?([^/?#:]*)", url) or [""])[0]
    host_name = host.split("://", 1)[-1].rsplit("@", 1)[-1].lower()
    columns = ", ".join(f'"{name}"' for name in MANIFEST_SCHEMA.names)
    table = con.sql(
        f"""
        SELECT {columns} FROM lookup_manifest
        WHERE target_url_pattern IS NOT NULL AND len(list_filter(
            target_url_pattern,
            lambda p: starts_with(p, '/') OR contains(lower(p), $host)
        )) > 0
        QUALIFY row_number() OVER (PARTITION BY declaration_id ORDER BY item) = 1
        ORDER BY declaration_id
        """,
        params={"host": host_name},
    ).to_arrow_table()
    covering: list[Found] = []
    for row in table.to_pylist():
        patterns = row["target_url_pattern"] or []
        if not any(target_matches({"urlPattern": p}, url) for p in patterns):
            continue
        entry = entry_of(row)
        if isinstance(entry, Found):
            covering.append(entry)
        if len(covering) >= MOST_COVERING:
            break
    return tuple(covering)
