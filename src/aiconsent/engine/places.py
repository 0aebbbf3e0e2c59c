"""Jurisdictions: which places a declaration's jurisdiction covers, and ages of digital consent."""

from __future__ import annotations

from functools import cache

from aiconsent.vocabulary.resources import read_json


@cache
def _groups() -> dict[str, frozenset[str]]:
    return {
        name: frozenset(members)
        for name, members in read_json("jurisdictions.json")["groups"].items()
    }


@cache
def _aliases() -> dict[str, str]:
    return dict(read_json("jurisdictions.json")["aliases"])


def canonical(code: str) -> str:
    """Upper-case ISO 3166-1 alpha-2, with the aliases UK -> GB and EL -> GR applied."""
    upper = code.strip().upper()
    return _aliases().get(upper, upper)


def is_group(code: str) -> bool:
    """Whether a code names a group (EU, EEA) rather than one place."""
    return code.upper() in _groups()


def expand(codes: list[str]) -> frozenset[str]:
    """Every single place a jurisdiction list covers (groups stand for their members)."""
    places: set[str] = set()
    groups = _groups()
    for code in codes:
        name = canonical(code)
        places |= groups.get(name, frozenset({name}))
    return frozenset(places)


@cache
def age_of_digital_consent(place: str | None) -> int:
    """The age from which a person's own consent counts in a place; 18 where none is known."""
    table = read_json("digital-consent-ages.json")
    if place is not None:
        entry = table["jurisdictions"].get(canonical(place))
        if entry is not None:
            return int(entry["age"])
    return int(table["fallback"]["age"])
