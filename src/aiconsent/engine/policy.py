"""Evaluation policies: the three built-in ones and publisher-written policy files.

A policy says which permissions count and what `unknown` becomes. Policies are compiled once
into frozen objects; a check only looks them up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

from aiconsent.vocabulary.purposes import purpose_tree

Outcome: TypeAlias = Literal["allowed", "denied", "unknown"]
STANDING: Final = frozenset({"creator", "rightsholder", "data-subject", "guardian"})
BUILT_IN: Final = ("opt-in", "opt-out", "signals-only")


class PolicyError(ValueError):
    """A policy that cannot be used: unknown name, unreadable or invalid file."""


@dataclass(frozen=True, slots=True)
class AcceptRule:
    """Permissions with these bases (and roles, if listed) count for the leaves under purpose."""

    leaves: frozenset[str]
    bases: frozenset[str]
    roles: frozenset[str] | None

    def accepts(self, leaf: str, basis: str, role: str) -> bool:
        return (
            leaf in self.leaves
            and basis in self.bases
            and (self.roles is None or role in self.roles)
        )


@dataclass(frozen=True, slots=True)
class Policy:
    """A compiled evaluation policy."""

    name: str
    unknown_becomes: Outcome
    accept: tuple[AcceptRule, ...] | None = None
    accept_for_personal_data_only: bool = False
    exclude_minors: bool = False
    exclude_private: bool = False
    trusted_carriers: frozenset[str] | None = None

    def counts(self, leaf: str, basis: str, role: str, personal: bool) -> bool:
        """Whether a permission with this basis from this role counts for the leaf."""
        if self.accept is None or (self.accept_for_personal_data_only and not personal):
            return True
        return any(rule.accepts(leaf, basis, role) for rule in self.accept)

    def trusts(self, carrier: str) -> bool:
        return self.trusted_carriers is None or carrier in self.trusted_carriers


def _everything() -> frozenset[str]:
    return purpose_tree().leaves["tdm"]


def _opt_in() -> Policy:
    everything = _everything()
    return Policy(
        "opt-in",
        "denied",
        accept=(
            AcceptRule(everything, frozenset({"explicit-consent"}), STANDING),
            AcceptRule(everything, frozenset({"license"}), frozenset({"rightsholder"})),
        ),
        accept_for_personal_data_only=True,
    )


_COMPILED: dict[str, Policy] = {}


def builtin(name: str) -> Policy:
    """One of opt-in, opt-out, signals-only, compiled once."""
    if name not in BUILT_IN:
        raise PolicyError(f"unknown policy {name!r}; use opt-in, opt-out, signals-only or a file")
    if name not in _COMPILED:
        if name == "opt-in":
            _COMPILED[name] = _opt_in()
        else:
            _COMPILED[name] = Policy(name, "allowed" if name == "opt-out" else "unknown")
    return _COMPILED[name]


def resolve(policy: str | Path | Policy) -> Policy:
    """A built-in name, a policy file path, or an already compiled policy."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, str) and policy in BUILT_IN:
        return builtin(policy)
    return load_policy(Path(policy))


def load_policy(path: Path) -> Policy:
    """Read, validate and compile a policy file (JSON or JSON-LD); raise PolicyError if unusable."""
    from aiconsent.validation.validate import Options, validate_bytes

    try:
        data = path.read_bytes()
    except OSError as error:
        raise PolicyError(f"{path}: cannot be read ({error.strerror or error})") from None
    report = validate_bytes(
        data,
        str(path),
        Options(layers=("syntax", "schema", "jsonld", "semantic")),
        base=path.resolve().as_uri(),
    )
    errors = [issue for issue in report.issues if issue.severity == "error"]
    if errors:
        first = errors[0]
        raise PolicyError(f"{path}::{first.path or '/'}: [{first.code}] {first.message}")
    document = json.loads(data.decode("utf-8-sig"))
    if not isinstance(document, dict) or document.get("type") != "EvaluationPolicy":
        raise PolicyError(f"{path}: not an EvaluationPolicy document")
    return compile_policy(document, str(path))


def compile_policy(document: dict[str, Any], name: str | None = None) -> Policy:
    """Compile a schema-valid EvaluationPolicy document."""
    base = builtin(document.get("extends", "opt-in"))
    tree = purpose_tree()
    accept = base.accept
    personal_only = base.accept_for_personal_data_only
    if "accept" in document:
        accept = tuple(
            AcceptRule(
                tree.leaves[rule.get("purpose", "tdm")],
                frozenset(rule["basis"]),
                frozenset(rule["role"]) if "role" in rule else None,
            )
            for rule in document["accept"]
        )
        personal_only = False
    carriers = document.get("trustedCarriers")
    return Policy(
        name or document.get("name") or document.get("id", "policy"),
        document.get("unknownBecomes", base.unknown_becomes),
        accept=accept,
        accept_for_personal_data_only=personal_only,
        exclude_minors=bool(document.get("excludeMinors", False)),
        exclude_private=bool(document.get("excludePrivate", False)),
        trusted_carriers=frozenset(carriers) if carriers is not None else None,
    )
