"""JSON Lines item manifests (spec §10.4.1): read line by line, write sorted.

Each line is read by the same reader as any aiconsent document, so a line that the validator
would reject is never used. A line that cannot be read cannot say which item it was about, so
it is an unreadable marker for every item of the manifest (spec §10.4.1, §6.2 rule 4).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import IO, Any, Final

from aiconsent.carriers.safe_write import SafeWriteError, atomic_produce
from aiconsent.dates import parse_datetime
from aiconsent.manifests.layout import V1_CONTEXT, item_keys
from aiconsent.model.found import Found, Unreadable
from aiconsent.readers.jsonld import read_jsonld

MAX_LINE_BYTES: Final = 1024 * 1024
"""The longest line read; a longer one is unreadable (a declaration is a few hundred bytes)."""


class JsonlError(ValueError):
    """A JSON Lines manifest that cannot be opened or written at all."""


@dataclass(slots=True)
class JsonlLine:
    """What one line gave: its declarations, or why it could not be used."""

    number: int
    found: list[Found] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)


@dataclass(slots=True)
class JsonlManifest:
    """A JSON Lines manifest read whole: declarations by item key, and the unreadable lines.

    `unfiled` holds declarations with no item key of their own (only `urlPattern` or
    `collection` targets); `unreadable` markers apply to every item.
    """

    items: dict[str, list[Found]] = field(default_factory=dict)
    unfiled: list[Found] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    lines: int = 0

    @property
    def declarations(self) -> int:
        unique = {id(found) for founds in self.items.values() for found in founds}
        return len(unique) + len(self.unfiled)


def iter_jsonl(
    path: str | os.PathLike[str], *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[JsonlLine]:
    """Read a JSON Lines manifest one line at a time (blank lines are skipped)."""
    name = os.fspath(path)
    try:
        stream = Path(name).open("rb")  # noqa: SIM115 - closed below, iterated lazily
    except FileNotFoundError:
        raise JsonlError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise JsonlError(f"{name}: is a folder, not a file") from None
    except OSError as error:
        raise JsonlError(f"{name}: cannot be read ({error.strerror or error})") from None
    with stream:
        number = 0
        while True:
            line, too_long = _next_line(stream, max_line_bytes)
            if line is None:
                return
            number += 1
            source = f"{name}:{number}"
            if too_long:
                message = f"line {number} is longer than {max_line_bytes} bytes"
                yield JsonlLine(number, unreadable=[Unreadable(source, message, "jsonld")])
                continue
            if not line.strip():
                continue
            yield _read_line(line, number, source)


def _next_line(stream: IO[bytes], limit: int) -> tuple[bytes | None, bool]:
    """The next line (without its end), or (None, False) at the end; skip the rest of a long one."""
    line = stream.readline(limit + 1)
    if not line:
        return None, False
    if len(line) > limit and not line.endswith(b"\n"):
        while True:
            rest = stream.readline(1024 * 1024)
            if not rest or rest.endswith(b"\n"):
                break
        return b"", True
    return line.rstrip(b"\r\n"), False


def _read_line(line: bytes, number: int, source: str) -> JsonlLine:
    result = read_jsonld(line, source)
    read = JsonlLine(number)
    for marker in result.unreadable:
        read.unreadable.append(
            Unreadable(source, f"line {number}: {marker.message}", "jsonld", marker.purposes)
        )
    for _other in result.other:
        message = f"line {number}: not a ConsentDeclaration"
        read.unreadable.append(Unreadable(source, message, "jsonld"))
    if read.unreadable:
        return read  # a line that is partly broken is not used at all
    for found in result.found:
        declaration = {
            k: v for k, v in found.declaration.items() if k not in {"@context", "carrier"}
        }
        carrier = found.declaration.get("carrier", "jsonld")
        read.found.append(
            Found(declaration, source, carrier if isinstance(carrier, str) else "jsonld")
        )
    return read


def read_jsonl_manifest(
    path: str | os.PathLike[str], *, max_line_bytes: int = MAX_LINE_BYTES
) -> JsonlManifest:
    """Read a whole JSON Lines manifest into declarations per item key."""
    manifest = JsonlManifest()
    for line in iter_jsonl(path, max_line_bytes=max_line_bytes):
        manifest.lines = line.number
        manifest.unreadable.extend(line.unreadable)
        for found in line.found:
            keys = item_keys(found.declaration)
            if not keys:
                manifest.unfiled.append(found)
            for key in keys:
                manifest.items.setdefault(key, []).append(found)
    return manifest


def sort_key(declaration: dict[str, Any]) -> tuple[str, str]:
    """Spec §10.4.1's line order: the item key of the first target, then declaredAt."""
    targets = declaration.get("target") or [{}]
    first = targets[0]
    if "sha256" in first:
        key = f"sha256:{first['sha256']}"
    else:
        keys = item_keys({"target": [first]})
        key = keys[0] if keys else str(first.get("urlPattern") or first.get("collection") or "")
    try:
        moment = parse_datetime(declaration["declaredAt"]).astimezone(UTC).isoformat()
    except (KeyError, TypeError, ValueError):
        moment = ""
    return key, moment


def line_of(declaration: dict[str, Any], carrier: str | None) -> str:
    """One manifest line: the declaration with its @context first and the builder's carrier."""
    body = {k: v for k, v in declaration.items() if k not in {"@context", "carrier"}}
    value: dict[str, Any] = {"@context": V1_CONTEXT, **body}
    if carrier is not None:
        value["carrier"] = carrier
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_jsonl_manifest(
    entries: Iterable[Found], path: str | os.PathLike[str], *, extra_lines: Iterable[str] = ()
) -> int:
    """Write declarations as a sorted JSON Lines manifest, atomically; return the line count.

    The same declaration found twice at the same place (for example filed under two items) is
    written once. `extra_lines` are appended verbatim after the sorted lines.
    """
    unique: dict[str, tuple[tuple[str, str], str]] = {}
    for found in entries:
        line = line_of(found.declaration, found.carrier)
        unique.setdefault(line, (sort_key(found.declaration), line))
    ordered = [line for _key, line in sorted(unique.values())]
    ordered.extend(extra_lines)

    def produce(partial: Path) -> None:
        with partial.open("w", encoding="utf-8", newline="\n") as stream:
            for line in ordered:
                stream.write(line + "\n")

    try:
        atomic_produce(Path(path), produce)
    except SafeWriteError as error:
        raise JsonlError(str(error)) from None
    return len(ordered)
