"""Loading the content a carrier reader looks at: bytes given, or a file read with a size cap."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from aiconsent.formats.common import Origin, unreadable
from aiconsent.model.found import ReadResult


def load(
    data_or_path: bytes | str | PathLike[str],
    name: str | None,
    fallback: str,
    max_bytes: int,
    carrier: str,
) -> tuple[bytes, Origin] | ReadResult:
    """The content's bytes (at most max_bytes + 1 of them) and its origin, or, when the file
    cannot be read, a result holding one unreadable marker."""
    if isinstance(data_or_path, bytes):
        data = data_or_path
        source = name or fallback
    else:
        path = Path(data_or_path)
        source = name or str(path)
        try:
            with path.open("rb") as stream:
                data = stream.read(max_bytes + 1)
        except OSError as error:
            result = ReadResult()
            unreadable(result, Origin(source, source, {}), carrier, f"cannot read: {error}")
            return result
    return data, Origin.for_bytes(data, source)
