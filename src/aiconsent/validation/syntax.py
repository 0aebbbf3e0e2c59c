"""Layer 1, syntax: bytes to JSON values, with limits, strict UTF-8 and no duplicate keys.

A file holds one JSON value, or several (JSON Lines, or documents one after another). Nothing
here raises on bad input: every problem becomes an Issue and parsing goes on where it can.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from aiconsent.validation.issues import Issue
from aiconsent.validation.pointer import child, escape, is_index

DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
DEFAULT_MAX_DEPTH: Final = 64
_BOM: Final = b"\xef\xbb\xbf"
_WHITESPACE: Final = " \t\r\n"
_ESCAPED_SURROGATE: Final = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


class _BadNumber:
    """Stands in for a number that is not finite or has too many digits, to be reported."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _DuplicateKeys(dict[str, Any]):
    """A JSON object that had repeated keys; the last value won, the repeats are kept."""

    __slots__ = ("repeated",)

    def __init__(self, pairs: list[tuple[str, Any]], repeated: list[str]) -> None:
        super().__init__(pairs)
        self.repeated = repeated


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        repeated = []
        for key, _ in pairs:
            if key in seen:
                repeated.append(key)
            seen.add(key)
        return _DuplicateKeys(pairs, repeated)
    return result


def _parse_float(text: str) -> float | _BadNumber:
    value = float(text)
    return value if math.isfinite(value) else _BadNumber(text)


def _parse_int(text: str) -> int | _BadNumber:
    try:
        return int(text)
    except ValueError:  # more digits than Python's safe conversion limit
        return _BadNumber(text[:20] + "…")


_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_object_pairs,
    parse_float=_parse_float,
    parse_int=_parse_int,
    parse_constant=_BadNumber,
)


@dataclass(slots=True)
class Document:
    """One JSON value read from a file, and where it stands in it."""

    index: int
    value: Any
    prefix: str
    offset: int
    line: int


@dataclass(slots=True)
class ParsedFile:
    """The documents a file holds, the text they came from and the syntax issues found."""

    text: str | None
    documents: list[Document] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    multi: bool = False


