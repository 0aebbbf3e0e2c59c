"""Layer 3, jsonld: expand documents with the packaged contexts only, and produce their RDF.

Documents that use exactly the aiconsent v1 context are expanded by a small native expander
built from context.jsonld itself (a test checks it against pyld on every example and vector);
anything else goes through pyld with a document loader that serves only the package's URL
table. A context outside that table is an error and is never fetched. A key the context does
not define is an error, so a typo is reported instead of silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final
from urllib.parse import urljoin

from aiconsent.validation.issues import Issue
from aiconsent.validation.pointer import child
from aiconsent.validation.rdf import (
    RDF_TYPE,
    XSD_BOOLEAN,
    XSD_DOUBLE,
    XSD_INTEGER,
    XSD_STRING,
    Literal,
    Term,
    Triple,
)
from aiconsent.vocabulary.documents import (
    CONTEXT_URL,
    is_known,
    jsonld_loader,
    load_document,
)

_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")
_NATIVE_KEYWORDS: Final = frozenset({"@context", "@id", "@type"})


@dataclass(frozen=True, slots=True)
class TermDefinition:
    """What one context term means: its IRI, how its values are typed, its scoped terms."""

    iri: str
    type: str | None = None
    scoped: dict[str, TermDefinition] | None = None
    keyword: str | None = None


@dataclass(slots=True)
class Node:
    """A top-level node of a document: a declaration or a dataset consent section."""

    value: dict[str, Any]
    pointer: str
    context: Any
    document: int
    context_pointer: str = ""


@dataclass(slots=True)
class GraphPart:
    """The RDF of one node, and how its subjects map back to JSON Pointers."""

    triples: list[Triple] = field(default_factory=list)
    pointers: dict[str, str] = field(default_factory=dict)


def nodes_of(value: Any, prefix: str, document: int) -> list[Node]:
    """The top-level nodes of a document: itself, its array items, or its @graph items."""
    if isinstance(value, list):
        return [
            Node(
                item,
                child(prefix, index),
                item.get("@context"),
                document,
                child(child(prefix, index), "@context"),
            )
            for index, item in enumerate(value)
            if isinstance(item, dict)
        ]
    if isinstance(value, dict) and isinstance(value.get("@graph"), list):
        context = value.get("@context")
        graph_pointer = child(prefix, "@graph")
        return [
            Node(
                item,
                child(graph_pointer, index),
                item.get("@context", context),
                document,
                child(child(graph_pointer, index), "@context")
                if "@context" in item
                else child(prefix, "@context"),
            )
            for index, item in enumerate(value["@graph"])
            if isinstance(item, dict)
        ]
    if isinstance(value, dict):
        return [Node(value, prefix, value.get("@context"), document, child(prefix, "@context"))]
    return []


# -- the native expander -------------------------------------------------------------------


@cache
def active_context() -> dict[str, TermDefinition]:
    """The aiconsent v1 context as term definitions, read from context.jsonld."""
    raw = load_document(CONTEXT_URL)["@context"]
    return _definitions(raw, {})


def _definitions(
    raw: dict[str, Any], outer: dict[str, TermDefinition]
) -> dict[str, TermDefinition]:
    prefixes = {
        key: value
        for key, value in raw.items()
        if isinstance(value, str) and not key.startswith("@")
    }
    result: dict[str, TermDefinition] = dict(outer)

    def expand(value: str) -> str:
        if value.startswith("@"):
            return value
        prefix, colon, suffix = value.partition(":")
        if colon and prefix in prefixes and not suffix.startswith("//"):
            return expand(prefixes[prefix]) + suffix
        if colon and prefix in outer and not suffix.startswith("//"):
            return outer[prefix].iri + suffix
        return value

    for key, value in raw.items():
        if key.startswith("@"):
            continue
        if isinstance(value, str):
            iri = expand(value)
            result[key] = TermDefinition(iri, keyword=iri if iri.startswith("@") else None)
        elif isinstance(value, dict):
            iri = expand(value["@id"])
            type_ = value.get("@type")
            scoped = None
            if isinstance(value.get("@context"), dict):
                scoped = _definitions(value["@context"], {**outer, **result})
            result[key] = TermDefinition(iri, expand(type_) if type_ else None, scoped)
    return result


def uses_native_context(context: Any) -> bool:
    """Whether a node's context is exactly the aiconsent v1 context (or absent)."""
    if context is None:
        return True
    if isinstance(context, str):
        return context == CONTEXT_URL
    return isinstance(context, list) and len(context) == 1 and context[0] == CONTEXT_URL


