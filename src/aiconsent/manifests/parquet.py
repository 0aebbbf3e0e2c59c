"""Write and stream Parquet item manifests (spec §10.4.2) with bounded memory.

Rows may arrive in any order and in any number: they are spilled unsorted to a temporary
Parquet file, sorted by DuckDB (which spills to disk past its memory limit), and streamed into
the final file, which replaces its destination only once complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aiconsent.carriers.safe_write import SafeWriteError, atomic_produce
from aiconsent.manifests.layout import (
    LAYOUT_VERSION,
    MANIFEST_SCHEMA,
    METADATA_DATASET,
    METADATA_VERSION,
    file_metadata,
)

ROW_GROUP_ROWS: Final = 128 * 1024
BATCH_ROWS: Final = 65_536
SORT_MEMORY_LIMIT: Final = "1GB"
ORDER_BY: Final = (
    "item, declared_at NULLS FIRST, declaration_id NULLS FIRST, carrier NULLS FIRST, "
    "source NULLS FIRST, declaration_json NULLS FIRST"
)
"""The row order: spec §10.4.2's (item, declared_at), then ties broken so output is stable."""

_UTC_NAMES: Final = frozenset({"UTC", "Etc/UTC", "+00:00", "Z"})


class ManifestError(ValueError):
    """A file that is not a readable aiconsent Parquet manifest (message names the file)."""


# --- writing -----------------------------------------------------------------------------------


def write_manifest(
    rows: Iterable[Mapping[str, Any]], path: str | os.PathLike[str], *, dataset: str | None
) -> int:
    """Write rows (dicts of MANIFEST_SCHEMA's columns) as a sorted manifest; return the count."""
    return write_manifest_batches(_batches_of(rows), path, dataset=dataset)


def write_manifest_batches(
    batches: Iterable[pa.RecordBatch], path: str | os.PathLike[str], *, dataset: str | None
) -> int:
    """Write record batches (MANIFEST_SCHEMA, any order) as a sorted manifest, atomically."""
    target = Path(path)
    with _scratch(target) as scratch:
        unsorted = scratch / "unsorted.parquet"
        with pq.ParquetWriter(unsorted, MANIFEST_SCHEMA, compression="zstd") as writer:
            for batch in batches:
                writer.write_batch(_conform(batch))
        return write_sorted_from(
            f"SELECT * FROM read_parquet('{_sql_path(unsorted)}')", target, dataset=dataset
        )


def write_sorted_from(
    select_sql: str,
    path: str | os.PathLike[str],
    *,
    dataset: str | None,
    connection: duckdb.DuckDBPyConnection | None = None,
    presorted: bool = False,
) -> int:
    """Sort the rows of a DuckDB SELECT (MANIFEST_SCHEMA's columns) into a manifest file.

    The final file is written with pyarrow so its schema and metadata are exactly the spec's;
    it replaces `path` only when complete (atomic_produce), else `path` is left untouched.
    With `presorted`, the SELECT promises the spec's order and is not sorted again; the order
    is verified while writing (ManifestError if the promise is broken).
    """
    target = Path(path)
    counted: list[int] = []

    def produce(partial: Path) -> None:
        with _scratch(target) as scratch:
            con = connection or duckdb.connect()
            try:
                _bound_memory(con, scratch, keep_order=presorted)
                counted.append(_write_sorted(con, select_sql, partial, dataset, presorted))
            finally:
                if connection is None:
                    con.close()

    try:
        atomic_produce(target, produce)
    except SafeWriteError as error:
        raise ManifestError(str(error)) from None
    return counted[0]


def _write_sorted(
    con: duckdb.DuckDBPyConnection,
    select_sql: str,
    partial: Path,
    dataset: str | None,
    presorted: bool,
) -> int:
    columns = ", ".join(f'"{name}"' for name in MANIFEST_SCHEMA.names)
    order = "" if presorted else f" ORDER BY {ORDER_BY}"
    query = f"SELECT {columns} FROM ({select_sql}){order}"
    reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
    check = _OrderCheck() if presorted else None
    count = 0
    schema = MANIFEST_SCHEMA.with_metadata(file_metadata(dataset))
    with pq.ParquetWriter(partial, schema, compression="zstd", write_statistics=True) as writer:
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch in reader:
            conformed = _conform(batch)
            if check is not None:
                check.verify(conformed)
            pending.append(conformed)
            pending_rows += conformed.num_rows
            count += conformed.num_rows
            while pending_rows >= ROW_GROUP_ROWS:  # full row groups only, the rest waits
                table = pa.Table.from_batches(pending, MANIFEST_SCHEMA)
                writer.write_table(table.slice(0, ROW_GROUP_ROWS), row_group_size=ROW_GROUP_ROWS)
                rest = table.slice(ROW_GROUP_ROWS)
                pending, pending_rows = rest.to_batches(), rest.num_rows
        if pending_rows:
            writer.write_table(
                pa.Table.from_batches(pending, MANIFEST_SCHEMA), row_group_size=ROW_GROUP_ROWS
            )
    return count


