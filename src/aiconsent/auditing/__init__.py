"""Consent audits of item manifests: one algorithm, three engines (spec §10.5)."""

from __future__ import annotations

from pathlib import Path

from aiconsent.auditing.decisions import DECISION_COLUMNS, DECISION_SCHEMA, Progress
from aiconsent.auditing.question import (
    DEFAULT_ENGINE,
    ENGINES,
    AuditError,
    AuditQuestion,
    question_of,
)


def decide(
    manifest: Path,
    question: AuditQuestion,
    out: Path,
    *,
    engine: str = DEFAULT_ENGINE,
    progress: Progress | None = None,
) -> int:
    """Write the per-item decision table of `manifest` to `out` with the chosen engine."""
    if engine == "duckdb":
        from aiconsent.auditing import duckdb_engine

        return duckdb_engine.decide(manifest, question, out, progress=progress)
    if engine == "python":
        from aiconsent.auditing import python_engine

        return python_engine.decide(manifest, question, out, progress=progress)
    if engine == "spark":
        from aiconsent.auditing import spark_engine

        return spark_engine.decide(manifest, question, out, progress=progress)
    raise AuditError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")


__all__ = [
    "DECISION_COLUMNS",
    "DECISION_SCHEMA",
    "DEFAULT_ENGINE",
    "ENGINES",
    "AuditError",
    "AuditQuestion",
    "Progress",
    "decide",
    "question_of",
]
