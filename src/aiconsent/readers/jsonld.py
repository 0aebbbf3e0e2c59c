"""aiconsent's own documents (JSON-LD, JSON, JSON Lines) read into declarations.

A node in which the syntax, schema or jsonld layer finds an error is not used: it becomes an
unreadable signal (spec §6.2 rule 4), so it can never turn into a permission. So does an error
that belongs to no node (a line of JSON Lines that does not parse, say).
"""

from __future__ import annotations

from aiconsent.model.found import Found, ReadResult, Unreadable
from aiconsent.validation.codes import Layer
from aiconsent.validation.issues import Issue
from aiconsent.validation.jsonld import nodes_of
from aiconsent.validation.syntax import parse_bytes
from aiconsent.validation.validate import Options, validate_bytes

_READ_LAYERS: tuple[Layer, ...] = ("syntax", "schema", "jsonld")


def read_jsonld(data: bytes, source: str, base: str | None = None) -> ReadResult:
    """Every well-formed node of the file; an unreadable marker for each broken part."""
    report = validate_bytes(data, source, Options(layers=_READ_LAYERS), base=base)
    errors = [issue for issue in report.issues if issue.severity == "error"]
    result = ReadResult()
    placed: set[Issue] = set()
    for document in parse_bytes(data).documents:
        for node in nodes_of(document.value, document.prefix, document.index):
            inside = [
                e for e in errors if e.path == node.pointer or e.path.startswith(node.pointer + "/")
            ]
            placed.update(inside)
            if inside:
                result.unreadable.append(Unreadable(source, _describe(inside[0]), "jsonld"))
            elif node.value.get("type") == "ConsentDeclaration":
                result.found.append(Found(node.value, source, node.value.get("carrier", "jsonld")))
            else:
                result.other.append(node.value)
    for issue in errors:
        if issue not in placed:
            result.unreadable.append(Unreadable(source, _describe(issue), "jsonld"))
    return result


def _describe(issue: Issue) -> str:
    return f"{issue.path or '/'}: [{issue.code}] {issue.message}"
