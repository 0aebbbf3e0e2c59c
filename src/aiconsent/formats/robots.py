"""robots.txt (RFC 9309) and the preference lines that live in its groups (spec §9.5).

Allow/Disallow say what a crawler may fetch, not what anyone may do with content: a path
disallowed for a group is read as an agent-scoped prohibition of `tdm` (what an agent may not
fetch it may not process), marked in its evidence as an access rule, and an `Allow` is never
read as consent. `Content-Usage` (aipref, §9.2) and `Content-Signal` (§9.3) lines are selected
with their group. `License:` lines point to RSL documents.

Two ways to read:

- for one item (`item=` a URL or path, or an Origin whose target URL is not the robots.txt
  itself): RFC 9309 selects the group and the longest matching rule, and every declaration
  targets the item. This is exact, and what `check` needs.
- for the whole file: one declaration per group and kind of line, targeting the rules' paths
  as `urlPattern`s. A consumer that selects declarations by target gets a fail-closed
  approximation (an `Allow` that reopens part of a disallowed path is not subtracted).

Give the agent the check is for (`agent=`): the `*` group applies only to agents without a
group of their own, which only the reader can know (§9.5 rule 3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, Literal

from aiconsent.formats import aipref, content_signal
from aiconsent.formats.aipref import (
    Decisions,
    Writable,
    decide_leaves,
    prepare_all,
    rules_of,
    unique,
    with_evidence,
)
from aiconsent.formats.common import (
    Loss,
    Origin,
    Written,
    declaration,
    found,
    unreadable,
)
from aiconsent.formats.patterns import match_pieces, normalise_path, path_of
from aiconsent.model.found import ReadResult
from aiconsent.vocabulary.purposes import purpose_tree
from aiconsent.vocabulary.resources import read_json

CARRIER: Final = "robots-txt"
MAX_BYTES: Final = 10 * 1024 * 1024  # refused beyond this (spec §11.2)
CUT_BYTES: Final = 500 * 1024  # RFC 9309 §2.5: parse at least 500 KiB; the rest is ignored
ACCESS_NOTE: Final = "robots.txt access rule (RFC 9309), not a use preference"
AccessScope = Literal["tdm", "agent-purposes"]

_USER_AGENT, _ALLOW, _DISALLOW, _USAGE, _SIGNAL, _LICENSE, _SITEMAP = range(7)
# Directive names, lower case; the misspellings are the ones major crawlers accept.
_DIRECTIVES: Final[dict[str, int]] = {
    "user-agent": _USER_AGENT,
    "useragent": _USER_AGENT,
    "user agent": _USER_AGENT,
    "allow": _ALLOW,
    "disallow": _DISALLOW,
    "dissallow": _DISALLOW,
    "dissalow": _DISALLOW,
    "disalow": _DISALLOW,
    "diasllow": _DISALLOW,
    "disallaw": _DISALLOW,
    "content-usage": _USAGE,
    "content-signal": _SIGNAL,
    "license": _LICENSE,
    "sitemap": _SITEMAP,
}
# the usual spellings, found without lower-casing the line's key
_DIRECTIVES_AS_WRITTEN: Final = {
    **_DIRECTIVES,
    **{name.title(): kind for name, kind in _DIRECTIVES.items()},
    "User-agent": _USER_AGENT,
}
# key (one inner space allowed, as in "user agent"), colon, value up to a comment; written so
# that no line makes the matcher backtrack more than linearly
_LINE = re.compile(
    r"^[ \t]*([A-Za-z][A-Za-z-]*(?:[ \t][A-Za-z][A-Za-z-]*)?)[ \t]*:[ \t]*([^\n#]*)", re.MULTILINE
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SAFE_PATH = re.compile(r"[A-Za-z0-9/?=&;:@!$'()*+,._~-]*")
_SITE = re.compile(r"(?i)(https?://[^/\s?#]+)")


# -- parsing -------------------------------------------------------------------------------


@dataclass(slots=True)
class Group:
    """One group: its product tokens (`*` for the wildcard) and its rules in file order."""

    agents: list[str] = field(default_factory=list)
    rules: list[tuple[bool, str]] = field(default_factory=list)  # (allow?, path pattern)
    usage: list[tuple[str, str, bool]] = field(default_factory=list)  # (path, value, complete)
    signals: list[tuple[str, bool]] = field(default_factory=list)  # (value, complete)


@dataclass(slots=True)
class RobotsTxt:
    groups: list[Group]
    licenses: list[str]
    sitemaps: list[str]
    cut: bool = False  # longer than 500 KiB: the rest was ignored
    damaged: str | None = None  # why the bytes are not clean UTF-8 text


@lru_cache(maxsize=8192)
def product_token(value: str) -> str | None:
    """The product token a User-agent line names: `*`, or its leading token characters
    (`Googlebot/2.1 (+http://…)` names `Googlebot`); None if it names none."""
    if value == "*" or value[:2] in ("* ", "*\t"):
        return "*"
    match = _TOKEN.match(value)
    if match is None or len(match.group()) > 128:
        return None
    return match.group()


def _text(data: bytes) -> tuple[str, bool, str | None]:
    """The text of robots.txt bytes, whether it was cut at 500 KiB, and why it is damaged."""
    cut = len(data) > CUT_BYTES
    if cut:
        data = data[:CUT_BYTES]
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        data = data[: end + 1]  # a line cut in the middle says something it did not say
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    damaged = "it contains NUL bytes" if b"\x00" in data else None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        damaged = damaged or "it is not valid UTF-8"
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, cut, damaged


def parse_robots(data: bytes) -> RobotsTxt:
    """Parse robots.txt bytes per RFC 9309: BOM, CR/LF/CRLF, comments, unknown lines ignored,
    several User-agent lines start one group, rules before any group ignored, 500 KiB cut.

    A last line with no line break may have been cut short: its preference lines can then
    refuse but not grant, and an Allow on it is ignored.
    """
    text, cut, damaged = _text(data)
    pairs = _LINE.findall(text)
    open_index = -1
    if pairs and text and not text.endswith("\n"):
        tail = text[text.rfind("\n") + 1 :]
        if "#" not in tail and _LINE.match(tail):
            open_index = len(pairs) - 1
    directives, written = _DIRECTIVES, _DIRECTIVES_AS_WRITTEN
    groups: list[Group] = []
    licenses: list[str] = []
    sitemaps: list[str] = []
    current: Group | None = None
    in_rules = False
    for index, (name, raw) in enumerate(pairs):
        directive = written.get(name)
        if directive is None:
            directive = directives.get(name.lower())
        if directive is None:
            continue
        value = raw.strip(" \t")
        if directive == _USER_AGENT:
            if current is None or in_rules:
                current = Group()
                groups.append(current)
                in_rules = False
            token = product_token(value)
            if token is not None:
                current.agents.append(token)
        elif directive == _LICENSE:
            if value:
                licenses.append(value)
        elif directive == _SITEMAP:
            if value:
                sitemaps.append(value)
        elif current is not None:
            in_rules = True
            complete = index != open_index
            if directive == _USAGE:
                if value[:1] == "/":
                    path, _, preference = value.replace("\t", " ").partition(" ")
                else:
                    path, preference = "", value
                current.usage.append((path, preference.strip(" \t"), complete))
            elif directive == _SIGNAL:
                current.signals.append((value, complete))
            elif value and (complete or directive != _ALLOW):
                pattern = value if value[:1] in ("/", "*") else "/" + value
                current.rules.append((directive == _ALLOW, pattern))
    return RobotsTxt(groups, licenses, sitemaps, cut, damaged)


# -- matching ------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _normal(path: str) -> str:
    return path if _SAFE_PATH.fullmatch(path) else normalise_path(path)


Compiled = tuple[int, str, tuple[str, ...] | None, bool]


@lru_cache(maxsize=65536)
def _compiled(pattern: str) -> Compiled:
    """(specificity in octets, literal prefix, pieces between `*`s or None, anchored by `$`)."""
    length = len(_normal(pattern).encode("utf-8"))
    anchored = pattern.endswith("$")
    body = _normal(pattern[:-1] if anchored else pattern)
    if "*" not in body and not anchored:
        return length, body, None, False
    return length, "", tuple(body.split("*")), anchored


def _wild(pieces: tuple[str, ...], anchored: bool, path: str) -> bool:
    """Linear-time wildcard match (a `.*` regex can backtrack without bound)."""
    return match_pieces(pieces, anchored, path)


def _matches(pattern: str, path: str) -> tuple[bool, int]:
    length, prefix, pieces, anchored = _compiled(pattern)
    if pieces is None:
        return path.startswith(prefix), length
    return _wild(pieces, anchored, path), length


def decide_access(rules: Iterable[tuple[bool, str]], path: str) -> tuple[bool, str | None]:
    """RFC 9309 §2.2.2: the longest matching rule decides, Allow on a tie; no match allows.

    Returns (allowed, the deciding pattern); path is the URL's normalised path and query.
    """
    if path == "/robots.txt":
        return True, None
    best = -1
    allowed = True
    deciding: str | None = None
    for allow, pattern in rules:
        length, prefix, pieces, anchored = _compiled(pattern)
        if length < best or (length == best and (allowed or not allow)):
            continue
        if path.startswith(prefix) if pieces is None else _wild(pieces, anchored, path):
            best, allowed, deciding = length, allow, pattern
    return allowed, deciding


def _usage_for(usage: Sequence[tuple[str, str, bool]], path: str) -> list[tuple[str, str, bool]]:
    """The Content-Usage rules that apply to a path: the longest matching path (a rule with
    no path matches everything, least specifically); rules of equal length all apply."""
    best = -1
    chosen: list[tuple[str, str, bool]] = []
    for rule in usage:
        if rule[0]:
            hit, length = _matches(rule[0], path)
            if not hit:
                continue
        else:
            length = 0
        if length > best:
            best, chosen = length, [rule]
        elif length == best:
            chosen.append(rule)
    return chosen


# -- reading -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _agent_table() -> dict[str, dict[str, Any]]:
    agents: dict[str, dict[str, Any]] = read_json("ai-agents.json")["agents"]
    return {token.lower(): entry for token, entry in agents.items()}


def agent_purposes(token: str) -> tuple[str, ...]:
    """The purposes schema/ai-agents.json says the agent's operator uses content for."""
    entry = _agent_table().get(token.lower())
    return tuple(entry.get("purposes", ())) if entry else ()


