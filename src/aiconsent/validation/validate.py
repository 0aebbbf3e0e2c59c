"""The validator: runs the layers in order over each file and collects every issue.

Each document moves on to a later layer when the earlier ones left something it can read; once
an earlier layer reported an error at a pointer, later layers add no error at that pointer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiconsent.validation import schema as schema_layer
from aiconsent.validation.codes import LAYERS, Layer
from aiconsent.validation.issues import FileReport, Issue, ValidationReport
from aiconsent.validation.jsonld import GraphPart, Node, expand_node, nodes_of
from aiconsent.validation.pointer import is_index, split
from aiconsent.validation.rdf import Triple
from aiconsent.validation.sidecar_binding import check_binding, content_of
from aiconsent.validation.syntax import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    ParsedFile,
    has_bad_values,
    parse_bytes,
)

ALL_LAYERS: tuple[Layer, ...] = ("syntax", "schema", "jsonld", "shacl", "semantic", "card")


class InputError(Exception):
    """A file that cannot be read at all: missing, a folder, or not permitted."""


@dataclass(frozen=True, slots=True)
class Options:
    """How to validate: limits, which layers to run, whether warnings fail."""

    strict: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    layers: tuple[Layer, ...] = ALL_LAYERS


def validate(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    layers: Sequence[Layer] = ALL_LAYERS,
) -> ValidationReport:
    """Validate one or more files and return every issue found.

    Raises InputError for a file that cannot be read; a file that can be read but is not a
    valid document gives issues, never an exception.
    """
    options = Options(strict, max_bytes, max_depth, _checked_layers(layers))
    paths = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
    return ValidationReport(tuple(validate_file(path, options) for path in paths), strict)


def _checked_layers(layers: Sequence[str]) -> tuple[Layer, ...]:
    unknown = [layer for layer in layers if layer not in LAYERS]
    if unknown:
        raise ValueError(f"unknown layer(s): {', '.join(unknown)}")
    return tuple(layer for layer in ALL_LAYERS if layer in layers or layer == "syntax")


def validate_file(path: str | os.PathLike[str], options: Options = Options()) -> FileReport:
    """Validate one file from disk."""
    name = os.fspath(path)
    file = Path(name)
    try:
        size = file.stat().st_size
        if file.is_dir():
            raise InputError(f"{name}: is a folder, not a file")
        if size > options.max_bytes:
            issue = Issue.make(
                "AIC101", f"the file has {size} bytes; the limit is {options.max_bytes} bytes"
            )
            return FileReport(name, (issue,))
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except OSError as error:
        raise InputError(f"{name}: cannot be read ({error.strerror or error})") from None
    from aiconsent.cards.card_validation import validate_card

    card = validate_card(data, name, options)  # a Croissant or Hugging Face card (spec §10)
    if card is not None:
        return FileReport(name, _ordered(card), 1)
    return validate_bytes(data, name, options, base=file.resolve().as_uri(), file=file)


def _file_layers(nodes: list[Node], file: Path, options: Options) -> list[Issue]:
    """Checks that need the file's place on disk: a sidecar against the content beside it
    (spec §3.4, AIC515) and a DatasetConsent against its manifest (spec §10.6)."""
    issues: list[Issue] = []
    content = content_of(file)
    if content is not None and "semantic" in options.layers:
        issues.extend(check_binding(nodes, content))
    if "card" in options.layers:
        issues.extend(_card_layer(nodes, file))
    return issues


def _card_layer(nodes: list[Node], file: Path) -> list[Issue]:
    """Each sound DatasetConsent against its manifest (spec §10.6)."""
    from aiconsent.validation.card_consistency import check_consistency

    issues: list[Issue] = []
    for node in nodes:
        if node.value.get("type") == "DatasetConsent":
            issues.extend(check_consistency(node.value, file, node.pointer.__add__))
    return issues


def validate_bytes(
    data: bytes,
    name: str = "<bytes>",
    options: Options = Options(),
    *,
    base: str | None = None,
    file: Path | None = None,
) -> FileReport:
    """Validate the bytes of one file; base is its URL, for relative references; file, when
    the bytes were read from disk, enables the checks against what lies beside it."""
    parsed = parse_bytes(data, max_bytes=options.max_bytes, max_depth=options.max_depth)
    issues = list(parsed.issues)
    issues.extend(_later_layers(parsed, options, base or f"file:///{name.lstrip('/')}", file))
    return FileReport(name, _ordered(issues), len(parsed.documents))


def validate_value(value: Any, name: str = "<value>", options: Options = Options()) -> FileReport:
    """Validate a document that is already parsed JSON (a dict or a list)."""
    import json

    return validate_bytes(json.dumps(value).encode("utf-8"), name, options)


def _later_layers(
    parsed: ParsedFile, options: Options, base: str, file: Path | None = None
) -> list[Issue]:
    broken = has_bad_values(parsed)
    documents = [document for document in parsed.documents if document.index not in broken]
    issues: list[Issue] = []
    schema_errors: list[str] = []
    if "schema" in options.layers:
        for document in documents:
            if isinstance(document.value, dict | list):
                found = schema_layer.check_document(document.value, document.prefix)
                issues.extend(found)
                schema_errors.extend(i.path for i in found if i.severity == "error")
    nodes = [
        node
        for document in documents
        for node in nodes_of(document.value, document.prefix, document.index)
    ]
    clean_positions = {
        position
        for position, node in enumerate(nodes)
        if not _has_error_within(node.pointer, schema_errors)
    }
    clean = [nodes[position] for position in sorted(clean_positions)]
    if "jsonld" in options.layers:
        parts: list[tuple[Node, GraphPart]] = []
        for index, node in enumerate(nodes):
            part, found = expand_node(node, f"n{index}", base)
            issues.extend(found)
            if (
                part is not None
                and index in clean_positions
                and not any(i.severity == "error" for i in found)
            ):
                parts.append((node, part))
        if "shacl" in options.layers and parts:
            issues.extend(_shacl(parts, parsed))
    if "semantic" in options.layers and clean:
        from aiconsent.validation.semantic import check_nodes

        issues.extend(check_nodes(clean))
    if file is not None and clean:
        errors = [issue.path for issue in issues if issue.severity == "error"]
        sound = [node for node in clean if not _has_error_within(node.pointer, errors)]
        issues.extend(_file_layers(sound, file, options))
    return issues


def _shacl(parts: list[tuple[Node, GraphPart]], parsed: ParsedFile) -> list[Issue]:
    from aiconsent.validation.shacl import check_triples

    triples: list[Triple] = []
    pointers: dict[str, str] = {}
    for _, part in parts:
        triples.extend(part.triples)
        for subject, pointer in part.pointers.items():
            pointers.setdefault(subject, pointer)

    def resolve(pointer: str) -> Any:
        return _resolve(parsed, pointer)

    return check_triples(triples, pointers, resolve)


def _resolve(parsed: ParsedFile, pointer: str) -> Any:
    tokens = split(pointer)
    if parsed.multi:
        if not tokens or not is_index(tokens[0]):
            return None
        matches = [d for d in parsed.documents if d.index == int(tokens[0])]
        if not matches:
            return None
        value: Any = matches[0].value
        tokens = tokens[1:]
    else:
        if not parsed.documents:
            return None
        value = parsed.documents[0].value
    for token in tokens:
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and is_index(token) and int(token) < len(value):
            value = value[int(token)]
        else:
            return None
    return value


def _has_error_within(pointer: str, errors: list[str]) -> bool:
    """Whether an error lies at pointer or below it (errors is short; documents are many)."""
    if not errors:
        return False
    below = pointer + "/"
    return any(error == pointer or error.startswith(below) for error in errors)


def _ordered(issues: list[Issue]) -> tuple[Issue, ...]:
    """Sort issues, drop exact repeats, and keep one layer's error per pointer."""
    result: list[Issue] = []
    errors_by_pointer: dict[str, str] = {}
    seen: set[tuple[str, str, str]] = set()
    for issue in sorted(issues, key=Issue.sort_key):
        key = (issue.code, issue.path, issue.message)
        if key in seen:
            continue
        seen.add(key)
        if issue.severity == "error":
            first_layer = errors_by_pointer.setdefault(issue.path, issue.layer)
            if first_layer != issue.layer:
                continue
        result.append(issue)
    return tuple(result)
