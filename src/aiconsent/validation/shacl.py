"""Layer 4, shacl: schema/shapes.ttl over the RDF the jsonld layer produced, one run per file.

pySHACL is given an rdflib graph built from our own triples, never raw JSON-LD (rdflib's JSON-LD
parser would fetch remote contexts). Results are mapped back to JSON Pointers through the
subject -> pointer table the expander kept, and the compact term of the result path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, Final

from aiconsent.validation.issues import Issue
from aiconsent.validation.pointer import child
from aiconsent.validation.rdf import XSD_STRING, Triple
from aiconsent.vocabulary.resources import read_bytes

_SH: Final = "http://www.w3.org/ns/shacl#"
_SEVERITY_CODES: Final = {
    _SH + "Violation": "AIC401",
    _SH + "Warning": "AIC402",
    _SH + "Info": "AIC403",
}

Resolver = Callable[[str], Any]


@cache
def _shapes() -> Any:
    import rdflib

    graph = rdflib.Graph()
    graph.parse(data=read_bytes("shapes.ttl").decode("utf-8"), format="turtle")
    return graph


@cache
def _terms_by_iri() -> dict[str, str]:
    """Compact term for each IRI of the v1 context, scoped terms included (first term wins)."""
    from aiconsent.validation.jsonld import active_context

    names: dict[str, str] = {}
    seen: set[int] = set()
    pending = [active_context()]
    while pending:
        context = pending.pop(0)
        for name, definition in context.items():
            names.setdefault(definition.iri, name)
            if definition.scoped is not None and id(definition.scoped) not in seen:
                seen.add(id(definition.scoped))
                pending.append(definition.scoped)
    return names


def check_triples(
    triples: Iterable[Triple], pointers: dict[str, str], resolve: Resolver
) -> list[Issue]:
    """Run the shapes over the triples and return one issue per SHACL result."""
    import rdflib
    from pyshacl import validate as shacl_validate

    graph = rdflib.Graph()
    uri_cache: dict[str, Any] = {}

    def term(value: Any) -> Any:
        if isinstance(value, str):
            cached = uri_cache.get(value)
            if cached is None:
                cached = rdflib.BNode(value[2:]) if value.startswith("_:") else rdflib.URIRef(value)
                uri_cache[value] = cached
            return cached
        lexical, datatype = value
        if datatype == XSD_STRING:
            return rdflib.Literal(lexical, normalize=False)
        return rdflib.Literal(lexical, datatype=term(datatype), normalize=False)

    add = graph.add
    for subject, predicate, obj in triples:
        add((term(subject), term(predicate), term(obj)))
    if len(graph) == 0:
        return []
    conforms, results, _ = shacl_validate(
        graph,
        shacl_graph=_shapes(),
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        advanced=False,
        inplace=True,
    )
    if conforms and not _has_results(results):
        return []
    return _issues_from(results, pointers, resolve)


def _has_results(results: Any) -> bool:
    import rdflib

    return any(results.subjects(rdflib.RDF.type, rdflib.URIRef(_SH + "ValidationResult")))


def _issues_from(results: Any, pointers: dict[str, str], resolve: Resolver) -> list[Issue]:
    import rdflib

    sh = rdflib.Namespace(_SH)
    issues = []
    names = _terms_by_iri()
    for result in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = results.value(result, sh.focusNode)
        path = results.value(result, sh.resultPath)
        severity = str(results.value(result, sh.resultSeverity))
        message = results.value(result, sh.resultMessage)
        focus_key = f"_:{focus}" if isinstance(focus, rdflib.BNode) else str(focus)
        pointer = pointers.get(focus_key, "")
        if isinstance(path, rdflib.URIRef):
            name = names.get(str(path))
            if name is not None:
                target = resolve(pointer)
                if isinstance(target, dict) and name in target:
                    pointer = child(pointer, name)
        text = str(message) if message is not None else _default_message(results, result, path)
        issues.append(Issue.make(_SEVERITY_CODES.get(severity, "AIC401"), text, pointer))
    return issues


def _default_message(results: Any, result: Any, path: Any) -> str:
    import rdflib

    component = results.value(result, rdflib.URIRef(_SH + "sourceConstraintComponent"))
    what = str(component).rsplit("#", 1)[-1] if component is not None else "constraint"
    return f"{what} not satisfied on {path}"