def agent_kind(token: str) -> str | None:
    entry = _agent_table().get(token.lower())
    return str(entry["kind"]) if entry and "kind" in entry else None


@dataclass(slots=True)
class _Selection:
    """The groups that apply to some agents (merged per RFC 9309), and those agents."""

    tokens: list[str]  # () for the `*` group
    groups: list[Group]

    @property
    def rules(self) -> list[tuple[bool, str]]:
        return [rule for group in self.groups for rule in group.rules]

    @property
    def usage(self) -> list[tuple[str, str, bool]]:
        return [rule for group in self.groups for rule in group.usage]

    @property
    def signals(self) -> list[tuple[str, bool]]:
        return [line for group in self.groups for line in group.signals]


def _selections(robots: RobotsTxt, agent: str | None) -> list[_Selection]:
    """Named selections (tokens sharing the same groups) and, if it applies, the `*` one."""
    named: dict[str, tuple[str, list[int]]] = {}
    star: list[Group] = []
    for index, group in enumerate(robots.groups):
        for token in group.agents:
            if token == "*":
                if not star or star[-1] is not group:
                    star.append(group)
                continue
            lower = token.lower()
            entry = named.get(lower)
            if entry is None:
                named[lower] = (token, [index])
            elif entry[1][-1] != index:
                entry[1].append(index)
    content_of: list[int] = []  # each group -> the first group with the same lines
    seen: dict[tuple[Any, ...], int] = {}
    for index, group in enumerate(robots.groups):
        lines = (tuple(group.rules), tuple(group.usage), tuple(group.signals))
        content_of.append(seen.setdefault(lines, index))
    shared: dict[tuple[int, ...], _Selection] = {}
    for spelling, indices in named.values():
        # agents with the same lines share a selection
        key = (
            (content_of[indices[0]],)
            if len(indices) == 1
            else tuple(map(content_of.__getitem__, indices))
        )
        selection = shared.get(key)
        if selection is None:
            selection = shared[key] = _Selection([], [robots.groups[i] for i in indices])
        selection.tokens.append(spelling)
    selections = list(shared.values())
    if star and not (agent and agent.lower() in named):
        selections.append(_Selection([], star))
    return selections


