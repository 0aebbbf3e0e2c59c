"""CAWG / C2PA training-and-data-mining assertions (spec §9.10): the corpus reader reports, both
labels and layouts, `constrained`, the writer, round trips and hostile input."""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.formats.builders import declaration

from aiconsent.engine import check, prepare
from aiconsent.formats.cawg import (
    ENTRIES,
    LABEL,
    LEGACY_LABEL,
    USES,
    read_manifest_store,
    read_training_mining,
    read_training_mining_json,
    write_training_mining,
)
from aiconsent.formats.common import Origin
from aiconsent.model.found import ReadResult
from aiconsent.validation.validate import validate_value
from aiconsent.vocabulary.purposes import purpose_tree
from formats.mutations import mutants

DATA = Path(__file__).resolve().parent / "data" / "c2pa"
STORES = (
    "C_with_CAWG_data.reader.json",
    "CA.reader.json",
    "adobe_connected_identities.reader.json",
    "ims_multiple_manifests.reader.json",
)
IMAGE = Origin.for_bytes(b"the image bytes", "photo.jpg")
LEAVES = purpose_tree().leaves_of("tdm")


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def store(name: str) -> dict[str, Any]:
    return json.loads(data(name))  # type: ignore[no-any-return]


def kinds(result: ReadResult) -> list[tuple[str, str]]:
    out = []
    for item in result.found:
        for kind in ("permission", "prohibition"):
            out += [(kind, rule["purpose"]) for rule in item.declaration.get(kind, [])]
    return sorted(out)


def assert_valid(result: ReadResult) -> None:
    for item in result.found:
        report = validate_value(item.declaration)
        assert report.errors == 0, report.issues


def decision(result: ReadResult, purpose: str = "genai-training", **options: Any) -> str:
    return check([*result.found, *result.unreadable], purpose, **options).decision


def notes(result: ReadResult) -> str:
    return "\n".join(item["note"] for item in result.other)


def fixed_cbordiag() -> str:
    text = data("training-mining.cbordiag").decode()
    return text.replace('"entries":', '"entries": {', 1).rstrip() + "\n}\n"


# -- the corpus: c2pa.Reader reports ----------------------------------------------------------


def test_c_with_cawg_data_refuses_generative_training_and_inference() -> None:
    reading = read_manifest_store(data("C_with_CAWG_data.reader.json"), IMAGE)
    assert reading.validation_state == "Valid"
    assert reading.active_manifest == "urn:c2pa:822f2ec0-ef27-4d95-88b4-74586c12873d"
    assert reading.labels == (LABEL,)
    assert "signingCredential.untrusted" in reading.failures
    result = reading.result
    assert_valid(result)
    assert result.unreadable == []
    assert kinds(result) == [("prohibition", "ai-inference"), ("prohibition", "genai-training")]
    (found,) = result.found
    assert found.carrier == found.declaration["carrier"] == "c2pa"
    assert found.declaration["declaredAt"] == "2025-07-29T23:13:49Z"  # the time-stamp
    assert found.declaration["target"] == [IMAGE.target]
    for policy in ("signals-only", "opt-in", "opt-out"):
        assert decision(result, policy=policy) == "denied"
        assert decision(result, "ai-inference", policy=policy) == "denied"
    # ai_training and data_mining are absent: unknown, never allowed
    assert decision(result, "non-generative-training", policy="signals-only") == "unknown"
    assert decision(result, "non-generative-training") == "denied"  # opt-in default
    assert decision(result, "search", policy="signals-only") == "unknown"


@pytest.mark.parametrize("name", STORES[2:])
def test_both_labels_of_the_active_manifest_only(name: str) -> None:
    reading = read_manifest_store(data(name), IMAGE, invalid="read")
    assert reading.validation_state == "Invalid"
    assert reading.labels == (LABEL, LEGACY_LABEL)
    assert_valid(reading.result)
    assert kinds(reading.result) == [
        ("permission", "ai-inference"),
        ("permission", "genai-training"),
    ]
    assert len(reading.result.found) == 1  # both labels combined into one declaration
    evidence = reading.result.found[0].declaration["evidence"]
    assert "c2pa.training-mining" in evidence.replace("%2E", ".")
    assert decision(reading.result, policy="signals-only") == "allowed"
    assert decision(reading.result, policy="opt-in") == "denied"  # a publisher's word


