"""The evaluation engine: spec.md §6 as code."""

from aiconsent.engine.decision import Decision, Reason
from aiconsent.engine.evaluate import Prepared, check, prepare
from aiconsent.engine.inputs import Declaration, compile_declaration
from aiconsent.engine.policy import Policy, PolicyError, load_policy
from aiconsent.model.found import Found, Unreadable

__all__ = [
    "Decision",
    "Declaration",
    "Found",
    "Policy",
    "PolicyError",
    "Prepared",
    "Reason",
    "Unreadable",
    "check",
    "compile_declaration",
    "load_policy",
    "prepare",
]