def _site_of(*candidates: str | None) -> str | None:
    for candidate in candidates:
        if candidate:
            match = _SITE.match(candidate)
            if match:
                return match.group(1)
    return None


def _pattern_target(site: str | None, pattern: str) -> dict[str, str]:
    return {"urlPattern": _url_pattern(site, pattern)}


@lru_cache(maxsize=65536)
def _url_pattern(site: str | None, pattern: str) -> str:
    path = normalise_path(pattern) if not _SAFE_PATH.fullmatch(pattern) else pattern
    return f"{site}{path}" if site else path


def _raw_line(name: str, value: str) -> str:
    return f"{name}: {value}"


def _some(items: Sequence[str], shown: int = 8) -> str:
    """A short list for evidence: the rule itself lists everything."""
    if len(items) <= shown:
        return ", ".join(items)
    return f"{', '.join(items[:shown])} (+{len(items) - shown} more)"


def _agent_record(token: str) -> dict[str, Any]:
    """What the agent table says about a token, for `read` to show beside an access rule."""
    kind, purposes = _agent_facts(token)
    return {"token": token, "kind": kind, "purposes": list(purposes)}


@lru_cache(maxsize=4096)
def _agent_facts(token: str) -> tuple[str | None, tuple[str, ...]]:
    return agent_kind(token), agent_purposes(token)


