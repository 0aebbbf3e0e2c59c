"""Properties every decision keeps, on generated declarations (hypothesis).

Rank: denied < unknown < allowed. "More permissive" means a higher rank.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiconsent.engine import check
from aiconsent.model import parse_node
from aiconsent.readers import read_paths
from aiconsent.vocabulary.purposes import purpose_tree

RANK = {"denied": 0, "unknown": 1, "allowed": 2}
PURPOSES = sorted(purpose_tree().depth)
PARTIES = [
    ("https://social.example/", "platform"),
    ("https://news.example/", "publisher"),
    ("https://social.example/u/ana", "creator"),
    ("https://social.example/u/ana#subject", "data-subject"),
    ("https://labels.example/", "rightsholder"),
    ("https://social.example/u/ana/parent", "guardian"),
]
START = datetime(2015, 1, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def moment(days: int) -> str:
    return (START + timedelta(days=days)).isoformat().replace("+00:00", "Z")


@st.composite
def rules(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"purpose": draw(st.sampled_from(PURPOSES))}
    if draw(st.integers(0, 4)) == 0:
        rule["agent"] = draw(
            st.lists(
                st.sampled_from(["GPTBot", "CCBot", "ClaudeBot"]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
    if draw(st.integers(0, 4)) == 0:
        rule["constraint"] = [draw(st.sampled_from(["non-commercial", "research"]))]
    if kind == "permission" and draw(st.booleans()):
        rule["duty"] = draw(
            st.lists(
                st.sampled_from(["attribute", "compensate", "notify"]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
    return rule


@st.composite
def content_facts(draw: st.DrawFn, allow_not_personal: bool = True) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    if draw(st.booleans()):
        facts["createdAt"] = moment(draw(st.integers(0, 3000)))
    if draw(st.booleans()):
        facts["visibility"] = draw(st.sampled_from(["public", "restricted", "private"]))
    if draw(st.booleans()):
        facts["personalData"] = draw(st.booleans()) if allow_not_personal else True
    if draw(st.integers(0, 4)) == 0:
        facts["minorAtCreation"] = draw(st.booleans())
    if draw(st.integers(0, 4)) == 0:
        facts["ageAtCreation"] = draw(st.integers(10, 20))
    if draw(st.integers(0, 4)) == 0:
        facts["adultSince"] = (
            (START + timedelta(days=draw(st.integers(0, 3000)))).date().isoformat()
        )
    return facts


@st.composite
def declarations(
    draw: st.DrawFn, only: str | None = None, allow_not_personal: bool = True
) -> dict[str, Any]:
    party, role = draw(st.sampled_from(PARTIES))
    declared = draw(st.integers(0, 3000))
    value: dict[str, Any] = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": f"urn:uuid:{uuid.UUID(int=draw(st.integers(0, 2**122)), version=4)}",
        "type": "ConsentDeclaration",
        "target": [{"url": "https://social.example/p/1"}],
        "declaredBy": {"id": party, "role": role},
        "declaredAt": moment(declared),
    }
    if draw(st.integers(0, 3)) == 0:
        value["validFrom"] = moment(declared + draw(st.integers(0, 400)))
    if draw(st.integers(0, 3)) == 0:
        value["validUntil"] = moment(declared + draw(st.integers(401, 2000)))
    if only != "prohibition" and draw(st.integers(0, 5)) == 0:
        value["withdrawnAt"] = moment(declared + draw(st.integers(401, 2000)))
    value["basis"] = draw(
        st.sampled_from(
            [
                "explicit-consent",
                "no-objection",
                "terms-of-service",
                "license",
                "statutory-exception",
                "unspecified",
            ]
        )
    )
    if draw(st.integers(0, 2)) == 0:
        value["jurisdiction"] = draw(
            st.lists(
                st.sampled_from(["DE", "DK", "AU", "US", "EU", "EEA"]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
    value["retroactive"] = draw(st.booleans())
    kinds = (
        [only]
        if only
        else draw(st.sampled_from([["permission"], ["prohibition"], ["permission", "prohibition"]]))
    )
    for kind in kinds:
        value[kind] = draw(st.lists(rules(kind), min_size=1, max_size=3))
    facts = draw(content_facts(allow_not_personal))
    if facts:
        value["content"] = facts
    return value


@st.composite
def questions(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "purpose": draw(st.sampled_from(PURPOSES)),
        "jurisdiction": draw(st.sampled_from([None, "DE", "DK", "AU", "US", "NO"])),
        "at": moment(draw(st.integers(0, 4000))),
        "policy": draw(st.sampled_from(["opt-in", "opt-out", "signals-only"])),
        "agent": draw(st.sampled_from([None, "GPTBot", "ccbot"])),
        "use_type": draw(st.sampled_from([None, "commercial", "non-commercial", "research"])),
    }


def decide(items: list[Any], question: dict[str, Any]) -> Any:
    return check(
        items, question["purpose"], **{k: v for k, v in question.items() if k != "purpose"}
    )


@SETTINGS
@given(
    st.lists(declarations(), max_size=5),
    declarations(only="prohibition", allow_not_personal=False),
    questions(),
)
def test_adding_a_prohibition_never_makes_a_decision_more_permissive(
    existing: list[dict[str, Any]], prohibition: dict[str, Any], question: dict[str, Any]
) -> None:
    """A new prohibition (which says nothing that makes content less protected) never helps."""
    before = decide(existing, question)
    after = decide([*existing, prohibition], question)
    assert RANK[after.decision] <= RANK[before.decision]


@SETTINGS
@given(st.lists(declarations(), min_size=1, max_size=5), st.data(), questions())
def test_a_withdrawal_never_makes_a_decision_more_permissive(
    existing: list[dict[str, Any]], data: st.DataObject, question: dict[str, Any]
) -> None:
    """Withdrawing any declaration, at any time after it was made, never helps."""
    index = data.draw(st.integers(0, len(existing) - 1))
    chosen = existing[index]
    declared = datetime.fromisoformat(chosen["declaredAt"])
    later = declared + timedelta(days=data.draw(st.integers(0, 3000)))
    withdrawn = {**chosen, "withdrawnAt": later.isoformat().replace("+00:00", "Z")}
    if "withdrawnAt" in chosen:
        withdrawn["withdrawnAt"] = min(chosen["withdrawnAt"], withdrawn["withdrawnAt"])
    before = decide(existing, question)
    after = decide([*existing[:index], withdrawn, *existing[index + 1 :]], question)
    assert RANK[after.decision] <= RANK[before.decision]


@SETTINGS
@given(st.lists(declarations(), max_size=5), questions(), st.randoms(use_true_random=False))
def test_order_of_declarations_and_rules_does_not_matter(
    existing: list[dict[str, Any]], question: dict[str, Any], random: Any
) -> None:
    """Shuffling declarations and the rules inside them changes nothing in the answer."""
    shuffled = []
    for value in existing:
        copy = json.loads(json.dumps(value))
        for kind in ("permission", "prohibition"):
            if kind in copy:
                random.shuffle(copy[kind])
        shuffled.append(copy)
    random.shuffle(shuffled)
    first, second = decide(existing, question), decide(shuffled, question)
    assert (first.decision, first.duties) == (second.decision, second.duties)
    assert {r.code for r in first.reasons} == {r.code for r in second.reasons}


@SETTINGS
@given(st.lists(declarations(), max_size=5), questions())
def test_an_umbrella_is_never_more_allowed_than_its_sub_purposes(
    existing: list[dict[str, Any]], question: dict[str, Any]
) -> None:
    """tdm, ai-use, ai-training rank no higher than any purpose under them."""
    tree = purpose_tree()
    umbrella = decide(existing, question)
    for sub in tree.depth:
        if sub != question["purpose"] and tree.leaves[sub] <= tree.leaves[question["purpose"]]:
            narrower = decide(existing, {**question, "purpose": sub})
            assert RANK[umbrella.decision] <= RANK[narrower.decision], sub


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(declarations(), min_size=1, max_size=4), questions())
def test_serialising_and_reading_back_never_changes_a_decision(
    tmp_path_factory: Any, existing: list[dict[str, Any]], question: dict[str, Any]
) -> None:
    """Model round trip, then a JSON Lines file read by the CLI's reader: the same answer."""
    through_models = [parse_node(value).to_dict() for value in existing]
    folder: Path = tmp_path_factory.mktemp("roundtrip")
    path = folder / "declarations.jsonl"
    path.write_text(
        "\n".join(json.dumps(value) for value in through_models) + "\n", encoding="utf-8"
    )
    read = read_paths([path])
    assert not read.unreadable
    original, reread = decide(existing, question), decide(list(read.found), question)
    assert (original.decision, original.duties) == (reread.decision, reread.duties)
    assert {r.code for r in original.reasons} == {r.code for r in reread.reasons}
