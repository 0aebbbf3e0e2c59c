"""Declarations for writer tests: a creator's declaration about one image, with given rules."""

from __future__ import annotations

from typing import Any


def declaration(
    permission: list[Any] = (),
    prohibition: list[Any] = (),  # type: ignore[assignment]
    **extra: Any,
) -> dict[str, Any]:
    """Rules may be given as purpose names or as rule objects."""
    value: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": "urn:uuid:6f1c2a8e-5b7d-4e36-9a41-0c6f2d8b9e17",
        "type": "ConsentDeclaration",
        "target": [{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}],
        "declaredBy": {"id": "urn:uuid:8d2e0b3c-1f4a-4c5e-b6d7-2a9f0e1c3b54", "role": "creator"},
        "declaredAt": "2025-03-02T09:15:00+01:00",
        "retroactive": True,
        **extra,
    }
    if permission:
        value["permission"] = [{"purpose": p} if isinstance(p, str) else p for p in permission]
    if prohibition:
        value["prohibition"] = [{"purpose": p} if isinstance(p, str) else p for p in prohibition]
    return value
