"""Attaching declarations to an HTML page (spec §3.4, §9.4, §9.6): our JSON-LD and meta tags.

The page is someone's work, so it is never re-serialised: the bytes are scanned with the same
tolerant tokenizer `formats.html.read_html` uses (so what we find is what a reader will find), and
the block is spliced in by offset. Everything we add is ASCII (JSON with \\u escapes, character
references in attributes), which keeps any ASCII-compatible encoding of the page intact; every
element we add carries `data-aiconsent`, which is how a later attach finds and replaces it.

The block goes just before `</head>` (after `<head>` when it is never closed; in a new `<head>`
after `<html>`, the doctype, or at the start when there is none) and holds:
- `<meta name="tdm-reservation">` / `tdm-policy` as `formats.tdmrep.write_tdm_meta` writes them;
- `<meta name="robots" content="noai, noimageai">` for a prohibition of an AI purpose (an
  agent-scoped one as `<meta name="AGENT" …>`), as `formats.noai.write_x_robots_tag` decides;
- `<script type="application/ld+json" data-aiconsent="v1">` with the declarations (carrier html).
"""

from __future__ import annotations

import copy
import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final

from aiconsent.carriers.gate import describe, first_error
from aiconsent.carriers.safe_write import atomic_write, check_target
from aiconsent.formats.common import CONTEXT, Loss

CARRIER: Final = "html"
MARK: Final = "data-aiconsent"
MAX_BYTES: Final = 64 * 1024 * 1024  # a page larger than this is not a page we rewrite
_AGENT_TOKEN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_DIRECTIVES: Final = "noai, noimageai"


class HtmlAttachError(ValueError):
    """A page or declarations that cannot be attached; the page is left as it was."""


@dataclass(slots=True)
class HtmlAttachment:
    """The new page, and what its meta tags could not say (the JSON-LD says everything)."""

    page: bytes
    meta_losses: list[Loss] = field(default_factory=list)


class _Scanner(HTMLParser):
    """Offsets of the landmarks we insert at, and of the elements a previous attach left."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._text = text
        self._lines = [0] + [m.end() for m in re.finditer("\n", text)]
        self.doctype_end: int | None = None
        self.html_end: int | None = None
        self.head_end_of_start: int | None = None
        self.head_close: int | None = None
        self.ours: list[tuple[int, int, bool]] = []  # (start, end, marked with data-aiconsent)
        self._script: tuple[int, bool] | None = None
        self._buffer: list[str] = []

    def _position(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def handle_decl(self, decl: str) -> None:
        if self.doctype_end is None and decl.lower().startswith("doctype"):
            end = self._text.find(">", self._position())
            self.doctype_end = len(self._text) if end < 0 else end + 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._position()
        end = start + len(self.get_starttag_text() or "")
        names = {name.lower(): value or "" for name, value in attrs}
        if tag == "html" and self.html_end is None:
            self.html_end = end
        elif tag == "head" and self.head_end_of_start is None:
            self.head_end_of_start = end
        elif tag == "meta" and MARK in names:
            self.ours.append((start, end, True))
        elif tag == "script" and names.get("type", "").strip().lower() == "application/ld+json":
            self._script, self._buffer = (start, MARK in names), []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        start = self._position()
        if tag == "head" and self.head_end_of_start is not None and self.head_close is None:
            self.head_close = start
        elif tag == "script" and self._script is not None:
            begin, marked = self._script
            self._script = None
            close = self._text.find(">", start)
            end = len(self._text) if close < 0 else close + 1
            if marked or _is_ours("".join(self._buffer)):
                self.ours.append((begin, end, marked))

    def unclosed_block(self) -> bool:
        """Whether a script of ours was opened and never closed (so its end is unknown)."""
        return self._script is not None and self._script[1]


def _is_ours(script: str) -> bool:
    from aiconsent.formats.html import _is_ours as uses_our_context

    try:
        return uses_our_context(json.loads(script))
    except (json.JSONDecodeError, RecursionError):
        return False


def _scan(text: str) -> _Scanner:
    scanner = _Scanner(text)
    try:
        scanner.feed(text)
        scanner.close()
    except (AssertionError, ValueError, IndexError) as error:  # the tokenizer's own complaints
        raise HtmlAttachError(f"the page could not be tokenized: {error}") from error
    if scanner.unclosed_block():
        raise HtmlAttachError("a previous aiconsent script is never closed; not touching it")
    return scanner


def _without_ours(text: str, scanner: _Scanner | None = None) -> str:
    """The page with every element a previous attach added (and its newline) taken out."""
    scanner = scanner or _scan(text)
    if not scanner.ours:
        return text
    pieces: list[str] = []
    cursor = 0
    for start, end, marked in sorted(scanner.ours):
        if start < cursor:
            continue
        if marked and text.startswith("\n", end):
            end += 1
        pieces.append(text[cursor:start])
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _ascii(text: str) -> str:
    """Non-ASCII characters as character references (attribute values only)."""
    return "".join(c if ord(c) < 0x80 else f"&#{ord(c)};" for c in text)


def _marked(tag: str) -> str:
    return _ascii(tag[:-1].rstrip("/ ") + f' {MARK}="v1">')


def _document(declarations: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON-LD of the block, validated: a page must not carry what readers reject."""

    nodes: list[dict[str, Any]] = []
    for value in declarations:
        if not isinstance(value, dict) or value.get("type") != "ConsentDeclaration":
            raise HtmlAttachError("only ConsentDeclaration objects can be attached to a page")
        node = copy.deepcopy(value)
        if node.get("@context") == CONTEXT:
            del node["@context"]
        node["carrier"] = CARRIER
        nodes.append(node)
    document = {"@context": CONTEXT, "@graph": nodes}
    error = first_error(document)
    if error is not None:
        raise HtmlAttachError(f"invalid declarations: {describe(error)}")
    return document