def parse_bytes(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> ParsedFile:
    """Read a file's bytes into JSON documents, reporting every syntax problem."""
    if len(data) > max_bytes:
        return ParsedFile(
            None,
            issues=[
                Issue.make(
                    "AIC101", f"the file has {len(data)} bytes; the limit is {max_bytes} bytes"
                )
            ],
        )
    issues: list[Issue] = []
    if data.startswith(_BOM):
        issues.append(Issue.make("AIC108", "the file starts with a UTF-8 byte order mark"))
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        issues.append(
            Issue.make(
                "AIC102",
                f"byte 0x{data[error.start]:02x} at line {line} column {column} "
                f"(offset {error.start}) is not valid UTF-8",
            )
        )
        return ParsedFile(None, issues=issues)
    parsed = ParsedFile(text, issues=issues)
    _split_documents(text, parsed)
    if not parsed.documents and not any(i.severity == "error" for i in parsed.issues):
        parsed.issues.append(Issue.make("AIC107", "the file holds no JSON document"))
    surrogates = bool(_ESCAPED_SURROGATE.search(text))
    for document in parsed.documents:
        parsed.issues.extend(_check_values(document, max_depth))
        if surrogates:
            parsed.issues.extend(_lone_surrogates(document))
    return parsed


def _split_documents(text: str, parsed: ParsedFile) -> None:
    start = _skip_whitespace(text, 0)
    if start == len(text):
        return
    try:
        value, end = _decode(text, start)
    except json.JSONDecodeError as error:
        if _looks_like_json_lines(text):
            parsed.multi = True
            _split_lines(text, parsed)
        else:
            parsed.issues.append(_json_error(error, ""))
        return
    except RecursionError:
        parsed.issues.append(_too_deep_while_parsing(""))
        return
    rest = _skip_whitespace(text, end)
    if rest == len(text):
        parsed.documents.append(Document(0, value, "", start, text.count("\n", 0, start) + 1))
        return
    parsed.multi = True
    if "\n" not in text[start:end]:
        _split_lines(text, parsed)
    else:
        _split_concatenated(text, start, value, end, parsed)


def _looks_like_json_lines(text: str) -> bool:
    """Several non-blank lines, each starting a value at column 0: JSON Lines, not one document."""
    lines = [line for line in text.split("\n") if line.strip()]
    return len(lines) > 1 and all(line[0] in "{[" for line in lines)


def _lone_surrogates(document: Document) -> Iterator[Issue]:
    """Strings holding half of a UTF-16 pair: not Unicode text, so not processable further."""
    stack: list[tuple[Any, str]] = [(document.value, document.prefix)]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                yield Issue.make(
                    "AIC102", "the string holds a lone UTF-16 surrogate escape", pointer
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                at = child(pointer, key)
                if _SURROGATE.search(key):
                    yield Issue.make("AIC102", "the key holds a lone UTF-16 surrogate escape", at)
                stack.append((item, at))
        elif isinstance(value, list):
            stack.extend((item, f"{pointer}/{index}") for index, item in enumerate(value))


def _split_lines(text: str, parsed: ParsedFile) -> None:
    """JSON Lines: each non-blank line is one document; a bad line does not stop the rest."""
    offset = 0
    index = 0
    for line_number, line in enumerate(text.split("\n"), start=1):
        line_offset = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        prefix = f"/{index}"
        begin = _skip_whitespace(line, 0)
        try:
            value, end = _decode(line, begin)
            if _skip_whitespace(line, end) != len(line):
                raise json.JSONDecodeError("Extra data", line, _skip_whitespace(line, end))
        except json.JSONDecodeError as error:
            parsed.issues.append(_json_error(error, prefix, line_number))
        except RecursionError:
            parsed.issues.append(_too_deep_while_parsing(prefix))
        else:
            parsed.documents.append(
                Document(index, value, prefix, line_offset + begin, line_number)
            )
        index += 1


def _split_concatenated(text: str, start: int, first: Any, end: int, parsed: ParsedFile) -> None:
    """Documents one after another; a syntax error ends the reading of the rest."""
    parsed.documents.append(Document(0, first, "/0", start, text.count("\n", 0, start) + 1))
    index = 1
    position = _skip_whitespace(text, end)
    while position < len(text):
        prefix = f"/{index}"
        try:
            value, end = _decode(text, position)
        except json.JSONDecodeError as error:
            parsed.issues.append(_json_error(error, prefix))
            return
        except RecursionError:
            parsed.issues.append(_too_deep_while_parsing(prefix))
            return
        line = text.count("\n", 0, position) + 1
        parsed.documents.append(Document(index, value, prefix, position, line))
        index += 1
        position = _skip_whitespace(text, end)


def _decode(text: str, start: int) -> tuple[Any, int]:
    return _DECODER.raw_decode(text, start)


def _skip_whitespace(text: str, position: int) -> int:
    length = len(text)
    while position < length and text[position] in _WHITESPACE:
        position += 1
    return position


def _json_error(error: json.JSONDecodeError, prefix: str, line: int | None = None) -> Issue:
    where = (
        f"line {line} column {error.colno}" if line else f"line {error.lineno} column {error.colno}"
    )
    return Issue.make("AIC103", f"{where}: {error.msg}", prefix)


def _too_deep_while_parsing(prefix: str) -> Issue:
    return Issue.make("AIC105", "the JSON is nested too deeply to read", prefix)


def _check_values(document: Document, max_depth: int) -> Iterator[Issue]:
    """Walk one document for depth, bad numbers and repeated keys, with their pointers."""
    stack: list[tuple[Any, str, int]] = [(document.value, document.prefix, 1)]
    too_deep_reported = False
    if not isinstance(document.value, dict | list):
        yield Issue.make(
            "AIC109",
            f"the document is a JSON {_json_type(document.value)}, not an object or array",
            document.prefix,
        )
    while stack:
        value, pointer, depth = stack.pop()
        if isinstance(value, dict | list) and depth > max_depth:
            if not too_deep_reported:
                too_deep_reported = True
                yield Issue.make(
                    "AIC105", f"nesting exceeds the depth limit of {max_depth}", pointer
                )
            continue
        if isinstance(value, dict):
            if isinstance(value, _DuplicateKeys):
                for key in value.repeated:
                    yield Issue.make(
                        "AIC104", f"key {key!r} appears more than once", child(pointer, key)
                    )
            for key, item in value.items():
                if isinstance(item, dict | list | _BadNumber):
                    stack.append((item, f"{pointer}/{escape(key)}", depth + 1))
        elif isinstance(value, list):
            for position, item in enumerate(value):
                if isinstance(item, dict | list | _BadNumber):
                    stack.append((item, f"{pointer}/{position}", depth + 1))
        elif isinstance(value, _BadNumber):
            yield Issue.make(
                "AIC106", f"number {value.text} is not a finite value that fits", pointer
            )


def _json_type(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def has_bad_values(parsed: ParsedFile) -> set[int]:
    """Indexes of documents that a syntax error makes unfit for later layers."""
    broken: set[int] = set()
    for issue in parsed.issues:
        if issue.severity == "error" and issue.code in {
            "AIC102",
            "AIC104",
            "AIC105",
            "AIC106",
            "AIC109",
        }:
            broken.add(_document_of(issue.path, parsed.multi))
    return broken


def _document_of(pointer: str, multi: bool) -> int:
    if not multi:
        return 0
    head = pointer.split("/")[1] if pointer.count("/") >= 1 else "0"
    return int(head) if is_index(head) else 0