class _OrderCheck:
    """Verifies, batch by batch and vectorised, that rows come sorted by (item, declared_at)."""

    def __init__(self) -> None:
        self._last: tuple[str, int | None] | None = None

    def verify(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        items = batch.column("item")
        moments = pc.fill_null(batch.column("declared_at").cast(pa.int64()), _NULL_FIRST)
        if self._last is not None:
            items = pa.concat_arrays([pa.array([self._last[0]], pa.string()), items])
            moments = pa.concat_arrays([pa.array([self._last[1]], pa.int64()), moments])
        before, after = items.slice(0, len(items) - 1), items.slice(1)
        moment_before, moment_after = moments.slice(0, len(items) - 1), moments.slice(1)
        wrong = pc.or_(
            pc.less(after, before),
            pc.and_(pc.equal(after, before), pc.less(moment_after, moment_before)),
        )
        if pc.any(wrong).as_py():
            raise ManifestError("the rows are not sorted by item, then declared_at")
        self._last = (items[-1].as_py(), moments[-1].as_py())


_NULL_FIRST: Final = -(2**63)


def _batches_of(rows: Iterable[Mapping[str, Any]]) -> Iterator[pa.RecordBatch]:
    chunk: list[Mapping[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH_ROWS:
            yield pa.RecordBatch.from_pylist(chunk, schema=MANIFEST_SCHEMA)
            chunk = []
    if chunk:
        yield pa.RecordBatch.from_pylist(chunk, schema=MANIFEST_SCHEMA)


def _conform(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch in MANIFEST_SCHEMA exactly (DuckDB names list children and time zones its way)."""
    if batch.schema.names != MANIFEST_SCHEMA.names:
        raise ManifestError(f"rows have the columns {batch.schema.names}, not the manifest's")
    table = pa.Table.from_batches([batch]).cast(MANIFEST_SCHEMA)
    combined = table.combine_chunks().to_batches()
    return combined[0] if combined else pa.RecordBatch.from_pylist([], schema=MANIFEST_SCHEMA)


@contextlib.contextmanager
def _scratch(target: Path) -> Iterator[Path]:
    """A scratch folder beside the target, so the final os.replace stays on one filesystem."""
    folder = target.parent
    if not folder.is_dir():
        raise ManifestError(f"{target}: the folder {folder} does not exist")
    with tempfile.TemporaryDirectory(prefix=f".{target.name}.", dir=folder) as name:
        yield Path(name)


def _bound_memory(con: duckdb.DuckDBPyConnection, scratch: Path, *, keep_order: bool) -> None:
    con.execute(f"SET memory_limit = '{SORT_MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{_sql_path(scratch / 'spill')}'")
    con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
    con.execute("SET enable_progress_bar = false")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# --- reading -----------------------------------------------------------------------------------


def open_manifest(path: str | os.PathLike[str]) -> pq.ParquetFile:
    """Open a Parquet manifest, checking that it is one (ManifestError names what is wrong)."""
    name = os.fspath(path)
    try:
        parquet = pq.ParquetFile(name)
    except FileNotFoundError:
        raise ManifestError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ManifestError(f"{name}: is a folder, not a file") from None
    except (pa.ArrowException, OSError) as error:
        raise ManifestError(f"{name}: not a readable Parquet file ({error})") from None
    check_schema(parquet.schema_arrow, name)
    metadata = _decoded(parquet.schema_arrow.metadata)
    version = metadata.get(METADATA_VERSION)
    if version is None:
        raise ManifestError(f"{name}: no {METADATA_VERSION} in the file's key-value metadata")
    if version.split(".", 1)[0] != LAYOUT_VERSION.split(".", 1)[0]:
        raise ManifestError(f"{name}: manifest layout version {version!r} is not supported")
    return parquet


def check_schema(schema: pa.Schema, name: str) -> None:
    """Raise ManifestError unless the columns, order and types are those of spec §10.4.2."""
    if schema.names != MANIFEST_SCHEMA.names:
        missing = [n for n in MANIFEST_SCHEMA.names if n not in schema.names]
        extra = [n for n in schema.names if n not in MANIFEST_SCHEMA.names]
        detail = (
            f"missing {missing}, unexpected {extra}"
            if missing or extra
            else "the columns are out of order"
        )
        raise ManifestError(f"{name}: not an aiconsent manifest: {detail}")
    for found, wanted in zip(schema, MANIFEST_SCHEMA, strict=True):
        if not _same_type(found.type, wanted.type):
            raise ManifestError(
                f"{name}: column {wanted.name} has the type {found.type}, not {wanted.type}"
            )


def _same_type(found: pa.DataType, wanted: pa.DataType) -> bool:
    """Types equal up to list-child names and the spelling of UTC."""
    if pa.types.is_list(wanted):
        return bool(pa.types.is_list(found)) and _same_type(found.value_type, wanted.value_type)
    if pa.types.is_struct(wanted):
        return (
            bool(pa.types.is_struct(found))
            and [f.name for f in found] == [f.name for f in wanted]
            and all(_same_type(f.type, w.type) for f, w in zip(found, wanted, strict=True))
        )
    if pa.types.is_timestamp(wanted):
        return bool(pa.types.is_timestamp(found) and found.unit == "us" and found.tz in _UTC_NAMES)
    if pa.types.is_string(wanted):
        return bool(pa.types.is_string(found) or pa.types.is_large_string(found))
    return bool(found == wanted)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The file's key-value metadata (aiconsent.version, .context, .dataset)."""
    return _decoded(open_manifest(path).schema_arrow.metadata)


def dataset_of(path: str | os.PathLike[str]) -> str | None:
    """The dataset IRI the manifest names, if any."""
    return read_metadata(path).get(METADATA_DATASET)


def _decoded(metadata: Mapping[bytes, bytes] | None) -> dict[str, str]:
    if not metadata:
        return {}
    return {
        key.decode("utf-8", "replace"): value.decode("utf-8", "replace")
        for key, value in metadata.items()
        if not key.startswith(b"ARROW:")
    }


def iter_batches(
    path: str | os.PathLike[str], batch_rows: int = BATCH_ROWS, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """The manifest's record batches in file order, cast to MANIFEST_SCHEMA's types."""
    name = os.fspath(path)
    parquet = open_manifest(name)
    try:
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
            if columns is None:
                yield _conform(batch)
            else:
                yield batch
    except (pa.ArrowException, OSError) as error:
        raise ManifestError(f"{name}: the file is damaged ({error})") from None


def iter_rows(
    path: str | os.PathLike[str], batch_rows: int = BATCH_ROWS
) -> Iterator[dict[str, Any]]:
    """Every row as a dict, in file order."""
    for batch in iter_batches(path, batch_rows):
        yield from batch.to_pylist()


def iter_items(
    path: str | os.PathLike[str],
    batch_rows: int = BATCH_ROWS,
    *,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The rows of each item, one item at a time, in file order (rows are sorted by item).

    Raises ManifestError if an item's rows are not contiguous (the file is not sorted), since a
    split item would be evaluated twice on partial evidence.
    """
    current: str | None = None
    rows: list[dict[str, Any]] = []
    seen_rows = 0
    for row in iter_rows(path, batch_rows):
        item = row["item"]
        if item != current:
            if current is not None:
                if item < current:
                    raise ManifestError(
                        f"{os.fspath(path)}: row {seen_rows}: item {item!r} comes after "
                        f"{current!r}; the rows are not sorted by item"
                    )
                yield current, rows
            current, rows = item, []
        rows.append(row)
        seen_rows += 1
        if progress is not None and seen_rows % batch_rows == 0:
            progress(batch_rows)
    if current is not None:
        yield current, rows
    if progress is not None and seen_rows % batch_rows:
        progress(seen_rows % batch_rows)


def row_count(path: str | os.PathLike[str]) -> int:
    """The number of rows, from the footer."""
    return int(open_manifest(path).metadata.num_rows)
