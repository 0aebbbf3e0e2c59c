"""`--write-allowed`: the part of a manifest an audit cleared, written so it can be audited again.

A publisher ships the allowed items, and the next person must be able to re-run the audit on
exactly what was shipped. So the Parquet output is the manifest itself filtered to the allowed
items (same schema, same key-value metadata, same sort order), and the JSON Lines output is the
declarations of those items in the compact form of spec §10.4.1. Both are written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from aiconsent.auditing.totals import connect
from aiconsent.carriers.safe_write import atomic_produce, check_target
from aiconsent.manifests.layout import ManifestRowError, declaration_of, is_unreadable_row
from aiconsent.manifests.parquet import ORDER_BY, dataset_of, write_sorted_from

FORMATS: Final = {".parquet": "parquet", ".jsonl": "jsonl"}
_BATCH_ROWS: Final = 65_536


class AllowedFormatError(ValueError):
    """The --write-allowed file name does not say which format to write."""


def allowed_format(path: Path) -> str:
    """parquet or jsonl, from the file's suffix; anything else is a usage error."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise AllowedFormatError(
            f"{path}: write-allowed needs a .parquet or .jsonl file name, not {path.suffix!r}"
        )
    return fmt


def _quote(path: Path) -> str:
    """A file path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _allowed_select(manifest: Path, decisions: Path) -> str:
    """SQL: the manifest rows of allowed items (the engine's decision table says which)."""
    return (
        f"SELECT * FROM read_parquet({_quote(manifest)}) WHERE item IN "
        f"(SELECT item FROM read_parquet({_quote(decisions)}) WHERE decision = 'allowed')"
    )


def write_allowed(manifest: Path, decisions: Path, out: Path) -> int:
    """Write the allowed items of the Parquet manifest to out; return how many rows were written.

    Raises AllowedFormatError for an unknown suffix and SafeWriteError when out cannot be
    written (out is then unchanged).
    """
    fmt = allowed_format(out)
    target = check_target(out)
    if fmt == "parquet":
        with connect() as con:
            return write_sorted_from(
                _allowed_select(manifest, decisions),
                target,
                dataset=dataset_of(manifest),
                connection=con,
            )
    written = 0

    def produce(temporary: Path) -> None:
        nonlocal written
        # A declaration filed under several allowed items is written once, under the first:
        # JSON Lines files each declaration by its own targets.
        query = f"""
            SELECT * FROM ({_allowed_select(manifest, decisions)})
            WHERE declaration_id IS NOT NULL
            QUALIFY row_number() OVER (
                PARTITION BY declaration_id, declaration_json, carrier, source ORDER BY item
            ) = 1
            ORDER BY {ORDER_BY}
        """
        con = connect()
        try:
            reader = con.sql(query).to_arrow_reader(_BATCH_ROWS)
            with temporary.open("w", encoding="utf-8", newline="\n") as handle:
                for batch in reader:
                    for row in batch.to_pylist():
                        handle.write(_line_of(row) + "\n")
                        written += 1
        finally:
            con.close()

    atomic_produce(target, produce)
    return written


def _line_of(row: dict[str, Any]) -> str:
    """One JSON Lines line for a declaration row, with the carrier it was found in.

    An allowed item has no unreadable row (spec §6.4 step 1 never allows one), so meeting one
    here means the decision table and the manifest disagree: refuse rather than drop it.
    """
    if is_unreadable_row(row):
        raise ManifestRowError(f"{row['item']}: an allowed item has an unreadable marker row")
    declaration = declaration_of(row)
    carrier = row.get("carrier")
    if isinstance(carrier, str):
        declaration["carrier"] = carrier
    return json.dumps(declaration, ensure_ascii=False, separators=(",", ":"))