@pytest.mark.parametrize("name", STORES[2:])
def test_a_manifest_that_did_not_validate_is_refused_by_default(name: str) -> None:
    reading = read_manifest_store(data(name), IMAGE)
    assert reading.validation_state == "Invalid"
    assert "cawg.ica.did_unavailable" in reading.failures
    assert kinds(reading.result) == []
    (marker,) = reading.result.unreadable
    assert marker.purposes is None and "did not validate" in marker.message
    assert decision(reading.result, policy="signals-only") == "unknown"
    assert decision(reading.result, policy="opt-out") == "denied"


def test_an_invalid_manifests_prohibitions_still_count() -> None:
    value = store("C_with_CAWG_data.reader.json")
    value["validation_state"] = "Invalid"
    reading = read_manifest_store(value, IMAGE)
    assert kinds(reading.result) == [
        ("prohibition", "ai-inference"),
        ("prohibition", "genai-training"),
    ]
    assert len(reading.result.unreadable) == 1


def test_ingredient_manifests_are_not_read() -> None:
    value = store("ims_multiple_manifests.reader.json")
    parent = next(label for label in value["manifests"] if label != value["active_manifest"])
    value["manifests"][parent]["assertions"].append(
        {
            "label": LABEL,
            "data": {"entries": {"cawg.ai_generative_training": {"use": "notAllowed"}}},
        }
    )
    reading = read_manifest_store(value, IMAGE, invalid="read")
    assert kinds(reading.result) == [
        ("permission", "ai-inference"),
        ("permission", "genai-training"),
    ]


def test_a_manifest_without_the_assertion_says_nothing() -> None:
    reading = read_manifest_store(data("CA.reader.json"), IMAGE)
    assert reading.validation_state == "Valid"
    assert reading.labels == ()
    assert reading.result.found == [] and reading.result.unreadable == []
    assert decision(reading.result, policy="signals-only") == "unknown"
    assert decision(reading.result, policy="opt-out") == "allowed"  # silence


def test_a_store_without_an_active_manifest_says_nothing() -> None:
    reading = read_manifest_store({"manifests": {}}, IMAGE)
    assert reading.result.found == [] and reading.result.unreadable == []


def test_the_signer_is_the_party_when_the_caller_knows_it() -> None:
    signer = "ni:///sha-256;2Ni49xtJKxWncN5vV2yDscUawGFcXftSFqTJ-s0Zo3U"
    reading = read_manifest_store(data("C_with_CAWG_data.reader.json"), IMAGE, signer=signer)
    assert reading.result.found[0].declaration["declaredBy"] == {"id": signer, "role": "publisher"}


# -- the corpus: the CAWG specification's example and schema ----------------------------------


def test_the_cbordiag_example_as_published_does_not_parse() -> None:
    result = read_training_mining_json(data("training-mining.cbordiag"), IMAGE, label=LABEL)
    assert result.found == [] and len(result.unreadable) == 1


def test_the_cbordiag_example_once_corrected() -> None:
    result = read_training_mining_json(fixed_cbordiag(), IMAGE, label=LABEL)
    assert_valid(result)
    assert kinds(result) == [
        ("permission", "non-generative-training"),
        ("prohibition", "genai-training"),
        ("prohibition", "tdm"),
    ]
    assert "may only be mined on days whose names end in 'y'" in notes(result)
    assert decision(result, "non-generative-training", policy="signals-only") == "allowed"
    assert decision(result, policy="signals-only") == "denied"
    assert decision(result, "search", policy="signals-only") == "denied"  # constrained mining


def test_the_cddl_names_the_entries_and_uses_we_read() -> None:
    cddl = data("training-mining.cddl").decode()
    names = set(re.findall(r'"cawg\.(\w+)"', cddl))
    assert names == set(ENTRIES)
    assert set(re.findall(r'\$training-mining-choice /= "(\w+)"', cddl)) == set(USES)
    assert '"constraint_info"' in cddl and '"entries"' in cddl


# -- reading: layouts, labels, values ---------------------------------------------------------