def read_robots(
    data: bytes,
    origin: Origin,
    *,
    site: str | None = None,
    agent: str | None = None,
    item: str | None = None,
    access_scope: AccessScope = "tdm",
) -> ReadResult:
    """Read a robots.txt (carrier robots-txt) as spec §9.5 says.

    site: the robots.txt's origin (`https://host`), for `urlPattern` targets; by default taken
    from the origin's party or the item. agent: the product token a check will ask about.
    item: the URL or path to read the file for; by default the origin's target URL when that
    is not the robots.txt itself; None reads the whole file. access_scope: `tdm` (spec §9.5:
    an agent that may not fetch may not process) or `agent-purposes` (the narrower purposes
    the agent table gives for each agent; not fail-closed for other purposes).
    """
    result = ReadResult()
    if len(data) > MAX_BYTES:
        unreadable(result, origin, CARRIER, f"robots.txt larger than {MAX_BYTES} bytes")
        return result
    robots = parse_robots(data)
    clean = robots.damaged is None
    if not clean:
        message = f"robots.txt is not clean text ({robots.damaged}): refusals only"
        unreadable(result, origin, CARRIER, message)
    if robots.cut:
        result.other.append({"note": f"robots.txt cut at {CUT_BYTES} bytes (RFC 9309 §2.5)"})
    result.other.extend({"rsl": url} for url in robots.licenses)
    if item is None and "url" in origin.target and origin.target["url"] != origin.party:
        item = origin.target["url"]
    site = site or _site_of(item, origin.party)
    reader = _Reader(result, origin, site, clean, access_scope, agent)
    selections = _selections(robots, agent)
    if item is not None:
        raw_path = path_of(item) if "://" in item else item
        path = _normal(raw_path if raw_path.startswith("/") else "/" + raw_path)
        if "://" in item:
            target = {"url": item}
        elif site:
            target = {"url": site + path}
        else:
            target = origin.target
        for selection in selections:
            reader.item(selection, path, target)
    else:
        for selection in selections:
            reader.whole(selection)
    return result


