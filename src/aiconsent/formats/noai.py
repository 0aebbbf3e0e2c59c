"""`noai` / `noimageai` directives in X-Robots-Tag and meta robots (spec §9.6).

They are prohibitions of every AI use, optionally scoped to one user agent
(`X-Robots-Tag: img2dataset: noai`); `noimageai` binds image content only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

from aiconsent.formats.common import Loss, Origin, Written, declaration, found
from aiconsent.model.found import ReadResult

_AI_DIRECTIVES: Final = frozenset({"noai", "noimageai"})
_KNOWN: Final = _AI_DIRECTIVES | frozenset(
    {
        "all",
        "noindex",
        "nofollow",
        "none",
        "noarchive",
        "nosnippet",
        "noimageindex",
        "notranslate",
        "indexifembedded",
        "max-snippet",
        "max-image-preview",
        "max-video-preview",
        "unavailable_after",
    }
)
_AGENT: Final = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*:\s*(.*)$")


def parse_directives(value: str) -> tuple[str | None, list[str]]:
    """One X-Robots-Tag value or meta robots content: (agent or None, lower-cased directives)."""
    agent = None
    match = _AGENT.match(value)
    if match and match.group(1).lower() not in _KNOWN:
        agent, value = match.group(1), match.group(2)
    directives = [part.strip().lower() for part in re.split(r"[,\s]+", value) if part.strip()]
    return agent, directives


def noai_rules(values: Iterable[str], *, image: bool) -> list[dict[str, Any]]:
    """The prohibitions the directives state (each X-Robots-Tag value separately)."""
    rules: list[dict[str, Any]] = []
    for value in values:
        agent, directives = parse_directives(value)
        applies = "noai" in directives or (image and "noimageai" in directives)
        if applies:
            rule: dict[str, Any] = {"purpose": "ai-use"}
            if agent:
                rule["agent"] = [agent]
            if rule not in rules:
                rules.append(rule)
    return rules


def read_noai(
    values: Iterable[str], origin: Origin, carrier: str, *, image: bool = False
) -> ReadResult:
    """Declarations for X-Robots-Tag values (carrier http-header) or meta robots (html)."""
    texts = list(values)
    result = ReadResult()
    rules = noai_rules(texts, image=image)
    raw = "\n".join(texts)
    found(result, declaration(origin, carrier, prohibition=rules, raw=raw), origin, carrier)
    return result


def write_x_robots_tag(declarations: Sequence[dict[str, Any]], *, image: bool = False) -> Written:
    """X-Robots-Tag lines for the AI prohibitions; everything else is reported lost."""
    from aiconsent.vocabulary.purposes import purpose_tree

    tree = purpose_tree()
    lines: list[str] = []
    losses: list[Loss] = []
    directive = "noai, noimageai" if image else "noai"
    for value in declarations:
        identifier = value.get("id")
        for rule in value.get("prohibition", []):
            if not (tree.leaves[rule["purpose"]] & tree.ai):
                losses.append(Loss("lost", f"prohibition of {rule['purpose']}", identifier))
                continue
            if rule["purpose"] != "ai-use":
                losses.append(
                    Loss("widened", f"prohibition of {rule['purpose']} written as noai", identifier)
                )
            if rule.get("constraint"):
                losses.append(Loss("widened", "constraint dropped from a prohibition", identifier))
            agents = rule.get("agent") or [None]
            for agent in agents:
                line = (
                    f"X-Robots-Tag: {agent}: {directive}" if agent else f"X-Robots-Tag: {directive}"
                )
                if line not in lines:
                    lines.append(line)
        for rule in value.get("permission", []):
            losses.append(
                Loss("lost", f"permission of {rule['purpose']} (noai cannot permit)", identifier)
            )
        losses.extend(_lost_context(value))
    return Written("\n".join(lines) + ("\n" if lines else ""), "text/plain", losses)


def _lost_context(value: dict[str, Any]) -> list[Loss]:
    identifier = value.get("id")
    lost = [
        key
        for key in ("basis", "jurisdiction", "withdrawnAt", "validUntil", "content")
        if key in value
    ]
    return [Loss("lost", f"{key} (noai says only 'no AI use')", identifier) for key in lost]
