"""The compact JSON-LD form as pydantic models.

They round-trip JSON without loss of meaning (aliases keep `@context`; date-times keep their
offsets), require time zones on date-times, and reject unknown purposes, roles and bases with
the list of accepted values. The JSON Schema in schema/ stays the normative definition; a test
checks both accept and reject the same documents.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

Purpose: TypeAlias = Literal[
    "tdm",
    "ai-use",
    "ai-training",
    "genai-training",
    "non-generative-training",
    "ai-inference",
    "ai-index",
    "search",
]
Role: TypeAlias = Literal[
    "creator", "rightsholder", "data-subject", "guardian", "platform", "publisher"
]
Basis: TypeAlias = Literal[
    "explicit-consent",
    "no-objection",
    "terms-of-service",
    "license",
    "statutory-exception",
    "unspecified",
]
Visibility: TypeAlias = Literal["public", "restricted", "private"]
Constraint: TypeAlias = Literal["non-commercial", "research"]
Duty: TypeAlias = Literal["attribute", "compensate", "notify"]
Carrier: TypeAlias = Literal[
    "c2pa",
    "xmp",
    "sidecar",
    "html",
    "http-header",
    "tdmrep",
    "robots-txt",
    "ai-txt",
    "rsl",
    "dataset-card",
    "jsonld",
]
PolicyName: TypeAlias = Literal["opt-in", "opt-out", "signals-only"]

Iri = Annotated[str, StringConstraints(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:\S*$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
JurisdictionCode = Annotated[str, StringConstraints(pattern=r"^(?:[A-Z]{2}|EEA)$")]
AgentToken = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=128)
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    def to_dict(self) -> dict[str, Any]:
        """The compact JSON form, with only the properties that were given."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Target(_Model):
    """What a declaration covers: exactly one of url, urlPattern, sha256 or collection."""

    url: Iri | None = None
    url_pattern: (
        Annotated[str, StringConstraints(pattern=r"^(?:https?://[^/\s]+)?/\S*$")] | None
    ) = Field(None, alias="urlPattern")
    sha256: Sha256 | None = None
    collection: Iri | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        given = [
            name
            for name in ("url", "url_pattern", "sha256", "collection")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError("a target has exactly one of url, urlPattern, sha256 or collection")
        return self


class Party(_Model):
    """Who made a declaration, in which capacity."""

    id: Iri
    name: Annotated[str, StringConstraints(min_length=1)] | None = None
    role: Role


class Rule(_Model):
    """One permission or prohibition: a purpose, optionally limited to agents and constraints."""

    purpose: Purpose
    agent: Annotated[list[AgentToken], Field(min_length=1)] | None = None
    constraint: Annotated[list[Constraint], Field(min_length=1)] | None = None
    duty: Annotated[list[Duty], Field(min_length=1)] | None = None


class ContentFacts(_Model):
    """Facts about the content that change what a permission can cover."""

    created_at: AwareDatetime | None = Field(None, alias="createdAt")
    visibility: Visibility | None = None
    personal_data: bool | None = Field(None, alias="personalData")
    minor_at_creation: bool | None = Field(None, alias="minorAtCreation")
    age_at_creation: Annotated[int, Field(ge=0, le=150)] | None = Field(None, alias="ageAtCreation")
    adult_since: date | None = Field(None, alias="adultSince")


class ConsentDeclaration(_Model):
    """One party's statement about some content: what it permits and prohibits, and why."""

    context: Any = Field(None, alias="@context")
    id: Iri
    type: Literal["ConsentDeclaration"] = "ConsentDeclaration"
    target: Annotated[list[Target], Field(min_length=1)]
    declared_by: Party = Field(alias="declaredBy")
    declared_at: AwareDatetime = Field(alias="declaredAt")
    valid_from: AwareDatetime | None = Field(None, alias="validFrom")
    valid_until: AwareDatetime | None = Field(None, alias="validUntil")
    withdrawn_at: AwareDatetime | None = Field(None, alias="withdrawnAt")
    basis: Basis | None = None
    jurisdiction: Annotated[list[JurisdictionCode], Field(min_length=1)] | None = None
    retroactive: bool | None = None
    permission: Annotated[list[Rule], Field(min_length=1)] | None = None
    prohibition: Annotated[list[Rule], Field(min_length=1)] | None = None
    content: ContentFacts | None = None
    policy_url: Iri | None = Field(None, alias="policyUrl")
    withdrawal_url: Iri | None = Field(None, alias="withdrawalUrl")
    evidence: Iri | None = None
    carrier: Carrier | None = None

    @model_validator(mode="after")
    def _has_rules(self) -> ConsentDeclaration:
        if self.permission is None and self.prohibition is None:
            raise ValueError("a declaration needs at least one permission or prohibition")
        for rule in self.prohibition or []:
            if rule.duty is not None:
                raise ValueError("a prohibition carries no duty")
        return self


class SignalsChecked(_Model):
    """Which carriers a dataset publisher read, and when."""

    carrier: Annotated[list[Carrier], Field(min_length=1)]
    checked_at: AwareDatetime = Field(alias="checkedAt")


class Source(_Model):
    """Where a dataset's items came from, and on what basis."""

    name: Annotated[str, StringConstraints(min_length=1)]
    url: Iri | None = None
    collection_method: Annotated[str, StringConstraints(min_length=1)] | None = Field(
        None, alias="collectionMethod"
    )
    collected_from: AwareDatetime | None = Field(None, alias="collectedFrom")
    collected_until: AwareDatetime | None = Field(None, alias="collectedUntil")
    basis: Basis | None = None
    jurisdiction: Annotated[list[JurisdictionCode], Field(min_length=1)] | None = None


class Manifest(_Model):
    """The per-item consent manifest a card points to."""

    url: Annotated[str, StringConstraints(min_length=1)]
    sha256: Sha256 | None = None
    format: Literal["jsonl", "parquet"]


class DecisionCounts(_Model):
    """How many items an audit allowed, denied, or left unknown."""

    allowed: Annotated[int, Field(ge=0)]
    denied: Annotated[int, Field(ge=0)]
    unknown: Annotated[int, Field(ge=0)]


class Withdrawal(_Model):
    """How people withdraw their items from the dataset, and how fast it is honoured."""

    url: Iri
    honored_within: str | None = Field(None, alias="honoredWithin")
    last_applied_at: AwareDatetime | None = Field(None, alias="lastAppliedAt")


class DatasetConsent(_Model):
    """The consent section of a dataset card."""

    context: Any = Field(None, alias="@context")
    id: Iri
    type: Literal["DatasetConsent"] = "DatasetConsent"
    dataset: Iri
    purpose_assessed: Annotated[list[Purpose], Field(min_length=1)] = Field(alias="purposeAssessed")
    policy: PolicyName | Iri
    signals_checked: SignalsChecked | None = Field(None, alias="signalsChecked")
    sources: Annotated[list[Source], Field(min_length=1)] | None = None
    manifest: Manifest | None = None
    item_count: Annotated[int, Field(ge=0)] | None = Field(None, alias="itemCount")
    decision_counts: DecisionCounts | None = Field(None, alias="decisionCounts")
    withdrawal: Withdrawal | None = None


_NODE: TypeAdapter[ConsentDeclaration | DatasetConsent] = TypeAdapter(
    Annotated[ConsentDeclaration | DatasetConsent, Field(discriminator="type")]
)


def parse_node(value: dict[str, Any]) -> ConsentDeclaration | DatasetConsent:
    """Parse one node of the compact form; raise pydantic.ValidationError when it is not one."""
    return _NODE.validate_python(value)
