"""Read SOURCEs (files, or `-` for standard input) with the reader their bytes call for.

For now aiconsent's own JSON-LD, JSON and JSON Lines; later releases add the other signals.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from aiconsent.model.found import ReadResult, Unreadable
from aiconsent.readers.jsonld import read_jsonld


class SourceError(Exception):
    """A source that cannot be read at all: missing, a folder, not permitted, too large."""


DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def read_source(
    source: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ReadResult:
    """Read one source; raise SourceError if its bytes cannot be had."""
    name = os.fspath(source)
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        return read_jsonld(data, "<stdin>")
    path = Path(name)
    try:
        if path.is_dir():
            raise SourceError(f"{name}: is a folder, not a file")
        size = path.stat().st_size
        if size > max_bytes:
            message = f"the file has {size} bytes; the limit is {max_bytes} bytes"
            return ReadResult(unreadable=[Unreadable(name, message)])
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{name}: no such file") from None
    except PermissionError:
        raise SourceError(f"{name}: permission denied") from None
    except OSError as error:
        raise SourceError(f"{name}: cannot be read ({error.strerror or error})") from None
    return read_jsonld(data, name, base=path.resolve().as_uri())


def read_paths(sources: Iterable[str | os.PathLike[str]]) -> ReadResult:
    """Read several sources into one result."""
    result = ReadResult()
    for source in sources:
        result.extend(read_source(source))
    return result
