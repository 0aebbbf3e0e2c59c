"""A DatasetConsent in Croissant cards (spec §10.2), checked against mlcroissant itself."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import mlcroissant as mlc  # a test dependency, heavy to import: once per module
import pytest

from aiconsent.cards.croissant import (
    CroissantError,
    extract_croissant,
    read_croissant,
    readback,
    write_croissant,
)
from aiconsent.cards.issues import MISPLACED_CONSENT, NO_OFFER, OFFER_DISAGREES

from .consents import CROISSANT_CARDS, consent_for


def mlcroissant_issues(card: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """mlcroissant's errors and warnings for a card (a ValidationError counts as errors)."""
    try:
        with warnings.catch_warnings():  # rdflib deprecations raised inside mlcroissant
            warnings.simplefilter("ignore", DeprecationWarning)
            metadata = mlc.Dataset(jsonld=copy.deepcopy(card)).metadata
    except mlc.ValidationError as error:
        return frozenset({str(error)}), frozenset()
    issues = metadata.ctx.issues
    return frozenset(issues.errors), frozenset(issues.warnings)


def card_dataset(path: Path) -> str:
    card = json.loads(path.read_bytes())
    return str(card.get("@id") or card["url"])


@pytest.mark.parametrize("path", CROISSANT_CARDS, ids=[p.stem for p in CROISSANT_CARDS])
def test_attach_keeps_mlcroissant_happy_and_reads_back(path: Path) -> None:
    """No new mlcroissant error or warning; the section reads back; a second attach is a no-op."""
    original = path.read_bytes()
    consent = consent_for(card_dataset(path))
    written = write_croissant(original, consent)
    before = mlcroissant_issues(json.loads(original))
    after = mlcroissant_issues(json.loads(written))
    assert after[0] <= before[0], after[0] - before[0]
    assert after[1] <= before[1], after[1] - before[1]
    found, issues = read_croissant(written, path.name)
    assert found == readback(original, consent) == consent
    assert issues == []
    assert write_croissant(written, consent) == written


@pytest.mark.parametrize("path", CROISSANT_CARDS, ids=[p.stem for p in CROISSANT_CARDS])
def test_every_other_key_keeps_its_value_and_order(path: Path) -> None:
    """Only the @context prefixes, @type, aic properties and usageInfo change."""
    original = json.loads(path.read_bytes())
    written = json.loads(write_croissant(path.read_bytes(), consent_for(card_dataset(path))))
    ours = [k for k in written if k.startswith("aic:") or k == "usageInfo"]
    assert [k for k in written if k not in ours] == list(original)
    for key, value in original.items():
        if key not in ("@context", "@type"):
            assert written[key] == value
    assert written["@type"] == ["sc:Dataset", "aic:DatasetConsent"]
    added = {k: v for k, v in written["@context"].items() if k not in original["@context"]}
    assert added == {
        "aic": "https://w3id.org/aiconsent#",
        "odrl": "http://www.w3.org/ns/odrl/2/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "dpv": "https://w3id.org/dpv#",
    }
    assert list(written["@context"])[: len(original["@context"])] == list(original["@context"])


def test_written_form_is_the_one_of_the_spec() -> None:
    """IRIs for enumerations, typed date-times, prefixed keys, an odrl:Offer in usageInfo."""
    path = CROISSANT_CARDS[0]
    dataset = card_dataset(path)
    card = json.loads(write_croissant(path.read_bytes(), consent_for(dataset)))
    assert card["aic:purposeAssessed"] == [{"@id": "aic:genai-training"}, {"@id": "aic:search"}]
    assert card["aic:policy"] == {"@id": "aic:opt-in"}
    assert card["aic:signalsChecked"]["aic:checkedAt"] == {
        "@value": "2026-10-01T00:00:00Z",
        "@type": "xsd:dateTime",
    }
    assert card["aic:manifest"]["aic:manifestFormat"] == {"@id": "aic:parquet"}
    assert card["aic:decisionCounts"] == {
        "aic:allowedCount": 118200,
        "aic:deniedCount": 1800,
        "aic:unknownCount": 0,
    }
    assert card["aic:source"][0]["dpv:hasLegalBasis"] == {"@id": "aic:explicit-consent"}
    assert "aic:dataset" not in card
    (offer,) = card["usageInfo"]
    assert offer["@type"] == ["CreativeWork", "odrl:Offer"]
    assert offer["odrl:assigner"] == {"@id": "https://huggingface.co/"}
    actions = [p["odrl:action"]["@id"] for p in offer["odrl:permission"]]
    assert actions == ["odrl:gen-ai", "odrl:search"]
    assert {p["odrl:target"]["@id"] for p in offer["odrl:permission"]} == {dataset}