@pytest.mark.parametrize("label", [LABEL, LEGACY_LABEL, f"{LABEL}__1"])
@pytest.mark.parametrize("prefix", ["cawg", "c2pa"])
def test_entry_table(label: str, prefix: str) -> None:
    assertion = {
        "entries": {
            f"{prefix}.data_mining": {"use": "allowed"},
            f"{prefix}.ai_inference": {"use": "notAllowed"},
            f"{prefix}.ai_generative_training": {"use": "allowed"},
            f"{prefix}.ai_training": {"use": "constrained"},
        }
    }
    result = read_training_mining(assertion, IMAGE, label=label)
    assert_valid(result)
    assert kinds(result) == [
        ("permission", "genai-training"),
        ("prohibition", "ai-inference"),
        ("prohibition", "non-generative-training"),
    ]
    assert "data_mining allowed: dropped" in notes(result)


def test_a_data_mining_prohibition_is_tdm() -> None:
    result = read_training_mining(
        {"entries": {"cawg.data_mining": {"use": "notAllowed"}}}, IMAGE, label=LABEL
    )
    assert kinds(result) == [("prohibition", "tdm")]
    assert decision(result, "search", policy="signals-only") == "denied"


def test_the_c2pa_1x_layout_without_entries() -> None:
    assertion = {
        "c2pa.ai_generative_training": {"use": "notAllowed"},
        "c2pa.ai_inference": {"use": "allowed"},
        "metadata": {"dateTime": "2024-01-01T00:00:00Z"},
    }
    result = read_training_mining(assertion, IMAGE, label=LEGACY_LABEL)
    assert kinds(result) == [("permission", "ai-inference"), ("prohibition", "genai-training")]
    assert result.unreadable == []


@pytest.mark.parametrize("key", ["constraint_info", "constraints_info"])
def test_constrained_is_a_prohibition_whatever_the_info_is_called(key: str) -> None:
    assertion = {"entries": {"cawg.ai_generative_training": {"use": "constrained", key: "pay me"}}}
    result = read_training_mining(assertion, IMAGE, label=LABEL)
    assert kinds(result) == [("prohibition", "genai-training")]
    assert "pay me" in notes(result)
    assert decision(result, policy="opt-out") == "denied"


def test_custom_entries_are_ignored_and_noted() -> None:
    assertion = {
        "entries": {
            "com.example.ai_art": {"use": "notAllowed"},
            "cawg.ai_inference": {"use": "allowed"},
        }
    }
    result = read_training_mining(assertion, IMAGE, label=LABEL)
    assert kinds(result) == [("permission", "ai-inference")]
    assert "com.example.ai_art" in notes(result)


@pytest.mark.parametrize(
    "entry",
    [
        {"use": "NotAllowed"},
        {"use": "yes"},
        {"use": True},
        {},
        "allowed",
        None,
        {"use": ["allowed"]},
    ],
)
def test_an_unrecognised_use_is_unreadable_for_that_entry(entry: Any) -> None:
    assertion = {
        "entries": {"cawg.ai_generative_training": entry, "cawg.ai_inference": {"use": "allowed"}}
    }
    result = read_training_mining(assertion, IMAGE, label=LABEL)
    assert kinds(result) == [("permission", "ai-inference")]
    (marker,) = result.unreadable
    assert marker.purposes == frozenset({"genai-training"})
    assert decision(result, policy="opt-out") == "denied"
    assert decision(result, "ai-inference", policy="signals-only") == "allowed"


@pytest.mark.parametrize("assertion", [None, [], "allowed", {"entries": []}, {"entries": "x"}])
def test_assertions_that_are_not_maps_are_unreadable(assertion: Any) -> None:
    result = read_training_mining(assertion, IMAGE, label=LABEL)
    assert not kinds(result) and len(result.unreadable) >= 1


def test_an_unknown_label_is_unreadable() -> None:
    result = read_training_mining({"entries": {}}, IMAGE, label="cawg.ai_training_and_data_mining")
    assert result.found == [] and len(result.unreadable) == 1


def test_both_labels_combine_most_restrictively_per_entry() -> None:
    value = store("adobe_connected_identities.reader.json")
    manifest = value["manifests"][value["active_manifest"]]
    for assertion in manifest["assertions"]:
        if assertion["label"] == LEGACY_LABEL:
            assertion["data"]["entries"]["c2pa.ai_inference"] = {"use": "notAllowed"}
    reading = read_manifest_store(value, IMAGE, invalid="read")
    assert kinds(reading.result) == [
        ("permission", "genai-training"),
        ("prohibition", "ai-inference"),
    ]