class _Expander:
    """Turns one node in the v1 context into triples, recording pointers and dropped keys."""

    def __init__(self, label: str, base: str) -> None:
        self.label = label
        self.base = base
        self.counter = 0
        self.part = GraphPart()
        self.dropped: list[str] = []

    def blank(self) -> str:
        self.counter += 1
        return f"_:{self.label}b{self.counter}"

    def node(
        self, value: dict[str, Any], pointer: str, context: dict[str, TermDefinition]
    ) -> str | None:
        identifier = value.get("id", value.get("@id"))
        subject: str | None
        if isinstance(identifier, str):
            subject = self.iri(identifier, context, vocab=False)
            if subject is None:
                subject = self.blank()
        else:
            subject = self.blank()
        self.part.pointers.setdefault(subject, pointer)
        for key in sorted(value):
            item = value[key]
            if key in _NATIVE_KEYWORDS or context.get(key, _NO_TERM).keyword == "@id":
                if key == "@type" or context.get(key, _NO_TERM).keyword == "@type":
                    self.types(subject, item, context)
                continue
            definition = context.get(key)
            if definition is None:
                if key.startswith("@") or not self._expands_to_iri(key, context):
                    self.dropped.append(child(pointer, key))
                    continue
                definition = TermDefinition(self._compact(key, context))
            if definition.keyword == "@type":
                self.types(subject, item, context)
                continue
            inner = {**context, **definition.scoped} if definition.scoped else context
            values = item if isinstance(item, list) else [item]
            for index, element in enumerate(values):
                at = (
                    child(child(pointer, key), index)
                    if isinstance(item, list)
                    else child(pointer, key)
                )
                term = self.value(element, at, definition, inner)
                if term is not None:
                    self.part.triples.append((subject, definition.iri, term))
        return subject

    def types(self, subject: str, item: Any, context: dict[str, TermDefinition]) -> None:
        for element in item if isinstance(item, list) else [item]:
            if isinstance(element, str):
                iri = self.iri(element, context, vocab=True)
                if iri is not None:
                    self.part.triples.append((subject, RDF_TYPE, iri))

    def value(
        self,
        element: Any,
        pointer: str,
        definition: TermDefinition,
        context: dict[str, TermDefinition],
    ) -> Term | None:
        if element is None:
            return None
        if isinstance(element, dict):
            return self.node(element, pointer, context)
        datatype = definition.type if _is_datatype(definition.type) else None
        if isinstance(element, bool):
            return Literal("true" if element else "false", datatype or XSD_BOOLEAN)
        if isinstance(element, int | float):
            return _number(element, datatype)
        if isinstance(element, str):
            if definition.type == "@id":
                return self.iri(element, context, vocab=False)
            if definition.type == "@vocab":
                return self.iri(element, context, vocab=True)
            return Literal(element, definition.type or XSD_STRING)
        return None

    def iri(self, value: str, context: dict[str, TermDefinition], *, vocab: bool) -> str | None:
        if vocab and value in context:
            return context[value].iri
        if value.startswith("_:"):
            return f"_:{self.label}{value[2:]}"
        expanded = self._compact(value, context)
        if _ABSOLUTE_IRI.match(expanded):
            return expanded
        resolved = urljoin(self.base, expanded) if self.base else expanded
        return resolved if _ABSOLUTE_IRI.match(resolved) else None

    @staticmethod
    def _compact(value: str, context: dict[str, TermDefinition]) -> str:
        prefix, colon, suffix = value.partition(":")
        if colon and prefix in context and not suffix.startswith("//"):
            return context[prefix].iri + suffix
        return value

    def _expands_to_iri(self, key: str, context: dict[str, TermDefinition]) -> bool:
        return ":" in key and bool(_ABSOLUTE_IRI.match(self._compact(key, context)))


_NO_TERM: Final = TermDefinition("")


def _is_datatype(type_: str | None) -> bool:
    return type_ is not None and not type_.startswith("@")


def _number(value: float, datatype: str | None) -> Literal:
    if isinstance(value, float) and not value.is_integer():
        return Literal(_canonical_double(value), datatype or XSD_DOUBLE)
    if abs(value) >= 1e21:
        return Literal(_canonical_double(float(value)), datatype or XSD_DOUBLE)
    return Literal(str(int(value)), datatype or XSD_INTEGER)


def _canonical_double(value: float) -> str:
    return re.sub(r"(\d)0*E\+?(-)?0*(\d)", r"\1E\2\3", f"{value:1.15E}")


def _needs_pyld(value: Any) -> bool:
    """Whether a node uses JSON-LD features the native expander leaves to pyld."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if key.startswith("@") and key not in _NATIVE_KEYWORDS:
                    return True
                if key == "@context" and item is not value:
                    return True
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return False


# -- pyld, for every other context ---------------------------------------------------------


@cache
def _loader() -> Any:
    return jsonld_loader()


def _context_urls(context: Any) -> Iterator[str]:
    if isinstance(context, str):
        yield context
    elif isinstance(context, list):
        for item in context:
            yield from _context_urls(item)


def _nested_context_urls(value: Any) -> Iterator[tuple[str, str]]:
    """Every context URL a node refers to, with the pointer of the @context holding it."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, pointer = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if key == "@context":
                    for url in _context_urls(inner):
                        yield url, child(pointer, key)
                stack.append((inner, child(pointer, key)))
        elif isinstance(item, list):
            stack.extend((inner, child(pointer, index)) for index, inner in enumerate(item))


