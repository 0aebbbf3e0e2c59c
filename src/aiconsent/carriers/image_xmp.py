"""Declarations attached to JPEG, PNG, WebP and TIFF images through XMP (spec §3.4, §9.11).

Writing puts the whole aiconsent document in `aic:declarations` (so aiconsent readers lose
nothing) and the closest PLUS `DataMining` code beside it (so IPTC-aware tools see something).
exiv2 (through pyexiv2) rewrites only metadata segments, never the pixels; the result goes to a
temporary file in the same folder and replaces the original atomically, so a failure leaves the
original byte-identical. Reading never raises for bad bytes: anything that cannot be read becomes
an unreadable marker (spec §9.1 rule 5), never a permission.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
import shutil
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar

from aiconsent.carriers.content import brief, image_media_type, read_guarded
from aiconsent.carriers.gate import describe, first_error
from aiconsent.carriers.safe_write import (
    SafeWriteError,
    atomic_produce,
    atomic_write,
    check_target,
)
from aiconsent.formats.common import Loss, Origin, unreadable
from aiconsent.formats.iptc import read_data_mining, write_data_mining
from aiconsent.model.found import Found, ReadResult

CARRIER: Final = "xmp"
NAMESPACE: Final = "https://w3id.org/aiconsent#"
PREFIX: Final = "aic"
DECLARATIONS_KEY: Final = "Xmp.aic.declarations"
DATA_MINING_KEY: Final = "Xmp.plus.DataMining"
OTHER_CONSTRAINTS_KEY: Final = "Xmp.plus.OtherConstraints"
EMBEDDED_EXPRESSION_KEY: Final = "Xmp.iptcExt.EmbdEncRightsExpr"
SUMMARY_PREFIX: Final = "aiconsent: "  # marks an OtherConstraints text that a writer of ours made
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024  # spec §11.2
MAX_ATTACH_BYTES: Final = 2 * 1024 * 1024 * 1024
STREAM_BYTES: Final = 16 * 1024 * 1024  # above this, exiv2 updates a copy on disk

# file-name suffix -> (kind, MIME type exiv2 reports)
SUFFIXES: Final[dict[str, tuple[str, str]]] = {
    ".jpg": ("jpeg", "image/jpeg"),
    ".jpeg": ("jpeg", "image/jpeg"),
    ".jpe": ("jpeg", "image/jpeg"),
    ".png": ("png", "image/png"),
    ".webp": ("webp", "image/webp"),
    ".tif": ("tiff", "image/tiff"),
    ".tiff": ("tiff", "image/tiff"),
}
_FORBIDDEN_XML: Final = re.compile(rb"<!(doctype|entity)", re.IGNORECASE)
_LANG: Final = re.compile(r'^lang="([^"]*)"$')
T = TypeVar("T")
_KINDS: Final = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    "image/tiff": "tiff",
}


class ImageXmpError(ValueError):
    """An image that cannot be written to safely, or declarations that cannot be attached."""


@dataclass(frozen=True, slots=True)
class ImageXmpPlan:
    """What `attach_image` writes (XMP key -> value; None deletes) and what PLUS cannot carry."""

    values: dict[str, Any]
    losses: list[Loss] = field(default_factory=list)


def kind_of(data: bytes) -> str | None:
    """The image kind its magic bytes say (jpeg, png, webp, tiff), or None (GIF has no XMP here)."""
    return _KINDS.get(image_media_type(data) or "")


@cache
def _exiv2() -> Any:
    """pyexiv2, imported on first use with the aic namespace registered (once per process).

    Registering before any image is parsed makes exiv2 name our property `Xmp.aic.…` whatever
    prefix the file itself used for the namespace.
    """
    try:
        module = importlib.import_module("pyexiv2")
    except ImportError as error:  # pragma: no cover - pyexiv2 is a dependency
        raise ImageXmpError("image XMP needs pyexiv2 (pip install pyexiv2)") from error
    module.registerNs(NAMESPACE, PREFIX)
    # Level 3: exiv2's errors still raise, but its warnings are not printed to stdout, where
    # they would corrupt `aiconsent read` output.
    module.set_log_level(3)
    return module


@cache
def _tiny_png() -> bytes:
    """A valid 1x1 PNG, opened only to drain pyexiv2's error log (see `_with_image`)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _with_image(data: bytes, action: Callable[[Any], T]) -> T:
    """`action` on pyexiv2's ImageData for these bytes, retried once on a clean error log.

    pyexiv2 keeps exiv2's error messages in a process-wide log and raises them at the next
    check; after some failures (a damaged TIFF) they are left over and would be raised for the
    next, sound image. So a failure is retried once after opening a known-good image, which
    raises and clears the log; a second failure belongs to these bytes. Sound images pay
    nothing for this.
    """
    exiv2 = _exiv2()
    try:
        with exiv2.ImageData(data) as image:
            return action(image)
    except ImageXmpError:
        raise
    except Exception:
        with contextlib.suppress(Exception), exiv2.ImageData(_tiny_png()) as clean:
            clean.read_xmp()
    with exiv2.ImageData(data) as image:
        return action(image)


