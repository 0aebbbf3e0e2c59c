"""What `aiconsent read` found, as text for people (JSON is the compact form itself)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiconsent.model.found import ReadResult


def _rule(rule: dict[str, Any]) -> str:
    text = str(rule["purpose"])
    if rule.get("agent"):
        text += f" for {', '.join(rule['agent'])}"
    if rule.get("constraint"):
        text += f" if {', '.join(rule['constraint'])}"
    if rule.get("duty"):
        text += f" with {', '.join(rule['duty'])}"
    return text


def render_read(result: ReadResult, reports: Sequence[Any]) -> str:
    """One line per declaration, then one per source and per unreadable signal."""
    lines = []
    for item in result.found:
        value = item.declaration
        party = value["declaredBy"]
        target = next(iter(value["target"][0].values()))
        parts = []
        if value.get("permission"):
            parts.append("permits " + "; ".join(_rule(r) for r in value["permission"]))
        if value.get("prohibition"):
            parts.append("prohibits " + "; ".join(_rule(r) for r in value["prohibition"]))
        where = f" in {', '.join(value['jurisdiction'])}" if value.get("jurisdiction") else ""
        lines.append(
            f"[{item.carrier}] {item.source}: the {party['role']} {party['id']} "
            f"{' and '.join(parts)}{where} — {target}"
        )
    for report in reports:
        lines.append(f"source {report.source}: {report.format}, {report.count} declaration(s)")
    for marker in result.unreadable:
        lines.append(f"unreadable {marker.source}: {marker.message}")
    for note in result.other:
        lines.append(f"note: {note}")
    if not result.found:
        lines.append("no declaration found")
    return "\n".join(lines) + "\n"
