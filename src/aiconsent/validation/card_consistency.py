"""The card layer: does a DatasetConsent say what its manifest shows? (spec §10.5, AIC61x)

A card's counts are a publisher's claim. This layer re-runs the audit the card describes — its
own purposes, its own policy, at its own `checkedAt`, no jurisdiction (§10.5) — over the
manifest the card points to, and compares: the manifest's sha256, `itemCount`, `decisionCounts`,
and the sources' collection periods and places against the items. A card that claims more
items cleared than the manifest supports is an error that says how many and names examples.
Nothing here opens the network: a manifest or policy that is not a local file is reported as
not verified (an info issue), never as consistent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from aiconsent.engine.policy import BUILT_IN
from aiconsent.validation.issues import Issue

Pointer = Callable[[str], str]
EXAMPLES: Final = 5


@dataclass(frozen=True, slots=True)
class _Audited:
    """What the audit of the manifest found, as the card layer needs it."""

    items: int
    decisions: dict[str, int]
    examples: dict[str, list[str]]


def check_consistency(consent: Mapping[str, Any], card: Path, pointer: Pointer) -> list[Issue]:
    """Every disagreement between the consent section and its manifest.

    `consent` is the compact DatasetConsent (already valid in the earlier layers), `card` the
    file it was read from (relative manifest URLs resolve against its folder), `pointer` maps a
    pointer into the compact section to one into the card.
    """
    manifest = consent.get("manifest")
    if not isinstance(manifest, Mapping):
        return []
    location = _local_path(str(manifest.get("url", "")), card)
    if location is None:
        return [
            Issue.make(
                "AIC610",
                f"the manifest {manifest.get('url')!r} is not a local file; its counts were not "
                "verified (download it next to the card to check them)",
                pointer("/manifest/url"),
            )
        ]
    if not location.is_file():
        return [
            Issue.make(
                "AIC611",
                f"the manifest {location} does not exist or is not a file; the card's counts "
                "were not verified",
                pointer("/manifest/url"),
            )
        ]
    issues: list[Issue] = []
    stated = manifest.get("sha256")
    if isinstance(stated, str):
        actual = _sha256(location)
        if actual != stated.lower():
            issues.append(
                Issue.make(
                    "AIC612",
                    f"the manifest {location.name} has sha256 {actual}, not {stated}",
                    pointer("/manifest/sha256"),
                )
            )
    policy = _policy(consent.get("policy"), card)
    if policy is None:
        issues.append(
            Issue.make(
                "AIC610",
                f"the policy {consent.get('policy')!r} is not a named policy or a local policy "
                "file; the decision counts were not verified",
                pointer("/policy"),
            )
        )
        return issues
    try:
        audited = _audit(location, consent, policy)
    except ValueError as error:
        issues.append(
            Issue.make("AIC618", f"the manifest cannot be audited: {error}", pointer("/manifest"))
        )
        return issues
    issues.extend(_counts(consent, audited, pointer))
    issues.extend(_sources(consent, location, pointer))
    return issues


def _local_path(reference: str, card: Path) -> Path | None:
    """The file a manifest URL names, when it is local: relative or file:; None otherwise."""
    parts = urlsplit(reference)
    if parts.scheme in ("http", "https") or (parts.scheme and parts.scheme != "file"):
        return None
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if not parts.path:
        return None
    return (card.parent / unquote(parts.path)).resolve()


def _policy(value: Any, card: Path) -> str | Path | None:
    """A named policy, or a policy file beside the card (by the last segment of its IRI)."""
    if value in BUILT_IN:
        return str(value)
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
        return path if path.is_file() else None
    name = Path(unquote(parts.path)).name
    candidate = card.parent / name if name else None
    return candidate if candidate is not None and candidate.is_file() else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _audit(manifest: Path, consent: Mapping[str, Any], policy: str | Path) -> _Audited:
    """§10.5: the card's purposes and policy at its checkedAt, no jurisdiction."""
    from aiconsent.auditing.run import audit

    checked = consent.get("signalsChecked")
    at = checked.get("checkedAt") if isinstance(checked, Mapping) else None
    purposes = [str(p) for p in consent.get("purposeAssessed", [])]
    result = audit(manifest, purposes=purposes, at=at, policy=policy)
    totals = result.to_dict()
    decisions = {
        key: int(totals["decisions"].get(key, 0)) for key in ("allowed", "denied", "unknown")
    }
    examples = {key: list(totals.get("examples", {}).get(key, [])) for key in ("denied", "unknown")}
    return _Audited(int(totals["items"]), decisions, examples)


