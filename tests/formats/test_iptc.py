"""IPTC Photo Metadata / PLUS `plus:DataMining` values (spec §9.11): the nine codes, the SEE…
codes, choosing a code to write, round trips and hostile values."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.formats.builders import declaration

from aiconsent.engine import check, prepare
from aiconsent.formats.common import Origin
from aiconsent.formats.iptc import (
    CODES,
    NAMESPACE,
    VOCABULARY,
    code_of,
    read_data_mining,
    write_data_mining,
)
from aiconsent.formats.odrl import write_odrl
from aiconsent.model.found import ReadResult
from aiconsent.validation.validate import validate_value
from aiconsent.vocabulary.purposes import purpose_tree
from formats.mutations import mutants

DATA = Path(__file__).resolve().parent / "data" / "iptc"
IMAGE = Origin.for_bytes(b"reference image bytes", "IPTC-PhotometadataRef-Std2023.2.jpg")
LEAVES = purpose_tree().leaves_of("tdm")
GENAI = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-GENAIMLTRAINING"
OTHER = {"x-default": "Data Mining for Generative AI/ML training is definitely prohibited"}

# corpus MANIFEST.md, "IPTC DataMining values (pyexiv2)"
REFERENCE_IMAGES = {
    "IPTC-PhotometadataRef-Std2023.2.jpg": (GENAI, OTHER),
    "IPTC-PhotometadataRef-Std2023.1_10x10.jpg": (GENAI, OTHER),
    "IPTC-PhotometadataRef-Std2024.1_10x10.jpg": (GENAI, OTHER),
    "IPTC-PhotometadataRef-Std2021.1_10x10.jpg": (None, None),
}


def kinds(result: ReadResult) -> list[tuple[str, str]]:
    out = []
    for item in result.found:
        for kind in ("permission", "prohibition"):
            out += [(kind, rule["purpose"]) for rule in item.declaration.get(kind, [])]
    return sorted(out)


def decision(result: ReadResult, purpose: str = "genai-training", **options: Any) -> str:
    return check([*result.found, *result.unreadable], purpose, **options).decision


def notes(result: ReadResult) -> str:
    return "\n".join(item["note"] for item in result.other)


def assert_valid(result: ReadResult) -> None:
    for item in result.found:
        report = validate_value(item.declaration)
        assert report.errors == 0, report.issues


# -- the corpus -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "values"), REFERENCE_IMAGES.items())
def test_the_reference_images(name: str, values: tuple[Any, Any]) -> None:
    value, other = values
    origin = Origin.for_bytes(name.encode(), name)
    result = read_data_mining(value, other, origin)
    assert result.unreadable == []
    if value is None:
        assert result.found == []
        assert decision(result, policy="signals-only") == "unknown"
        return
    assert_valid(result)
    assert kinds(result) == [("prohibition", "genai-training")]
    (found,) = result.found
    assert found.carrier == found.declaration["carrier"] == "xmp"
    assert found.declaration["target"] == [origin.target]  # the file's sha256
    assert "definitely%20prohibited" in found.declaration["evidence"]
    for policy in ("signals-only", "opt-in", "opt-out"):
        assert decision(result, policy=policy) == "denied"
    assert decision(result, "non-generative-training", policy="signals-only") == "unknown"
    assert decision(result, "search", policy="opt-out") == "allowed"  # silence


def test_the_techreference_describes_the_property_we_read() -> None:
    reference = json.loads((DATA / "iptc-pmd-techreference_2024.1.json").read_text())
    mining = reference["ipmd_top"]["dataMining"]
    assert mining["XMPid"] == "plus:DataMining"
    assert mining["propoccurrence"] == "single"  # one code only: hence the losses on writing
    assert mining["dataformat"] == "uri"
    notes_text = mining["usernotes"]
    assert "absence of a prohibition does not indicate" in notes_text  # UNSPECIFIED/absent
    assert "search engine indexing" in notes_text
    other = reference["ipmd_top"]["otherConstraints"]
    assert (other["XMPid"], other["dataformat"]) == ("plus:OtherConstraints", "AltLang")
    embedded = reference["ipmd_struct"]["EmbdEncRightsExpr"]
    assert embedded["rightsExprEncType"]["XMPid"] == "Iptc4xmpExt:RightsExprEncType"
    assert NAMESPACE == "http://ns.useplus.org/ldf/xmp/1.0/"


# -- reading: the codes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DMI-UNSPECIFIED", []),
        ("DMI-ALLOWED", [("permission", "tdm")]),
        ("DMI-PROHIBITED-AIMLTRAINING", [("prohibition", "ai-training")]),
        ("DMI-PROHIBITED-GENAIMLTRAINING", [("prohibition", "genai-training")]),
        (
            "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
            [("permission", "search"), ("prohibition", "tdm")],
        ),
        ("DMI-PROHIBITED", [("prohibition", "tdm")]),
        ("DMI-PROHIBITED-SEECONSTRAINT", [("prohibition", "tdm")]),
        ("DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", [("prohibition", "tdm")]),
        ("DMI-PROHIBITED-SEELINKEDRIGHTSEXPR", [("prohibition", "tdm")]),
    ],
)
@pytest.mark.parametrize("form", ["uri", "bare", "padded"])
def test_the_nine_codes(code: str, expected: list[tuple[str, str]], form: str) -> None:
    value = {"uri": VOCABULARY + code, "bare": code, "padded": f"  {VOCABULARY}{code}\n"}[form]
    result = read_data_mining(value, None, IMAGE)
    assert result.unreadable == []
    assert_valid(result)
    assert kinds(result) == expected


def test_the_code_table_is_complete() -> None:
    assert len(CODES) == 9 and len(set(CODES)) == 9


def test_except_search_engine_indexing() -> None:
    result = read_data_mining(VOCABULARY + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", None, IMAGE)
    assert decision(result, "search", policy="signals-only") == "allowed"
    assert decision(result, "search") == "denied"  # opt-in: not a standing party's consent
    for leaf in LEAVES:
        if leaf != "search":
            assert decision(result, leaf, policy="signals-only") == "denied"


def test_see_constraint_keeps_the_other_constraints_as_a_note() -> None:
    other = {"x-default": "No AI training; ask first", "de": "Kein KI-Training"}
    result = read_data_mining(VOCABULARY + "DMI-PROHIBITED-SEECONSTRAINT", other, IMAGE)
    assert kinds(result) == [("prohibition", "tdm")]
    assert "No AI training; ask first" in notes(result)
    assert "Kein%20KI-Training" in result.found[0].declaration["evidence"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "DMI-NOTALLOWED",
        "dmi-prohibited",
        "https://ns.useplus.org/ldf/vocab/DMI-PROHIBITED",
        "http://ns.useplus.org/ldf/vocab/",
        "DMI-ALLOWED DMI-PROHIBITED",
        "DMI-ALLOWED\x00",
    ],
)
def test_any_other_value_is_unreadable_for_all_purposes(value: str) -> None:
    result = read_data_mining(value, None, IMAGE)
    assert result.found == []
    (marker,) = result.unreadable
    assert marker.purposes is None
    assert decision(result, "search", policy="opt-out") == "denied"


def test_an_embedded_odrl_expression_is_read_instead() -> None:
    odrl = write_odrl(
        [
            {
                "id": "https://example.org/policy/9",
                "declaredBy": {"id": "https://example.org/agency", "role": "rightsholder"},
                "retroactive": True,
                "permission": [{"purpose": "search"}],
                "prohibition": [{"purpose": "genai-training"}],
                "target": [{"url": "https://example.org/photo.jpg"}],
            }
        ]
    ).text
    result = read_data_mining(
        VOCABULARY + "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
        None,
        IMAGE,
        embedded_expression=odrl,
        embedded_type="application/ld+json",
    )
    assert_valid(result)
    assert kinds(result) == [("permission", "search"), ("prohibition", "genai-training")]
    assert {item.carrier for item in result.found} == {"xmp"}
    assert decision(result, "search", policy="signals-only") == "allowed"


def test_an_embedded_aiconsent_document_is_read_instead() -> None:
    document = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": "urn:uuid:3f1c2a8e-5b7d-4e36-9a41-0c6f2d8b9e17",
        "type": "ConsentDeclaration",
        "target": [{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}],
        "declaredBy": {"id": "urn:uuid:8d2e0b3c-1f4a-4c5e-b6d7-2a9f0e1c3b54", "role": "creator"},
        "declaredAt": "2025-03-02T09:15:00+01:00",
        "basis": "explicit-consent",
        "permission": [{"purpose": "ai-inference"}],
    }
    result = read_data_mining(
        VOCABULARY + "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
        None,
        IMAGE,
        embedded_expression=json.dumps(document).encode(),
        embedded_type="application/ld+json",
    )
    assert kinds(result) == [("permission", "ai-inference")]
    assert result.found[0].carrier == "xmp"
    assert result.found[0].declaration["declaredBy"]["role"] == "creator"


@pytest.mark.parametrize(
    ("expression", "media_type"),
    [
        (None, None),
        (b"<rights/>", "application/xml"),
        (b"{not json", "application/ld+json"),
        (b'{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "x:1"}', None),
        (b'{"@context": "https://example.org/unknown", "@type": "Set"}', None),
    ],
)
def test_an_unreadable_embedded_expression_leaves_the_prohibition(
    expression: bytes | None, media_type: str | None
) -> None:
    result = read_data_mining(
        VOCABULARY + "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
        None,
        IMAGE,
        embedded_expression=expression,
        embedded_type=media_type,
    )
    assert kinds(result) == [("prohibition", "tdm")]
    assert result.unreadable == []


def test_a_linked_expression_is_not_fetched() -> None:
    result = read_data_mining(VOCABULARY + "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR", None, IMAGE)
    assert kinds(result) == [("prohibition", "tdm")]
    assert "linked" in notes(result)


# -- writing ----------------------------------------------------------------------------------


def details(losses: list[Any], kind: str) -> list[str]:
    return [loss.detail for loss in losses if loss.kind == kind]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (declaration(prohibition=["genai-training"]), "DMI-PROHIBITED-GENAIMLTRAINING"),
        (declaration(prohibition=["ai-training"]), "DMI-PROHIBITED-AIMLTRAINING"),
        (
            declaration(prohibition=["genai-training", "non-generative-training"]),
            "DMI-PROHIBITED-AIMLTRAINING",
        ),
        (declaration(prohibition=["tdm"]), "DMI-PROHIBITED"),
        (declaration(prohibition=["ai-use", "search"]), "DMI-PROHIBITED"),
        (
            declaration(prohibition=["tdm"], permission=["search"]),
            "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
        ),
        (declaration(permission=["tdm"]), "DMI-ALLOWED"),
        (declaration(permission=["ai-use", "search"]), "DMI-ALLOWED"),
        (
            declaration(prohibition=[{"purpose": "genai-training", "agent": ["GPTBot"]}]),
            "DMI-PROHIBITED-GENAIMLTRAINING",
        ),
        (declaration(prohibition=["ai-inference"]), "DMI-PROHIBITED"),
        (
            declaration(prohibition=["genai-training"], permission=["search"]),
            "DMI-PROHIBITED-GENAIMLTRAINING",
        ),
        (declaration(permission=[{"purpose": "tdm", "constraint": ["research"]}]), None),
        (declaration(permission=["genai-training"]), None),
    ],
)
def test_the_code_chosen(value: dict[str, Any], code: str | None) -> None:
    chosen = write_data_mining([value])
    assert chosen.code == code
    assert chosen.uri == (VOCABULARY + code if code else None)


def test_search_allowed_genai_refused_keeps_the_narrow_code_and_reports_the_drop() -> None:
    """DMI-PROHIBITED would invent refusals of tdm and inference; the narrow code drops search."""
    chosen = write_data_mining([declaration(prohibition=["genai-training"], permission=["search"])])
    assert chosen.code == "DMI-PROHIBITED-GENAIMLTRAINING"
    assert details(chosen.losses, "widened") == []
    assert any("permission of search" in d for d in details(chosen.losses, "dropped"))


def test_a_conditional_permission_over_a_refusal_leaves_the_refusal() -> None:
    value = declaration(
        permission=[{"purpose": "genai-training", "constraint": ["research"]}],
        prohibition=["ai-training"],
    )
    chosen = write_data_mining([value])
    assert chosen.code == "DMI-PROHIBITED-AIMLTRAINING"
    assert any("research" in d for d in details(chosen.losses, "dropped"))


def test_a_permission_that_is_not_retroactive_is_not_allowed() -> None:
    value = declaration(permission=["tdm"])
    del value["retroactive"]
    assert write_data_mining([value]).code is None


def test_no_rule_means_no_property() -> None:
    assert write_data_mining([]).uri is None


def test_losses_of_an_exact_code() -> None:
    value = declaration(
        prohibition=[{"purpose": "genai-training", "agent": ["GPTBot"]}],
        basis="explicit-consent",
        jurisdiction=["EU"],
        retroactive=True,
        content={"minorAtCreation": True},
        validUntil="2030-01-01T00:00:00Z",
    )
    chosen = write_data_mining([value])
    assert chosen.code == "DMI-PROHIBITED-GENAIMLTRAINING"
    lost = details(chosen.losses, "lost")
    for key in ("basis", "jurisdiction", "content", "validUntil", "retroactive", "declaredAt"):
        assert key in lost
    assert any(d.startswith("the party") for d in lost)
    assert any("GPTBot" in d for d in details(chosen.losses, "widened"))
    assert chosen.other_constraints is None


def test_the_fallback_is_prohibited_and_says_what_it_widened_and_dropped() -> None:
    chosen = write_data_mining([declaration(prohibition=["ai-inference"], permission=["search"])])
    assert chosen.code == "DMI-PROHIBITED"
    widened = details(chosen.losses, "widened")
    assert sorted(d.split(" ")[0] for d in widened) == [
        "ai-index",
        "genai-training",
        "non-generative-training",
    ]
    assert details(chosen.losses, "dropped") == ["permission of search (DMI-PROHIBITED)"]
    assert chosen.other_constraints == {
        "x-default": "aiconsent: prohibited: ai-inference; allowed: search"
    }


def test_the_embedded_or_linked_document_when_the_caller_can_attach_it() -> None:
    value = declaration(prohibition=["ai-inference"], permission=["search"])
    embedded = write_data_mining([value], embedded=True)
    linked = write_data_mining([value], linked_url="https://example.org/consent.jsonld")
    assert embedded.code == "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR"
    assert linked.code == "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR"
    assert [loss.kind for loss in embedded.losses] == ["widened"]


def test_duties_and_agents_of_permissions_are_dropped() -> None:
    value = declaration(
        permission=[
            {"purpose": "tdm", "duty": ["attribute"]},
            {"purpose": "search", "agent": ["Googlebot"]},
        ]
    )
    chosen = write_data_mining([value])
    dropped = details(chosen.losses, "dropped")
    assert any("attribute" in d for d in dropped)
    assert any("agents" in d for d in dropped)


# -- round trips ------------------------------------------------------------------------------

SHAPES = [
    ([], ["genai-training"]),
    ([], ["ai-training"]),
    ([], ["genai-training", "non-generative-training"]),
    ([], ["tdm"]),
    ([], ["ai-use", "search"]),
    (["search"], ["tdm"]),
    (["search"], ["ai-use"]),
    (["tdm"], []),
    (["ai-use", "search"], []),
    (["ai-training", "ai-inference", "ai-index", "search"], []),
]


def decisions(items: list[Any]) -> dict[tuple[str, str | None], str]:
    prepared = prepare(items)
    return {
        (leaf, agent): check(prepared, leaf, policy="signals-only", agent=agent).decision
        for leaf in LEAVES
        for agent in (None, "GPTBot")
    }


def read_back(value: dict[str, Any]) -> tuple[Any, ReadResult]:
    chosen = write_data_mining([value])
    return chosen, read_data_mining(chosen.uri, chosen.other_constraints, IMAGE)


@pytest.mark.parametrize(("permission", "prohibition"), SHAPES)
def test_every_code_round_trips(permission: list[str], prohibition: list[str]) -> None:
    value = declaration(permission=permission, prohibition=prohibition)
    chosen, result = read_back(value)
    assert chosen.code is not None
    assert not details(chosen.losses, "widened") and not details(chosen.losses, "dropped")
    assert decisions([value]) == decisions(result.found)


ALL = list(purpose_tree().depth)


@st.composite
def declarations(draw: st.DrawFn) -> dict[str, Any]:
    def rule(kind: str) -> dict[str, Any]:
        value: dict[str, Any] = {"purpose": draw(st.sampled_from(ALL))}
        if draw(st.booleans()) and draw(st.booleans()):
            value["agent"] = ["GPTBot"]
        if kind == "permission" and draw(st.booleans()) and draw(st.booleans()):
            value["constraint"] = ["research"]
        return value

    permissions = [rule("permission") for _ in range(draw(st.integers(0, 3)))]
    prohibitions = [rule("prohibition") for _ in range(draw(st.integers(0, 3)))]
    seen = {json.dumps(p, sort_keys=True) for p in permissions}
    prohibitions = [p for p in prohibitions if json.dumps(p, sort_keys=True) not in seen]
    return declaration(
        permission=list({json.dumps(p, sort_keys=True): p for p in permissions}.values()),
        prohibition=list({json.dumps(p, sort_keys=True): p for p in prohibitions}.values()),
        retroactive=draw(st.sampled_from([True, True, False])),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(declarations())
def test_a_written_code_never_allows_more_and_keeps_every_refusal(value: dict[str, Any]) -> None:
    chosen, result = read_back(value)
    before, after = decisions([value]), decisions(result.found)
    exact = not details(chosen.losses, "widened") and not details(chosen.losses, "dropped")
    for key, was in before.items():
        if after[key] == "allowed":
            assert was == "allowed", key
        if was == "denied":
            assert after[key] == "denied", key
        if exact:
            assert after[key] == was, key


# -- hostile values ---------------------------------------------------------------------------

SEEDS = [(VOCABULARY + code).encode() for code in CODES] + [code.encode() for code in CODES]


def test_mutated_values_never_raise_and_never_permit_unless_they_are_a_permitting_code() -> None:
    started = time.monotonic()
    count = 0
    for mutant in mutants(SEEDS, count=2000):
        count += 1
        text = mutant.decode("utf-8", errors="replace")
        result = read_data_mining(text, {"x-default": text}, IMAGE)
        permitting = code_of(text) in ("DMI-ALLOWED", "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")
        if b"\x00" in mutant or "\ufffd" in text or not permitting:
            assert not any(item.declaration.get("permission") for item in result.found)
    assert count >= 2000 and time.monotonic() - started < 20


def test_truncated_codes_never_permit() -> None:
    for seed in SEEDS:
        for end in range(len(seed)):
            result = read_data_mining(seed[:end].decode(), None, IMAGE)
            assert not any(item.declaration.get("permission") for item in result.found)


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=300),
    st.dictionaries(st.text(max_size=10), st.text(max_size=50), max_size=3) | st.none(),
)
def test_any_text_never_raises(value: str, other: dict[str, str] | None) -> None:
    read_data_mining(value, other, IMAGE)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=500))
def test_any_bytes_as_an_embedded_expression_never_raise(content: bytes) -> None:
    result = read_data_mining(
        VOCABULARY + "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
        None,
        IMAGE,
        embedded_expression=content,
    )
    assert result.found


def test_an_oversized_value_is_unreadable() -> None:
    result = read_data_mining("DMI-ALLOWED" + " " * 100_000, None, IMAGE)
    assert result.found == [] and len(result.unreadable) == 1