# --------------------------------------------------------------------------- writing


def document_of(declarations: Sequence[Mapping[str, Any]]) -> dict[str, Any] | list[Any]:
    """One aiconsent document (spec §3.1): the node itself, or an array of nodes."""
    nodes = [dict(value) for value in declarations]
    return nodes[0] if len(nodes) == 1 else nodes


def plan_image_xmp(declarations: Sequence[Mapping[str, Any]]) -> ImageXmpPlan:
    """The XMP values for these declarations, after checking they are valid; refuses otherwise."""
    if not declarations:
        raise ImageXmpError("no declarations to attach")
    document = document_of(declarations)
    error = first_error(document)
    if error is not None:
        raise ImageXmpError(f"declarations are not valid: {describe(error)}")
    written = write_data_mining(declarations)
    values: dict[str, Any] = {
        DECLARATIONS_KEY: json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        DATA_MINING_KEY: written.uri,
    }
    if written.other_constraints:
        values[OTHER_CONSTRAINTS_KEY] = {
            f'lang="{language}"': text for language, text in written.other_constraints.items()
        }
    return ImageXmpPlan(values, list(written.losses))


def attach_image(path: Path, declarations: list[dict[str, Any]]) -> None:
    """Write the declarations into the image's XMP, replacing any earlier attach.

    The pixels are never re-encoded (exiv2 rewrites metadata segments only). The file is
    replaced atomically (carriers/safe_write); on any failure it stays byte-identical.
    `plan_image_xmp` tells the losses of the PLUS code; the aic property itself carries the
    declarations whole. Images above STREAM_BYTES are copied and updated on disk by exiv2
    rather than in memory, so a 200 MB TIFF costs tens of megabytes, not a gigabyte.
    """
    try:
        target = check_target(Path(path))
    except SafeWriteError as error:
        raise ImageXmpError(str(error)) from error
    if not target.is_file():
        raise ImageXmpError(f"{path}: no such file")
    plan = plan_image_xmp(declarations)
    size = target.stat().st_size
    if size > MAX_ATTACH_BYTES:
        raise ImageXmpError(f"{target.name}: larger than {MAX_ATTACH_BYTES} bytes")
    if size > STREAM_BYTES:
        _attach_on_disk(target, plan)
        return
    data = target.read_bytes()
    expected = _expected_kind(target, data)
    if _FORBIDDEN_XML.search(data):
        raise ImageXmpError(f"{target.name}: holds XML with a DOCTYPE or ENTITY; refusing")
    updated = _modified(data, target.name, expected[1], plan)
    try:
        atomic_write(target, updated)
    except SafeWriteError as error:
        raise ImageXmpError(str(error)) from error


