"""schema/ is the single copy of the vocabulary: its files agree with each other and the spec."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiconsent.validation.codes import CODES
from aiconsent.vocabulary.documents import document_table, load_document
from aiconsent.vocabulary.resources import read_bytes

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema"
SPEC = (ROOT / "spec.md").read_text(encoding="utf-8")
CONTEXT = json.loads((SCHEMA / "context.jsonld").read_text(encoding="utf-8"))["@context"]
AIC = "https://w3id.org/aiconsent#"


def context_terms(context: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (term, IRI) the context defines, scoped contexts included."""
    prefixes = {key: value for key, value in CONTEXT.items() if isinstance(value, str)}
    for key, value in context.items():
        if key.startswith("@"):
            continue
        iri = value if isinstance(value, str) else value["@id"]
        prefix, _, suffix = iri.partition(":")
        yield (
            key,
            prefixes[prefix] + suffix if prefix in prefixes and not iri.startswith("@") else iri,
        )
        if isinstance(value, dict) and isinstance(value.get("@context"), dict):
            yield from context_terms(value["@context"])


TERMS = sorted(set(context_terms(CONTEXT)))
PREFIXES = {"aic", "odrl", "dpv", "dct", "schema", "xsd", "id", "type"}


@pytest.mark.parametrize("term", sorted({name for name, _ in TERMS} - PREFIXES))
def test_every_context_term_is_defined_in_the_spec(term: str) -> None:
    """spec.md defines each term of context.jsonld (written in backticks)."""
    assert f"`{term}`" in SPEC


def test_every_aic_iri_is_defined_in_vocab_ttl() -> None:
    """vocab.ttl describes every aic: IRI the context maps a term to."""
    import rdflib

    graph = rdflib.Graph().parse(SCHEMA / "vocab.ttl", format="turtle")
    subjects = {str(subject) for subject in graph.subjects()}
    missing = sorted({iri for _, iri in TERMS if iri.startswith(AIC)} - subjects)
    assert not missing


def test_every_issue_code_is_in_the_spec() -> None:
    """spec.md documents every validator issue code."""
    missing = [code for code in CODES if f"`{code}`" not in SPEC]
    assert not missing


def _schema_properties(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            yield from _schema_properties(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_properties(item)


def test_every_json_schema_property_is_a_context_term() -> None:
    """Nothing the JSON Schema allows is left undefined by the JSON-LD context."""
    schema = json.loads((SCHEMA / "aiconsent.schema.json").read_text(encoding="utf-8"))
    names = {name for name, _ in TERMS} | {"@context", "@graph"}
    assert not sorted(set(_schema_properties(schema)) - names)


def test_every_enumerated_value_is_a_scoped_term() -> None:
    """Each enum value of the schema (purposes, roles, ...) expands to an aic: IRI."""
    schema = json.loads((SCHEMA / "aiconsent.schema.json").read_text(encoding="utf-8"))
    scoped = {name for name, iri in TERMS if iri.startswith(AIC)}
    for name in ("purpose", "role", "basis", "visibility", "constraint", "duty", "carrier"):
        assert set(schema["$defs"][name]["enum"]) <= scoped, name


def test_purpose_tree_in_vocab_ttl() -> None:
    """The SKOS tree in vocab.ttl is the tree of the brief."""
    import rdflib

    graph = rdflib.Graph().parse(SCHEMA / "vocab.ttl", format="turtle")
    broader = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#broader")
    edges = {
        (str(child).removeprefix(AIC), str(parent).removeprefix(AIC))
        for child, parent in graph.subject_objects(broader)
        if str(child).startswith(AIC)
    }
    assert {
        ("ai-use", "tdm"),
        ("search", "tdm"),
        ("ai-training", "ai-use"),
        ("ai-inference", "ai-use"),
        ("ai-index", "ai-use"),
        ("genai-training", "ai-training"),
        ("non-generative-training", "ai-training"),
    } <= edges


def test_purposes_json_is_the_tree_of_vocab_ttl() -> None:
    """The engine's purpose table and the SKOS scheme state the same tree."""
    import rdflib

    graph = rdflib.Graph().parse(SCHEMA / "vocab.ttl", format="turtle")
    broader = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#broader")
    table = json.loads((SCHEMA / "purposes.json").read_text("utf-8"))["purposes"]
    from_table = {(name, entry["broader"]) for name, entry in table.items() if entry["broader"]}
    from_vocab = {
        (str(child).removeprefix(AIC), str(parent).removeprefix(AIC))
        for child, parent in graph.subject_objects(broader)
        if str(child).removeprefix(AIC) in table
    }
    assert from_table == from_vocab


def test_shapes_parse() -> None:
    """shapes.ttl is valid Turtle with node shapes for both classes."""
    import rdflib

    graph = rdflib.Graph().parse(SCHEMA / "shapes.ttl", format="turtle")
    targets = {
        str(o) for o in graph.objects(None, rdflib.URIRef("http://www.w3.org/ns/shacl#targetClass"))
    }
    assert {AIC + "ConsentDeclaration", AIC + "DatasetConsent"} <= targets


def test_every_table_entry_resolves_to_a_json_file() -> None:
    """The URL table names files that exist and parse."""
    for url in document_table():
        assert isinstance(load_document(url), dict | list), url


def test_resources_read_from_checkout_or_wheel() -> None:
    """The loader finds the context bytes, identical to schema/context.jsonld."""
    assert read_bytes("context.jsonld") == (SCHEMA / "context.jsonld").read_bytes()


def test_context_is_protected_json_ld_1_1() -> None:
    """The context declares JSON-LD 1.1 and protects its terms from redefinition."""
    assert CONTEXT["@version"] == 1.1
    assert CONTEXT["@protected"] is True


@pytest.mark.slow
def test_wheel_carries_schema_byte_for_byte(tmp_path: Path) -> None:
    """The built wheel's aiconsent/schema/ equals schema/ file for file, byte for byte."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("aiconsent-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = {
            name.removeprefix("aiconsent/schema/"): archive.read(name)
            for name in archive.namelist()
            if name.startswith("aiconsent/schema/") and not name.endswith("/")
        }
    on_disk = {
        path.relative_to(SCHEMA).as_posix(): path.read_bytes()
        for path in SCHEMA.rglob("*")
        if path.is_file()
    }
    assert packed.keys() == on_disk.keys()
    for name, data in on_disk.items():
        assert packed[name] == data, name


def test_spec_has_no_unfinished_markers() -> None:
    """The normative text has no TODO or placeholder left in it."""
    assert not re.search(r"\b(TODO|TBD|FIXME)\b", SPEC)


def test_python_jsonschema_agrees_through_the_packaged_registry() -> None:
    """python-jsonschema, resolving through the URL table, accepts an example and rejects a typo."""
    import jsonschema

    from aiconsent.vocabulary.documents import SCHEMA_URL, json_schema_registry

    wrapper = {"$ref": SCHEMA_URL}
    validator = jsonschema.Draft202012Validator(
        wrapper,
        registry=json_schema_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    example = json.loads(
        (ROOT / "examples" / "04-artist-explicit-opt-in-with-duties.jsonld").read_text("utf-8")
    )
    assert validator.is_valid(example)
    assert not validator.is_valid({**example, "basis": "consent"})


def test_unknown_url_is_refused_by_the_table() -> None:
    """The table refuses URLs it does not ship, so nothing is ever fetched."""
    from aiconsent.vocabulary.documents import UnknownDocumentError

    with pytest.raises(UnknownDocumentError):
        load_document("https://schema.org/")
