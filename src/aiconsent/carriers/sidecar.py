"""Sidecars (spec §3.4): `NAME.consent.jsonld` next to the file `NAME`, bound by its sha256.

A sidecar is not signed, and the file next to it can change without it; so every declaration it
holds targets the sha256 of the content bytes, and a reader that finds the content's current hash
missing reports the declarations as unreadable (they may belong to other bytes) rather than
letting them grant or silently vanish as "not about this item".
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Final

from aiconsent.carriers.gate import describe, first_error
from aiconsent.carriers.safe_write import atomic_write, check_target
from aiconsent.formats.common import CONTEXT
from aiconsent.model.found import Found, ReadResult, Unreadable

CARRIER: Final = "sidecar"
SUFFIX: Final = ".consent.jsonld"
MAX_BYTES: Final = 10 * 1024 * 1024  # spec §11.2: the largest sidecar read


class SidecarError(ValueError):
    """A sidecar that cannot be attached or read (bad declarations, content, or a foreign file)."""


def sidecar_path(content: Path) -> Path:
    """Where the sidecar of `content` lives."""
    content = Path(content)
    return content.with_name(content.name + SUFFIX)


def _content_hash(content: Path) -> str:
    """The sha256 of the content bytes, read in chunks so size never costs memory."""
    import hashlib

    if not Path(content).is_file():  # checked first: opening a FIFO would block
        raise SidecarError(f"{content}: not a regular file")
    digest = hashlib.sha256()
    try:
        with Path(content).open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as error:
        reason = error.strerror or error
        raise SidecarError(f"{content}: cannot read the content: {reason}") from error
    return digest.hexdigest()


def _node(value: Any, digest: str) -> dict[str, Any]:
    """One declaration as the sidecar holds it: our hash among its targets, carrier sidecar."""
    if not isinstance(value, dict) or value.get("type") != "ConsentDeclaration":
        raise SidecarError("a sidecar holds ConsentDeclaration objects only")
    node = copy.deepcopy(value)
    if node.get("@context") == CONTEXT:
        del node["@context"]  # the graph carries it
    targets = node.get("target")
    if not isinstance(targets, list):
        raise SidecarError(f"declaration {node.get('id')}: target must be a list")
    if {"sha256": digest} not in targets:
        node["target"] = [*targets, {"sha256": digest}]
    node["carrier"] = CARRIER
    return node


def sidecar_document(content_bytes_sha256: str, declarations: list[dict[str, Any]]) -> bytes:
    """The bytes of the sidecar for content with that hash: deterministic, validated."""

    if not declarations:
        raise SidecarError("no declarations to attach")
    graph = [_node(value, content_bytes_sha256) for value in declarations]
    document = {"@context": CONTEXT, "@graph": graph}
    error = first_error(document)
    if error is not None:
        raise SidecarError(f"invalid declarations: {describe(error)}")
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _ours(data: bytes) -> bool:
    """Whether an existing sidecar file is an aiconsent document we may replace."""
    if not data.strip():
        return True
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict):
            context = item.get("@context")
            if context == CONTEXT or (isinstance(context, list) and CONTEXT in context):
                return True
    return False


def attach_sidecar(content: Path, declarations: list[dict[str, Any]]) -> Path:
    """Write (or replace) the sidecar of `content`; return its path.

    Attaching the same declarations twice gives byte-identical files. An existing file of that
    name that is not an aiconsent document is refused, never overwritten.
    """
    content = Path(content)
    data = sidecar_document(_content_hash(content), declarations)
    target = check_target(sidecar_path(content))
    if target.exists():
        try:
            existing = target.read_bytes()
        except OSError as error:
            raise SidecarError(f"{target}: cannot read: {error.strerror or error}") from error
        if not _ours(existing):
            raise SidecarError(f"{target}: exists and is not an aiconsent document; not replaced")
    atomic_write(sidecar_path(content), data)
    return sidecar_path(content)


def _sha256_targets(value: dict[str, Any]) -> set[str]:
    targets = value.get("target")
    if not isinstance(targets, list):
        return set()
    return {str(t["sha256"]).lower() for t in targets if isinstance(t, dict) and "sha256" in t}


def read_sidecar(content: Path) -> ReadResult:
    """The declarations of the sidecar of `content`; nothing if it has none.

    A declaration whose sha256 targets do not include the content's current hash becomes an
    unreadable marker: the content changed, or the sidecar belongs to other bytes.
    """
    from aiconsent.readers.jsonld import read_jsonld

    path = sidecar_path(Path(content))
    result = ReadResult()
    source = str(path)
    try:
        if not path.is_file():
            return result
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        result.unreadable.append(
            Unreadable(source, f"sidecar cannot be read: {error.strerror or error}", CARRIER)
        )
        return result
    if len(data) > MAX_BYTES:
        result.unreadable.append(Unreadable(source, "sidecar is larger than 10 MB", CARRIER))
        return result
    digest = _content_hash(Path(content))
    block = read_jsonld(data, source)
    result.other.extend(block.other)
    result.unreadable.extend(
        Unreadable(item.source, item.message, CARRIER, item.purposes) for item in block.unreadable
    )
    for item in block.found:
        value = item.declaration
        if digest in _sha256_targets(value):
            result.found.append(Found(value, source, CARRIER))
        else:
            message = (
                f"sidecar does not match the content: sha256 {digest} is not a target of "
                f"declaration {value.get('id')}"
            )
            result.unreadable.append(Unreadable(source, message, CARRIER))
    return result
