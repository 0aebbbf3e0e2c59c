"""Make realistic, valid benchmark inputs: JSON Lines of consent declarations.

Deterministic (seeded), so figures from different runs compare. Usage:
    python benchmarks/generate.py --count 10000 --out benchmarks/data/declarations.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PURPOSES = [
    "genai-training",
    "ai-training",
    "ai-inference",
    "search",
    "tdm",
    "non-generative-training",
]
JURISDICTIONS = ["AU", "DE", "DK", "FR", "US", "GB", "EU", "BR", "JP"]


def declaration(rng: random.Random, index: int) -> dict[str, Any]:
    """One declaration of a mix seen on a large platform: terms, objections, opt-ins, minors."""
    created = datetime(2007, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 6500))
    declared = created + timedelta(days=rng.randrange(1, 3000))
    kind = rng.random()
    role = "platform" if kind < 0.5 else rng.choice(["creator", "data-subject", "rightsholder"])
    basis = (
        "terms-of-service"
        if role == "platform" and kind < 0.35
        else rng.choice(["no-objection", "explicit-consent", "license"])
    )
    node: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "type": "ConsentDeclaration",
        "target": [{"url": f"https://social.example.com/posts/{index}"}],
        "declaredBy": {
            "id": "https://social.example.com/"
            if role == "platform"
            else f"https://social.example.com/u/{index % 5000}",
            "role": role,
        },
        "declaredAt": declared.isoformat().replace("+00:00", "Z"),
        "content": {
            "createdAt": created.isoformat().replace("+00:00", "Z"),
            "visibility": rng.choice(["public", "public", "public", "restricted"]),
            "personalData": True,
        },
    }
    if rng.random() < 0.3:
        node["jurisdiction"] = [rng.choice(JURISDICTIONS)]
    if rng.random() < 0.05:
        node["content"]["minorAtCreation"] = True
        node["content"]["adultSince"] = (created + timedelta(days=900)).date().isoformat()
    if kind < 0.6:
        node["basis"] = basis
        node["retroactive"] = rng.random() < 0.7
        node["permission"] = [{"purpose": rng.choice(PURPOSES)}]
        if basis == "explicit-consent" and rng.random() < 0.5:
            node["permission"][0]["duty"] = ["attribute"]
        node["withdrawalUrl"] = "https://social.example.com/settings/ai"
        if rng.random() < 0.1:
            node["withdrawnAt"] = (
                (declared + timedelta(days=200)).isoformat().replace("+00:00", "Z")
            )
    else:
        node["prohibition"] = [{"purpose": "genai-training"}, {"purpose": "ai-training"}]
        if rng.random() < 0.2:
            node["prohibition"].append({"purpose": "ai-inference", "agent": ["GPTBot"]})
    return node


def write(count: int, out: Path, seed: int = 7) -> Path:
    """Write count declarations, one per line."""
    rng = random.Random(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as stream:
        for index in range(count):
            stream.write(json.dumps(declaration(rng, index), separators=(",", ":")) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "data" / "declarations.jsonl"
    )
    arguments = parser.parse_args()
    print(write(arguments.count, arguments.out))


if __name__ == "__main__":
    main()
