"""IPTC Photo Metadata / PLUS `plus:DataMining` values (spec §9.11): value mappings only.

Getting the value out of an image's XMP (or a NewsML-G2 `dataMining` element) is the caller's
job; this module says what one value means and which value best states a declaration. The
property holds one code, so almost everything but that code is lost on writing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from aiconsent.formats.cawg import LeafView, common_losses, resolve_leaves
from aiconsent.formats.common import CONTEXT, Loss, Origin, declaration, found, unreadable
from aiconsent.model.found import Found, ReadResult

CARRIER: Final = "xmp"
VOCABULARY: Final = "http://ns.useplus.org/ldf/vocab/"
NAMESPACE: Final = "http://ns.useplus.org/ldf/xmp/1.0/"
MAX_TEXT: Final = 64 * 1024

UNSPECIFIED: Final = "DMI-UNSPECIFIED"
ALLOWED: Final = "DMI-ALLOWED"
PROHIBITED_AIML: Final = "DMI-PROHIBITED-AIMLTRAINING"
PROHIBITED_GENAI: Final = "DMI-PROHIBITED-GENAIMLTRAINING"
PROHIBITED_EXCEPT_SEARCH: Final = "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
PROHIBITED: Final = "DMI-PROHIBITED"
SEE_CONSTRAINT: Final = "DMI-PROHIBITED-SEECONSTRAINT"
SEE_EMBEDDED: Final = "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR"
SEE_LINKED: Final = "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR"
CODES: Final = (
    UNSPECIFIED,
    ALLOWED,
    PROHIBITED_AIML,
    PROHIBITED_GENAI,
    PROHIBITED_EXCEPT_SEARCH,
    PROHIBITED,
    SEE_CONSTRAINT,
    SEE_EMBEDDED,
    SEE_LINKED,
)
# code -> (permissions, prohibitions) for the codes that need nothing else
RULES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    ALLOWED: (("tdm",), ()),
    PROHIBITED_AIML: ((), ("ai-training",)),
    PROHIBITED_GENAI: ((), ("genai-training",)),
    PROHIBITED_EXCEPT_SEARCH: (("search",), ("tdm",)),
    PROHIBITED: ((), ("tdm",)),
}
EXPRESSION_TYPES: Final = ("json", "ld+json", "odrl")


def _note(result: ReadResult, origin: Origin, message: str) -> None:
    result.other.append({"note": message, "source": origin.source, "carrier": CARRIER})


def code_of(value: str) -> str | None:
    """The DMI code a property value names (full PLUS URI or bare code); None if none."""
    text = value.strip()
    if text.startswith(VOCABULARY):
        text = text[len(VOCABULARY) :]
    return text if text in CODES else None


def read_data_mining(
    value: str | None,
    other_constraints: Mapping[str, str] | None,
    origin: Origin,
    *,
    embedded_expression: bytes | str | None = None,
    embedded_type: str | None = None,
    linked_expression: bytes | str | None = None,
    linked_type: str | None = None,
) -> ReadResult:
    """What one `plus:DataMining` value says about the file (carrier xmp, target its hash).

    `other_constraints` is the `plus:OtherConstraints` language alternative (kept as evidence
    for SEECONSTRAINT). The SEE…RIGHTSEXPR codes read the embedded or (already fetched) linked
    rights expression when it is aiconsent JSON-LD or ODRL, and otherwise prohibit tdm.
    """
    result = ReadResult()
    if value is None:
        return result
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        unreadable(result, origin, CARRIER, "plus:DataMining is not a short text value")
        return result
    raw = _raw(value, other_constraints)
    code = code_of(value)
    if code is None:
        shown = value.strip()[:120]
        unreadable(result, origin, CARRIER, f"plus:DataMining {shown!r} is not a PLUS DMI code")
        return result
    if code == UNSPECIFIED:
        _note(result, origin, "plus:DataMining DMI-UNSPECIFIED: no prohibition defined")
        return result
    if code in RULES:
        permissions, prohibitions = RULES[code]
        _emit(result, origin, raw, permissions, prohibitions)
        return result
    if code == SEE_CONSTRAINT:
        text = _constraint_text(other_constraints)
        _note(
            result,
            origin,
            f"{code}: plus:OtherConstraints kept as evidence, not interpreted: {text[:300]!r}",
        )
        _emit(result, origin, raw, (), ("tdm",))
        return result
    expression, media_type, where = (
        (embedded_expression, embedded_type, "embedded")
        if code == SEE_EMBEDDED
        else (linked_expression, linked_type, "linked")
    )
    inner = _read_expression(expression, media_type, origin)
    if inner is not None:
        _note(result, origin, f"{code}: the {where} rights expression is read instead")
        result.extend(inner)
        return result
    _note(result, origin, f"{code}: no readable {where} rights expression; tdm prohibited")
    _emit(result, origin, raw, (), ("tdm",))
    return result


def _emit(
    result: ReadResult,
    origin: Origin,
    raw: str,
    permissions: Sequence[str],
    prohibitions: Sequence[str],
) -> None:
    value = declaration(
        origin,
        CARRIER,
        permission=[{"purpose": p} for p in permissions],
        prohibition=[{"purpose": p} for p in prohibitions],
        raw=raw,
    )
    found(result, value, origin, CARRIER)


def _raw(value: str, other_constraints: Mapping[str, str] | None) -> str:
    record: dict[str, Any] = {"plus:DataMining": value}
    if other_constraints:
        record["plus:OtherConstraints"] = {
            str(language): str(text) for language, text in other_constraints.items()
        }
    return json.dumps(record, ensure_ascii=False)


def _constraint_text(other_constraints: Mapping[str, str] | None) -> str:
    if not other_constraints:
        return ""
    for language in ("x-default", "en", *other_constraints):
        text = other_constraints.get(language)
        if isinstance(text, str):
            return text
    return ""


def _read_expression(
    expression: bytes | str | None, media_type: str | None, origin: Origin
) -> ReadResult | None:
    """An aiconsent or ODRL rights expression, if it reads cleanly into at least one
    declaration; None otherwise (the caller then prohibits tdm)."""
    if expression is None:
        return None
    if media_type and not any(kind in media_type.lower() for kind in EXPRESSION_TYPES):
        return None
    data = (
        expression.encode("utf-8", "surrogatepass") if isinstance(expression, str) else expression
    )
    from aiconsent.formats.cawg import parse_json
    from aiconsent.formats.odrl import read_odrl

    try:
        document = parse_json(data)
    except ValueError:
        return None
    if not isinstance(document, dict | list):
        return None
    if _is_aiconsent(document):
        from aiconsent.readers.jsonld import read_jsonld

        inner = read_jsonld(data, f"{origin.source}#rights-expression")
        result = ReadResult(
            found=[Found(item.declaration, item.source, CARRIER) for item in inner.found],
            unreadable=inner.unreadable,
            other=inner.other,
        )
    else:
        result = read_odrl(document, origin, carrier=CARRIER)
    if result.unreadable or not result.found:
        return None
    return result


def _is_aiconsent(document: Any) -> bool:
    nodes = document if isinstance(document, list) else [document]
    for node in nodes:
        if isinstance(node, dict):
            context = node.get("@context")
            contexts = context if isinstance(context, list) else [context]
            if CONTEXT in contexts:
                return True
    return False


# --------------------------------------------------------------------------- writing


class DataMiningValue(NamedTuple):
    """What to write: the PLUS URI (None: omit the property), an optional
    `plus:OtherConstraints` language alternative, and what the code cannot carry."""

    uri: str | None
    other_constraints: dict[str, str] | None
    losses: list[Loss]

    @property
    def code(self) -> str | None:
        return self.uri[len(VOCABULARY) :] if self.uri else None


_LEAVES: Final = ("genai-training", "non-generative-training", "ai-inference", "ai-index", "search")


def write_data_mining(
    declarations: Sequence[Mapping[str, Any]],
    *,
    embedded: bool = False,
    linked_url: str | None = None,
) -> DataMiningValue:
    """The one DMI code that fits the declarations best (spec §9.11), first fit wins.

    With `embedded=True` the caller embeds the aiconsent document as the Embedded Encoded
    Rights Expression (type application/ld+json); with `linked_url` it links to it there.
    """
    view = resolve_leaves(declarations)
    # A conditional permission over a prohibition is that prohibition here (the permission is
    # dropped); over nothing it is nothing.
    outcomes = {leaf: _plain(view, leaf) for leaf in _LEAVES}
    others = {leaf: o for leaf, o in outcomes.items() if leaf != "search"}
    ident = str(declarations[0].get("id")) if len(declarations) == 1 else None
    losses: list[Loss] = []
    for value in declarations:
        losses.extend(common_losses(value))
        for rule in value.get("permission", []):
            for duty in rule.get("duty", []):
                losses.append(Loss("dropped", f"duty {duty} of {rule['purpose']}", ident))
            if rule.get("agent"):
                losses.append(
                    Loss("dropped", f"agents of the permission of {rule['purpose']}", ident)
                )

    code: str | None
    if all(o is None for o in outcomes.values()):
        code = None
    elif outcomes["search"] == "allowed" and all(o == "prohibited" for o in others.values()):
        code = PROHIBITED_EXCEPT_SEARCH
    elif all(o == "prohibited" for o in outcomes.values()):
        code = PROHIBITED
    elif all(o == "allowed" for o in outcomes.values()):
        code = ALLOWED
    elif _refuses_only(outcomes, {"genai-training"}):
        code = PROHIBITED_GENAI
    elif _refuses_only(outcomes, {"genai-training", "non-generative-training"}):
        code = PROHIBITED_AIML
    else:
        code = None
    if code in (PROHIBITED_GENAI, PROHIBITED_AIML):
        # The code says nothing of the other uses: their permissions are dropped (reported),
        # which loses them without inventing a refusal, as DMI-PROHIBITED would.
        for leaf, outcome in outcomes.items():
            if outcome == "allowed":
                losses.append(Loss("dropped", f"permission of {leaf} ({code})", ident))
    if code is not None or all(o is None for o in outcomes.values()):
        losses = [*view.losses, *losses]
        return DataMiningValue(VOCABULARY + code if code else None, None, losses)

    if embedded or linked_url:
        code = SEE_EMBEDDED if embedded else SEE_LINKED
        where = "embedded" if embedded else f"linked ({linked_url})"
        return DataMiningValue(
            VOCABULARY + code,
            None,
            [
                Loss(
                    "widened",
                    f"readers that do not read the {where} rights expression see tdm prohibited",
                    ident,
                )
            ],
        )
    fallback: list[Loss] = [*view.losses, *losses]
    if "prohibited" not in outcomes.values():
        # Only permissions that no code states: dropping them is allowed (spec §9.1), turning
        # them into DMI-PROHIBITED would invent a refusal nobody made.
        for leaf, outcome in outcomes.items():
            if outcome is not None:
                fallback.append(Loss("dropped", f"permission of {leaf} (no DMI code)", ident))
        return DataMiningValue(None, None, fallback)
    for leaf, outcome in outcomes.items():
        if outcome == "allowed":
            fallback.append(Loss("dropped", f"permission of {leaf} (DMI-PROHIBITED)", ident))
        elif outcome is None:
            fallback.append(Loss("widened", f"{leaf} prohibited by DMI-PROHIBITED", ident))
    summary = _summary(outcomes)
    return DataMiningValue(VOCABULARY + PROHIBITED, {"x-default": summary}, fallback)


def _plain(view: LeafView, leaf: str) -> str | None:
    outcome = view.outcomes.get(leaf)
    if outcome == "constrained":
        return "prohibited" if view.beneath.get(leaf) == "prohibited" else None
    return outcome


def _refuses_only(outcomes: Mapping[str, str | None], leaves: set[str]) -> bool:
    """These leaves, and no other, are prohibited (the rest permitted or not mentioned)."""
    return all((outcome == "prohibited") == (leaf in leaves) for leaf, outcome in outcomes.items())


def _summary(outcomes: Mapping[str, str | None]) -> str:
    parts = []
    for state in ("prohibited", "constrained", "allowed"):
        leaves = [leaf for leaf, outcome in outcomes.items() if outcome == state]
        if leaves:
            parts.append(f"{state}: {', '.join(leaves)}")
    return "aiconsent: " + "; ".join(parts)
