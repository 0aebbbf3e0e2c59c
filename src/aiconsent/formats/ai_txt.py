"""Spawning `/ai.txt`, read and written as spec §9.7 says.

ai.txt uses robots.txt syntax: `User-agent` groups of `Allow` and `Disallow` rules, mostly
file-extension globs (`Disallow: *.jpg`); `Disallow: *` with `Disallow: /` opts a whole site
out. Unlike robots.txt it speaks about training, not fetching: a resolved `Disallow` is a
prohibition of `ai-training`, an explicit matching `Allow` a permission of it, and no matching
rule says nothing. Group selection and path matching are RFC 9309's (§9.5 step 1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple

from aiconsent.formats.common import Loss, Origin, Written, declaration, found, unreadable
from aiconsent.formats.patterns import matches, normalise_path, path_of, specificity
from aiconsent.formats.rsl import origin_of
from aiconsent.model.found import ReadResult
from aiconsent.vocabulary.purposes import purpose_tree

CARRIER: Final = "ai-txt"
MEDIA_TYPE: Final = "text/plain; charset=utf-8"
MAX_BYTES: Final = 10 * 1024 * 1024
READ_LIMIT: Final = 500 * 1024  # robots.txt parsers may stop here (RFC 9309 §2.5)
PURPOSE: Final = "ai-training"
HEADER: Final = "# Spawning AI\n# Written by aiconsent: rules about AI training only.\n"
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
_TOKEN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_AGENT_TOKEN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_TRAINING_LEAVES: Final = frozenset({"genai-training", "non-generative-training"})

Kind = Literal["allow", "disallow"]


class Rule(NamedTuple):
    """An Allow or Disallow line: its pattern in target form, and its length as written
    (RFC 9309 ranks matches by the octets of the rule's path)."""

    kind: Kind
    pattern: str
    length: int


@dataclass(slots=True)
class Group:
    """One `User-agent` group: the agents it names (lower case; `*` for every agent) and rules."""

    agents: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # as written, for agent lists
    rules: list[Rule] = field(default_factory=list)
    invalid_agent: bool = False  # a User-agent value that is not a product token


@dataclass(slots=True)
class Parsed:
    groups: list[Group]
    possibly_truncated: bool
    bad_patterns: list[str]


def rule_pattern(value: str) -> str | None:
    """A rule's path pattern in the form targets use; None if it is not a path pattern.

    `*.jpg` and `/*.jpg` match the same paths; a trailing `*` adds nothing (RFC 9309).
    """
    text = value.strip()
    if text.startswith("*"):
        text = "/" + text
    if not text.startswith("/"):
        return None
    while text.endswith("*") and len(text) > 1:
        text = text[:-1]
    return normalise_path(text)


def parse(text: str, *, truncated: bool = False) -> Parsed:
    """Groups and rules of a robots.txt-syntax file (unknown lines ignored, as RFC 9309 does)."""
    lines = _LINE_BREAK.split(text)
    last = lines[-1].split("#", 1)[0].strip() if lines else ""
    possibly_truncated = truncated or bool(last)  # an unterminated last line may be cut short
    groups: list[Group] = []
    current: Group | None = None
    in_rules = False
    bad: list[str] = []
    for line in lines:
        content = line.split("#", 1)[0].strip()
        if ":" not in content:
            continue
        key, value = (part.strip() for part in content.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if current is None or in_rules:
                current = Group()
                groups.append(current)
                in_rules = False
            if value == "*":
                current.agents.append("*")
                continue
            token = _TOKEN.match(value)
            rest = value[token.end() :] if token else value
            if token and (not rest or rest[0] in "/ \t") and _AGENT_TOKEN.match(token.group()):
                current.agents.append(token.group().lower())
                current.names.append(token.group())
            else:
                current.invalid_agent = True
        elif key in {"allow", "disallow"} and current is not None:
            in_rules = True
            if not value:
                continue  # an empty rule matches nothing
            pattern = rule_pattern(value)
            if pattern is None:
                bad.append(f"{key}: {value}")
                continue
            kind: Kind = "allow" if key == "allow" else "disallow"
            current.rules.append(Rule(kind, pattern, specificity(value)))
    return Parsed(groups, possibly_truncated, bad)


@dataclass(slots=True)
class Selection:
    """The rules that apply to one set of agents (None: every agent without its own group)."""

    agents: list[str] | None
    rules: list[Rule]
    permissions_allowed: bool = True


def select(parsed: Parsed, agent: str | None) -> list[Selection]:
    """RFC 9309 group selection (spec §9.5 step 1 and 3).

    With an agent: its own group(s), else the `*` group. Without one: the `*` group for
    everyone, and each named group for its agents. A `*` Allow is then not read when named
    groups exist, since aiconsent cannot exempt those agents from a rule for everyone.
    """
    star: list[Rule] = []
    named: dict[str, tuple[str, list[Rule]]] = {}
    loose: list[Rule] = []  # groups whose agent is not a product token
    for group in parsed.groups:
        if "*" in group.agents:
            star.extend(group.rules)
        for token, name in zip([a for a in group.agents if a != "*"], group.names, strict=True):
            named.setdefault(token, (name, []))[1].extend(group.rules)
        if group.invalid_agent:
            loose.extend(group.rules)
    if agent is not None:
        token = agent.strip().lower()
        if token in named:
            name, rules = named[token]
            return [Selection([name], rules)]
        return [Selection(None, star)] if star else []
    selections = [Selection(None, star, permissions_allowed=not named and not loose)]
    by_rules: dict[str, Selection] = {}
    for name, rules in named.values():
        key = repr(rules)
        if key in by_rules:
            by_rules[key].agents = [*(by_rules[key].agents or []), name]
        else:
            by_rules[key] = Selection([name], rules)
    selections.extend(by_rules.values())
    if loose:  # cannot be scoped to an agent: prohibitions for everyone, no permissions
        selections.append(Selection(None, loose, permissions_allowed=False))
    return [selection for selection in selections if selection.rules]


def resolve(rules: Iterable[Rule], path: str) -> Kind | None:
    """The longest matching rule; Allow wins a tie (RFC 9309 §2.2.2)."""
    best: tuple[int, int] | None = None
    decision: Kind | None = None
    for rule in rules:
        if matches(rule.pattern, path):
            rank = (rule.length, 1 if rule.kind == "allow" else 0)
            if best is None or rank > best:
                best, decision = rank, rule.kind
    return decision


def standing_patterns(rules: Iterable[Rule]) -> tuple[list[str], list[str]]:
    """Allowed and disallowed patterns, where a pattern both allowed and disallowed keeps only
    the rule that wins for it (the longer as written; Allow on a tie)."""
    longest: dict[tuple[Kind, str], int] = {}
    for rule in rules:
        key = (rule.kind, rule.pattern)
        longest[key] = max(longest.get(key, 0), rule.length)
    allowed: list[str] = []
    disallowed: list[str] = []
    for (kind, pattern), length in longest.items():
        rival = longest.get(("disallow" if kind == "allow" else "allow", pattern))
        if kind == "allow" and (rival is None or length >= rival):
            allowed.append(pattern)
        elif kind == "disallow" and (rival is None or length > rival):
            disallowed.append(pattern)
    return allowed, disallowed


def _decode(data: bytes) -> tuple[str | None, bool, str]:
    """Text of the file, whether it was cut, and why it cannot be read if it cannot."""
    if len(data) > MAX_BYTES:
        return None, False, f"the file has {len(data)} bytes; the limit is {MAX_BYTES}"
    cut = len(data) > READ_LIMIT
    if cut:
        data = data[:READ_LIMIT]
        data = data[: max(data.rfind(b"\n"), data.rfind(b"\r")) + 1]
    if b"\x00" in data:
        return None, cut, "the file contains NUL bytes: not a text file"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, cut, "the file is not UTF-8 text"
    return text.removeprefix("\ufeff"), cut, ""


def _rule(agents: list[str] | None) -> dict[str, Any]:
    rule: dict[str, Any] = {"purpose": PURPOSE}
    if agents:
        rule["agent"] = agents
    return rule


def _raw(selection: Selection) -> str:
    agents = selection.agents or ["*"]
    lines = [f"User-agent: {name}" for name in agents]
    lines += [f"{rule.kind.capitalize()}: {rule.pattern}" for rule in selection.rules]
    return "\n".join(lines)


def read_ai_txt(
    data: bytes, origin: Origin, *, site: str | None = None, agent: str | None = None
) -> ReadResult:
    """Read a Spawning ai.txt (carrier `ai-txt`, party: the file's URL).

    site is the origin the file speaks for (by default that of its URL). When origin.target
    names an item other than the file, the rules are resolved for that item's path (longest
    match, Allow on a tie) and the result targets the item; otherwise each group's Disallow and
    Allow patterns become `urlPattern` targets, whose overlaps then combine most restrictively.
    agent selects groups as RFC 9309 does for that product token.
    """
    result = ReadResult()
    if origin.party.split("?", 1)[0].rstrip("/").endswith("/.well-known/ai.txt"):
        return result  # another proposal's file (§9.7), not this format
    text, cut, problem = _decode(data)
    if text is None:
        unreadable(result, origin, CARRIER, f"ai.txt unreadable: {problem}", [PURPOSE])
        return result
    parsed = parse(text, truncated=cut)
    where = origin_of(site) if site else origin_of(origin.party)
    selections = select(parsed, agent)
    if parsed.bad_patterns and selections:
        for bad in parsed.bad_patterns:
            message = f"ai.txt rule {bad!r} is not a path pattern"
            unreadable(result, origin, CARRIER, message, [PURPOSE])
    permissions_ok = not parsed.possibly_truncated
    item = origin.target.get("url")
    if item and item != origin.party:
        if where is not None and origin_of(item) != where:
            return result  # the file speaks only for its own site
        path = path_of(item)
        prohibitions: list[dict[str, Any]] = []
        permissions: list[dict[str, Any]] = []
        for selection in selections:
            decision = resolve(selection.rules, path)
            if decision == "disallow":
                prohibitions.append(_rule(selection.agents))
            elif decision == "allow" and permissions_ok and selection.permissions_allowed:
                permissions.append(_rule(selection.agents))
        raw = "\n\n".join(_raw(selection) for selection in selections)
        value = declaration(
            origin, CARRIER, permission=permissions, prohibition=prohibitions, raw=raw
        )
        found(result, value, origin, CARRIER)
        return result
    prefix = where or ""
    for selection in selections:
        allowed, disallowed = standing_patterns(selection.rules)
        if "/" in disallowed:
            disallowed = ["/"]  # everything: the other patterns add nothing
        raw = _raw(selection)
        if disallowed:
            value = declaration(origin, CARRIER, prohibition=[_rule(selection.agents)], raw=raw)
            if value is not None:
                value["target"] = [{"urlPattern": prefix + p} for p in disallowed]
            found(result, value, origin, CARRIER)
        if allowed and permissions_ok and selection.permissions_allowed:
            value = declaration(origin, CARRIER, permission=[_rule(selection.agents)], raw=raw)
            if value is not None:
                value["target"] = [{"urlPattern": prefix + p} for p in allowed]
            found(result, value, origin, CARRIER)
    return result


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class _Line:
    kind: Kind
    pattern: str
    agents: tuple[str, ...] | None  # None: every agent
    declaration: str | None
    depth: int  # depth of the purpose the line was written from


def _standard_losses(value: dict[str, Any], ident: str | None, losses: list[Loss]) -> None:
    """What ai.txt never carries (spec §9.7 Lost, §9.13)."""
    losses.append(Loss("lost", "declaredBy: the party (ai.txt names no declaring party)", ident))
    losses.append(Loss("lost", "declaredAt: the time of the declaration", ident))
    if value.get("basis", "unspecified") != "unspecified":
        losses.append(Loss("lost", f"basis: {value['basis']}", ident))
    for key, what in (
        ("content", "content facts (minors, visibility, personal data, creation time)"),
        ("withdrawnAt", "the withdrawal time (permissions written as prohibitions)"),
        ("withdrawalUrl", "where to withdraw"),
        ("evidence", "the evidence of the consent event"),
        ("policyUrl", "the terms"),
        ("validFrom", "the start of validity"),
        ("validUntil", "the end of validity"),
    ):
        if key in value:
            losses.append(Loss("lost", f"{key}: {what}", ident))


def _target_path(target: dict[str, Any]) -> tuple[str | None, str | None]:
    """A target as an ai.txt path pattern, and the origin it needs (None: any)."""
    if "url" in target and isinstance(target["url"], str):
        where = origin_of(target["url"])
        path = normalise_path(path_of(target["url"]))
        if where is None or "*" in path or "$" in path:
            return None, None
        return path + "$", where
    if "urlPattern" in target and isinstance(target["urlPattern"], str):
        value = target["urlPattern"]
        if value.startswith("/"):
            return rule_pattern(value), None
        where = origin_of(value)
        if where is None:
            return None, None
        rest = value.split("://", 1)[1]
        slash = rest.find("/")
        return (rule_pattern(rest[slash:]) if slash >= 0 else None), where
    return None, None


def _may_overlap(one: str, other: str) -> bool:
    """Whether some path could match both patterns (True when unsure: wildcards)."""
    if "*" in one or "*" in other:
        return True
    one_end, other_end = one.endswith("$"), other.endswith("$")
    a, b = one.rstrip("$"), other.rstrip("$")
    if a == b:
        return True
    if a.startswith(b):
        return not other_end
    if b.startswith(a):
        return not one_end
    return False


def write_ai_txt(declarations: Sequence[dict[str, Any]], *, site: str | None = None) -> Written:
    """Write declarations as a Spawning ai.txt: opt-outs as Disallow, training consent as Allow.

    site is the origin the file will be served from; by default the origin of the first
    target that names one. Targets on other origins cannot be written and are reported.
    """
    tree = purpose_tree()
    losses: list[Loss] = []
    home = origin_of(site) if site else None
    if home is None:
        for value in declarations:
            for target in value.get("target", []) if isinstance(value, dict) else []:
                _, where = _target_path(target) if isinstance(target, dict) else (None, None)
                if where is not None:
                    home = where
                    break
            if home is not None:
                break
    lines: list[_Line] = []
    for value in declarations:
        if not isinstance(value, dict):
            continue
        ident = value.get("id") if isinstance(value.get("id"), str) else None
        _standard_losses(value, ident, losses)
        permissions = [r for r in value.get("permission", []) if isinstance(r, dict)]
        prohibitions = [r for r in value.get("prohibition", []) if isinstance(r, dict)]
        if "withdrawnAt" in value:
            prohibitions += [{"purpose": r.get("purpose")} for r in permissions]
            permissions = []
        scoped = bool(value.get("jurisdiction"))
        patterns: list[str] = []
        for target in value.get("target", []):
            pattern, where = _target_path(target) if isinstance(target, dict) else (None, None)
            if pattern is None or (where is not None and where != home):
                losses.append(
                    Loss("lost", f"target: {target} cannot be named in this ai.txt", ident)
                )
            else:
                patterns.append(pattern)
        for rule in prohibitions:
            purpose = rule.get("purpose")
            if purpose not in tree.depth:
                continue
            leaves = tree.leaves[purpose]
            if not leaves & _TRAINING_LEAVES:
                losses.append(Loss("lost", f"purpose: prohibition of {purpose}", ident))
                continue
            if not leaves >= _TRAINING_LEAVES:
                losses.append(
                    Loss("widened", f"purpose: prohibition of {purpose} as ai-training", ident)
                )
            elif leaves - _TRAINING_LEAVES:
                others = sorted(leaves - _TRAINING_LEAVES)
                losses.append(
                    Loss(
                        "lost", f"purpose: prohibition of {purpose} beyond training {others}", ident
                    )
                )
            if rule.get("constraint"):
                losses.append(
                    Loss("widened", f"constraint: prohibition of {purpose} for every use", ident)
                )
            if scoped:
                losses.append(
                    Loss("widened", f"jurisdiction: prohibition of {purpose} everywhere", ident)
                )
            agents = _agents(rule)
            if rule.get("agent") and agents is None:
                losses.append(
                    Loss("widened", f"agent: prohibition of {purpose} for everyone", ident)
                )
            depth = tree.depth[purpose]
            lines += [_Line("disallow", p, agents, ident, depth) for p in patterns]
        for rule in permissions:
            purpose = rule.get("purpose")
            if purpose not in tree.depth:
                continue
            reason = _unwritable(rule, value, scoped)
            if reason is None and rule.get("agent") and _agents(rule) is None:
                reason = "agent: not a product token"
            leaves = tree.leaves[purpose]
            if reason is None and not leaves >= _TRAINING_LEAVES:
                reason = "purpose: no ai.txt rule permits only part of training"
            if reason is not None:
                losses.append(Loss("dropped", f"{reason}: permission of {purpose}", ident))
                continue
            if leaves - _TRAINING_LEAVES:
                others = sorted(leaves - _TRAINING_LEAVES)
                losses.append(
                    Loss(
                        "dropped",
                        f"purpose: permission of {purpose} beyond training {others}",
                        ident,
                    )
                )
            agents = _agents(rule)
            depth = tree.depth[purpose]
            lines += [_Line("allow", p, agents, ident, depth) for p in patterns]
    return Written(_compose(lines, losses), MEDIA_TYPE, losses)


def _agents(rule: dict[str, Any]) -> tuple[str, ...] | None:
    """A rule's agent tokens, if every one can be written as a User-agent line."""
    agents = rule.get("agent")
    if not isinstance(agents, list) or not agents:
        return None
    if not all(isinstance(a, str) and _AGENT_TOKEN.match(a) for a in agents):
        return None
    return tuple(agents)


def _unwritable(rule: dict[str, Any], value: dict[str, Any], scoped: bool) -> str | None:
    """Why a permission cannot be written without widening it, if it cannot."""
    if rule.get("constraint"):
        return "constraint"
    if rule.get("duty"):
        return "duty"
    if scoped:
        return "jurisdiction"
    if not value.get("retroactive", False):
        return "retroactive false (ai.txt applies to all content)"
    if "validFrom" in value or "validUntil" in value:
        return "validity period"
    return None


def _compose(lines: list[_Line], losses: list[Loss]) -> str:
    """Groups of lines, with every rule for everyone copied into each named group (a crawler
    with its own group reads no other), and no Allow that RFC 9309 would let override a
    prohibition aiconsent keeps."""
    named = sorted({a for line in lines if line.agents for a in line.agents}, key=str.lower)
    groups: dict[str, list[_Line]] = {"*": [line for line in lines if line.agents is None]}
    for token in named:
        groups[token] = [
            line
            for line in lines
            if line.agents is None or token.lower() in (a.lower() for a in line.agents)
        ]
    text = [HEADER]
    for token, members in groups.items():
        disallows = [line for line in members if line.kind == "disallow"]
        kept: list[_Line] = []
        for line in members:
            if line.kind == "allow" and any(_overrides(line, blocker) for blocker in disallows):
                detail = f"purpose: permission of training for {line.pattern} would override "
                losses.append(Loss("dropped", detail + "a prohibition in ai.txt", line.declaration))
                continue
            kept.append(line)
        if not kept:
            continue
        patterns_out: list[str] = []
        for line in kept:
            if line.kind == "disallow" and line.pattern == "/":
                entries = ["Disallow: *", "Disallow: /"]  # Spawning's own global opt-out
            else:
                entries = [f"{line.kind.capitalize()}: {line.pattern}"]
            patterns_out += [entry for entry in entries if entry not in patterns_out]
        text.append(f"\nUser-agent: {token}\n")
        text.extend(entry + "\n" for entry in patterns_out)
    return "".join(text)


def _overrides(allow: _Line, disallow: _Line) -> bool:
    """Whether an Allow could decide a path that a prohibition should decide in aiconsent.

    Within one declaration a deeper permission rightly wins over its own prohibition on the
    same pattern; anywhere else an overlapping prohibition must win, which ai.txt cannot say.
    """
    if not _may_overlap(allow.pattern, disallow.pattern):
        return False
    same = allow.declaration is not None and allow.declaration == disallow.declaration
    return not (same and allow.pattern == disallow.pattern and allow.depth > disallow.depth)