def _meta_tags(declarations: list[dict[str, Any]], losses: list[Loss]) -> list[str]:
    """The meta tags the declarations imply, in the forms foreign readers know."""
    from aiconsent.formats.noai import write_x_robots_tag
    from aiconsent.formats.tdmrep import write_tdm_meta

    tags: list[str] = []
    tdm = write_tdm_meta(declarations)
    losses.extend(tdm.losses)
    tags.extend(_marked(line) for line in tdm.text.splitlines() if line.strip())
    robots = write_x_robots_tag(declarations, image=True)
    losses.extend(robots.losses)
    for line in robots.text.splitlines():
        value = line.removeprefix("X-Robots-Tag:").strip()
        if value == _DIRECTIVES:
            name = "robots"
        else:
            name = value.removesuffix(": " + _DIRECTIVES)
            if not _AGENT_TOKEN.fullmatch(name) or name.lower() == "robots":
                losses.append(Loss("lost", f"prohibition for agent {name!r}: not a meta name"))
                continue
        tag = f'<meta name="{html.escape(name)}" content="{_DIRECTIVES}">'
        if _marked(tag) not in tags:
            tags.append(_marked(tag))
    return tags


def _script(document: dict[str, Any]) -> str:
    text = json.dumps(document, indent=2, ensure_ascii=True)
    # '<', '>' and '&' occur only inside JSON strings, where \u escapes mean the same thing; so
    # nothing in the block can close the script or open a comment.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/ld+json" {MARK}="v1">\n{text}\n</script>'


def _check_encoding(page: bytes) -> None:
    """Refuse encodings in which our ASCII block would not be text (UTF-16, UTF-32)."""
    if page.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or page[:2] in (
        b"<\x00",
        b"\x00<",
    ):
        raise HtmlAttachError("the page is UTF-16 or UTF-32; only ASCII-compatible encodings")


def attach_html_report(page: bytes, declarations: list[dict[str, Any]]) -> HtmlAttachment:
    """attach_html, with what the meta tags could not carry (for `attach` to report)."""
    if not isinstance(page, bytes | bytearray):
        raise HtmlAttachError("the page must be bytes")
    if len(page) > MAX_BYTES:
        raise HtmlAttachError("the page is larger than 64 MB")
    _check_encoding(bytes(page))
    losses: list[Loss] = []
    block = ""
    elements = 0
    if declarations:
        document = _document(declarations)
        lines = [*_meta_tags(document["@graph"], losses), _script(document)]
        block = "".join(line + "\n" for line in lines)
        elements = len(lines)
    text = _without_ours(bytes(page).decode("latin-1"))  # latin-1: one character per byte
    if not block:
        return HtmlAttachment(text.encode("latin-1"), losses)
    scanner = _scan(text)
    if scanner.head_end_of_start is not None:
        close = scanner.head_close
        at = close if close is not None and close >= scanner.head_end_of_start else None
        at = scanner.head_end_of_start if at is None else at
        insert = block
    else:
        at = scanner.html_end or scanner.doctype_end or 0
        if at == 0 and text.startswith("\xef\xbb\xbf"):
            at = 3  # after a UTF-8 byte order mark
        insert = f"<head>{block}</head>"
    new = text[:at] + insert + text[at:]
    # Markup left open before the insertion point (an unclosed quote, say) can swallow the block
    # or change how the page around it parses; a reader must find exactly what we wrote.
    check = _scan(new)
    expected = text[:at] + insert.replace(block, "", 1) + text[at:]
    if sum(1 for *_, marked in check.ours if marked) != elements or (
        _without_ours(new, check) != expected
    ):
        raise HtmlAttachError("the page's markup before the insertion point is not closed")
    return HtmlAttachment(new.encode("latin-1"), losses)


def attach_html(page: bytes, declarations: list[dict[str, Any]]) -> bytes:
    """The page with our block inserted, or replacing the previous one; other bytes unchanged.

    An empty list of declarations removes the block. Raises HtmlAttachError for bad input.
    """
    return attach_html_report(page, declarations).page


def attach_html_file(path: Path, declarations: list[dict[str, Any]]) -> list[Loss]:
    """Attach to an HTML file in place, atomically; return what the meta tags could not say.

    A file whose bytes are not an HTML page is refused whatever its name.
    """
    from aiconsent.readers.detect import detect

    target = check_target(Path(path))
    try:
        if target.stat().st_size > MAX_BYTES:
            raise HtmlAttachError(f"{path}: larger than 64 MB")
        data = target.read_bytes()
    except OSError as error:
        raise HtmlAttachError(f"{path}: cannot read: {error.strerror or error}") from error
    if detect(data, target.name) != "html":
        raise HtmlAttachError(f"{path}: is not an HTML page; not writing into it")
    attached = attach_html_report(data, declarations)
    if attached.page != data:
        atomic_write(Path(path), attached.page)
    return attached.meta_losses
