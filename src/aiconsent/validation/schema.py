"""Layer 2, schema: JSON Schema 2020-12 (schema/aiconsent.schema.json) with format checks.

jsonschema-rs does the checking (it is fast enough for bulk manifests); the schema and any
schema it references come from the package's URL table, never from the network. Each error
is turned into an issue with a stable code and a message written for people.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from typing import Any, Final

import jsonschema_rs

from aiconsent.validation.issues import Issue
from aiconsent.validation.pointer import child, join
from aiconsent.vocabulary.documents import SCHEMA_URL, UnknownDocumentError, load_document

_NOUNS: Final = {
    "purpose": "purpose",
    "role": "role",
    "basis": "basis",
    "visibility": "visibility",
    "constraint": "constraint",
    "duty": "duty",
    "carrier": "carrier",
}
_PATTERN_HINTS: Final = {
    "sha256": "a SHA-256 digest as 64 lower-case hex digits",
    "jurisdictionCode": "an ISO 3166-1 alpha-2 code in capitals, or EU or EEA",
    "agentToken": "a robots.txt product token (letters, digits, '_', '.', '-')",
    "urlPattern": "a robots.txt-style path starting with '/', optionally after scheme and host",
    "dateTime": "an RFC 3339 date-time with upper-case T and Z and seconds 00-59",
}
_FORMAT_HINTS: Final = {
    "date-time": "an RFC 3339 date-time with a time zone, e.g. 2024-06-26T00:00:00Z",
    "date": "a date as YYYY-MM-DD",
    "uri": "an absolute IRI, e.g. https://… or urn:uuid:…",
    "uri-reference": "a URI reference",
    "duration": "an ISO 8601 duration, e.g. P30D",
}


def _retrieve(uri: str) -> Any:
    try:
        return load_document(uri)
    except UnknownDocumentError as error:
        raise ValueError(str(error)) from None


@cache
def _validator() -> Any:
    schema = load_document(SCHEMA_URL)
    return jsonschema_rs.validator_for(
        schema, validate_formats=True, retriever=_retrieve, base_uri=SCHEMA_URL
    )


def check_document(value: Any, prefix: str) -> list[Issue]:
    """Return the schema issues of one document, de-duplicated and in a stable order."""
    validator = _validator()
    try:
        if validator.is_valid(value):
            return []
        errors = list(validator.iter_errors(value))
    except (ValueError, UnicodeError) as error:  # a value the Rust validator cannot represent
        return [Issue.make("AIC209", f"the document could not be checked: {error}", prefix)]
    seen: set[tuple[str, str]] = set()
    issues: list[Issue] = []
    for found in errors:
        for issue in _issues_for(found, prefix):
            key = (issue.code, issue.path)
            if key not in seen:
                seen.add(key)
                issues.append(issue)
    # A value that is not a date-time at all needs one message, not a format and a pattern one.
    wrong_format = {issue.path for issue in issues if issue.code == "AIC205"}
    return [i for i in issues if not (i.code == "AIC206" and i.path in wrong_format)]


def _issues_for(error: Any, prefix: str) -> Iterator[Issue]:
    kind = error.kind
    name = type(kind).__name__
    pointer = join(prefix, list(error.instance_path))
    schema_path = list(error.schema_path)
    definition = _definition_name(schema_path)
    instance = error.instance
    if name == "Required":
        yield Issue.make("AIC201", f"{kind.property!r} is a required property", pointer)
    elif name == "AdditionalProperties":
        for key in kind.unexpected:
            yield Issue.make("AIC202", f"property {key!r} is not allowed here", child(pointer, key))
    elif name == "Type":
        expected = kind.types if hasattr(kind, "types") else kind.value
        yield Issue.make(
            "AIC203", f"expected {_type_words(expected)}, found {_json_type(instance)}", pointer
        )
    elif name in {"Enum", "Constant"}:
        yield Issue.make("AIC204", _enum_message(instance, kind, definition), pointer)
    elif name == "Format":
        hint = _FORMAT_HINTS.get(kind.format, kind.format)
        yield Issue.make("AIC205", f"{_show(instance)} is not {hint}", pointer)
    elif name == "Pattern":
        hint = _PATTERN_HINTS.get(definition or "") or _PATTERN_HINTS.get(
            pointer.rsplit("/", 1)[-1], f"a string matching {kind.pattern}"
        )
        yield Issue.make("AIC206", f"{_show(instance)} is not {hint}", pointer)
    elif name == "AnyOf" and definition == "ConsentDeclaration":
        yield Issue.make(
            "AIC208", "a declaration needs at least one permission or prohibition", pointer
        )
    elif name in {"AnyOf", "OneOfNotValid", "OneOfMultipleValid", "Not"}:
        yield Issue.make(
            "AIC209",
            f"{_show(instance)} does not match any allowed form for {_last(pointer)}",
            pointer,
        )
    else:
        yield Issue.make("AIC207", _size_message(name, instance, kind), pointer)


def _definition_name(schema_path: list[Any]) -> str | None:
    """The name of the innermost $defs entry the failing keyword belongs to."""
    names = [str(schema_path[i + 1]) for i, part in enumerate(schema_path[:-1]) if part == "$defs"]
    return names[-1] if names else None


def _enum_message(instance: Any, kind: Any, definition: str | None) -> str:
    noun = _NOUNS.get(definition or "")
    options = kind.options if hasattr(kind, "options") else getattr(kind, "expected_value", None)
    if noun and isinstance(options, list):
        words = [str(option) for option in options]
        message = f"{_show(instance)} is not a known {noun}; expected one of {', '.join(words)}"
        if isinstance(instance, str):
            close = difflib.get_close_matches(instance, words, n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        return message
    if isinstance(options, list):
        return f"{_show(instance)} is not one of {', '.join(map(_show, options))}"
    return f"{_show(instance)} is not the expected value {_show(options)}"


def _size_message(name: str, instance: Any, kind: Any) -> str:
    limit = getattr(kind, "limit", None)
    phrases = {
        "MinItems": f"needs at least {limit} item(s)",
        "MaxItems": f"allows at most {limit} item(s)",
        "MinProperties": f"needs at least {limit} property",
        "MaxProperties": f"allows at most {limit} property; use one target object per key",
        "MinLength": "must not be empty",
        "MaxLength": f"is longer than {limit} characters",
        "Minimum": f"must be at least {limit}",
        "Maximum": f"must be at most {limit}",
        "UniqueItems": "must not repeat an item",
    }
    return f"{_show(instance)} {phrases.get(name, 'is outside the allowed range')}"


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _last(pointer: str) -> str:
    return repr(pointer.rsplit("/", 1)[-1]) if pointer else "the document"


def _type_words(expected: Any) -> str:
    if isinstance(expected, list | tuple):
        return " or ".join(str(item) for item in expected)
    return str(expected)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"
