"""YAML read the way spec §10.3 and §11.2 ask: YAML 1.2 core schema, no tags, no timestamps, no
merge keys, bounded aliases, depth and size — and with the position of every value.

Built on ruamel.yaml's event parser rather than a constructor: a constructor would already have
turned dates into datetimes and applied merge keys, and it forgets where values stood. Only the
block that aiconsent reads (the `consent:` value) is turned into JSON values; the rest of a card's
front matter is parsed for its structure and positions, never interpreted.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from aiconsent.cards.issues import UNREADABLE_CARD, YAML_FEATURE, CardCode
from aiconsent.validation.issues import Issue
from aiconsent.validation.pointer import child

MAX_ALIASES: Final = 100
MAX_DEPTH: Final = 64
MAX_INT_DIGITS: Final = 4300

_NULL: Final = re.compile(r"~|null|Null|NULL|")
_BOOL: Final = {"true": True, "True": True, "TRUE": True}
_FALSE: Final = frozenset({"false", "False", "FALSE"})
_INT10: Final = re.compile(r"[-+]?[0-9]+")
_INT8: Final = re.compile(r"0o[0-7]+")
_INT16: Final = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT: Final = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INFINITY: Final = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN: Final = re.compile(r"\.(?:nan|NaN|NAN)")


class YamlError(Exception):
    """YAML that cannot be read at all (a syntax error, an unknown alias, too deep)."""

    def __init__(self, message: str, line: int, code: CardCode = UNREADABLE_CARD) -> None:
        super().__init__(message)
        self.message = message
        self.line = line  # 0-based, relative to the YAML text
        self.code = code


@dataclass(slots=True, eq=False)
class YamlNode:
    """A node of the YAML tree: kind, tag, style and where its text starts and ends."""

    kind: Literal["scalar", "mapping", "sequence"]
    line: int
    column: int
    start: int
    end: int = 0
    end_line: int = 0
    tag: str | None = None
    style: str | None = None
    flow: bool = False
    text: str = ""
    items: list[YamlNode] = field(default_factory=list)
    pairs: list[tuple[YamlNode, YamlNode]] = field(default_factory=list)


def compose(text: str, *, max_depth: int = MAX_DEPTH) -> YamlNode | None:
    """The tree of the single YAML document in text (None when it is empty).

    Raises YamlError for a syntax error, a second document, an undefined alias, more than
    MAX_ALIASES aliases, or nesting deeper than max_depth.
    """
    from ruamel.yaml import YAML, events
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    parser = YAML(typ="safe", pure=True)
    anchors: dict[str, YamlNode] = {}
    stack: list[YamlNode] = []
    pending_keys: list[YamlNode | None] = []
    root: YamlNode | None = None
    documents = 0
    aliases = 0

    def place(node: YamlNode) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent = stack[-1]
        if parent.kind == "sequence":
            parent.items.append(node)
        elif pending_keys[-1] is None:
            pending_keys[-1] = node
        else:
            key = pending_keys[-1]
            assert key is not None
            parent.pairs.append((key, node))
            pending_keys[-1] = None
        for open_node in stack:
            open_node.end = max(open_node.end, node.end)
            open_node.end_line = max(open_node.end_line, node.end_line)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ruamel warns on reused anchors; we count aliases
            for event in parser.parse(text):
                mark: Any = event.start_mark
                line = mark.line
                if isinstance(event, events.DocumentStartEvent):
                    documents += 1
                    if documents > 1:
                        raise YamlError("the front matter holds more than one YAML document", line)
                elif isinstance(event, events.AliasEvent):
                    aliases += 1
                    if aliases > MAX_ALIASES:
                        raise YamlError(f"more than {MAX_ALIASES} YAML aliases", line)
                    target = anchors.get(str(event.anchor))
                    if target is None:
                        raise YamlError(f"the alias *{event.anchor} names no anchor", line)
                    end = event.end_mark
                    place(
                        replace(
                            target,
                            line=line,
                            column=mark.column,
                            start=mark.index,
                            end=end.index,
                            end_line=end.line,
                        )
                    )
                elif isinstance(event, events.ScalarEvent):
                    end = event.end_mark
                    node = YamlNode(
                        "scalar",
                        line,
                        mark.column,
                        mark.index,
                        end.index,
                        end.line,
                        None if event.tag is None else str(event.tag),
                        event.style,
                        text=str(event.value),
                    )
                    if event.anchor is not None:
                        anchors[str(event.anchor)] = node
                    place(node)
                elif isinstance(event, events.CollectionStartEvent):
                    if len(stack) + 1 > max_depth:
                        raise YamlError(f"nesting deeper than {max_depth} levels", line)
                    kind: Literal["mapping", "sequence"] = (
                        "mapping" if isinstance(event, events.MappingStartEvent) else "sequence"
                    )
                    node = YamlNode(
                        kind,
                        line,
                        mark.column,
                        mark.index,
                        mark.index,
                        line,
                        None if event.tag is None else str(event.tag),
                        flow=bool(event.flow_style),
                    )
                    if event.anchor is not None:
                        anchors[str(event.anchor)] = node
                    stack.append(node)
                    pending_keys.append(None)
                elif isinstance(event, events.CollectionEndEvent):
                    node = stack.pop()
                    pending_keys.pop()
                    if node.flow:
                        node.end, node.end_line = event.end_mark.index, event.end_mark.line
                    place(node)
    except YamlError:
        raise
    except MarkedYAMLError as error:
        where = error.problem_mark or error.context_mark
        line = where.line if where is not None else 0
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise YamlError(f"not valid YAML: {message}", line) from None
    except (YAMLError, ValueError) as error:
        raise YamlError(f"not valid YAML: {error}", 0) from None
    return root


@dataclass(slots=True)
class Converted:
    """JSON values made from a YAML block, the line of each pointer, and what was wrong."""

    value: Any = None
    lines: dict[str, int] = field(default_factory=dict)  # pointer -> 0-based line
    issues: list[tuple[str, CardCode | str, str, int]] = field(default_factory=list)

    def problem(self, pointer: str, code: CardCode | str, message: str, line: int) -> None:
        self.issues.append((pointer, code, message, line))


def to_json(node: YamlNode, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Converted:
    """The JSON value of a YAML block under the core schema, or the problems that stop it.

    Problems are (pointer, code, message, line); codes are the syntax-layer AIC104/105/106 where
    the JSON limits of §8.2 apply, and card codes for YAML-only features.
    """
    result = Converted()
    budget = [max_bytes]

    def convert(item: YamlNode, pointer: str, depth: int) -> Any:
        result.lines.setdefault(pointer, item.line)
        budget[0] -= len(item.text) + 2
        if budget[0] < 0:
            raise YamlError(
                f"the consent block expands to more than {max_bytes} bytes (aliases?)",
                item.line,
                YAML_FEATURE,
            )
        if item.tag is not None:
            result.problem(
                pointer, YAML_FEATURE, f"the YAML tag {item.tag} is not allowed", item.line
            )
            return None
        if item.kind != "scalar" and depth > max_depth:
            result.problem(pointer, "AIC105", f"nesting deeper than {max_depth} levels", item.line)
            return None
        if item.kind == "sequence":
            return [
                convert(member, child(pointer, i), depth + 1) for i, member in enumerate(item.items)
            ]
        if item.kind == "mapping":
            return convert_mapping(item, pointer, depth)
        return scalar(item, pointer)

    def convert_mapping(item: YamlNode, pointer: str, depth: int) -> dict[str, Any]:
        value: dict[str, Any] = {}
        for key_node, value_node in item.pairs:
            key = _key(key_node)
            if key is None:
                result.problem(
                    pointer,
                    YAML_FEATURE,
                    "a key that is not a string (JSON allows only string keys)",
                    key_node.line,
                )
                continue
            if key == "<<" and key_node.style is None:
                result.problem(
                    pointer, YAML_FEATURE, "merge keys (<<) are not allowed", key_node.line
                )
                continue
            at = child(pointer, key)
            if key in value:
                result.problem(at, "AIC104", f"the key {key!r} occurs twice", key_node.line)
                continue
            result.lines[at] = key_node.line
            value[key] = convert(value_node, at, depth + 1)
        return value

    def scalar(item: YamlNode, pointer: str) -> Any:
        if item.style is not None:
            return item.text
        resolved = resolve_plain(item.text)
        if isinstance(resolved, _Invalid):
            result.problem(pointer, "AIC106", resolved.message, item.line)
            return None
        return resolved

    try:
        size = expanded_size(node)
        if size > max_bytes:
            raise YamlError(
                f"the consent block expands to {size} bytes, more than the limit of {max_bytes} "
                "(aliases)",
                node.line,
                YAML_FEATURE,
            )
        result.value = convert(node, "", 1)
    except YamlError as problem:
        result.problem("", problem.code, problem.message, problem.line)
        result.value = None
    return result


def expanded_size(node: YamlNode) -> int:
    """Roughly how many bytes of JSON the node becomes once every alias is expanded; computed
    per distinct node, so an alias bomb is measured without being expanded. A node that contains
    itself (through an alias) is an error."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(item: YamlNode) -> int:
        key = id(item.pairs) if item.kind == "mapping" else id(item.items)
        if item.kind == "scalar":
            return len(item.text) + 2
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise YamlError("an alias refers to a node that contains it", item.line, YAML_FEATURE)
        open_nodes.add(key)
        members = [m for pair in item.pairs for m in pair] if item.kind == "mapping" else item.items
        total = 2 + sum(size(member) for member in members)
        open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(node)