@dataclass(slots=True)
class _Reader:
    result: ReadResult
    origin: Origin
    site: str | None
    clean: bool
    access_scope: AccessScope
    agent: str | None

    def _markers_apply(self, selection: _Selection) -> bool:
        """A broken line in a named group concerns only its agents (§6.4 step 6)."""
        if not selection.tokens:
            return True
        return self.agent is not None and self.agent.lower() in {
            t.lower() for t in selection.tokens
        }

    def access(
        self, selection: _Selection, targets: list[dict[str, str]], patterns: Sequence[str]
    ) -> None:
        tokens = selection.tokens
        scopes: dict[tuple[str, ...], list[str]] = {}
        if self.access_scope == "agent-purposes" and tokens:
            for token in tokens:
                scopes.setdefault(agent_purposes(token) or ("tdm",), []).append(token)
        else:
            scopes[("tdm",)] = tokens
        agents = _some(tokens) if tokens else "*"
        raw = f"{ACCESS_NOTE}. User-agent: {agents}; Disallow: {_some(patterns)}"
        for purposes, members in scopes.items():
            value = declaration(
                self.origin, CARRIER, prohibition=rules_of(purposes, members), target=targets[0]
            )
            if value is not None:
                value["target"] = targets
            found(self.result, with_evidence(value, raw), self.origin, CARRIER)
        if tokens:
            records = [_agent_record(token) for token in tokens]
            self.result.other.append({"robots-access": {"agents": records, "disallow": patterns}})

    def usage(
        self,
        selection: _Selection,
        rules: Sequence[tuple[str, str, bool]],
        target: dict[str, str],
    ) -> None:
        parse = aipref.combine([aipref.parse_content_usage(value) for _, value, _ in rules])
        if parse.empty and not parse.ignored:
            return
        raw = "\n".join(
            _raw_line("Content-Usage", f"{path} {value}" if path else value)
            for path, value, _ in rules
        )
        complete = self.clean and all(done for _, _, done in rules)
        result = self.result if self._markers_apply(selection) else ReadResult()
        aipref.add_parse(
            result,
            parse,
            self.origin,
            CARRIER,
            raw=raw,
            agents=selection.tokens,
            target=target,
            permissions_allowed=complete,
        )
        if result is not self.result:
            self.result.found.extend(result.found)
            self.result.other.extend(result.other)

    def signals(self, selection: _Selection, target: dict[str, str]) -> None:
        lines = selection.signals
        if not lines:
            return
        parse = content_signal.combine([content_signal.parse_content_signal(v) for v, _ in lines])
        if parse.empty and not parse.ignored:
            return
        raw = "\n".join(_raw_line("Content-Signal", value) for value, _ in lines)
        complete = self.clean and all(done for _, done in lines)
        result = self.result if self._markers_apply(selection) else ReadResult()
        content_signal.add_parse(
            result,
            parse,
            self.origin,
            raw=raw,
            agents=selection.tokens,
            target=target,
            permissions_allowed=complete,
        )
        if result is not self.result:
            self.result.found.extend(result.found)
            self.result.other.extend(result.other)

    def item(self, selection: _Selection, path: str, target: dict[str, str]) -> None:
        allowed, deciding = decide_access(selection.rules, path)
        if not allowed:
            self.access(selection, [target], [deciding or "/"])
        else:
            rules = _usage_for(selection.usage, path)
            if rules:
                self.usage(selection, rules, target)
        self.signals(selection, target)

    def whole(self, selection: _Selection) -> None:
        access = selection.rules
        allows = {p for allow, p in access if allow}
        disallowed = list(dict.fromkeys([p for allow, p in access if not allow]))
        disallowed = [p for p in disallowed if p not in allows] if allows else disallowed
        # only an Allow with `*` and no final `$` can cover other patterns than itself
        wild = [(_compiled(q)[0], q) for q in allows if "*" in q and not q.endswith("$")]
        if wild and len(wild) * len(disallowed) <= 100_000:  # (a bound for hostile files)
            # a Disallow that an Allow as long or longer covers everywhere never decides
            disallowed = [
                p
                for p in disallowed
                if not any(n >= _compiled(p)[0] and _covers(q, p) for n, q in wild)
            ]
        if disallowed:
            site = self.site
            targets = [{"urlPattern": _url_pattern(site, p)} for p in disallowed]
            self.access(selection, targets, disallowed)
        by_path: dict[str, list[tuple[str, str, bool]]] = {}
        for rule in selection.usage:
            by_path.setdefault(rule[0] or "/", []).append(rule)
        for path, rules in by_path.items():
            self.usage(selection, rules, _pattern_target(self.site, path))
        if selection.signals:
            self.signals(selection, _pattern_target(self.site, "/"))


