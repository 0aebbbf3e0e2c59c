"""The purpose tree, compiled once from schema/purposes.json."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from aiconsent.vocabulary.resources import read_json


@dataclass(frozen=True, slots=True)
class PurposeTree:
    """Each purpose's depth, the leaves under it, and whether it is an AI purpose."""

    depth: dict[str, int]
    leaves: dict[str, frozenset[str]]
    ai: frozenset[str]
    broader: dict[str, str | None]

    def leaves_of(self, purpose: str) -> tuple[str, ...]:
        """The leaves under a purpose (itself if it is a leaf), in a stable order."""
        return tuple(sorted(self.leaves[purpose], key=lambda leaf: (self.depth[leaf], leaf)))

    def is_ai(self, purpose: str) -> bool:
        return purpose in self.ai


@cache
def purpose_tree() -> PurposeTree:
    """The tree of aiconsent v1 (compiled once per process)."""
    table = read_json("purposes.json")["purposes"]
    broader: dict[str, str | None] = {name: entry["broader"] for name, entry in table.items()}
    depth: dict[str, int] = {}
    for name in broader:
        level, parent = 0, broader[name]
        while parent is not None:
            level, parent = level + 1, broader[parent]
        depth[name] = level
    children: dict[str, set[str]] = {name: set() for name in broader}
    for name, parent in broader.items():
        if parent is not None:
            children[parent].add(name)
    leaves: dict[str, frozenset[str]] = {}

    def collect(name: str) -> frozenset[str]:
        if name not in leaves:
            below = children[name]
            leaves[name] = (
                frozenset({name}) if not below else frozenset().union(*(collect(c) for c in below))
            )
        return leaves[name]

    for name in broader:
        collect(name)
    ai = frozenset(name for name, entry in table.items() if entry["ai"])
    return PurposeTree(depth, leaves, ai, broader)