def test_a_garbled_value_under_one_label_blocks_the_permission_of_the_other() -> None:
    value = store("adobe_connected_identities.reader.json")
    manifest = value["manifests"][value["active_manifest"]]
    for assertion in manifest["assertions"]:
        if assertion["label"] == LEGACY_LABEL:
            assertion["data"]["entries"]["c2pa.ai_inference"] = {"use": "maybe"}
    reading = read_manifest_store(value, IMAGE, invalid="read")
    assert kinds(reading.result) == [("permission", "genai-training")]
    assert decision(reading.result, "ai-inference", policy="opt-out") == "denied"


# -- writing ----------------------------------------------------------------------------------


def entries(text: str) -> dict[str, str]:
    return {key: value["use"] for key, value in json.loads(text)["entries"].items()}


def details(written: Any, kind: str) -> list[str]:
    return [loss.detail for loss in written.losses if loss.kind == kind]


N, A, C = "notAllowed", "allowed", "constrained"
GEN, NONGEN, INF, MINE = (
    "cawg.ai_generative_training",
    "cawg.ai_training",
    "cawg.ai_inference",
    "cawg.data_mining",
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (declaration(prohibition=["genai-training"]), {GEN: N}),
        (declaration(prohibition=["non-generative-training"]), {NONGEN: N}),
        (declaration(prohibition=["ai-inference"]), {INF: N}),
        (declaration(prohibition=["ai-training"]), {GEN: N, NONGEN: N}),
        (declaration(prohibition=["ai-use"]), {GEN: N, NONGEN: N, INF: N}),
        (declaration(prohibition=["tdm"]), {GEN: N, NONGEN: N, INF: N, MINE: N}),
        (declaration(permission=["tdm"]), {GEN: A, NONGEN: A, INF: A, MINE: A}),
        (declaration(permission=["ai-use"]), {GEN: A, NONGEN: A, INF: A}),
        (
            declaration(permission=["genai-training"], prohibition=["tdm"]),
            {GEN: A, NONGEN: N, INF: N, MINE: N},
        ),
        (
            declaration(permission=["tdm"], prohibition=["genai-training"]),
            {GEN: N, NONGEN: A, INF: A, MINE: A},
        ),
        (
            declaration(permission=[{"purpose": "ai-training", "constraint": ["research"]}]),
            {GEN: C, NONGEN: C},
        ),
        (declaration(permission=[{"purpose": "ai-inference", "duty": ["attribute"]}]), {INF: C}),
        (declaration(permission=[{"purpose": "ai-inference", "agent": ["GPTBot"]}]), {INF: C}),
        (declaration(permission=["ai-inference"], jurisdiction=["EU"]), {INF: C}),
        (declaration(permission=["search"]), {}),
    ],
)
def test_the_writing_table(value: dict[str, Any], expected: dict[str, str]) -> None:
    written = write_training_mining([value])
    assert written.media_type == "application/json"
    assert entries(written.text) == expected
    assert "c2pa." not in written.text  # the legacy label and prefix are never written


def test_constrained_carries_its_conditions_and_the_terms() -> None:
    value = declaration(
        permission=[
            {"purpose": "genai-training", "constraint": ["research"], "duty": ["compensate"]}
        ],
        policyUrl="https://example.org/terms",
    )
    written = write_training_mining([value])
    info = json.loads(written.text)["entries"][GEN]["constraint_info"]
    assert "research" in info and "compensation" in info and "https://example.org/terms" in info
    assert any("conditions cannot be written" in d for d in details(written, "dropped"))


def test_a_permission_that_is_not_retroactive_is_constrained_to_newer_content() -> None:
    value = declaration(permission=["genai-training"])
    del value["retroactive"]
    written = write_training_mining([value])
    item = json.loads(written.text)["entries"][GEN]
    assert item["use"] == "constrained"
    assert "created from 2025-03-02T09:15:00+01:00 on" in item["constraint_info"]