def _attach_on_disk(target: Path, plan: ImageXmpPlan) -> None:
    """The large-file path: a streamed copy beside the target, updated in place, then renamed."""
    with target.open("rb") as stream:
        head = stream.read(64)
    mime = _expected_kind(target, head)[1]
    if _file_has_forbidden_xml(target):
        raise ImageXmpError(f"{target.name}: holds XML with a DOCTYPE or ENTITY; refusing")
    exiv2 = _exiv2()

    def produce(temporary: Path) -> None:
        shutil.copyfile(target, temporary)
        try:
            with exiv2.Image(str(temporary)) as image:
                _update(image, target.name, mime, plan)
            with exiv2.Image(str(temporary)) as image:
                ok = _holds(image, mime, plan)
        except ImageXmpError:
            raise
        except Exception as error:  # exiv2 raises RuntimeError and friends for damaged files
            raise ImageXmpError(
                f"{target.name}: exiv2 cannot update its metadata: {error}"
            ) from error
        if not ok:
            raise ImageXmpError(
                f"{target.name}: the rewritten image does not hold what was written"
            )

    try:
        atomic_produce(target, produce)
    except SafeWriteError as error:
        raise ImageXmpError(str(error)) from error


def _file_has_forbidden_xml(path: Path) -> bool:
    """`_FORBIDDEN_XML` over a file read in 1 MiB chunks (with an overlap for split matches)."""
    tail = b""
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            if _FORBIDDEN_XML.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _expected_kind(path: Path, data: bytes) -> tuple[str, str]:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImageXmpError(f"{path.name}: not a .jpg, .png, .webp or .tif image name")
    kind, mime = SUFFIXES[suffix]
    found = kind_of(data)
    if found != kind:
        raise ImageXmpError(f"{path.name}: the bytes are {found or 'not an image'}, not {kind}")
    return kind, mime


def _update(image: Any, name: str, mime: str, plan: ImageXmpPlan) -> None:
    """Set our XMP values on an open exiv2 image, removing what an earlier attach left."""
    if image.get_mime_type() != mime:
        raise ImageXmpError(f"{name}: exiv2 reads it as {image.get_mime_type()}")
    current = image.read_xmp()
    values = dict(plan.values)
    existing = current.get(OTHER_CONSTRAINTS_KEY)
    if existing is not None and not _ours(existing):
        # someone else's constraints text stays; our summary is only a courtesy to readers
        values.pop(OTHER_CONSTRAINTS_KEY, None)
    elif OTHER_CONSTRAINTS_KEY not in values and _ours(existing):
        values[OTHER_CONSTRAINTS_KEY] = None
    # Delete first: a set over an existing key of another shape (an array, a struct) would
    # otherwise be merged into it.
    stale = {key: None for key in values if key in current}
    if stale:
        image.modify_xmp(stale)
    image.modify_xmp({key: value for key, value in values.items() if value is not None})


def _holds(image: Any, mime: str, plan: ImageXmpPlan) -> bool:
    """Whether an exiv2 image is still of its kind and holds exactly the planned values."""
    xmp = image.read_xmp()
    return bool(image.get_mime_type() == mime) and all(
        xmp.get(key) == value or (key == OTHER_CONSTRAINTS_KEY and not _ours(xmp.get(key)))
        for key, value in plan.values.items()
    )


def _modified(data: bytes, name: str, mime: str, plan: ImageXmpPlan) -> bytes:
    def update(image: Any) -> bytes:
        _update(image, name, mime, plan)
        result: bytes = image.get_bytes()
        return result

    try:
        updated = _with_image(data, update)
    except ImageXmpError:
        raise
    except Exception as error:  # exiv2 raises RuntimeError and friends for damaged files
        raise ImageXmpError(f"{name}: exiv2 cannot update its metadata: {error}") from error
    _verify(updated, mime, plan, name)
    return updated


def _ours(value: Any) -> bool:
    return isinstance(value, dict) and any(
        isinstance(text, str) and text.startswith(SUMMARY_PREFIX) for text in value.values()
    )


def _verify(updated: bytes, mime: str, plan: ImageXmpPlan, name: str) -> None:
    """Re-read the result before it replaces anything: the same kind, our values in place."""
    try:
        ok = _with_image(updated, lambda image: _holds(image, mime, plan))
    except Exception as error:
        raise ImageXmpError(f"{name}: the rewritten image does not read back: {error}") from error
    if not ok:
        raise ImageXmpError(f"{name}: the rewritten image does not hold what was written")


