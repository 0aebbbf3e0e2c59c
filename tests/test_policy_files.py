"""Policy files (spec §6.7): each setting does what it says, and never fails open."""

from __future__ import annotations

from typing import Any

import pytest

from aiconsent.engine import Found, Unreadable, check
from aiconsent.engine.policy import PolicyError, compile_policy, resolve
from documents import declaration

AT = "2025-06-01T00:00:00Z"


def policy(**settings: Any) -> Any:
    return compile_policy({"type": "EvaluationPolicy", "name": "test", **settings})


def consent(**changes: Any) -> dict[str, Any]:
    return declaration(
        basis="explicit-consent",
        retroactive=True,
        permission=[{"purpose": "genai-training"}],
        prohibition=None,
        **changes,
    )


def test_untrusted_carrier_permission_does_not_count() -> None:
    """A permission from a carrier outside trustedCarriers does not count."""
    found = Found(consent(), "photo.jpg", "xmp")
    only_sidecars = policy(trustedCarriers=["sidecar"], unknownBecomes="unknown")
    decision = check([found], "genai-training", at=AT, policy=only_sidecars)
    assert decision.decision == "unknown"
    assert [reason.code for reason in decision.reasons] == ["untrusted-carrier"]


def test_untrusted_carrier_prohibition_still_counts() -> None:
    """Distrust never makes a decision more permissive: prohibitions count from any carrier."""
    found = Found(declaration(), "photo.jpg", "xmp")
    decision = check([found], "genai-training", at=AT, policy=policy(trustedCarriers=["sidecar"]))
    assert decision.decision == "denied"


def test_exclude_minors_overrides_a_guardian() -> None:
    """excludeMinors: not even a guardian's consent opens a minor's content."""
    guardian = consent(
        declaredBy={"id": "https://x.example/u/parent", "role": "guardian"},
        content={"minorAtCreation": True},
    )
    assert check([guardian], "genai-training", at=AT).decision == "allowed"
    strict = check([guardian], "genai-training", at=AT, policy=policy(excludeMinors=True))
    assert strict.decision == "denied"
    assert "minor-content" in {reason.code for reason in strict.reasons}


def test_exclude_private_overrides_explicit_consent() -> None:
    """excludePrivate: private content stays closed even with explicit consent."""
    private = consent(content={"visibility": "private"})
    assert check([private], "genai-training", at=AT).decision == "allowed"
    assert (
        check([private], "genai-training", at=AT, policy=policy(excludePrivate=True)).decision
        == "denied"
    )


def test_accept_rules_per_purpose_and_role() -> None:
    """accept: terms of service count for search only, and only from the listed roles."""
    terms = declaration(
        declaredBy={"id": "https://x.example/", "role": "platform"},
        basis="terms-of-service",
        retroactive=True,
        permission=[{"purpose": "tdm"}],
        prohibition=None,
    )
    searchable = policy(
        accept=[{"purpose": "search", "basis": ["terms-of-service"], "role": ["platform"]}]
    )
    assert check([terms], "search", at=AT, policy=searchable).decision == "allowed"
    assert check([terms], "genai-training", at=AT, policy=searchable).decision == "denied"


def test_unknown_becomes_allowed_never_covers_unreadable_input() -> None:
    """unknownBecomes allowed is silence only: an unreadable signal becomes denied."""
    lenient = policy(extends="opt-out", unknownBecomes="allowed")
    assert check([], "genai-training", at=AT, policy=lenient).decision == "allowed"
    broken = Unreadable("broken.jsonld", "does not parse")
    assert check([broken], "genai-training", at=AT, policy=lenient).decision == "denied"


def test_unknown_policy_name_is_an_error() -> None:
    """A policy name that is not built in and not a file is a usage error."""
    with pytest.raises(PolicyError):
        resolve("no-such-policy-file.json")
