"""The one table of URLs aiconsent resolves: each maps to a file shipped in schema/.

The JSON-LD document loader and the JSON Schema registry are both built from it. A URL not in
the table is refused; nothing here opens a network connection.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Final

from aiconsent.vocabulary.resources import read_bytes, read_json

CONTEXT_URL: Final = "https://w3id.org/aiconsent/v1"
SCHEMA_URL: Final = "https://w3id.org/aiconsent/v1/schema.json"


class UnknownDocumentError(LookupError):
    """A URL that aiconsent does not ship and will not fetch."""

    def __init__(self, url: str) -> None:
        super().__init__(f"{url} is not shipped with aiconsent and is never fetched")
        self.url = url


@cache
def document_table() -> dict[str, str]:
    """Return URL -> file (inside schema/) for every shipped document."""
    table = read_json("documents.json")["documents"]
    return {url: entry["file"] for url, entry in table.items()}


def normalise_url(url: str) -> str:
    """Drop a fragment and a trailing slash difference so equivalent URLs share one entry."""
    base = url.split("#", 1)[0]
    table = document_table()
    if base in table:
        return base
    if base.endswith("/") and base[:-1] in table:
        return base[:-1]
    return base


def is_known(url: str) -> bool:
    """Whether the URL resolves to a shipped file."""
    return normalise_url(url) in document_table()


@cache
def load_document(url: str) -> Any:
    """Return the parsed JSON of a shipped document; raise UnknownDocumentError otherwise."""
    key = normalise_url(url)
    file = document_table().get(key)
    if file is None:
        raise UnknownDocumentError(url)
    return json.loads(read_bytes(file))


def json_schema_registry() -> Any:
    """A referencing.Registry of every shipped JSON Schema, for python-jsonschema users.

    The validator itself uses jsonschema-rs with the same table (see validation/schema.py).
    """
    from referencing import Registry, Resource

    def retrieve(uri: str) -> Resource[Any]:
        return Resource.from_contents(load_document(uri))

    return Registry(retrieve=retrieve)  # type: ignore[call-arg]


def jsonld_loader() -> Any:
    """A pyld document loader that serves only the shipped documents (never the network)."""
    import copy

    from pyld.documentloader.frozen import FrozenDocumentLoader

    return FrozenDocumentLoader(
        documents={url: copy.deepcopy(load_document(url)) for url in document_table()}
    )
