"""Hypothesis strategies for manifest tests: schema-valid declarations that use every column.

Richer than the engine's: every target kind, offsets other than UTC, fractional seconds,
names with non-ASCII text, all content facts. Other manifest tests (audits) may reuse them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from aiconsent.manifests import layout

# the vocabulary's terms (sorted: hypothesis draws by position, so the order must be stable)
PURPOSES = sorted(layout.PURPOSES)
ROLES = sorted(layout.ROLES)
BASES = sorted(layout.BASES)
START = datetime(2007, 1, 1, tzinfo=UTC)


@st.composite
def date_times(draw: st.DrawFn) -> str:
    """An RFC 3339 date-time with an offset, sometimes with fractional seconds."""
    moment = START + timedelta(
        days=draw(st.integers(0, 7300)),
        seconds=draw(st.integers(0, 86399)),
        microseconds=draw(st.sampled_from([0, 0, 0, 500_000, 123_456])),
    )
    minutes = draw(st.sampled_from([0, 0, 60, -300, 330, 345, 600, -570, 840, -720]))
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))
    text = local.isoformat()
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


@st.composite
def rules(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"purpose": draw(st.sampled_from(PURPOSES))}
    if draw(st.integers(0, 3)) == 0:
        rule["agent"] = draw(
            st.lists(
                st.sampled_from(["GPTBot", "CCBot", "Google-Extended"]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
    if draw(st.integers(0, 3)) == 0:
        rule["constraint"] = draw(
            st.lists(st.sampled_from(["non-commercial", "research"]), min_size=1, unique=True)
        )
    if kind == "permission" and draw(st.integers(0, 2)) == 0:
        rule["duty"] = draw(
            st.lists(st.sampled_from(["attribute", "notify"]), min_size=1, unique=True)
        )
    return rule


@st.composite
def targets(draw: st.DrawFn) -> list[dict[str, str]]:
    kinds = st.one_of(
        st.builds(lambda n: {"url": f"https://social.example/p/{n}"}, st.integers(0, 50)),
        st.builds(lambda n: {"sha256": f"{n:064x}"}, st.integers(0, 2**256 - 1)),
        st.builds(lambda n: {"urlPattern": f"https://social.example/u/{n}/*"}, st.integers(0, 9)),
        st.builds(lambda n: {"collection": f"https://data.example/set/{n}"}, st.integers(0, 3)),
    )
    return draw(
        st.lists(kinds, min_size=1, max_size=3, unique_by=lambda t: tuple(sorted(t.items())))
    )


@st.composite
def declarations(draw: st.DrawFn) -> dict[str, Any]:
    """A schema-valid compact ConsentDeclaration (with @context)."""
    value: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": f"urn:uuid:{uuid.UUID(int=draw(st.integers(0, 2**122)), version=4)}",
        "type": "ConsentDeclaration",
        "target": draw(targets()),
        "declaredBy": {
            "id": f"https://social.example/u/{draw(st.integers(0, 20))}",
            "role": draw(st.sampled_from(ROLES)),
        },
        "declaredAt": draw(date_times()),
    }
    if draw(st.booleans()):
        value["declaredBy"]["name"] = draw(st.sampled_from(["Ana", "Zoë Ø'Brien", "李雷", 'a "b"']))
    for key in ("validFrom", "validUntil", "withdrawnAt"):
        if draw(st.integers(0, 3)) == 0:
            value[key] = draw(date_times())
    if draw(st.booleans()):
        value["basis"] = draw(st.sampled_from(BASES))
    if draw(st.integers(0, 2)) == 0:
        value["jurisdiction"] = draw(
            st.lists(
                st.sampled_from(["AU", "DE", "EU", "US", "DK"]), min_size=1, max_size=3, unique=True
            )
        )
    if draw(st.booleans()):
        value["retroactive"] = draw(st.booleans())
    permissions = draw(st.lists(rules("permission"), max_size=3))
    prohibitions = draw(
        st.lists(rules("prohibition"), min_size=0 if permissions else 1, max_size=3)
    )
    if permissions:
        value["permission"] = permissions
    if prohibitions:
        value["prohibition"] = prohibitions
    content: dict[str, Any] = {}
    if draw(st.booleans()):
        content["createdAt"] = draw(date_times())
    if draw(st.booleans()):
        content["visibility"] = draw(st.sampled_from(["public", "restricted", "private"]))
    if draw(st.booleans()):
        content["personalData"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        content["minorAtCreation"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        content["ageAtCreation"] = draw(st.integers(0, 150))
    if draw(st.integers(0, 3)) == 0:
        content["adultSince"] = (
            (START + timedelta(days=draw(st.integers(0, 7300)))).date().isoformat()
        )
    if content:
        value["content"] = content
    for key, url in (
        ("policyUrl", "https://social.example/terms"),
        ("withdrawalUrl", "https://social.example/settings"),
        ("evidence", "https://social.example/receipts/1"),
    ):
        if draw(st.integers(0, 2)) == 0:
            value[key] = url
    return value
