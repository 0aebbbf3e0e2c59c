"""What a writer of another format may publish (spec §9.1, "What may be published").

Every legacy format loses who said a thing and what the content is, and its readers give what
they read to a publisher with no content facts. A permission the engine would never count
there — an AI use of a minor's content or of private content, which only a guardian, the
grown-up person or explicit consent can open (spec §6.4 step 8) — would come back counted. So
before any writer runs, this one rule takes such permissions out (reported as dropped) and
states for those items what the engine decides about them: AI uses are refused (step 9),
reported as widened where someone might have permitted them. Every writer (`convert`, the
legacy signals `attach` derives, the middleware's headers) calls `publishable` first, and the
readers that recognise derived signals call it too, so both sides compute the same thing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from aiconsent.formats.common import CONTEXT, UNDATED, Loss
from aiconsent.vocabulary.purposes import purpose_tree
from aiconsent.vocabulary.resources import read_json

_NAMESPACE: Final = uuid.UUID("5b0f7f2e-6d0a-4c39-9d52-3f1a2f0e9a11")  # ids of stated refusals
_REFUSED: Final = "ai-use"  # the AI purposes: what step 9 denies for such content


@cache
def oldest_age_of_consent() -> int:
    """The highest age of digital consent anywhere (the fallback included): below it, a person's
    content is a minor's in some jurisdiction, and a format without places cannot say which."""
    table = read_json("digital-consent-ages.json")
    ages = [int(entry["age"]) for entry in table["jurisdictions"].values()]
    return max([int(table["fallback"]["age"]), *ages])


def restriction(content: Any) -> str | None:
    """Why content facts keep a legacy format from stating AI permissions, or None."""
    if not isinstance(content, Mapping):
        return None
    age = content.get("ageAtCreation")
    if content.get("minorAtCreation") is True or (
        isinstance(age, int) and not isinstance(age, bool) and age < oldest_age_of_consent()
    ):
        return "a minor's content"
    if content.get("visibility") == "private":
        return "private content"
    return None


@dataclass(slots=True)
class Publishable:
    """The declarations a legacy writer may state, and how they differ from those given."""

    declarations: list[dict[str, Any]] = field(default_factory=list)
    losses: list[Loss] = field(default_factory=list)


def _key(target: Mapping[str, Any]) -> str:
    return json.dumps(dict(target), sort_keys=True, ensure_ascii=False)


def _ident(value: Mapping[str, Any]) -> str | None:
    identifier = value.get("id")
    return str(identifier) if identifier else None


def publishable(declarations: Iterable[Mapping[str, Any]]) -> Publishable:
    """The declarations with every permission no legacy reader may be shown taken out.

    Content facts hold for the item, whoever stated them (spec §6.2 rule 3), so a target is
    restricted when any declaration about it says its content is a minor's or private; then
    every declaration with that target loses its AI permissions (`tdm` keeps its `search`
    part), and one refusal of the AI purposes per restricted target is added, in force at any
    time, as the engine would answer. Nodes that are not ConsentDeclarations pass unchanged.
    """
    given = [dict(value) for value in declarations]
    restricted: dict[str, tuple[dict[str, Any], str]] = {}
    for value in given:
        if value.get("type", "ConsentDeclaration") != "ConsentDeclaration":
            continue
        why = restriction(value.get("content"))
        if why is None:
            continue
        for target in value.get("target", []):
            if isinstance(target, Mapping):
                restricted.setdefault(_key(target), (dict(target), why))
    result = Publishable()
    if not restricted:
        result.declarations = given
        return result
    tree = purpose_tree()
    for value in given:
        keys = [_key(t) for t in value.get("target", []) if isinstance(t, Mapping)]
        reasons = [restricted[key][1] for key in keys if key in restricted]
        permissions = value.get("permission")
        if not reasons or not permissions:
            result.declarations.append(value)
            continue
        kept: list[dict[str, Any]] = []
        for rule in permissions:
            purpose = str(rule.get("purpose"))
            if not tree.is_ai(purpose) and purpose != "tdm":
                kept.append(rule)
                continue
            detail = f"permission of {purpose}"
            if purpose == "tdm":
                kept.append({**rule, "purpose": "search"})
                detail = "the AI part of the permission of tdm (its search part is kept)"
            result.losses.append(
                Loss(
                    "dropped",
                    f"{detail}: it is about {reasons[0]}, for which only a guardian, the "
                    "grown-up person or explicit consent can permit AI uses, and this format "
                    "cannot say who permitted",
                    _ident(value),
                )
            )
        changed = {key: item for key, item in value.items() if key != "permission"}
        if kept:
            changed["permission"] = _unique(kept)
        if changed.get("permission") or changed.get("prohibition"):
            result.declarations.append(changed)
    present = {value.get("id") for value in result.declarations}
    for key, (target, why) in restricted.items():
        refusal = _refusal(target, key)
        if refusal["id"] in present:  # published once already: publishable is idempotent
            continue
        result.declarations.append(refusal)
        result.losses.append(
            Loss(
                "widened",
                f"{_REFUSED} prohibited for {_shown(target)}: {why}, whose AI uses the engine "
                "denies unless a guardian, the grown-up person or explicit consent permits them",
            )
        )
    return result


def _unique(rules: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    kept = []
    for rule in rules:
        text = json.dumps(rule, sort_keys=True)
        if text not in seen:
            seen.add(text)
            kept.append(rule)
    return kept


def _shown(target: Mapping[str, Any]) -> str:
    kind, value = next(iter(target.items()))
    return f"{kind} {value}"


def _refusal(target: dict[str, Any], key: str) -> dict[str, Any]:
    """What the engine answers for a restricted target, as a declaration a writer can state
    (its id depends only on the target, so a reader that derives it again gets the same)."""
    return {
        "@context": CONTEXT,
        "id": f"urn:uuid:{uuid.uuid5(_NAMESPACE, key)}",
        "type": "ConsentDeclaration",
        "target": [target],
        "declaredBy": {"id": "urn:aiconsent:evaluation", "role": "publisher"},
        "declaredAt": UNDATED,
        "prohibition": [{"purpose": _REFUSED}],
    }
