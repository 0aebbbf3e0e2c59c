"""The default audit engine: the compiled SQL run by embedded DuckDB, streaming the manifest.

DuckDB reads only the columns the query needs, evaluates in parallel pipelines and spills to a
temporary folder beside the output past its memory limit, so the memory an audit needs does not
grow with the manifest.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Final

import duckdb

from aiconsent.auditing.decisions import Progress, atomic_target
from aiconsent.auditing.question import AuditError, AuditQuestion
from aiconsent.auditing.sql import DUCKDB, compile_audit, duckdb_source
from aiconsent.manifests.parquet import ManifestError, open_manifest

MEMORY_LIMIT: Final = "3500MB"
THREADS: Final = max(1, min(os.cpu_count() or 1, 8))
_PARQUET_OPTIONS: Final = "COMPRESSION zstd, COMPRESSION_LEVEL 1"
"""zstd's fastest level: the table is written once per audit and a third cheaper to write."""


def decide(
    manifest: Path,
    question: AuditQuestion,
    out: Path,
    *,
    progress: Progress | None = None,
    memory_limit: str = MEMORY_LIMIT,
    threads: int = THREADS,
) -> int:
    """Write the decision table of every item of `manifest` to `out`; return the item count."""
    try:
        items = open_manifest(manifest).metadata.num_rows
    except ManifestError as error:
        raise AuditError(str(error)) from None
    query = compile_audit(question, DUCKDB, duckdb_source(os.fspath(manifest)))
    with (
        atomic_target(out) as scratch,
        tempfile.TemporaryDirectory(prefix=".aiconsent-spill-", dir=scratch.parent) as spill,
    ):
        connection = duckdb.connect(":memory:")
        try:
            _configure(connection, Path(spill), memory_limit, threads)
            target = DUCKDB.quote(os.fspath(scratch))
            statement = f"COPY ({query}) TO {target} (FORMAT parquet, {_PARQUET_OPTIONS})"
            written = _run(connection, statement, manifest, progress, items)
        finally:
            connection.close()
    return written


def _configure(
    connection: duckdb.DuckDBPyConnection, spill: Path, memory_limit: str, threads: int
) -> None:
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(f"SET memory_limit = {DUCKDB.quote(memory_limit)}")
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute(f"SET temp_directory = {DUCKDB.quote(os.fspath(spill))}")
    connection.execute("SET preserve_insertion_order = false")
    connection.execute("SET enable_progress_bar = false")


def _run(
    connection: duckdb.DuckDBPyConnection,
    statement: str,
    manifest: Path,
    progress: Progress | None,
    rows: int,
) -> int:
    """Execute, reporting DuckDB's own progress (as manifest rows) while it runs."""
    done = threading.Event()
    reported = 0

    def watch() -> None:
        nonlocal reported
        while not done.wait(0.5):
            fraction = connection.query_progress()
            if fraction is not None and fraction > 0 and progress is not None:
                now = int(rows * min(fraction, 100.0) / 100.0)
                if now > reported:
                    progress(now - reported)
                    reported = now

    watcher = threading.Thread(target=watch, daemon=True) if progress is not None else None
    if watcher is not None:
        watcher.start()
    try:
        result = connection.execute(statement).fetchone()
    except duckdb.Error as error:
        raise AuditError(f"{manifest}: the audit query failed ({error})") from None
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    if progress is not None and rows > reported:
        progress(rows - reported)
    return int(result[0]) if result else 0


__all__ = ["MEMORY_LIMIT", "THREADS", "decide"]