def _key(node: YamlNode) -> str | None:
    if node.kind != "scalar" or node.tag is not None:
        return None
    if node.style is not None:
        return node.text
    return node.text if isinstance(resolve_plain(node.text), str) else None


class _Invalid:
    """A plain scalar that the core schema reads as a number JSON cannot hold."""

    def __init__(self, message: str) -> None:
        self.message = message


def resolve_plain(text: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema (dates stay strings)."""
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return True
    if text in _FALSE:
        return False
    for pattern, base in ((_INT10, 10), (_INT8, 8), (_INT16, 16)):
        if pattern.fullmatch(text):
            digits = text[2:] if base != 10 else text.lstrip("+-")
            if len(digits) > MAX_INT_DIGITS:
                return _Invalid(f"an integer of more than {MAX_INT_DIGITS} digits")
            return int(digits, base) if base != 10 else int(text)
    if _FLOAT.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):
            return _Invalid(f"{text} is out of range")
        return number
    if _INFINITY.fullmatch(text) or _NAN.fullmatch(text):
        return _Invalid(f"{text} is not a finite number")
    return text


def problems_as_issues(
    converted: list[tuple[str, CardCode | str, str, int]], base: str, first_line: int
) -> list[Issue]:
    """Turn (pointer, code, message, line) problems into issues under base, with file lines."""
    issues = []
    for pointer, code, message, line in converted:
        text = f"{message} (line {first_line + line + 1})"
        if isinstance(code, CardCode):
            from aiconsent.cards.issues import card_issue

            issues.append(card_issue(code, text, base + pointer))
        else:
            issues.append(Issue.make(code, text, base + pointer))
    return issues
