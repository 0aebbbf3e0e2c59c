"""The consent section of a Hugging Face dataset card: the top-level `consent:` key of the YAML
front matter of README.md (spec §10.3).

Reading uses the safe YAML 1.2 reader of safe_yaml. Writing splices text: the old `consent:`
entry (if any) is cut out by its character positions and the new one, emitted by ruamel.yaml in
round-trip mode, is put in its place (or at the end of the front matter) — so every other byte
of the card (comments, key order, quoting, the Markdown body, CRLF line endings) stays as it was.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any, Final

from aiconsent.cards.front_matter import FrontMatter, FrontMatterError, find_front_matter
from aiconsent.cards.issues import UNREADABLE_CARD, card_issue
from aiconsent.cards.safe_yaml import (
    YamlError,
    YamlNode,
    compose,
    problems_as_issues,
    to_json,
)
from aiconsent.validation.issues import Issue
from aiconsent.validation.syntax import DEFAULT_MAX_BYTES
from aiconsent.vocabulary.documents import CONTEXT_URL

CONSENT_KEY: Final = "consent"
POINTER_BASE: Final = "/consent"
_PLAIN_SAFE: Final = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
# words that YAML 1.1 readers (PyYAML, used by huggingface_hub) take for booleans or null
_YAML11_WORDS: Final = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


class HfCardError(ValueError):
    """A card whose front matter cannot be read or edited in place."""


@dataclass(slots=True)
class HfConsent:
    """What a card's front matter holds under `consent:`, with the file line of each pointer."""

    consent: dict[str, Any] | None = None
    issues: list[Issue] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # pointer in the block -> 1-based line
    present: bool = False

    def line_of(self, pointer: str) -> int | None:
        """The file line of a pointer inside the consent block, or of its nearest ancestor."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


def _front_matter_tree(text: str) -> tuple[FrontMatter | None, YamlNode | None]:
    """The front matter and its YAML tree; raises HfCardError when either cannot be read."""
    try:
        front = find_front_matter(text)
    except FrontMatterError as error:
        raise HfCardError(str(error)) from None
    if front is None:
        return None, None
    try:
        root = compose(front.yaml(text))
    except YamlError as error:
        raise HfCardError(f"{error.message} (line {front.first_line + error.line + 1})") from None
    if root is not None and root.kind != "mapping":
        line = front.first_line + root.line + 1
        raise HfCardError(
            f"the front matter is a YAML {root.kind}, not a mapping of keys (line {line})"
        )
    return front, root


def _consent_pair(root: YamlNode | None, front: FrontMatter) -> tuple[YamlNode, YamlNode] | None:
    if root is None:
        return None
    pairs = [
        (key, value)
        for key, value in root.pairs
        if key.kind == "scalar" and key.tag is None and key.text == CONSENT_KEY
    ]
    if len(pairs) > 1:
        line = front.first_line + pairs[1][0].line + 1
        raise HfCardError(f"the front matter has the key consent twice (line {line})")
    return pairs[0] if pairs else None


def extract_hf_card(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> HfConsent:
    """The consent block of a card, with issues (pointers under /consent, file lines in the
    messages); no exception for bad input."""
    result = HfConsent()
    try:
        front, root = _front_matter_tree(text)
        pair = None if front is None else _consent_pair(root, front)
    except HfCardError as error:
        result.issues.append(card_issue(UNREADABLE_CARD, str(error)))
        return result
    if front is None or pair is None:
        return result
    key, value = pair
    result.present = True
    converted = to_json(value, max_bytes=max_bytes)
    result.lines = {p: front.first_line + line + 1 for p, line in converted.lines.items()}
    result.lines[""] = front.first_line + key.line + 1
    result.issues.extend(problems_as_issues(converted.issues, POINTER_BASE, front.first_line))
    if result.issues:
        return result
    if not isinstance(converted.value, dict):
        kind = "a list" if isinstance(converted.value, list) else "not a mapping"
        message = f"the consent block must be a mapping (a DatasetConsent); it is {kind}"
        line = result.lines[""]
        result.issues.append(Issue.make("AIC203", f"{message} (line {line})", POINTER_BASE))
        return result
    result.consent = converted.value
    return result


def read_hf_card(text: str) -> tuple[dict[str, Any] | None, list[Issue]]:
    """The DatasetConsent under `consent:` (None when absent or unreadable) and the issues found
    reading it; their pointers start at /consent and their messages name the file line."""
    found = extract_hf_card(text)
    return found.consent, found.issues


def write_hf_card(text: str, consent: dict[str, Any]) -> str:
    """The card with `consent:` set to this DatasetConsent; every other character unchanged.

    Raises HfCardError when the front matter cannot be read or is not a block mapping.
    """
    front, root = _front_matter_tree(text)
    if front is None:
        newline = "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"
        return f"---{newline}{_block(consent, newline, 0)}---{newline}{text}"
    if root is not None and root.flow:
        raise HfCardError(
            "the front matter is a flow mapping ({...}); it cannot be edited in place"
        )
    yaml_text = front.yaml(text)
    pair = _consent_pair(root, front)
    indent = root.column if root is not None else 0
    block = _block(consent, front.newline, indent)
    if pair is None:
        updated = yaml_text + block
    else:
        key, value = pair
        start = yaml_text.rfind("\n", 0, key.start) + 1
        end = max(key.end, value.end)
        if end > 0 and yaml_text[end - 1] != "\n":
            line_end = yaml_text.find("\n", end)
            end = len(yaml_text) if line_end < 0 else line_end + 1
        updated = yaml_text[:start] + block + yaml_text[end:]
    written = text[: front.start] + updated + text[front.end :]
    check = extract_hf_card(written)
    if check.issues or check.consent != _without_context(consent):
        raise HfCardError("the consent block did not read back as written; the card is unchanged")
    return written


def _without_context(consent: dict[str, Any]) -> dict[str, Any]:
    """The block as written: the v1 @context is implied in a card (§10.3), so it is left out."""
    if consent.get("@context") == CONTEXT_URL:
        return {key: value for key, value in consent.items() if key != "@context"}
    return dict(consent)


def _block(consent: dict[str, Any], newline: str, indent: int) -> str:
    """`consent:` and its value as YAML lines, ending with a newline."""
    from ruamel.yaml import YAML

    emitter = YAML()
    emitter.width = 1 << 16  # never fold a long URL across lines
    emitter.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    emitter.dump({CONSENT_KEY: _quoted(_without_context(consent))}, stream)
    lines = stream.getvalue().splitlines()
    return "".join(" " * indent + line + newline for line in lines)


def _quoted(value: Any) -> Any:
    """Strings that any YAML reader could take for something else are double-quoted."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, dict):
        return {key: _quoted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_quoted(item) for item in value]
    if isinstance(value, str) and not (
        _PLAIN_SAFE.fullmatch(value) and value.lower() not in _YAML11_WORDS
    ):
        return DoubleQuotedScalarString(value)
    return value
