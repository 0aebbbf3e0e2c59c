"""Whether a sidecar still belongs to the file beside it (spec §3.4, issue code AIC515).

A sidecar `NAME.consent.jsonld` binds its declarations to the sha256 of `NAME`. When the content
changes and the sidecar does not, readers treat the declarations as unreadable; the validator
says so up front, so a publisher finds the stale sidecar before a crawler does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

from aiconsent.validation.issues import Issue
from aiconsent.validation.jsonld import Node

SUFFIX: Final = ".consent.jsonld"


def content_of(sidecar: Path) -> Path | None:
    """The content file a sidecar describes, when the name is a sidecar's and the file exists."""
    if not sidecar.name.endswith(SUFFIX) or len(sidecar.name) == len(SUFFIX):
        return None
    content = sidecar.with_name(sidecar.name[: -len(SUFFIX)])
    return content if content.is_file() else None


def sha256_of(path: Path) -> str:
    """The file's sha256, read in 1 MiB chunks so a 200 MB video costs no memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_binding(nodes: list[Node], content: Path) -> list[Issue]:
    """AIC515 for each declaration whose sha256 targets miss the content's current hash."""
    declarations = [node for node in nodes if node.value.get("type") == "ConsentDeclaration"]
    if not declarations:
        return []
    try:
        digest = sha256_of(content)
    except OSError as error:
        reason = error.strerror or error
        return [Issue.make("AIC515", f"the content {content.name} cannot be read: {reason}")]
    issues = []
    for node in declarations:
        targets = node.value.get("target")
        hashes = {
            str(target.get("sha256", "")).lower()
            for target in (targets if isinstance(targets, list) else [])
            if isinstance(target, dict)
        }
        if digest not in hashes:
            issues.append(
                Issue.make(
                    "AIC515",
                    f"{content.name} has sha256 {digest}, which this declaration does not "
                    "target: the content changed after the sidecar was written, or the sidecar "
                    "belongs to other bytes",
                    f"{node.pointer}/target" if isinstance(targets, list) else node.pointer,
                )
            )
    return issues