def robots_unavailable(status: int | None, origin: Origin) -> ReadResult:
    """What a robots.txt that could not be had says (RFC 9309 §2.3.1, spec §9.5 rule 1):
    4xx (but 429) is no signal; 5xx, 429 or no answer (status None) is an unreadable marker."""
    result = ReadResult()
    if status is None or status >= 500 or status == 429:
        why = "unreachable" if status is None else f"answered {status}"
        unreadable(result, origin, CARRIER, f"robots.txt {why}: every purpose unknown")
    return result


# -- writing -------------------------------------------------------------------------------


def _literal_head(pattern: str) -> str:
    return pattern.split("*", 1)[0].removesuffix("$")


def _is_literal(pattern: str) -> bool:
    return "*" not in pattern and not pattern.endswith("$")


def _covers(outer: str, inner: str) -> bool:
    """Whether every URL the pattern inner matches is matched by outer as well."""
    if outer == inner:
        return True
    head = _literal_head(outer)
    if not inner.startswith(head):
        return False  # every URL outer matches starts with its literal head
    if head == outer:
        return True  # outer is a plain prefix of inner
    if outer.endswith("$") or not _is_literal(inner):
        return False
    return _matches(outer, _normal(inner))[0]


@dataclass(slots=True)
class _Placed:
    writable: Writable
    patterns: tuple[str, ...]


def _place(
    writables: Sequence[Writable], site: str | None
) -> tuple[list[_Placed], str | None, list[Loss]]:
    """Paths for every declaration's targets on one site; the rest is reported."""
    placed: list[_Placed] = []
    losses: list[Loss] = []
    for writable in writables:
        patterns: list[str] = []
        for target in writable.targets:
            text = target.get("urlPattern") or target.get("url")
            where = _site_of(text) if text else None
            if text is None:
                kind = next(iter(target), "target")
                losses.append(_unplaced(writable, f"a {kind} target has no path"))
                continue
            if where is not None:
                site = site or where
                if where.lower() != site.lower():
                    losses.append(_unplaced(writable, f"{text} is not on {site}"))
                    continue
            if "urlPattern" in target:
                pattern = text[len(where) :] if where else text
            else:
                path = path_of(text)
                if "*" in path or "$" in path:
                    losses.append(_unplaced(writable, f"{text} has * or $ in its path"))
                    continue
                pattern = path + "$"
            patterns.append(pattern or "/")
        if patterns:
            placed.append(_Placed(writable, tuple(dict.fromkeys(patterns))))
    return placed, site, losses


def _unplaced(writable: Writable, why: str) -> Loss:
    kind: Literal["dropped", "lost"] = "dropped" if writable.permissions else "lost"
    rules = "its permissions" if writable.permissions else "its prohibitions"
    if writable.permissions and writable.prohibitions:
        rules = "its rules"
    return Loss(kind, f"{rules} for a target robots.txt cannot carry: {why}", writable.id)


ALL_LEAVES: Final = frozenset(purpose_tree().leaves["tdm"])


@dataclass(slots=True)
class _Lines:
    access: list[str] = field(default_factory=list)
    usage: list[str] = field(default_factory=list)
    signal: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.access, *self.usage, *self.signal]


