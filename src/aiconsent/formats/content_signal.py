"""Cloudflare Content Signals (spec §9.3): `Content-Signal: search=yes, ai-input=yes, ai-train=no`.

A robots.txt line inside a user-agent group (carrier robots-txt). The values are `yes` and `no`,
not aipref's `y`/`n`; anything else leaves that key unreadable. An omitted key means no
preference. Several lines in one group are read most restrictively per key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from aiconsent.formats.aipref import (
    Decisions,
    Kind,
    decide_leaves,
    prepare_all,
    rules_of,
    unique,
    with_evidence,
)
from aiconsent.formats.common import Loss, Origin, Written, declaration, found, unreadable
from aiconsent.model.found import ReadResult

CARRIER: Final = "robots-txt"
DIRECTIVE: Final = "Content-Signal"
MAX_BYTES: Final = 10 * 1024 * 1024

# key -> the aiconsent purpose it names; `no` prohibits it, `yes` permits it (spec §9.3)
KEYS: Final[dict[str, str]] = {
    "search": "search",
    "ai-input": "ai-inference",
    "ai-train": "ai-training",
}
_ITEM = re.compile(r"[ \t]*([^=\s,]+)[ \t]*=[ \t]*([^=\s,]*)[ \t]*")


@dataclass(frozen=True, slots=True)
class SignalParse:
    """One or more Content-Signal values, per key, before mapping."""

    raw: str
    ok: bool = True  # False: the line is not a list of key=value items; every key unreadable
    values: dict[str, bool] = field(default_factory=dict)  # known key -> yes?
    unknown: tuple[str, ...] = ()  # known keys with a value other than yes/no
    ignored: tuple[str, ...] = ()  # keys the policy does not define

    @property
    def empty(self) -> bool:
        return self.ok and not self.values and not self.unknown


@lru_cache(maxsize=4096)
def parse_content_signal(value: str) -> SignalParse:
    """Parse one line's value, e.g. `search=yes, ai-train=no`.

    A key is recognised only exactly as the policy spells it; a recognised key in other
    letter case, or with a value other than `yes`/`no`, is unreadable rather than ignored
    (it might have been meant as a refusal). A key given twice keeps the more restrictive
    value; a value that is unreadable once makes the key unreadable. The result may be shared
    with other callers: do not change it.
    """
    raw = value.strip(" \t")
    values: dict[str, bool] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    for item in raw.split(","):
        if not item.strip(" \t"):
            continue
        match = _ITEM.fullmatch(item)
        if match is None:
            return SignalParse(raw, ok=False)
        key, answer = match.groups()
        if key not in KEYS:
            if key.lower() in KEYS:
                unknown.append(key.lower())
            else:
                ignored.append(key)
            continue
        if answer in ("yes", "no"):  # a key given twice: the more restrictive value
            values[key] = values.get(key, True) and answer == "yes"
        else:
            unknown.append(key)
    for key in unknown:
        values.pop(key, None)
    return SignalParse(raw, True, values, tuple(dict.fromkeys(unknown)), tuple(ignored))


def combine(parses: Sequence[SignalParse]) -> SignalParse:
    """Several lines of one group: most restrictive per key (aiconsent's rule, §9.3)."""
    if len(parses) == 1:
        return parses[0]
    values: dict[str, bool] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    for parse in parses:
        for key, yes in parse.values.items():
            values[key] = values.get(key, True) and yes
        unknown.extend(k for k in parse.unknown if k not in unknown)
        ignored.extend(k for k in parse.ignored if k not in ignored)
    ok = all(parse.ok for parse in parses)
    raw = "\n".join(parse.raw for parse in parses)
    return SignalParse(raw, ok, values, tuple(unknown), tuple(ignored))


def signal_rules(parse: SignalParse) -> tuple[list[str], list[str], list[str]]:
    """(permitted purposes, prohibited purposes, unreadable purposes)."""
    if not parse.ok:
        return [], [], list(KEYS.values())
    granted = [KEYS[k] for k in KEYS if parse.values.get(k) is True]
    refused = [KEYS[k] for k in KEYS if parse.values.get(k) is False]
    return granted, refused, [KEYS[k] for k in KEYS if k in parse.unknown]


def add_parse(
    result: ReadResult,
    parse: SignalParse,
    origin: Origin,
    *,
    raw: str,
    agents: Sequence[str] = (),
    target: dict[str, str] | None = None,
    permissions_allowed: bool = True,
) -> None:
    """Add the declaration and unreadable markers of one group's Content-Signal lines."""
    granted, refused, unclear = signal_rules(parse)
    if not parse.ok:
        message = (
            f"{DIRECTIVE} is not a list of key=value items: search, ai-input, ai-train unknown"
        )
        unreadable(result, origin, CARRIER, message, unclear)
    elif unclear:
        keys = ", ".join(parse.unknown)
        unreadable(result, origin, CARRIER, f"{DIRECTIVE}: {keys} not yes or no", unclear)
    if parse.ignored:
        result.other.append({"ignored": {"format": "content-signal", "keys": list(parse.ignored)}})
    value = declaration(
        origin,
        CARRIER,
        permission=rules_of(granted, agents) if permissions_allowed else [],
        prohibition=rules_of(refused, agents),
        target=target,
    )
    found(result, with_evidence(value, raw), origin, CARRIER)


_LINE = re.compile(r"^[ \t]*content-signal[ \t]*:[ \t]*([^\r\n#]*)", re.IGNORECASE | re.MULTILINE)


def read_content_signal(data: bytes, origin: Origin) -> ReadResult:
    """Read the `Content-Signal:` lines of a fragment (for a whole robots.txt, with its groups,
    use robots.read_robots). Lines are combined most restrictively; a fragment that is not
    UTF-8, holds NUL, or ends inside a line can refuse but not grant.
    """
    result = ReadResult()
    if len(data) > MAX_BYTES:
        unreadable(result, origin, CARRIER, f"larger than {MAX_BYTES} bytes")
        return result
    complete = b"\x00" not in data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        complete = False
    if not complete:
        unreadable(result, origin, CARRIER, "not UTF-8 text (invalid bytes or NUL)")
    matches = list(_LINE.finditer(text))
    if not matches:
        return result
    if matches[-1].end() == len(text) and not text.endswith(("\n", "\r")):
        complete = False  # the last line may have been cut short
    parse = combine([parse_content_signal(m.group(1)) for m in matches])
    raw = "\n".join(f"{DIRECTIVE}: {m.group(1).strip()}" for m in matches)
    add_parse(result, parse, origin, raw=raw, permissions_allowed=complete)
    return result


# -- writing -------------------------------------------------------------------------------


def signal_values(
    decisions: Decisions, where: str = "", carried: frozenset[str] = frozenset()
) -> tuple[dict[str, bool], list[Loss]]:
    """The keys for per-leaf decisions, and what they cannot carry.

    `ai-train` covers both kinds of training: it is `yes` only if both are permitted, `no` if
    one is prohibited and none permitted (widened when the other was undecided). Leaves in
    `carried` are written exactly by another line of the same file, so not reported here.
    """
    from aiconsent.vocabulary.purposes import purpose_tree

    tree = purpose_tree()
    scope = f" {where}" if where else ""
    values: dict[str, bool] = {}
    losses: list[Loss] = []
    covered: set[str] = set()
    for key, purpose in KEYS.items():
        leaves = tree.leaves_of(purpose)
        kinds: dict[str, tuple[Kind, str]] = {
            leaf: decisions[leaf] for leaf in leaves if leaf in decisions
        }
        if not kinds:
            continue
        covered.update(leaves)
        permitted = [leaf for leaf, (kind, _) in kinds.items() if kind == "permission"]
        prohibited = [leaf for leaf, (kind, _) in kinds.items() if kind == "prohibition"]
        if len(permitted) == len(leaves):
            values[key] = True
        elif prohibited and not permitted:
            values[key] = False
            for leaf in leaves:
                if leaf not in kinds:
                    detail = f"prohibition{scope} written as {key}=no also covers {leaf}"
                    losses.append(Loss("widened", detail, kinds[prohibited[0]][1] or None))
        else:
            for leaf, (kind, ident) in kinds.items():
                if leaf not in carried:
                    why = f"{key} cannot say it for {leaf} alone"
                    losses.append(_loss(kind, leaf, why, ident, scope))
    for leaf, (kind, ident) in sorted(decisions.items()):
        if leaf not in covered and leaf not in carried:
            losses.append(_loss(kind, leaf, "Content-Signal has no key for it", ident, scope))
    return values, losses


def _loss(kind: Kind, leaf: str, why: str, ident: str, scope: str) -> Loss:
    if kind == "permission":
        return Loss("dropped", f"permission of {leaf}{scope}: {why}", ident or None)
    return Loss("lost", f"prohibition of {leaf}{scope}: {why}", ident or None)


def serialise_signals(values: dict[str, bool]) -> str:
    return ", ".join(f"{key}={'yes' if values[key] else 'no'}" for key in KEYS if key in values)


def write_content_signal(
    declarations: Sequence[dict[str, Any]], *, at: datetime | None = None
) -> Written:
    """One `Content-Signal:` line for the whole site (it has no path and, on its own, no group:
    agent-scoped prohibitions are widened to everyone and agent-scoped permissions dropped)."""
    writables, losses = prepare_all(declarations, DIRECTIVE, agents=False, at=at)
    values, lost = signal_values(decide_leaves(writables))
    text = f"{DIRECTIVE}: {serialise_signals(values)}\n" if values else ""
    return Written(text, "text/plain", unique([*losses, *lost]))
