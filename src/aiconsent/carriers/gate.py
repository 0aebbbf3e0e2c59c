"""The check every carrier runs before it writes: content must not carry what readers reject.

All carriers use the same layers (syntax, schema, jsonld, semantic). SHACL is left out: on a
document that passes the schema and expands with the v1 context, the shapes restate the schema
(the test vectors show the two agree), and a pySHACL run costs ~25 ms per document, which would
make stamping a photo library take hours. The answer is cached by the document's canonical
JSON, so attaching one declaration to many files validates it once.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Final

from aiconsent.validation.codes import Layer
from aiconsent.validation.issues import Issue

WRITE_LAYERS: Final[tuple[Layer, ...]] = ("syntax", "schema", "jsonld", "semantic")


def first_error(document: Any) -> Issue | None:
    """The first error the write layers find in the document, or None when it may be written."""
    return _first_error(json.dumps(document, sort_keys=True, ensure_ascii=False))


def describe(issue: Issue) -> str:
    """`pointer: [code] message`, the way every carrier words a refusal."""
    return f"{issue.path or '/'}: [{issue.code}] {issue.message}"


@lru_cache(maxsize=1024)
def _first_error(canonical: str) -> Issue | None:
    from aiconsent.validation.validate import Options, validate_bytes

    report = validate_bytes(
        canonical.encode("utf-8"), "<declarations>", Options(layers=WRITE_LAYERS)
    )
    return next((issue for issue in report.issues if issue.severity == "error"), None)