def _counts(consent: Mapping[str, Any], audited: _Audited, pointer: Pointer) -> list[Issue]:
    issues: list[Issue] = []
    count = consent.get("itemCount")
    if isinstance(count, int) and count != audited.items:
        issues.append(
            Issue.make(
                "AIC613",
                f"itemCount is {count}, but the manifest holds {audited.items} items",
                pointer("/itemCount"),
            )
        )
    stated = consent.get("decisionCounts")
    found = audited.decisions
    purposes = ", ".join(str(p) for p in consent.get("purposeAssessed", []))
    if isinstance(stated, Mapping):
        claimed_clear = int(stated.get("allowed", 0))
    else:
        # no counts: the card clears every item it counts for its purposes
        claimed_clear = count if isinstance(count, int) else audited.items
    not_clear = found["denied"] + found["unknown"]
    if claimed_clear > found["allowed"]:
        shown = [*audited.examples["denied"], *audited.examples["unknown"]][:EXAMPLES]
        issues.append(
            Issue.make(
                "AIC615",
                f"the card claims {claimed_clear} items cleared for {purposes}, but under its "
                f"own policy the manifest has {found['allowed']} allowed, {found['denied']} "
                f"denied and {found['unknown']} unknown ({not_clear} not cleared); "
                f"for example: {', '.join(shown) or 'none listed'}",
                pointer("/decisionCounts" if isinstance(stated, Mapping) else "/purposeAssessed"),
            )
        )
    elif isinstance(stated, Mapping):
        said = {key: int(stated.get(key, 0)) for key in ("allowed", "denied", "unknown")}
        if said != found:
            issues.append(
                Issue.make(
                    "AIC614",
                    "decisionCounts say "
                    + ", ".join(f"{key} {said[key]}" for key in said)
                    + "; an audit of the manifest finds "
                    + ", ".join(f"{key} {found[key]}" for key in found),
                    pointer("/decisionCounts"),
                )
            )
    return issues


def _sources(consent: Mapping[str, Any], manifest: Path, pointer: Pointer) -> list[Issue]:
    """Items made after every source stopped collecting; places no source covers."""
    sources = consent.get("sources")
    if not isinstance(sources, list) or not sources:
        return []
    from aiconsent.dates import parse_datetime

    ends: list[datetime] = []
    for source in sources:
        until = source.get("collectedUntil") if isinstance(source, Mapping) else None
        if not isinstance(until, str):
            ends = []  # a source without an end: any creation time can be right
            break
        ends.append(parse_datetime(until))
    issues: list[Issue] = []
    if ends:
        late, examples = _created_after(manifest, max(ends))
        if late:
            issues.append(
                Issue.make(
                    "AIC616",
                    f"{late} items were created after every source's collection period ended "
                    f"({max(ends).isoformat()}); for example: {', '.join(examples)}",
                    pointer("/sources"),
                )
            )
    places = _source_places(sources)
    if places is not None:
        foreign, examples = _foreign_places(manifest, places)
        if foreign:
            issues.append(
                Issue.make(
                    "AIC617",
                    f"{foreign} items carry declarations limited to places no source lists "
                    f"({', '.join(sorted(places))}); for example: {', '.join(examples)}",
                    pointer("/sources"),
                )
            )
    return issues


def _source_places(sources: list[Any]) -> set[str] | None:
    """Every country the sources list (groups expanded); None when some source lists none."""
    from aiconsent.engine.places import expand

    places: set[str] = set()
    for source in sources:
        codes = source.get("jurisdiction") if isinstance(source, Mapping) else None
        if not isinstance(codes, list) or not codes:
            return None
        places |= expand([str(code) for code in codes])
    return places


def _connect() -> Any:
    import duckdb

    connection = duckdb.connect(":memory:")
    connection.execute("SET memory_limit = '2GB'")
    return connection


def _created_after(manifest: Path, end: datetime) -> tuple[int, list[str]]:
    """Items whose merged (earliest) createdAt is after `end`."""
    query = """
        WITH items AS (
            SELECT item, min(created_at) AS created
            FROM read_parquet(?) GROUP BY item
        )
        SELECT count(*) OVER () AS total, item FROM items
        WHERE created > ? ORDER BY item LIMIT ?
    """
    rows = _connect().execute(query, [str(manifest), end, EXAMPLES]).fetchall()
    return (int(rows[0][0]) if rows else 0, [str(row[1]) for row in rows])


def _foreign_places(manifest: Path, places: set[str]) -> tuple[int, list[str]]:
    """Items with a declaration whose jurisdictions share no country with the sources'."""
    from aiconsent.engine.places import expand

    connection = _connect()
    pairs = connection.execute(
        """
        SELECT DISTINCT item, list_sort(jurisdiction) FROM read_parquet(?)
        WHERE jurisdiction IS NOT NULL AND len(jurisdiction) > 0
        """,
        [str(manifest)],
    ).fetchall()
    foreign = sorted(
        {str(item) for item, codes in pairs if not expand([str(code) for code in codes]) & places}
    )
    return len(foreign), foreign[:EXAMPLES]
