"""The pydantic models agree with the JSON Schema and round-trip documents without loss."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pydantic
import pytest

from aiconsent.model import ConsentDeclaration, DatasetConsent, parse_node
from aiconsent.vocabulary.documents import SCHEMA_URL, load_document
from documents import declaration, example_files, nodes_in, valid_vector_files

NODES = [
    (f"{path.name}#{index}", node)
    for path in [*example_files(), *valid_vector_files()]
    for index, node in enumerate(nodes_in(path))
]
SCHEMA = jsonschema_rs.validator_for(load_document(SCHEMA_URL), validate_formats=True)


@pytest.mark.parametrize(("name", "node"), NODES, ids=[name for name, _ in NODES])
def test_round_trip_keeps_meaning(name: str, node: dict[str, Any]) -> None:
    """parse -> dump -> parse gives an equal model, and the dump is schema-valid."""
    model = parse_node(node)
    dumped = model.to_dict()
    assert parse_node(dumped) == model
    assert SCHEMA.is_valid(dumped)
    assert set(dumped) == {key for key, value in node.items() if value is not None}


def _declaration(**changes: Any) -> dict[str, Any]:
    return declaration(
        **{
            "declaredAt": "2025-01-01T00:00:00+02:00",
            "permission": [{"purpose": "genai-training"}],
            "prohibition": None,
            **changes,
        }
    )


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        ({"permission": [{"purpose": "genai"}]}, "genai-training"),
        ({"declaredBy": {"id": "https://x.example/u/1", "role": "author"}}, "creator"),
        ({"basis": "consent"}, "explicit-consent"),
        ({"declaredAt": "2025-01-01T00:00:00"}, "timezone"),
        ({"target": [{"url": "https://x.example/a", "sha256": "0" * 64}]}, "exactly one"),
        ({"unknownKey": 1}, "Extra inputs"),
    ],
)
def test_models_reject_what_the_schema_rejects(changes: dict[str, Any], word: str) -> None:
    """Unknown purposes, roles and bases, naive date-times and extra keys fail, saying why."""
    document = _declaration(**changes)
    assert not SCHEMA.is_valid(document)
    with pytest.raises(pydantic.ValidationError) as caught:
        parse_node(document)
    assert word in str(caught.value)


def test_date_times_keep_their_offset() -> None:
    """A +02:00 offset survives the round trip, so the instant never shifts."""
    model = parse_node(_declaration())
    assert isinstance(model, ConsentDeclaration)
    assert model.to_dict()["declaredAt"] == "2025-01-01T00:00:00+02:00"


def test_a_declaration_needs_a_rule() -> None:
    """No permission and no prohibition is rejected, as the schema does."""
    document = _declaration()
    del document["permission"]
    with pytest.raises(pydantic.ValidationError):
        parse_node(document)


def test_dataset_consent_is_selected_by_type() -> None:
    """The type key picks the model."""
    node = {
        "id": "urn:uuid:2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
        "type": "DatasetConsent",
        "dataset": "https://data.example/ds",
        "purposeAssessed": ["genai-training"],
        "policy": "opt-in",
    }
    assert isinstance(parse_node(node), DatasetConsent)