def test_losses() -> None:
    value = declaration(
        permission=["search"],
        prohibition=["ai-index", {"purpose": "genai-training", "agent": ["GPTBot"]}],
        basis="explicit-consent",
        jurisdiction=["DE"],
        withdrawnAt="2030-01-01T00:00:00Z",
        content={"minorAtCreation": True},
    )
    written = write_training_mining([value])
    lost = details(written, "lost")
    assert any("ai-index" in d for d in lost)
    assert any("withdrawnAt" in d for d in lost)
    for key in ("basis", "jurisdiction", "content", "the party's role (creator)"):
        assert key in lost, (key, lost)
    assert any("GPTBot" in d for d in details(written, "widened"))
    # withdrawn: the search permission is a refusal now, and there is no entry for it
    assert entries(written.text) == {GEN: N}


def test_a_mining_prohibition_widens_over_a_search_permission() -> None:
    written = write_training_mining([declaration(permission=["search"], prohibition=["tdm"])])
    assert entries(written.text) == {GEN: N, NONGEN: N, INF: N, MINE: N}
    assert any("search" in d for d in details(written, "widened"))
    assert any("search" in d for d in details(written, "dropped"))


def test_several_declarations_combine_most_restrictively() -> None:
    written = write_training_mining(
        [
            declaration(permission=["ai-use"]),
            declaration(prohibition=["ai-inference"], id="urn:example:2"),
        ]
    )
    assert entries(written.text) == {GEN: A, NONGEN: A, INF: N}
    assert any("merged" in d for d in details(written, "lost"))


# -- round trips ------------------------------------------------------------------------------

CAWG_LEAVES = ("genai-training", "non-generative-training", "ai-inference")
EXPRESSIBLE = [
    "tdm",
    "ai-use",
    "ai-training",
    "genai-training",
    "non-generative-training",
    "ai-inference",
]
ALL = list(purpose_tree().depth)


@st.composite
def declarations(draw: st.DrawFn, purposes: list[str], conditions: bool) -> dict[str, Any]:
    def rule(kind: str) -> dict[str, Any]:
        value: dict[str, Any] = {"purpose": draw(st.sampled_from(purposes))}
        if conditions and draw(st.booleans()):
            value["constraint"] = ["research"]
        if conditions and draw(st.booleans()):
            value["agent"] = ["GPTBot"]
        if conditions and kind == "permission" and draw(st.booleans()):
            value["duty"] = ["attribute"]
        return value

    permissions = [rule("permission") for _ in range(draw(st.integers(0, 3)))]
    prohibitions = [rule("prohibition") for _ in range(draw(st.integers(0, 3)))]
    seen = {json.dumps(p, sort_keys=True) for p in permissions}
    prohibitions = [p for p in prohibitions if json.dumps(p, sort_keys=True) not in seen]
    if not permissions and not prohibitions:
        prohibitions = [{"purpose": "ai-inference"}]
    extra: dict[str, Any] = {}
    if conditions and draw(st.booleans()):
        extra["jurisdiction"] = ["DE"]
    if conditions and draw(st.booleans()):
        extra["retroactive"] = False
    return declaration(
        permission=list({json.dumps(p, sort_keys=True): p for p in permissions}.values()),
        prohibition=list({json.dumps(p, sort_keys=True): p for p in prohibitions}.values()),
        **extra,
    )


def decisions(items: list[Any], leaves: tuple[str, ...]) -> dict[tuple[Any, ...], str]:
    prepared = prepare(items)
    table = {}
    for leaf in leaves:
        for place in (None, "DE"):
            for use in (None, "research"):
                for agent in (None, "GPTBot"):
                    table[(leaf, place, use, agent)] = check(
                        prepared,
                        leaf,
                        jurisdiction=place,
                        policy="signals-only",
                        use_type=use,
                        agent=agent,
                    ).decision
    return table


def read_back(value: dict[str, Any]) -> tuple[Any, ReadResult]:
    written = write_training_mining([value])
    assert "c2pa" not in written.text
    result = read_training_mining(json.loads(written.text), IMAGE, label=LABEL)
    return written, result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(declarations(EXPRESSIBLE, conditions=False))
