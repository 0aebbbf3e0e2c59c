"""The native expander gives the same RDF graph as pyld, on every example and valid vector."""

from __future__ import annotations

from typing import Any

import pytest
import rdflib
from rdflib.compare import isomorphic

from aiconsent.validation.jsonld import native_triples, pyld_triples
from aiconsent.validation.rdf import XSD_STRING, Triple
from documents import declaration, example_files, nodes_in, valid_vector_files

NODES = [
    (f"{path.name}#{index}", node)
    for path in [*example_files(), *valid_vector_files()]
    for index, node in enumerate(nodes_in(path))
]


def graph(triples: list[Triple]) -> rdflib.Graph:
    result = rdflib.Graph()

    def term(value: Any) -> Any:
        if isinstance(value, str):
            return rdflib.BNode(value[2:]) if value.startswith("_:") else rdflib.URIRef(value)
        lexical, datatype = value
        return rdflib.Literal(
            lexical, datatype=None if datatype == XSD_STRING else rdflib.URIRef(datatype)
        )

    for subject, predicate, obj in triples:
        result.add((term(subject), rdflib.URIRef(predicate), term(obj)))
    return result


@pytest.mark.parametrize(("name", "node"), NODES, ids=[name for name, _ in NODES])
def test_native_expansion_matches_pyld(name: str, node: dict[str, Any]) -> None:
    """Same triples up to blank-node labels: the fast path changes nothing."""
    if "@context" not in node or node["@context"] is None:
        node = {**node, "@context": "https://w3id.org/aiconsent/v1"}
    native = graph(native_triples(node))
    reference = graph(pyld_triples(node))
    assert len(native) == len(reference)
    assert isomorphic(native, reference)


def test_a_declaration_expands_to_an_odrl_policy() -> None:
    """The expanded declaration uses ODRL permission/action and is typed as an aic class."""
    node = declaration(permission=[{"purpose": "search"}], prohibition=None)
    triples = set(native_triples(node))
    predicates = {predicate for _, predicate, _ in triples}
    assert "http://www.w3.org/ns/odrl/2/permission" in predicates
    assert any(obj == "https://w3id.org/aiconsent#search" for _, _, obj in triples)