def test_http_schema_org_is_the_same_namespace() -> None:
    """A card written with http://schema.org/ reads like one with https://schema.org/."""
    path = CROISSANT_CARDS[0]
    consent = consent_for(card_dataset(path))
    text = write_croissant(path.read_bytes(), consent).decode()
    http = text.replace('"https://schema.org/"', '"http://schema.org/"')
    assert http != text
    found, issues = read_croissant(http.encode())
    assert found == consent and issues == []


def test_offer_that_disagrees_is_reported_and_the_aic_side_counts() -> None:
    path = CROISSANT_CARDS[0]
    consent = consent_for(card_dataset(path))
    card = json.loads(write_croissant(path.read_bytes(), consent))
    card["usageInfo"][0]["odrl:permission"][0]["odrl:action"] = {"@id": "odrl:ai-training"}
    reading = extract_croissant(json.dumps(card).encode())
    assert reading.consent == consent
    assert [(i.code, i.path, i.severity) for i in reading.issues] == [
        (OFFER_DISAGREES.code, "/usageInfo", "warning")
    ]
    assert reading.offer_actions is not None
    assert reading.offer_actions != reading.expected_actions
    del card["usageInfo"]
    codes = [i.code for i in extract_croissant(json.dumps(card).encode()).issues]
    assert codes == [NO_OFFER.code]


def test_aic_properties_without_the_type_are_an_error() -> None:
    path = CROISSANT_CARDS[0]
    card = json.loads(write_croissant(path.read_bytes(), consent_for(card_dataset(path))))
    card["@type"] = "sc:Dataset"
    found, issues = read_croissant(json.dumps(card).encode())
    assert found is None
    assert [(i.code, i.severity) for i in issues] == [(MISPLACED_CONSENT.code, "error")]


def test_plain_string_dates_and_urls_are_read() -> None:
    """Spec §10.2 allows date-times as plain strings; url is a plain string in the example."""
    path = CROISSANT_CARDS[0]
    consent = consent_for(card_dataset(path))
    card = json.loads(write_croissant(path.read_bytes(), consent))
    card["aic:signalsChecked"]["aic:checkedAt"] = "2026-10-01T00:00:00Z"
    found, _ = read_croissant(json.dumps(card).encode())
    assert found == consent


def test_card_without_consent_reads_none() -> None:
    for path in CROISSANT_CARDS:
        assert read_croissant(path.read_bytes(), path.name) == (None, [])


def test_pointers_lead_into_the_card() -> None:
    path = CROISSANT_CARDS[0]
    written = write_croissant(path.read_bytes(), consent_for(card_dataset(path)))
    reading = extract_croissant(written)
    assert reading.pointer("/itemCount") == "/aic:itemCount"
    assert reading.pointer("/signalsChecked/checkedAt") == "/aic:signalsChecked/aic:checkedAt"
    assert reading.pointer("/decisionCounts/denied") == "/aic:decisionCounts/aic:deniedCount"
    assert reading.pointer("/sources/0/basis") == "/aic:source/0/dpv:hasLegalBasis"
    assert reading.pointer("/manifest/url") == "/aic:manifest/url"
    assert reading.pointer("/dataset") == "/url"
    assert reading.pointer("") == ""


def test_refusals_leave_nothing_half_done() -> None:
    path = CROISSANT_CARDS[0]
    with pytest.raises(CroissantError, match="is about"):
        write_croissant(path.read_bytes(), consent_for("https://elsewhere.example/d"))
    clash = json.loads(path.read_bytes())
    clash["@context"]["aic"] = "https://example.org/not-ours#"
    with pytest.raises(CroissantError, match="maps 'aic'"):
        write_croissant(json.dumps(clash).encode(), consent_for(card_dataset(path)))
    with pytest.raises(CroissantError, match="not valid JSON"):
        write_croissant(b'{"@context": {}, "a": 1, "a": 2}', consent_for(card_dataset(path)))
    with pytest.raises(CroissantError, match="no sc:Dataset"):
        write_croissant(b'{"@context": {"@vocab": "https://schema.org/"}, "@type": "Thing"}', {})


def test_remote_context_is_never_fetched() -> None:
    card = {"@context": "https://example.org/ctx.jsonld", "@type": "sc:Dataset"}
    found, issues = read_croissant(json.dumps(card).encode())
    assert found is None
    assert [i.code for i in issues] == ["AIC602"]


def test_example_card_passes_mlcroissant_and_reads() -> None:
    """examples/cards/simple-parquet.croissant.json: no mlcroissant error, a valid section."""
    example = Path(__file__).resolve().parents[2] / "examples" / "cards"
    card = example / "simple-parquet.croissant.json"
    errors, _ = mlcroissant_issues(json.loads(card.read_bytes()))
    assert errors == frozenset()
    found, issues = read_croissant(card.read_bytes(), card.name)
    assert issues == []
    assert found == json.loads((example / "consent.jsonld").read_bytes())