def test_what_cawg_can_express_survives_a_round_trip(value: dict[str, Any]) -> None:
    written, result = read_back(value)
    assert not [
        loss
        for loss in written.losses
        if loss.kind in ("widened", "dropped")
        and "ai-index" not in loss.detail
        and "search" not in loss.detail
    ]
    assert decisions([value], CAWG_LEAVES) == decisions(result.found, CAWG_LEAVES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(declarations(ALL, conditions=True))
def test_a_round_trip_never_allows_more_nor_loses_a_refusal_on_the_cawg_leaves(
    value: dict[str, Any],
) -> None:
    _, result = read_back(value)
    before = decisions([value], LEAVES)
    after = decisions(result.found, LEAVES)
    for key, was in before.items():
        if after[key] == "allowed":
            assert was == "allowed", key
        if was == "denied" and key[0] in CAWG_LEAVES:
            assert after[key] == "denied", key


@settings(max_examples=10, deadline=None)
@given(declarations(ALL, conditions=True))
def test_read_back_declarations_are_schema_valid(value: dict[str, Any]) -> None:
    _, result = read_back(value)
    assert_valid(result)


# -- hostile input ----------------------------------------------------------------------------


def assertion_seeds() -> list[bytes]:
    seeds = [fixed_cbordiag().encode()]
    for name in STORES:
        manifest = store(name)["manifests"]
        for value in manifest.values():
            for assertion in value.get("assertions", []):
                if "training-mining" in assertion["label"]:
                    seeds.append(json.dumps(assertion["data"]).encode())
    seeds.append(
        json.dumps({"c2pa.ai_training": {"use": "allowed", "constraints_info": "x"}}).encode()
    )
    return seeds


def broken(mutant: bytes) -> bool:
    if b"\x00" in mutant:
        return True
    try:
        mutant.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def permits(result: ReadResult) -> bool:
    return any(item.declaration.get("permission") for item in result.found)


def test_assertion_mutants() -> None:
    started = time.monotonic()
    seeds = assertion_seeds()
    count = 0
    for mutant in mutants(seeds, count=2000):
        count += 1
        result = read_training_mining_json(mutant, IMAGE, label=LABEL)
        if broken(mutant):
            assert not permits(result)
    assert count >= 2000 and time.monotonic() - started < 20


def test_store_mutants() -> None:
    started = time.monotonic()
    seeds = [data(name) for name in STORES]
    for mutant in mutants(seeds, count=2000, seed=7):
        reading = read_manifest_store(mutant, IMAGE, invalid="read")
        if broken(mutant):
            assert not permits(reading.result)
    assert time.monotonic() - started < 30


def test_every_truncation_permits_nothing() -> None:
    for seed in [*assertion_seeds(), data("adobe_connected_identities.reader.json")]:
        whole = seed.strip()
        for end in range(1, len(whole), 7 if len(whole) > 2000 else 1):
            result = read_training_mining_json(whole[:end], IMAGE, label=LABEL)
            assert not permits(result) and result.unreadable
            reading = read_manifest_store(whole[:end], IMAGE, invalid="read")
            assert not permits(reading.result)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1000))
def test_any_bytes_never_raise(content: bytes) -> None:
    read_training_mining_json(content, IMAGE, label=LABEL)
    read_manifest_store(content, IMAGE)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=1000))
def test_any_text_never_raises(content: str) -> None:
    read_training_mining_json(content, IMAGE, label=LEGACY_LABEL)
    read_manifest_store(content, IMAGE)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=10)
    | st.sampled_from(list(USES)),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "entries",
                    "use",
                    "constraint_info",
                    "metadata",
                    *[f"cawg.{n}" for n in ENTRIES],
                    *[f"c2pa.{n}" for n in ENTRIES],
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON, st.sampled_from([LABEL, LEGACY_LABEL, "x"]))
def test_any_assertion_shape_never_raises(assertion: Any, label: str) -> None:
    result = read_training_mining(assertion, IMAGE, label=label)
    for item in result.found:
        for rule in item.declaration.get("permission", []):
            assert rule["purpose"] in ("ai-inference", "genai-training", "non-generative-training")


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_any_store_shape_never_raises(value: Any) -> None:
    template = copy.deepcopy(store("C_with_CAWG_data.reader.json"))
    active = template["active_manifest"]
    template["manifests"][active]["assertions"] = [{"label": LABEL, "data": value}]
    read_manifest_store(template, IMAGE)
    read_manifest_store({"active_manifest": active, "manifests": value}, IMAGE)
