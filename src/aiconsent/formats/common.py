"""What every format reader and writer shares (spec §9.1): how a declaration read from a foreign
signal is built, how the raw signal is kept as evidence, and how a writer reports loss.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal
from urllib.parse import quote

from aiconsent.model.found import Found, ReadResult, Unreadable

CONTEXT: Final = "https://w3id.org/aiconsent/v1"
PURPOSES: Final = (
    "tdm",
    "ai-use",
    "ai-training",
    "genai-training",
    "non-generative-training",
    "ai-inference",
    "ai-index",
    "search",
)
EVIDENCE_LIMIT: Final = 2048  # characters of the raw signal kept in the evidence IRI
UNDATED: Final = "0001-01-01T00:00:00Z"  # declaredAt of what holds whatever the time (spec §9.1)


def now() -> datetime:
    """The observation time of a signal read now (spec §9.1 declaredAt)."""
    return datetime.now(UTC).replace(microsecond=0)


def timestamp(moment: datetime) -> str:
    """RFC 3339 with Z for UTC, as the schema wants."""
    return moment.isoformat().replace("+00:00", "Z")


def local_file_iri(data: bytes) -> str:
    """ni:///sha-256;<unpadded base64url digest> (RFC 6920): the party id for a local file."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"ni:///sha-256;{digest}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def evidence_iri(raw: str) -> str:
    """The raw signal as a data: IRI, so the declaration itself carries what it was read from."""
    text = raw if len(raw) <= EVIDENCE_LIMIT else raw[:EVIDENCE_LIMIT] + "…"
    return "data:text/plain;charset=utf-8," + quote(text, safe="")


def new_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a signal was found: the party and target that declarations read from it get."""

    source: str  # path or URL, for people
    party: str  # the carrier document's IRI (spec §9.1), or ni:/// for a local file
    target: dict[str, str]  # {"url": ...}, {"urlPattern": ...} or {"sha256": ...}
    observed_at: datetime = field(default_factory=now)

    @classmethod
    def for_bytes(
        cls,
        data: bytes,
        source: str,
        url: str | None = None,
        target_url: str | None = None,
        observed_at: datetime | None = None,
    ) -> Origin:
        """Party: the document URL, else the file's ni: IRI; target: the item URL, else its hash."""
        party = url or local_file_iri(data)
        item = target_url or url
        target = {"url": item} if item else {"sha256": sha256_hex(data)}
        return cls(source, party, target, observed_at or now())


def declaration(
    origin: Origin,
    carrier: str,
    *,
    permission: Iterable[dict[str, Any]] = (),
    prohibition: Iterable[dict[str, Any]] = (),
    raw: str | None = None,
    target: dict[str, str] | None = None,
    declared_at: datetime | None = None,
    basis: str = "unspecified",
    policy_url: str | None = None,
    identifier: str | None = None,
    jurisdiction: list[str] | None = None,
) -> dict[str, Any] | None:
    """A compact declaration of a foreign signal, per spec §9.1; None if it has no rule."""
    permissions = list(permission)
    prohibitions = list(prohibition)
    if not permissions and not prohibitions:
        return None
    value: dict[str, Any] = {
        "@context": CONTEXT,
        "id": identifier or new_id(),
        "type": "ConsentDeclaration",
        "target": [target or origin.target],
        "declaredBy": {"id": origin.party, "role": "publisher"},
        "declaredAt": timestamp(declared_at or origin.observed_at),
        "basis": basis,
        "retroactive": True,
    }
    if jurisdiction:
        value["jurisdiction"] = jurisdiction
    if permissions:
        value["permission"] = permissions
    if prohibitions:
        value["prohibition"] = prohibitions
    if policy_url:
        value["policyUrl"] = policy_url
    if raw is not None:
        value["evidence"] = evidence_iri(raw)
    value["carrier"] = carrier
    return value


def found(result: ReadResult, value: dict[str, Any] | None, origin: Origin, carrier: str) -> None:
    """Add a declaration (if any) to a read result."""
    if value is not None:
        result.found.append(Found(value, origin.source, carrier))


def unreadable(
    result: ReadResult,
    origin: Origin,
    carrier: str,
    message: str,
    purposes: Iterable[str] | None = None,
) -> None:
    """Record a signal that was found but cannot be used (spec §9.1 rule 5)."""
    leaves = None
    if purposes is not None:
        from aiconsent.vocabulary.purposes import purpose_tree

        tree = purpose_tree()
        leaves = frozenset().union(*(tree.leaves[p] for p in purposes))
    result.unreadable.append(Unreadable(origin.source, message, carrier, leaves))


LossKind = Literal["widened", "dropped", "lost"]


@dataclass(frozen=True, slots=True)
class Loss:
    """What a writer could not carry, and how (spec §9.1 Writing)."""

    kind: LossKind
    detail: str
    declaration: str | None = None

    def __str__(self) -> str:
        where = f" ({self.declaration})" if self.declaration else ""
        return f"{self.kind}: {self.detail}{where}"


@dataclass(slots=True)
class Written:
    """A writer's output, and everything it could not express."""

    text: str
    media_type: str
    losses: list[Loss] = field(default_factory=list)

    @property
    def lossy(self) -> bool:
        return bool(self.losses)
