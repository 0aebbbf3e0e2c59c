"""The data tables the engine will rely on are complete and within the law's bounds."""

from __future__ import annotations

from aiconsent.vocabulary.resources import read_json


def test_every_eu_and_eea_state_has_an_age_of_digital_consent() -> None:
    """Each member state of the EEA has an entry, so no EU check falls back by accident."""
    ages = read_json("digital-consent-ages.json")["jurisdictions"]
    groups = read_json("jurisdictions.json")["groups"]
    assert set(groups["EEA"]) <= set(ages)
    assert set(groups["EU"]) <= set(groups["EEA"])


def test_gdpr_ages_lie_between_13_and_16() -> None:
    """GDPR Art. 8 allows 13 to 16; every EEA entry respects that and cites a source."""
    ages = read_json("digital-consent-ages.json")["jurisdictions"]
    for code in read_json("jurisdictions.json")["groups"]["EEA"]:
        entry = ages[code]
        assert 13 <= entry["age"] <= 16, code
        assert entry["source"], code


def test_known_ages_match_the_reference() -> None:
    """Spot checks against the reference table: DE 16, DK 13, ES 14, FR 15."""
    ages = read_json("digital-consent-ages.json")["jurisdictions"]
    assert {code: ages[code]["age"] for code in ("DE", "DK", "ES", "FR")} == {
        "DE": 16,
        "DK": 13,
        "ES": 14,
        "FR": 15,
    }


def test_fallback_fails_closed() -> None:
    """Where no age is known, the fallback is the age of majority, not the lowest age."""
    table = read_json("digital-consent-ages.json")
    assert table["fallback"]["age"] == 18


def test_agent_table_has_the_major_ai_crawlers() -> None:
    """The agent table holds the tokens that matter most in practice."""
    agents = read_json("ai-agents.json")["agents"]
    for token in (
        "GPTBot",
        "ClaudeBot",
        "CCBot",
        "Google-Extended",
        "Applebot-Extended",
        "Bytespider",
    ):
        assert token in agents
