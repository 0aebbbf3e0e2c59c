"""Parquet manifests: sorted, atomic, streamed by item, refused when they are not manifests."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from aiconsent.manifests.layout import (
    MANIFEST_SCHEMA,
    V1_CONTEXT,
    declaration_of,
    empty_row,
    file_metadata,
    row_of,
    unreadable_row,
)
from aiconsent.manifests.parquet import (
    ManifestError,
    iter_items,
    open_manifest,
    read_metadata,
    row_count,
    write_manifest,
    write_manifest_batches,
    write_sorted_from,
)
from documents import declaration


def _rows() -> list[dict[str, Any]]:
    rows = []
    for index, moment in enumerate(
        ["2025-01-01T00:00:00Z", "2024-06-01T12:00:00+02:00", "2026-03-01T00:00:00-05:00"]
    ):
        for url in ("https://x.example/b", "https://x.example/a"):
            value = declaration(
                id=f"urn:uuid:3f2e1d0c-9b8a-4776-8554-43322110{index:04d}",
                target=[{"url": url}],
                declaredAt=moment,
            )
            rows.append(row_of(url, value, carrier="jsonld", source="m.jsonl"))
    rows.append(empty_row("sha256:" + "0" * 64))
    rows.append(unreadable_row("https://x.example/a", "broken", carrier="xmp", source="a.jpg"))
    return rows


def test_rows_are_written_sorted_by_item_then_declared_at(tmp_path: Path) -> None:
    rows = _rows()
    random.Random(3).shuffle(rows)
    out = tmp_path / "m.parquet"
    assert write_manifest(rows, out, dataset="https://data.example/set") == len(rows)
    table = pq.read_table(out)
    items = table.column("item").to_pylist()
    assert items == sorted(items)
    grouped = dict(iter_items(out))
    assert list(grouped) == [
        "https://x.example/a",
        "https://x.example/b",
        "sha256:" + "0" * 64,
    ]
    first = grouped["https://x.example/a"]
    assert first[0]["declaration_id"] == "urn:aiconsent:unreadable"  # no declared_at: first
    moments = [row["declared_at"] for row in first[1:]]
    assert moments == sorted(moments) and len(moments) == 3
    assert declaration_of(first[1])["@context"] == V1_CONTEXT


def test_metadata_and_schema_of_the_written_file(tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    write_manifest(_rows(), out, dataset="https://data.example/set")
    assert read_metadata(out) == {
        "aiconsent.version": "1.0.0-draft",
        "aiconsent.context": V1_CONTEXT,
        "aiconsent.dataset": "https://data.example/set",
    }
    parquet = pq.ParquetFile(out)
    assert parquet.schema_arrow.remove_metadata() == MANIFEST_SCHEMA
    assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"
    assert row_count(out) == len(_rows())


def test_an_empty_manifest_is_valid(tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    assert write_manifest([], out, dataset=None) == 0
    assert list(iter_items(out)) == []
    assert "aiconsent.dataset" not in read_metadata(out)


def test_a_failed_write_leaves_the_old_file_and_no_litter(tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    out.write_bytes(b"old")

    def failing() -> Any:
        yield from _rows()
        raise RuntimeError("source died")

    with pytest.raises(RuntimeError, match="source died"):
        write_manifest(failing(), out, dataset=None)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.parquet"]


def test_a_missing_folder_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist"):
        write_manifest(_rows(), tmp_path / "nope" / "m.parquet", dataset=None)


def _write_raw(path: Path, table: pa.Table, metadata: dict[bytes, bytes] | None) -> Path:
    pq.write_table(table.replace_schema_metadata(metadata), path)
    return path


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p.write_text("item,declaration_id\n"), "not a readable Parquet file"),
        (lambda p: p.write_bytes(b""), "not a readable Parquet file"),
        (
            lambda p: _write_raw(p, pa.table({"item": ["a"]}), file_metadata(None)),
            "missing",
        ),
        (
            lambda p: _write_raw(
                p,
                pa.Table.from_pylist([], schema=MANIFEST_SCHEMA).select(
                    list(reversed(MANIFEST_SCHEMA.names))
                ),
                file_metadata(None),
            ),
            "out of order",
        ),
        (
            lambda p: _write_raw(
                p,
                pa.Table.from_pylist([], schema=MANIFEST_SCHEMA).set_column(
                    10, "declared_at_offset", pa.array([], pa.int32())
                ),
                file_metadata(None),
            ),
            "declared_at_offset has the type int32",
        ),
        (
            lambda p: _write_raw(p, pa.Table.from_pylist([], schema=MANIFEST_SCHEMA), None),
            "aiconsent.version",
        ),
    ],
)
def test_files_that_are_not_manifests_are_refused(make: Any, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    make(path)
    with pytest.raises(ManifestError, match=message) as caught:
        open_manifest(path)
    assert str(path) in str(caught.value)


def test_a_truncated_manifest_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    write_manifest(_rows(), out, dataset=None)
    data = out.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    with pytest.raises(ManifestError, match="not a readable Parquet file"):
        open_manifest(out)


def test_an_unsorted_file_is_refused_while_streaming(tmp_path: Path) -> None:
    rows = sorted(_rows(), key=lambda r: r["item"], reverse=True)
    path = _write_raw(
        tmp_path / "u.parquet",
        pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA),
        file_metadata(None),
    )
    with pytest.raises(ManifestError, match="not sorted"):
        list(iter_items(path))


def test_200k_rows_sort_and_stream(tmp_path: Path) -> None:
    """A vectorised 200,000-row table, shuffled, comes back sorted and grouped by item."""
    count = 200_000
    order = list(range(count))
    random.Random(5).shuffle(order)
    items = pa.array([f"sha256:{n // 2:064x}" for n in order], pa.string())
    moments = pa.array([(n % 2) * 1_000_000 + n for n in order], pa.int64()).cast(
        pa.timestamp("us", tz="UTC")
    )
    ids = pa.array([f"urn:uuid:{n}" for n in order], pa.string())
    columns = {
        name: pa.nulls(count, MANIFEST_SCHEMA.field(name).type) for name in MANIFEST_SCHEMA.names
    }
    columns.update(item=items, declaration_id=ids, declared_at=moments)
    table = pa.table(columns, schema=MANIFEST_SCHEMA)
    out = tmp_path / "big.parquet"
    written = write_manifest_batches(table.to_batches(max_chunksize=50_000), out, dataset=None)
    assert written == count
    assert pq.ParquetFile(out).metadata.num_row_groups == 2  # row groups of 128k rows
    read = pq.read_table(out)
    assert pc.all(pc.greater_equal(read["item"][1:], read["item"][:-1])).as_py()
    groups = 0
    for item, rows in iter_items(out, batch_rows=30_000):
        groups += 1
        assert len(rows) == 2 and rows[0]["item"] == item
        assert rows[0]["declared_at"] <= rows[1]["declared_at"]
    assert groups == count // 2


def test_a_broken_presorted_promise_is_caught(tmp_path: Path) -> None:
    source = tmp_path / "rows.parquet"
    rows = sorted(_rows(), key=lambda r: r["item"], reverse=True)
    _write_raw(source, pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA), None)
    out = tmp_path / "m.parquet"
    select = f"SELECT * FROM read_parquet('{source}')"
    with pytest.raises(ManifestError, match="not sorted"):
        write_sorted_from(select, out, dataset=None, presorted=True)
    assert not out.exists()
    assert write_sorted_from(select, out, dataset=None) == len(rows)  # sorted by DuckDB instead
