"""The cluster audit engine: the same compiled SQL, run as Spark SQL (tested in local mode).

Spark is for manifests too large for one machine. The query is the DuckDB one in Spark's
spelling (aiconsent.auditing.sql's dialect table), so a cluster audit and a laptop audit of the
same manifest give the same table. pyspark is imported only when this engine is used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from aiconsent.auditing.decisions import Progress, atomic_target
from aiconsent.auditing.question import AuditError, AuditQuestion
from aiconsent.auditing.sql import SPARK, compile_audit
from aiconsent.manifests.parquet import ManifestError, open_manifest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL_MASTER: Final = "local[2]"
SHUFFLE_PARTITIONS: Final = 8


def local_session(master: str = LOCAL_MASTER, *, memory: str = "2g") -> SparkSession:
    """A local SparkSession that stays on this machine (loopback only, no UI, UTC)."""
    from pyspark.sql import SparkSession

    builder: Any = SparkSession.builder
    session: SparkSession = (
        builder.master(master)
        .appName("aiconsent-audit")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .getOrCreate()
    )
    return session


def decide(
    manifest: Path,
    question: AuditQuestion,
    out: Path,
    *,
    progress: Progress | None = None,
    session: SparkSession | None = None,
) -> int:
    """Write the decision table of every item of `manifest` to `out`; return the item count.

    Without `session`, a local one is started (and left running for later audits).
    """
    try:
        rows = open_manifest(manifest).metadata.num_rows
    except ManifestError as error:
        raise AuditError(str(error)) from None
    spark = session if session is not None else local_session()
    view = f"aiconsent_manifest_{uuid.uuid4().hex}"
    frame = spark.read.parquet(os.fspath(Path(manifest).resolve()))
    frame.createOrReplaceTempView(view)
    try:
        result = spark.sql(compile_audit(question, SPARK, view))
        with atomic_target(out) as scratch:
            folder = Path(tempfile.mkdtemp(prefix=".aiconsent-spark-", dir=scratch.parent))
            try:
                result.coalesce(1).write.mode("overwrite").parquet(os.fspath(folder / "table"))
                parts = sorted((folder / "table").glob("part-*.parquet"))
                if len(parts) != 1:
                    raise AuditError(f"{manifest}: Spark wrote {len(parts)} files, not one")
                parts[0].replace(scratch)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    except AuditError:
        raise
    except Exception as error:  # pyspark raises many unrelated types; name the manifest
        raise AuditError(f"{manifest}: the Spark audit failed ({error})") from None
    finally:
        spark.catalog.dropTempView(view)
    if progress is not None:
        progress(rows)
    return _row_count(out)


def _row_count(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


__all__ = ["LOCAL_MASTER", "decide", "local_session"]
