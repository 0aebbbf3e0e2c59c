"""What every carrier reader shares: loading the content (bytes, or a file read with a size cap),
telling an image's type from its magic bytes, and wording a library's error in one line."""

from __future__ import annotations

from collections.abc import Callable
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


def read_guarded(
    data_or_path: bytes | str | PathLike[str],
    name: str | None,
    fallback: str,
    max_bytes: int,
    carrier: str,
    what: str,
    read_into: Callable[[ReadResult, bytes, Origin], None],
) -> ReadResult:
    """Load the content and let `read_into` fill the result; a library's surprise (exiv2, qpdf,
    c2pa raise many kinds of errors for damaged files) becomes one unreadable marker saying
    that `what` cannot be read — never a crash, never a permission."""
    loaded = load(data_or_path, name, fallback, max_bytes, carrier)
    if isinstance(loaded, ReadResult):
        return loaded
    data, origin = loaded
    result = ReadResult()
    try:
        read_into(result, data, origin)
    except Exception as error:  # the last guard
        unreadable(result, origin, carrier, f"{what} cannot be read: {brief(error)}")
    return result


def image_media_type(data: bytes) -> str | None:
    """The media type an image's magic bytes say (JPEG, PNG, WebP, TIFF, GIF), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return None


def brief(error: BaseException) -> str:
    """A library's first complaint only: exiv2, qpdf and c2pa write many lines for one file."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:200]
