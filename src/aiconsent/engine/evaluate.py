"""check(): may this content be used for this purpose, here, now, under this policy?

The steps follow spec.md §6.4 and are numbered as there. Everything that can be prepared once
(the purpose tree, policies, parsed declarations) is; a check only compares values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, get_args

from aiconsent.dates import parse_datetime
from aiconsent.engine.decision import Decision, Reason
from aiconsent.engine.inputs import (
    Declaration,
    Facts,
    Rule,
    compile_declaration,
    merge_copies,
    merge_facts,
)
from aiconsent.engine.places import age_of_digital_consent, canonical, is_group
from aiconsent.engine.policy import Outcome, Policy, PolicyError, resolve
from aiconsent.engine.targets import about
from aiconsent.model.declaration import Duty
from aiconsent.model.found import Found, Unreadable
from aiconsent.vocabulary.purposes import purpose_tree

_NEVER_FOR_MINORS: Final = frozenset({"terms-of-service", "no-objection"})
_DUTY_ORDER: Final = tuple(sorted(get_args(Duty)))
"""Duties as bits, in name order (step 7's tie order compares them as that number)."""
USE_TYPES: Final = ("commercial", "non-commercial", "research")


@dataclass(frozen=True, slots=True)
class Question:
    """The checked circumstances, normalised once."""

    leaf: str
    place: str | None
    at: datetime
    agent: str | None
    use_type: str | None
    policy: Policy


@dataclass(frozen=True, slots=True)
class Prepared:
    """A set of declarations about one item, ready to be checked many times."""

    declarations: tuple[Declaration, ...]
    parties: tuple[tuple[str, tuple[Declaration, ...]], ...]
    facts: Facts
    unreadable: tuple[Unreadable, ...]


def prepare(items: Iterable[Any], *, item: str | None = None) -> Prepared:
    """Compile and merge the declarations about one item (spec §6.2).

    With item (its URL, or the SHA-256 of its bytes), declarations whose targets are about
    other content are left out (§6.2 rule 1); without it, every declaration is taken as about
    the item, which can only make the answer stricter.
    """
    declarations: list[Declaration] = []
    unreadable: list[Unreadable] = []
    for entry in items:
        source, carrier = None, None
        value: dict[str, Any] | None = None
        if isinstance(entry, Declaration):
            if item is None:
                declarations.append(entry)
                continue
            value, source, carrier = entry.raw, entry.source, entry.carrier
        elif isinstance(entry, Unreadable):
            unreadable.append(entry)
            continue
        elif isinstance(entry, Found):
            value, source, carrier = entry.declaration, entry.source, entry.carrier
        elif isinstance(entry, dict):
            value = entry
        elif hasattr(entry, "to_dict"):
            value = entry.to_dict()
        else:
            raise TypeError(f"cannot evaluate {type(entry).__name__}: not a declaration")
        if value.get("type", "ConsentDeclaration") != "ConsentDeclaration":
            continue
        if item is not None:
            value = about(value, item)
            if value is None:
                continue
        declarations.append(compile_declaration(value, source, carrier))
    merged, disagreeing = merge_copies(declarations)
    unreadable.extend(disagreeing)
    parties: dict[str, list[Declaration]] = {}
    for declaration in merged:
        parties.setdefault(declaration.party, []).append(declaration)
    ordered = tuple(
        (party, tuple(sorted(group, key=lambda d: (d.declared_at, d.id))))
        for party, group in sorted(parties.items())
    )
    return Prepared(tuple(merged), ordered, merge_facts(merged), tuple(unreadable))


def check(
    declarations: Iterable[Any] | Prepared,
    purpose: str,
    *,
    jurisdiction: str | None = None,
    at: datetime | str | None = None,
    policy: str | Path | Policy = "opt-in",
    agent: str | None = None,
    use_type: str | None = None,
    item: str | None = None,
) -> Decision:
    """Decide whether the content the declarations are about may be used for purpose.

    declarations may be ConsentDeclaration models, compact dicts, compiled declarations,
    Unreadable markers, or a Prepared set (fastest when the same set is checked often).
    Raises ValueError for an unknown purpose, use type or jurisdiction and PolicyError for an
    unusable policy; never for what the declarations say.
    """
    tree = purpose_tree()
    if purpose not in tree.depth:
        raise ValueError(f"unknown purpose {purpose!r}; expected one of {', '.join(tree.depth)}")
    if use_type is not None and use_type not in USE_TYPES:
        raise ValueError(f"unknown use type {use_type!r}; expected one of {', '.join(USE_TYPES)}")
    place = _place(jurisdiction)
    moment = _moment(at)
    compiled_policy = resolve(policy)
    if isinstance(declarations, Prepared):
        prepared = declarations
    else:
        prepared = prepare(declarations, item=item)
    agent_token = agent.lower() if agent else None
    leaves: dict[str, tuple[Outcome, list[Reason], list[_Found], tuple[str, ...]]] = {}
    for leaf in tree.leaves_of(purpose):
        question = Question(leaf, place, moment, agent_token, use_type, compiled_policy)
        leaves[leaf] = _evaluate_leaf(prepared, question)
    return _combine(purpose, place, moment, compiled_policy, leaves)


def _place(jurisdiction: str | None) -> str | None:
    if jurisdiction is None:
        return None
    if is_group(jurisdiction):
        raise ValueError(f"{jurisdiction} is a group; check in one place, e.g. DE or FR")
    code = canonical(jurisdiction)
    if len(code) != 2 or not code.isalpha() or not code.isascii():
        raise ValueError(f"{jurisdiction!r} is not an ISO 3166-1 alpha-2 code")
    return code


def _moment(at: datetime | str | None) -> datetime:
    if at is None:
        return datetime.now(UTC).replace(microsecond=0)
    moment = parse_datetime(at) if isinstance(at, str) else at
    if moment.tzinfo is None:
        raise ValueError("the time of a check needs a time zone, e.g. 2025-01-01T00:00:00Z")
    return moment


# -- one leaf (steps 3 to 10) --------------------------------------------------------------


# A reason found while evaluating, kept as a cheap tuple until someone reads it:
# (code, declaration, leaf, question, detail).
_Pending = tuple[str, "Declaration", str, "Question | None", "Declaration | None"]
_Found = Reason | _Pending


def _code_of(item: _Found) -> str:
    return item.code if isinstance(item, Reason) else item[0]


def _materialise(item: _Found, decisive: bool) -> Reason:
    if isinstance(item, Reason):
        return item if item.decisive == decisive else replace(item, decisive=decisive)
    code, declaration, leaf, question, detail = item
    return _reason(code, declaration, leaf, decisive=decisive, question=question, detail=detail)


@dataclass(slots=True)
class _Choice:
    declaration: Declaration
    kind: str
    duties: tuple[str, ...]
    rules: tuple[Rule, ...]


def _evaluate_leaf(
    prepared: Prepared, question: Question
) -> tuple[Outcome, list[Reason], list[_Found], tuple[str, ...]]:
    """Steps 3–10 for one leaf: its outcome, decisive reasons, the other findings, duties."""
    leaf = question.leaf
    trace: list[_Found] = []
    superseded: list[_Found] = []
    choices: list[_Choice] = []
    for _, group in prepared.parties:
        candidates = [
            choice
            for declaration in group
            if leaf in declaration.leaves
            and (choice := _choose(declaration, question, prepared.facts, trace)) is not None
        ]
        if not candidates:
            continue
        if len(candidates) == 1:
            choices.append(candidates[0])
            continue
        newest = max(candidate.declaration.declared_at for candidate in candidates)
        latest = [c for c in candidates if c.declaration.declared_at == newest]
        prohibiting = [c for c in latest if c.kind == "prohibition"]
        winner = min(prohibiting or latest, key=_tie_order)
        for candidate in candidates:
            if candidate is not winner:
                pending = ("superseded", candidate.declaration, leaf, None, winner.declaration)
                superseded.append(pending)
        choices.append(winner)

    prohibitions = [choice for choice in choices if choice.kind == "prohibition"]
    facts = prepared.facts
    minor = _is_minor(facts, question.place)
    ai = purpose_tree().is_ai(leaf)
    counted: list[_Choice] = []
    why_not: list[_Found] = list(trace)
    for choice in choices:
        if choice.kind != "permission":
            continue
        code = _excluded_by(choice.declaration, question, facts, minor and ai, ai)
        if code is None:
            counted.append(choice)
        else:
            why_not.append((code, choice.declaration, leaf, question, None))

    outcome: Outcome
    decisive: list[_Found]
    duties: tuple[str, ...] = ()
    if prohibitions:
        outcome = "denied"
        decisive = [_prohibition_reason(choice, leaf) for choice in prohibitions]
        decisive += [
            _reason("withdrawn", choice.declaration, leaf)
            for choice in prohibitions
            if all(rule.from_withdrawal for rule in choice.rules)
        ]
    elif counted:
        outcome = "allowed"
        decisive = [
            _reason("permitted", choice.declaration, leaf, duties=choice.duties)
            for choice in counted
        ]
        duties = tuple(sorted({duty for choice in counted for duty in choice.duties}))
    elif ai and (minor or facts.visibility == "private"):
        outcome = "denied"
        code = "minor-content" if minor else "private-content"
        decisive = list(why_not)
        if not any(_code_of(item) == code for item in why_not):
            decisive.append(_fact_reason(code, leaf, question))
    else:
        outcome = "unknown"
        decisive = why_not or [
            Reason(
                "no-signal", f"no declaration says anything that applies to {leaf}", purpose=leaf
            )
        ]

    concerning = [m for m in prepared.unreadable if m.purposes is None or leaf in m.purposes]
    unreadable = bool(concerning)
    if unreadable and outcome != "denied":
        outcome = "unknown"
        duties = ()
        decisive = [_unreadable_reason(marker, leaf) for marker in concerning]
    if outcome == "unknown":
        outcome, policy_reason = _apply_policy(question.policy, leaf, unreadable)
        if policy_reason is not None:
            decisive.append(policy_reason)
    chosen = {id(item) for item in decisive}
    others = [item for item in why_not if id(item) not in chosen] + superseded
    return outcome, [_materialise(item, True) for item in decisive], others, duties


def _tie_order(choice: _Choice) -> tuple[str, str, str, int, date, bool, str]:
    """Step 7's order among a party's equally new declarations of one kind: by content, so
    the answer does not depend on the order the declarations were given in (the id only
    decides between declarations that would decide alike)."""
    declaration = choice.declaration
    duties = sum(1 << index for index, duty in enumerate(_DUTY_ORDER) if duty in choice.duties)
    from_withdrawal = choice.kind == "prohibition" and all(
        rule.from_withdrawal for rule in choice.rules
    )
    return (
        declaration.role,
        declaration.basis or "unspecified",
        declaration.carrier,
        duties,
        declaration.declared_at.date(),
        from_withdrawal,
        declaration.id,
    )


def _choose(
    declaration: Declaration, question: Question, facts: Facts, trace: list[_Found]
) -> _Choice | None:
    """Steps 3–6 for one declaration: the most specific rule that applies to the leaf, if any."""
    leaf = question.leaf
    at = question.at
    withdrawn = declaration.withdrawn_at is not None and declaration.withdrawn_at <= at
    in_force = (
        declaration.declared_at <= at
        and (declaration.valid_from is None or declaration.valid_from <= at)
        and (declaration.valid_until is None or at < declaration.valid_until)
    )
    if not (in_force or withdrawn):
        code = (
            "expired"
            if declaration.valid_until is not None and at >= declaration.valid_until
            else "not-yet-valid"
        )
        trace.append((code, declaration, leaf, None, None))
        return None
    rules = declaration.prohibitions + (
        declaration.withdrawn_rules if withdrawn else declaration.permissions
    )
    applicable: list[Rule] = []
    for rule in rules:
        if leaf not in rule.leaves:
            continue
        blocked_by = _not_applying(rule, declaration, question, facts)
        if blocked_by is None:
            applicable.append(rule)
        else:
            trace.append((blocked_by, declaration, leaf, question, None))
    if not applicable:
        return None
    deepest = max(rule.depth for rule in applicable)
    top = [rule for rule in applicable if rule.depth == deepest]
    forbidding = [rule for rule in top if rule.kind == "prohibition"]
    if forbidding:
        return _Choice(declaration, "prohibition", (), tuple(forbidding))
    duties = tuple(sorted({duty for rule in top for duty in rule.duties}))
    return _Choice(declaration, "permission", duties, tuple(top))


def _not_applying(
    rule: Rule, declaration: Declaration, question: Question, facts: Facts
) -> str | None:
    """The reason code that keeps a rule from applying (step 6), or None if it applies."""
    if rule.agents is not None and (question.agent is None or question.agent not in rule.agents):
        return "agent-not-matched"
    if rule.constraints is not None:
        satisfied = question.use_type is not None and question.use_type in rule.constraints
        if rule.kind == "permission":
            if question.use_type is None or not all(
                c == question.use_type for c in rule.constraints
            ):
                return "constraint-not-met"
        elif question.use_type is not None and not satisfied:
            return "constraint-not-met"
    if declaration.places is not None:
        if rule.kind == "permission":
            if question.place is None or question.place not in declaration.places:
                return "out-of-jurisdiction"
        elif question.place is not None and question.place not in declaration.places:
            return "out-of-jurisdiction"
    if (
        rule.kind == "permission"
        and not declaration.retroactive
        and (facts.created_at is None or facts.created_at < declaration.declared_at)
    ):
        return "not-retroactive"
    return None


def _is_minor(facts: Facts, place: str | None) -> bool:
    if facts.minor_at_creation:
        return True
    return facts.age_at_creation is not None and facts.age_at_creation < age_of_digital_consent(
        place
    )


def _excluded_by(
    declaration: Declaration, question: Question, facts: Facts, minor_rule: bool, ai: bool
) -> str | None:
    """Step 8: why a deciding permission does not count, or None if it counts."""
    policy = question.policy
    if minor_rule:
        if policy.exclude_minors or declaration.basis in _NEVER_FOR_MINORS:
            return "minor-content"
        if declaration.role != "guardian":
            grown_up = (
                declaration.role in {"creator", "data-subject"}
                and facts.adult_since is not None
                and declaration.declared_at.date() >= facts.adult_since
            )
            if not grown_up:
                return "minor-content"
    if (
        ai
        and facts.visibility == "private"
        and (
            policy.exclude_private
            or declaration.basis not in {"explicit-consent", "license"}
            or not declaration.standing
        )
    ):
        return "private-content"
    if not policy.trusts(declaration.carrier):
        return "untrusted-carrier"
    if not policy.counts(question.leaf, declaration.basis, declaration.role, facts.personal):
        return "basis-not-accepted"
    return None


def _apply_policy(policy: Policy, leaf: str, unreadable: bool) -> tuple[Outcome, Reason | None]:
    """Step 10 (and step 1's rule that unreadable input never becomes allowed)."""
    target = policy.unknown_becomes
    if unreadable and target == "allowed":
        target = "denied"
    if target == "unknown":
        return "unknown", None
    if unreadable and policy.unknown_becomes == "allowed":
        why = "an unreadable signal is never read as permission"
    else:
        why = f"policy {policy.name} treats unknown as {target}"
    return target, Reason("policy-default", f"nothing decided {leaf}; {why}", purpose=leaf)


# -- reasons -------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment is not None else "an unknown date"


def _reason(
    code: str,
    declaration: Declaration,
    leaf: str,
    *,
    decisive: bool = True,
    question: Question | None = None,
    duties: tuple[str, ...] = (),
    detail: Declaration | None = None,
) -> Reason:
    message = _message(code, declaration, leaf, question, duties, detail)
    return Reason(
        code, message, declaration.id, declaration.source, declaration.carrier, leaf, decisive
    )


def _message(
    code: str,
    declaration: Declaration,
    leaf: str,
    question: Question | None,
    duties: tuple[str, ...],
    detail: Declaration | None,
) -> str:
    who = f"the {declaration.role}"
    basis = declaration.basis
    match code:
        case "permitted":
            extra = f", with duties: {', '.join(duties)}" if duties else ""
            return f"{who} permits {leaf} ({basis}){extra}"
        case "withdrawn":
            return f"{who} withdrew consent on {_when(declaration.withdrawn_at)}"
        case "expired":
            return f"{who}'s declaration expired on {_when(declaration.valid_until)}"
        case "not-yet-valid":
            start = max(m for m in (declaration.declared_at, declaration.valid_from) if m)
            return f"{who}'s declaration is not in force yet (from {_when(start)})"
        case "superseded":
            newer = _when(detail.declared_at) if detail else "a later date"
            return f"{who}'s newer declaration of {newer} overrides this one"
        case "out-of-jurisdiction":
            scope = ", ".join(declaration.raw.get("jurisdiction", []))
            place = question.place if question else None
            checked = f"in {place}" if place else "with no jurisdiction"
            return f"{who}'s declaration applies only in {scope} (checked {checked})"
        case "agent-not-matched":
            bound = ", ".join(sorted(_agents(declaration, leaf)))
            agent = question.agent if question else None
            checked = f"for {agent}" if agent else "with no agent"
            return f"{who}'s rule binds only {bound} (checked {checked})"
        case "constraint-not-met":
            use = question.use_type if question else None
            checked = f"as {use}" if use else "with no use type"
            return f"{who}'s rule is limited to a use type (checked {checked})"
        case "not-retroactive":
            return (
                f"{who}'s permission of {_when(declaration.declared_at)} does not cover content "
                "created before it, and the content's creation date is earlier or unknown"
            )
        case "minor-content":
            return (
                f"the content was made by a minor, and {who}'s {basis} permission cannot count "
                "for it (only a guardian, or the person after coming of age)"
            )
        case "private-content":
            return (
                f"the content is private, and {who}'s {basis} permission cannot open it "
                "(only explicit consent or a licence from a party with standing)"
            )
        case "basis-not-accepted":
            policy = f" {question.policy.name}" if question else ""
            return (
                f"{who}'s {basis} permission does not count under policy{policy} for this content"
            )
        case "untrusted-carrier":
            return (
                f"the policy does not trust the {declaration.carrier} carrier of {who}'s permission"
            )
    raise ValueError(f"no message for reason code {code!r}")


def _agents(declaration: Declaration, leaf: str) -> set[str]:
    return {
        token
        for rule in declaration.permissions + declaration.prohibitions
        if leaf in rule.leaves and rule.agents
        for token in rule.agents
    }


def _prohibition_reason(choice: _Choice, leaf: str) -> Reason:
    declaration = choice.declaration
    code = "prohibited-by-standing-party" if declaration.standing else "prohibited"
    purposes = ", ".join(sorted({rule.purpose for rule in choice.rules}))
    if all(rule.from_withdrawal for rule in choice.rules):
        message = f"the {declaration.role} objects to {purposes}: the consent was withdrawn"
    else:
        message = f"the {declaration.role} prohibits {purposes}"
    return Reason(code, message, declaration.id, declaration.source, declaration.carrier, leaf)


def _fact_reason(code: str, leaf: str, question: Question) -> Reason:
    if code == "minor-content":
        age = age_of_digital_consent(question.place)
        where = question.place or "an unknown place"
        text = (
            f"the content was made by a minor (under {age} in {where}) and neither a guardian "
            "nor the person after coming of age permits it"
        )
    else:
        text = (
            "the content is private and no party with standing gave explicit consent or a licence"
        )
    return Reason(code, text, purpose=leaf)


def _unreadable_reason(marker: Unreadable, leaf: str) -> Reason:
    return Reason(
        "unreadable",
        f"a signal could not be read ({marker.message}); nothing can be allowed on it",
        None,
        marker.source,
        marker.carrier,
        leaf,
    )


# -- umbrella purposes (step 2) ------------------------------------------------------------


def _combine(
    purpose: str,
    place: str | None,
    moment: datetime,
    policy: Policy,
    leaves: dict[str, tuple[Outcome, list[Reason], list[_Found], tuple[str, ...]]],
) -> Decision:
    outcomes = {leaf: result[0] for leaf, result in leaves.items()}
    values = set(outcomes.values())
    decision: Outcome = (
        "denied" if "denied" in values else "allowed" if values == {"allowed"} else "unknown"
    )
    reasons: list[Reason] = []
    for leaf_outcome, leaf_reasons, _, _ in leaves.values():
        if leaf_outcome == decision:
            reasons.extend(leaf_reasons)
    duties: tuple[str, ...] = ()
    if decision == "allowed":
        duties = tuple(
            sorted({duty for *_, leaf_duties in leaves.values() for duty in leaf_duties})
        )

    def explain() -> tuple[Reason, ...]:
        trace: list[Reason] = []
        for _, leaf_reasons, others, _ in leaves.values():
            trace.extend(leaf_reasons)
            trace.extend(_materialise(item, False) for item in others)
        return tuple(trace)

    return Decision(
        decision,
        purpose,
        place,
        moment,
        policy.name,
        tuple(_unique(reasons)) if len(leaves) > 1 else tuple(reasons),
        duties,
        outcomes,
        explain,
    )


def _unique(reasons: list[Reason]) -> list[Reason]:
    seen: set[tuple[str, str | None, str | None, str]] = set()
    result = []
    for reason in reasons:
        key = (reason.code, reason.declaration, reason.source, reason.message)
        if key not in seen:
            seen.add(key)
            result.append(reason)
    return result


__all__ = ["PolicyError", "Prepared", "check", "prepare"]
