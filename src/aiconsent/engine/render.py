"""Decisions as text for people (JSON is Decision.to_dict)."""

from __future__ import annotations

from aiconsent.engine.decision import Decision, Reason


def _where(reason: Reason) -> str:
    parts = [part for part in (reason.source, reason.declaration) if part]
    return f" ({', '.join(parts)})" if parts else ""


def render_decision(decision: Decision, *, explain: bool = False) -> str:
    """The decision and its deciding reasons; with explain, every leaf and the whole trace."""
    lines = [
        f"{decision.decision}: {reason.message}{_where(reason)}" for reason in decision.reasons
    ]
    context = [f"purpose {decision.purpose}", f"policy {decision.policy}"]
    context.append(
        f"jurisdiction {decision.jurisdiction}" if decision.jurisdiction else "no jurisdiction"
    )
    context.append(f"at {decision.at.isoformat().replace('+00:00', 'Z')}")
    lines.append(f"{decision.decision.upper()} — {', '.join(context)}")
    if decision.duties:
        lines.append(f"duties: {', '.join(decision.duties)}")
    if explain:
        lines.append("")
        lines.append("trace:")
        for leaf, outcome in decision.leaves.items():
            lines.append(f"  {leaf}: {outcome}")
            for reason in decision.trace:
                if reason.purpose == leaf:
                    mark = "*" if reason.decisive else "-"
                    lines.append(f"    {mark} [{reason.code}] {reason.message}{_where(reason)}")
        lines.append("  (* decided the outcome; - considered and overridden or not applicable)")
    return "\n".join(lines) + "\n"