def write_robots(
    declarations: Sequence[dict[str, Any]],
    *,
    site: str | None = None,
    access_rules: bool = False,
    content_signals: bool = True,
    at: datetime | None = None,
) -> Written:
    """A robots.txt with the declarations' preferences (spec §9.2, §9.3, §9.5 writing).

    Content-Usage lines carry `train-ai` and `search` per path (from `urlPattern` and `url`
    targets; each path's line holds everything that applies there, as the longest rule wins);
    a group-wide Content-Signal line adds `ai-input` and whole-`ai-train`, for the keys every
    path agrees on. Rules with `agent` go to groups for those tokens, which also repeat the
    rules for everyone (a crawler reads only its own group). With access_rules, a path where
    an agent is refused every purpose becomes `Disallow` in its group (this also stops it
    fetching). Reading the result for an item and agent is never more permissive than the
    declarations, and every difference is in the loss report (a property test checks it).
    """
    writables, losses = prepare_all(declarations, "robots.txt", agents=True, at=at)
    placed, site, unplaced = _place(writables, site)
    losses.extend(unplaced)
    tokens: dict[str, str] = {}
    for item in placed:
        for rule in (*item.writable.permissions, *item.writable.prohibitions):
            for token in rule.agents:
                tokens.setdefault(token.lower(), token)
    paths = sorted({p for item in placed for p in item.patterns}, key=lambda p: (len(p), p))
    scopes: list[str | None] = [None, *tokens]
    rendered: dict[str | None, list[str]] = {}
    for scope in scopes:
        lines, lost = _scope_lines(placed, paths, scope, tokens, access_rules, content_signals)
        rendered[scope] = lines
        losses.extend(lost)
    blocks: list[list[str]] = []
    if rendered[None]:
        blocks.append(["User-agent: *", *rendered[None]])
    shared: dict[tuple[str, ...], list[str]] = {}
    for scope in tokens:
        lines = rendered[scope]
        if lines != rendered[None]:  # else the token reads the `*` group: the same
            shared.setdefault(tuple(lines), []).append(tokens[scope])
    for group_lines, members in shared.items():
        if group_lines:
            blocks.append([*(f"User-agent: {t}" for t in members), *group_lines])
    if () in shared:
        # agents with nothing robots.txt can say for them, unlike the `*` group: a group with
        # no rule keeps them from the `*` group; last, so no later User-agent line joins it
        empty = [f"User-agent: {t}" for t in shared[()]]
        blocks.append(["# nothing here that robots.txt can say for these agents", *empty])
    header = "# AI usage preferences, written by aiconsent (aipref Content-Usage, Content Signals)"
    text = "\n\n".join("\n".join(block) for block in blocks)
    return Written(f"{header}\n{text}\n" if blocks else "", "text/plain", unique(losses))


def _scope_lines(
    placed: Sequence[_Placed],
    paths: Sequence[str],
    scope: str | None,
    tokens: dict[str, str],
    access_rules: bool,
    content_signals: bool,
) -> tuple[list[str], list[Loss]]:
    """The lines of one group: for everyone (scope None) or for one token."""
    who = f"for {tokens[scope]}" if scope else "for everyone"
    losses: list[Loss] = []
    decisions: dict[str, Decisions] = {}
    covering: dict[str, list[Writable]] = {}
    for path in paths:
        covering[path] = [i.writable for i in placed if any(_covers(q, path) for q in i.patterns)]
        decisions[path] = decide_leaves(covering[path], scope)
    _guard_overlaps(covering, decisions, scope, losses, who)
    lines = _Lines()
    refused: list[str] = []
    if access_rules and scope is not None:
        for path in paths:
            decided = decisions[path]
            if set(decided) == ALL_LEAVES and all(k == "prohibition" for k, _ in decided.values()):
                refused.append(path)
                lines.access.append(f"Disallow: {path}")
        for path in paths:
            if path in refused:
                continue
            for other in refused:
                if _overlap(path, other):  # the Disallow closes what they share
                    truth = decide_leaves([*covering[path], *covering[other]], scope)
                    for leaf, (kind, ident) in sorted(truth.items()):
                        if kind == "permission":
                            why = f"disallowed where {other} matches too"
                            where = f"{who} at {path}"
                            losses.append(aipref.leaf_loss(kind, leaf, why, ident, where))
            if not any(_covers(r, path) for r in refused):
                continue
            clash = next((q for q in refused if _may_outrank(path, q)), None)
            if clash is None:
                lines.access.append(f"Allow: {path}")  # reopen it under a wider Disallow
                continue
            for leaf, (kind, ident) in sorted(decisions[path].items()):
                if kind == "permission":
                    why = f"an Allow for it would also reopen {clash}, so it stays disallowed"
                    losses.append(aipref.leaf_loss(kind, leaf, why, ident, f"{who} at {path}"))
    for path in paths:
        if path in refused or not decisions[path]:
            continue
        where = f"{who} at {path}"
        labels, lost_usage = aipref.aipref_labels(decisions[path], where)
        if labels:
            value = aipref.serialise_labels(labels)
            rule = value if path == "/" else f"{path} {value}"  # "/" is every path: no path
            lines.usage.append(f"Content-Usage: {rule}")
        if path == "/" and content_signals:
            # the group-wide Content-Signal line carries what Content-Usage cannot, for the
            # keys on which every other path agrees with the whole site
            carried = frozenset(leaf for label, leaf in aipref.WRITTEN_LABELS if label in labels)
            others = [decisions[p] for p in paths if p != "/" and p not in refused]
            uniform, lost_uniform = _uniform(decisions[path], others, where, carried)
            losses.extend(lost_uniform)
            values, lost_signal = content_signal.signal_values(uniform, where, carried)
            if values:
                lines.signal.append(f"Content-Signal: {content_signal.serialise_signals(values)}")
            losses.extend(lost_signal)
        else:
            losses.extend(lost_usage)
    return lines.all(), losses


