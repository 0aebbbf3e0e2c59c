"""A minimal RDF term model shared by the JSON-LD and SHACL layers.

Terms are plain Python values so that producing them is cheap: an IRI is a str, a blank node
is a str starting with "_:", and a literal is a Literal(lexical, datatype).
"""

from __future__ import annotations

from typing import NamedTuple, TypeAlias


class Literal(NamedTuple):
    """An RDF literal: its lexical form and datatype IRI."""

    lexical: str
    datatype: str


Term: TypeAlias = str | Literal
Triple: TypeAlias = tuple[str, str, Term]

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
XSD_BOOLEAN = XSD + "boolean"
XSD_INTEGER = XSD + "integer"
XSD_DOUBLE = XSD + "double"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def is_blank(term: Term) -> bool:
    """Whether a term is a blank node label."""
    return isinstance(term, str) and term.startswith("_:")
