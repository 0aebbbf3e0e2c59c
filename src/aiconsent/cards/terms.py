"""The v1 context as a lookup table: which IRI each compact term stands for, and how its values
are written (as IRIs, typed literals or plain values). Used to move a DatasetConsent between its
compact form and the prefixed form it takes inside a Croissant card."""

from __future__ import annotations

from functools import cache
from typing import Any, Final

from aiconsent.vocabulary.documents import CONTEXT_URL, load_document

AIC: Final = "https://w3id.org/aiconsent#"
SCHEMA: Final = "https://schema.org/"
HTTP_SCHEMA: Final = "http://schema.org/"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
DPV: Final = "https://w3id.org/dpv#"
ODRL: Final = "http://www.w3.org/ns/odrl/2/"
DATATYPES: Final = frozenset({"xsd:dateTime", "xsd:date", "xsd:duration"})


@cache
def v1_context() -> dict[str, Any]:
    """The term definitions of the v1 context."""
    context: dict[str, Any] = load_document(CONTEXT_URL)["@context"]
    return context


def _prefixes() -> dict[str, str]:
    return {
        term: value
        for term, value in v1_context().items()
        if isinstance(value, str) and value.endswith(("#", "/"))
    }


def expand_iri(compact: str) -> str:
    """`aic:x` → the full IRI, with the prefixes of the v1 context."""
    prefix, _, local = compact.partition(":")
    namespace = _prefixes().get(prefix)
    return namespace + local if namespace is not None and not local.startswith("//") else compact


def definition(term: str, scope: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """A term's definition as a dict ({"@id": …}), looked up in scope first, then the context."""
    for table in (scope or {}, v1_context()):
        value = table.get(term)
        if isinstance(value, str):
            return {"@id": value}
        if isinstance(value, dict):
            return value
    return None


def term_iri(term: str, scope: dict[str, Any] | None = None) -> str | None:
    """The full IRI of a compact term (None for a term the context does not define)."""
    found = definition(term, scope)
    return None if found is None else expand_iri(str(found["@id"]))


def nested_scope(term: str, scope: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The scoped context that applies to the keys inside an object value of `term`."""
    found = definition(term, scope)
    if found is None or found.get("@type") == "@vocab":
        return None
    nested = found.get("@context")
    return nested if isinstance(nested, dict) else None


@cache
def iri_definitions() -> dict[str, dict[str, Any]]:
    """Full IRI → definition, over the context and its scoped contexts (first one wins)."""
    table: dict[str, dict[str, Any]] = {}
    scopes: list[dict[str, Any]] = [v1_context()]
    for value in v1_context().values():
        nested = value.get("@context") if isinstance(value, dict) else None
        if isinstance(nested, dict) and value.get("@type") != "@vocab":
            scopes.append(nested)
    for scope in scopes:
        for term in scope:
            if term.startswith("@"):
                continue
            found = definition(term, scope)
            if found is not None and "@id" in found:
                table.setdefault(expand_iri(str(found["@id"])), found)
    return table


def term_order() -> dict[str, int]:
    """The position of each term in the context, for a stable key order in output."""
    return {term: index for index, term in enumerate(v1_context())}