def _may_outrank(allow: str, disallow: str) -> bool:
    """Whether an Allow could win over a Disallow on some URL outside what the Allow means to
    reopen: the patterns overlap and the Allow is at least as long (RFC 9309: the longer rule
    wins, Allow on a tie)."""
    return _overlap(allow, disallow) and _compiled(allow)[0] >= _compiled(disallow)[0]


def _uniform(
    site_wide: Decisions, others: Sequence[Decisions], where: str, carried: frozenset[str]
) -> tuple[Decisions, list[Loss]]:
    """The site-wide decisions a group-wide line may carry: those of every key whose leaves
    are decided alike on every other path (else reading a path would mix both)."""
    tree = purpose_tree()
    kept = dict(site_wide)
    losses: list[Loss] = []
    for purpose in content_signal.KEYS.values():
        leaves = tree.leaves_of(purpose)
        if not any(leaf in site_wide for leaf in leaves):
            continue
        if all(
            other.get(leaf, (None, ""))[0] == site_wide.get(leaf, (None, ""))[0]
            for other in others
            for leaf in leaves
        ):
            continue
        for leaf in leaves:
            if leaf in kept:
                kind, ident = kept.pop(leaf)
                if leaf not in carried:
                    why = "Content-Signal covers every path, and some paths differ"
                    losses.append(aipref.leaf_loss(kind, leaf, why, ident, where))
    return kept, losses


def _overlap(one: str, other: str) -> bool:
    """Whether two patterns may match one URL without either containing the other."""
    if _covers(one, other) or _covers(other, one):
        return False
    return not (_is_literal(one) and _is_literal(other))  # else no URL matches both


def _guard_overlaps(
    covering: dict[str, list[Writable]],
    decisions: dict[str, Decisions],
    scope: str | None,
    losses: list[Loss],
    who: str,
) -> None:
    """Where two patterns may match the same URL and neither contains the other, robots.txt
    applies only the longer rule there (equal ones combined most restrictively), while every
    declaration about the URL counts in aiconsent. A refusal that would be lost there is
    written at the longer pattern too (widened); a permission that would be lost is reported."""
    ordered = sorted(decisions, key=lambda p: (_compiled(p)[0], p))
    for path in ordered:
        own = _compiled(path)[0]
        for other in ordered:
            length = _compiled(other)[0]
            if length > own:
                break
            if other == path or not _overlap(path, other):
                continue
            here, there = decisions[path], decisions[other]
            both = list({id(w): w for w in (*covering[path], *covering[other])}.values())
            truth = decide_leaves(both, scope)
            for leaf, (kind, ident) in sorted(truth.items()):
                if length < own:
                    written = here.get(leaf, (None, ""))[0]
                else:
                    kinds = {here.get(leaf, (None, ""))[0], there.get(leaf, (None, ""))[0]}
                    written = "prohibition" if "prohibition" in kinds else kinds.pop()
                if kind == "prohibition" and written != "prohibition":
                    here[leaf] = (kind, ident)  # only when shorter: equal ones already refuse
                    detail = f"prohibition of {leaf} {who} at {other} also written at {path}"
                    losses.append(Loss("widened", detail, ident or None))
                elif kind == "permission" and written != "permission":
                    detail = f"permission of {leaf} {who} where {path} and {other} both match"
                    losses.append(Loss("dropped", detail, ident or None))
