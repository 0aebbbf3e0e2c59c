"""The per-item decision table every audit engine writes (one row per distinct manifest item).

The table is the contract between the engines and everything that reports on an audit
(totals, the HTML report, lookup, the card layer): engines differ in how they compute it, never
in what it holds, and the differential tests compare exactly these columns.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import pyarrow as pa

DECISION_SCHEMA: Final = pa.schema(
    [
        pa.field("item", pa.string(), nullable=False),
        pa.field("decision", pa.string(), nullable=False),
        pa.field("reasons", pa.list_(pa.string()), nullable=False),
        pa.field("duties", pa.list_(pa.string()), nullable=False),
        pa.field("minor", pa.bool_(), nullable=False),
        pa.field("withdrawn", pa.bool_(), nullable=False),
        pa.field("created_year", pa.int32()),
        pa.field("declarations", pa.int32(), nullable=False),
        pa.field("unreadable", pa.bool_(), nullable=False),
    ]
)
"""Columns: item; decision ('allowed'|'denied'|'unknown', after the policy's mapping); reasons
(sorted distinct codes of the reasons `check` reports, unioned over the purposes); duties
(sorted, empty unless allowed); minor (a minor's content for J, §6.2); withdrawn (some
declaration withdrawn at T); created_year (UTC year of the merged createdAt); declarations
(how many declarations `prepare` keeps for the item); unreadable (some unreadable marker)."""

DECISION_COLUMNS: Final = tuple(DECISION_SCHEMA.names)

Progress = Callable[[int], None]
"""Called with the number of manifest rows just done (the total is the file's row count)."""


@contextlib.contextmanager
def atomic_target(out: Path) -> Iterator[Path]:
    """A temporary path beside `out` that replaces it only if the block succeeds."""
    folder = out.parent if str(out.parent) else Path()
    if not folder.is_dir():
        raise FileNotFoundError(f"{out}: the folder {folder} does not exist")
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
    os.close(handle)
    scratch = Path(name)
    try:
        yield scratch
        scratch.replace(out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            scratch.unlink()


__all__ = ["DECISION_COLUMNS", "DECISION_SCHEMA", "Progress", "atomic_target"]
