"""Helpers for tests: every example and vector file, and the nodes inside them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiconsent.validation.syntax import parse_bytes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
VECTORS = ROOT / "tests" / "vectors"


def example_files() -> list[Path]:
    """Every bundled example (.jsonld, .json, .jsonl)."""
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".jsonld", ".json", ".jsonl"})


def valid_vector_files() -> list[Path]:
    """Inputs of the positive test vectors."""
    return sorted((VECTORS / "valid").glob("*")) if (VECTORS / "valid").is_dir() else []


def documents_in(path: Path) -> Iterator[Any]:
    """The JSON documents of a file, read by the validator's own syntax layer."""
    parsed = parse_bytes(path.read_bytes())
    assert not [issue for issue in parsed.issues if issue.severity == "error"], path
    for document in parsed.documents:
        yield document.value


def nodes_in(path: Path) -> Iterator[dict[str, Any]]:
    """The top-level nodes of every document of a file, each carrying its @context."""
    for document in documents_in(path):
        if isinstance(document, list):
            yield from (item for item in document if isinstance(item, dict))
        elif isinstance(document, dict) and "@graph" in document:
            for item in document["@graph"]:
                yield {"@context": document.get("@context"), **item}
        elif isinstance(document, dict):
            yield document


def declaration(**changes: Any) -> dict[str, Any]:
    """A minimal valid declaration (a creator's genai-training prohibition), with changes."""
    base: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": "urn:uuid:3f2e1d0c-9b8a-4776-8554-433221100fed",
        "type": "ConsentDeclaration",
        "target": [{"url": "https://x.example/a"}],
        "declaredBy": {"id": "https://x.example/u/1", "role": "creator"},
        "declaredAt": "2025-01-01T00:00:00Z",
        "prohibition": [{"purpose": "genai-training"}],
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}