# --------------------------------------------------------------------------- reading


def read_image(
    data_or_path: bytes | Path | str,
    name: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ReadResult:
    """Declarations in the image's XMP: `aic:declarations` and PLUS `DataMining` (carrier xmp).

    Damaged, oversized or hostile images give an unreadable marker; nothing here raises for bad
    bytes, and nothing unreadable ever becomes a permission.
    """
    return read_guarded(
        data_or_path,
        name,
        "<image>",
        max_bytes,
        CARRIER,
        "image metadata",
        lambda result, data, origin: _read_into(result, data, origin, max_bytes),
    )


def _read_into(result: ReadResult, data: bytes, origin: Origin, max_bytes: int) -> None:
    if len(data) > max_bytes:
        unreadable(result, origin, CARRIER, f"image larger than {max_bytes} bytes; not read")
        return
    kind = kind_of(data)
    if kind is None:
        unreadable(result, origin, CARRIER, "not a JPEG, PNG, WebP or TIFF image")
        return
    if _FORBIDDEN_XML.search(data):
        # spec §11.3: XML with a DOCTYPE is refused before any parser sees it
        unreadable(result, origin, CARRIER, "XMP with a DOCTYPE or ENTITY declaration; refused")
        return
    try:
        xmp: dict[str, Any] = _with_image(data, lambda image: image.read_xmp())
    except Exception as error:
        unreadable(
            result, origin, CARRIER, f"the {kind} image's metadata is damaged: {brief(error)}"
        )
        return
    _read_declarations(result, xmp.get(DECLARATIONS_KEY), origin)
    _read_plus(result, xmp, origin)


def _read_declarations(result: ReadResult, value: Any, origin: Origin) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        unreadable(result, origin, CARRIER, "aic:declarations is not a simple text value")
        return
    from aiconsent.readers.jsonld import read_jsonld

    inner = read_jsonld(value.encode("utf-8", "surrogatepass"), f"{origin.source}#xmp")
    result.found.extend(Found(item.declaration, item.source, CARRIER) for item in inner.found)
    result.unreadable.extend(inner.unreadable)
    result.other.extend(inner.other)
    if not (inner.found or inner.unreadable or inner.other):
        unreadable(result, origin, CARRIER, "aic:declarations holds no aiconsent node")


def _read_plus(result: ReadResult, xmp: Mapping[str, Any], origin: Origin) -> None:
    value = xmp.get(DATA_MINING_KEY)
    if value is None:
        return
    if not isinstance(value, str):
        unreadable(result, origin, CARRIER, "plus:DataMining is not a single value")
        return
    expression, media_type = _embedded_expression(xmp)
    result.extend(
        read_data_mining(
            value,
            _language_alternative(xmp.get(OTHER_CONSTRAINTS_KEY)),
            origin,
            embedded_expression=expression,
            embedded_type=media_type,
        )
    )


def _language_alternative(value: Any) -> dict[str, str] | None:
    """pyexiv2's `{'lang="x-default"': text}` as `{'x-default': text}`."""
    if isinstance(value, str):
        return {"x-default": value}
    if not isinstance(value, dict):
        return None
    alternative: dict[str, str] = {}
    for key, text in value.items():
        match = _LANG.match(str(key))
        if match and isinstance(text, str):
            alternative[match.group(1)] = text
    return alternative or None


def _embedded_expression(xmp: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The first IPTC Embedded Encoded Rights Expression (for DMI-…-SEEEMBEDDEDRIGHTSEXPR)."""
    item = f"{EMBEDDED_EXPRESSION_KEY}[1]/iptcExt:"
    expression = xmp.get(item + "EncRightsExpr")
    media_type = xmp.get(item + "RightsExprEncType")
    return (
        expression if isinstance(expression, str) else None,
        media_type if isinstance(media_type, str) else None,
    )