def _expand_with_pyld(node: Node, label: str, base: str) -> tuple[GraphPart | None, list[Issue]]:
    from pyld import jsonld

    issues: list[Issue] = []
    document = dict(node.value)
    if "@context" not in document and node.context is not None:
        document["@context"] = node.context
    for url, at in _nested_context_urls(document):
        if not is_known(url):
            inherited = "@context" not in node.value and at.startswith("/@context")
            pointer = (
                node.context_pointer + at.removeprefix("/@context")
                if inherited
                else node.pointer + at
            )
            issues.append(
                Issue.make(
                    "AIC301",
                    f"context {url} is not shipped with aiconsent; it was not fetched",
                    pointer,
                )
            )
    if issues:
        return None, issues
    dropped: list[str | None] = []
    options = {"documentLoader": _loader(), "base": base}
    try:
        expanded = jsonld.expand(document, options, on_property_dropped=dropped.append)
        dataset = jsonld.to_rdf(expanded, {"documentLoader": _loader()})
    except jsonld.JsonLdError as error:
        if "loading" in str(getattr(error, "code", "")):
            message = (
                f"a context could not be loaded offline ({_pyld_message(error)}); "
                "it was not fetched"
            )
            return None, [Issue.make("AIC301", message, node.pointer)]
        return None, [Issue.make("AIC303", _pyld_message(error), node.pointer)]
    except RecursionError:
        return None, [
            Issue.make("AIC303", "the document is nested too deeply to expand", node.pointer)
        ]
    for key in dropped:
        for pointer in _pointers_of_key(node.value, node.pointer, key):
            issues.append(_dropped_issue(pointer))
    if issues:
        return None, issues
    part = GraphPart()
    for quad in dataset.get("@default", []):
        subject = str(_pyld_term(quad["subject"], label))
        predicate = str(quad["predicate"]["value"])
        part.triples.append((subject, predicate, _pyld_term(quad["object"], label)))
        part.pointers.setdefault(subject, node.pointer)
    return part, []


def _pyld_term(term: dict[str, Any], label: str) -> Term:
    if term["type"] == "blank node":
        return f"_:{label}{term['value'][2:]}"
    if term["type"] == "IRI":
        return str(term["value"])
    return Literal(str(term["value"]), str(term.get("datatype") or XSD_STRING))


def _pyld_message(error: Any) -> str:
    code = getattr(error, "code", None)
    cause = getattr(error, "cause", None)
    text = str(error.args[0]) if error.args else str(error)
    detail = f": {cause}" if cause and not code else ""
    return f"{code or 'error'}: {text.splitlines()[0]}{detail}"


def _pointers_of_key(value: Any, pointer: str, key: str | None) -> Iterator[str]:
    if key is None:
        yield pointer
        return
    stack: list[tuple[Any, str]] = [(value, pointer)]
    found = False
    while stack:
        item, at = stack.pop()
        if isinstance(item, dict):
            for name, inner in item.items():
                if name == key:
                    found = True
                    yield child(at, name)
                elif name != "@context":
                    stack.append((inner, child(at, name)))
        elif isinstance(item, list):
            stack.extend((inner, child(at, index)) for index, inner in enumerate(item))
    if not found:
        yield pointer


def _dropped_issue(pointer: str) -> Issue:
    key = pointer.rsplit("/", 1)[-1]
    return Issue.make(
        "AIC302",
        f"{key!r} is not defined by the document's context; JSON-LD would drop it silently",
        pointer,
    )


# -- the layer -----------------------------------------------------------------------------


def expand_node(node: Node, label: str, base: str) -> tuple[GraphPart | None, list[Issue]]:
    """Expand one node to RDF; return its graph part, or None and the issues that stop it.

    base is the document's own URL (file:// for a local file): relative references, such as a
    manifest path, resolve against it as JSON-LD says.
    """
    issues: list[Issue] = []
    if node.context is None:
        issues.append(
            Issue.make(
                "AIC304", "no @context; read with https://w3id.org/aiconsent/v1", node.pointer
            )
        )
    if uses_native_context(node.context) and not _needs_pyld(node.value):
        expander = _Expander(label, base)
        expander.node(node.value, node.pointer, active_context())
        if expander.dropped:
            issues.extend(_dropped_issue(pointer) for pointer in expander.dropped)
            return None, issues
        return expander.part, issues
    node_for_pyld = (
        node
        if node.context is not None
        else Node(node.value, node.pointer, CONTEXT_URL, node.document)
    )
    part, problems = _expand_with_pyld(node_for_pyld, label, base)
    return part, issues + problems


def native_triples(
    value: dict[str, Any], label: str = "n0", base: str = "file:///input.jsonld"
) -> list[Triple]:
    """The native expander's triples for one node (used by tests against pyld)."""
    expander = _Expander(label, base)
    expander.node(value, "", active_context())
    return expander.part.triples


def pyld_triples(
    value: dict[str, Any], label: str = "n0", base: str = "file:///input.jsonld"
) -> list[Triple]:
    """pyld's triples for one node, with the offline loader (used by tests)."""
    part, issues = _expand_with_pyld(
        Node(value, "", value.get("@context", CONTEXT_URL), 0), label, base
    )
    if part is None:
        raise ValueError("; ".join(issue.message for issue in issues))
    return part.triples
