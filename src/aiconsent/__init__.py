"""aiconsent: AI-training consent metadata — vocabulary, validator and evaluation engine.

Heavy modules are imported on first use, so `import aiconsent` and the command line start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiconsent.auditing.lookup import LookupResult, lookup
    from aiconsent.auditing.run import AuditResult, audit
    from aiconsent.carriers.attach import attach
    from aiconsent.engine import Decision, Found, Policy, Reason, Unreadable, check, prepare
    from aiconsent.formats.writers import convert
    from aiconsent.model import ConsentDeclaration, DatasetConsent, Party, Rule, Target
    from aiconsent.readers import read
    from aiconsent.validation.issues import FileReport, Issue, ValidationReport
    from aiconsent.validation.validate import validate

__all__ = [
    "AuditResult",
    "ConsentDeclaration",
    "DatasetConsent",
    "Decision",
    "FileReport",
    "Found",
    "Issue",
    "LookupResult",
    "Party",
    "Policy",
    "Reason",
    "Rule",
    "Target",
    "Unreadable",
    "ValidationReport",
    "attach",
    "audit",
    "check",
    "convert",
    "lookup",
    "prepare",
    "read",
    "validate",
]

_LAZY = {
    "AuditResult": "aiconsent.auditing.run",
    "audit": "aiconsent.auditing.run",
    "LookupResult": "aiconsent.auditing.lookup",
    "lookup": "aiconsent.auditing.lookup",
    "attach": "aiconsent.carriers.attach",
    "Decision": "aiconsent.engine",
    "Found": "aiconsent.engine",
    "Policy": "aiconsent.engine",
    "Reason": "aiconsent.engine",
    "Unreadable": "aiconsent.engine",
    "check": "aiconsent.engine",
    "convert": "aiconsent.formats.writers",
    "read": "aiconsent.readers",
    "prepare": "aiconsent.engine",
    "ConsentDeclaration": "aiconsent.model",
    "DatasetConsent": "aiconsent.model",
    "Party": "aiconsent.model",
    "Rule": "aiconsent.model",
    "Target": "aiconsent.model",
    "validate": "aiconsent.validation.validate",
    "Issue": "aiconsent.validation.issues",
    "FileReport": "aiconsent.validation.issues",
    "ValidationReport": "aiconsent.validation.issues",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'aiconsent' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
