"""The reference audit engine: every item through aiconsent.engine's own prepare and check.

It is slow (Python objects per declaration) but it is the definition the fast engines are
tested against: whatever `check` decides for an item's declarations is the right answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from aiconsent.auditing.decisions import DECISION_SCHEMA, Progress, atomic_target
from aiconsent.auditing.question import AuditError, AuditQuestion
from aiconsent.engine import Decision, check, prepare
from aiconsent.engine.evaluate import Prepared
from aiconsent.engine.inputs import distinct_declarations
from aiconsent.engine.places import age_of_digital_consent
from aiconsent.manifests.layout import entry_of
from aiconsent.manifests.parquet import ManifestError, iter_items, open_manifest
from aiconsent.model.found import Found, Unreadable

BATCH_ITEMS: Final = 8192


def decide(
    manifest: Path, question: AuditQuestion, out: Path, *, progress: Progress | None = None
) -> int:
    """Write the decision table of every item of `manifest` to `out`; return the item count."""
    try:
        open_manifest(manifest)
    except ManifestError as error:
        raise AuditError(str(error)) from None
    count = 0
    with atomic_target(out) as scratch:
        writer = pq.ParquetWriter(scratch, DECISION_SCHEMA)
        try:
            for batch in _batches(manifest, question, progress):
                writer.write_table(pa.Table.from_pylist(batch, schema=DECISION_SCHEMA))
                count += len(batch)
        finally:
            writer.close()
    return count


def decide_item(item: str, rows: list[dict[str, Any]], question: AuditQuestion) -> dict[str, Any]:
    """One row of the decision table for one item's manifest rows."""
    entries: list[Found | Unreadable] = []
    for index, row in enumerate(rows):
        entry = entry_of(row, row_index=index)
        if entry is not None:
            entries.append(entry)
    prepared = prepare(entries)
    decisions = [_check(prepared, purpose, question) for purpose in question.purposes]
    outcome = _combine([decision.decision for decision in decisions])
    reasons = sorted({reason.code for decision in decisions for reason in decision.reasons})
    duties = (
        sorted({duty for decision in decisions for duty in decision.duties})
        if outcome == "allowed"
        else []
    )
    facts = prepared.facts
    at = question.instant
    return {
        "item": item,
        "decision": outcome,
        "reasons": reasons,
        "duties": duties,
        "minor": _is_minor(prepared, question),
        "withdrawn": any(
            d.withdrawn_at is not None and d.withdrawn_at <= at for d in prepared.declarations
        ),
        "created_year": (
            facts.created_at.astimezone(UTC).year if facts.created_at is not None else None
        ),
        "declarations": distinct_declarations(prepared.declarations),
        "unreadable": bool(prepared.unreadable),
    }


def _check(prepared: Prepared, purpose: str, question: AuditQuestion) -> Decision:
    return check(
        prepared,
        purpose,
        jurisdiction=question.jurisdiction,
        at=question.at,
        policy=question.policy,
    )


def _combine(outcomes: list[str]) -> str:
    """Spec §10.5: denied if any purpose is denied, allowed if all are, unknown otherwise."""
    if "denied" in outcomes:
        return "denied"
    return "allowed" if all(outcome == "allowed" for outcome in outcomes) else "unknown"


def _is_minor(prepared: Prepared, question: AuditQuestion) -> bool:
    facts = prepared.facts
    if facts.minor_at_creation:
        return True
    age = facts.age_at_creation
    return age is not None and age < age_of_digital_consent(question.jurisdiction)


def _batches(
    manifest: Path, question: AuditQuestion, progress: Progress | None
) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item, rows in iter_items(manifest, progress=progress):
        batch.append(decide_item(item, rows, question))
        if len(batch) >= BATCH_ITEMS:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = ["decide", "decide_item"]
