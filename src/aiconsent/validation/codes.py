"""The validator's issue codes: one table, so spec.md, reporters and tests agree.

Codes are stable: a code is never reused for another meaning. The hundreds digit is the layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Layer = Literal["syntax", "schema", "jsonld", "shacl", "semantic", "card"]
Severity = Literal["error", "warning", "info"]

LAYERS: Final[tuple[Layer, ...]] = ("syntax", "schema", "jsonld", "shacl", "semantic", "card")


@dataclass(frozen=True, slots=True)
class IssueCode:
    """One kind of problem: its code, the layer that finds it, its default severity and a title."""

    code: str
    layer: Layer
    severity: Severity
    title: str


_TABLE: Final[tuple[IssueCode, ...]] = (
    # syntax: the bytes and the JSON
    IssueCode("AIC101", "syntax", "error", "file larger than the size limit"),
    IssueCode("AIC102", "syntax", "error", "not valid UTF-8"),
    IssueCode("AIC103", "syntax", "error", "not valid JSON or JSON Lines"),
    IssueCode("AIC104", "syntax", "error", "duplicate key in an object"),
    IssueCode("AIC105", "syntax", "error", "nesting deeper than the depth limit"),
    IssueCode("AIC106", "syntax", "error", "number out of range or not finite"),
    IssueCode("AIC107", "syntax", "error", "no document in the file"),
    IssueCode("AIC108", "syntax", "warning", "byte order mark at the start of the file"),
    IssueCode("AIC109", "syntax", "error", "top-level value is not an object or array"),
    # schema: JSON Schema 2020-12 (aiconsent.schema.json)
    IssueCode("AIC201", "schema", "error", "required property missing"),
    IssueCode("AIC202", "schema", "error", "property not allowed here"),
    IssueCode("AIC203", "schema", "error", "value of the wrong JSON type"),
    IssueCode("AIC204", "schema", "error", "value not among the allowed values"),
    IssueCode("AIC205", "schema", "error", "value not in the required format"),
    IssueCode("AIC206", "schema", "error", "value does not match the required pattern"),
    IssueCode("AIC207", "schema", "error", "value outside the allowed size or range"),
    IssueCode("AIC208", "schema", "error", "declaration has neither permission nor prohibition"),
    IssueCode("AIC209", "schema", "error", "value does not match any allowed form"),
    # jsonld: expansion with the packaged contexts only
    IssueCode("AIC301", "jsonld", "error", "context not shipped with aiconsent (never fetched)"),
    IssueCode("AIC302", "jsonld", "error", "key not defined by the context (would be dropped)"),
    IssueCode("AIC303", "jsonld", "error", "JSON-LD expansion failed"),
    IssueCode("AIC304", "jsonld", "warning", "no @context: read with the aiconsent v1 context"),
    # shacl: shapes.ttl over the RDF graph
    IssueCode("AIC401", "shacl", "error", "SHACL violation"),
    IssueCode(
        "AIC402", "shacl", "warning", "recommended property missing or unusual (SHACL warning)"
    ),
    IssueCode("AIC403", "shacl", "info", "SHACL note"),
    # semantic: consent logic
    IssueCode(
        "AIC501",
        "semantic",
        "error",
        "one party permits and prohibits the same purpose in the same scope",
    ),
    IssueCode("AIC502", "semantic", "error", "validity ends before it starts"),
    IssueCode("AIC503", "semantic", "error", "withdrawn before it was made or came into force"),
    IssueCode(
        "AIC504",
        "semantic",
        "warning",
        "permission on a minor's content whose basis can never count",
    ),
    IssueCode(
        "AIC505",
        "semantic",
        "warning",
        "permission on a minor's content from a party that cannot give it",
    ),
    IssueCode(
        "AIC506", "semantic", "warning", "terms-of-service or no-objection basis on private content"
    ),
    IssueCode("AIC507", "semantic", "error", "compensate duty without a policyUrl"),
    IssueCode("AIC508", "semantic", "error", "duplicate declaration id"),
    IssueCode("AIC509", "semantic", "warning", "unknown robots.txt agent token"),
    IssueCode("AIC510", "semantic", "error", "content facts contradict each other"),
    IssueCode("AIC511", "semantic", "error", "source collection period ends before it starts"),
    IssueCode("AIC512", "semantic", "error", "decisionCounts do not add up to itemCount"),
    IssueCode("AIC513", "semantic", "warning", "retroactive on a declaration with no permission"),
    IssueCode("AIC514", "semantic", "warning", "the same rule stated twice"),
    IssueCode("AIC515", "semantic", "error", "sidecar does not match the content beside it"),
    # card: reading a dataset card (spec §10.2, §10.3)
    IssueCode("AIC601", "card", "warning", "dataset card has no consent section"),
    IssueCode("AIC602", "card", "error", "dataset card cannot be read (front matter or JSON-LD)"),
    IssueCode("AIC603", "card", "error", "YAML feature not allowed in a consent block"),
    IssueCode("AIC604", "card", "warning", "Croissant consent section without an ODRL offer"),
    IssueCode("AIC605", "card", "warning", "ODRL offer disagrees with aic:purposeAssessed"),
    IssueCode("AIC606", "card", "error", "consent properties not on one aic:DatasetConsent node"),
    # card: a dataset card against its manifest (spec §10.5)
    IssueCode("AIC610", "card", "info", "manifest or policy not available offline; not verified"),
    IssueCode("AIC611", "card", "warning", "manifest not found beside the card; not verified"),
    IssueCode("AIC612", "card", "error", "manifest sha256 does not match"),
    IssueCode("AIC613", "card", "error", "itemCount differs from the manifest"),
    IssueCode("AIC614", "card", "error", "decisionCounts differ from an audit of the manifest"),
    IssueCode(
        "AIC615", "card", "error", "card claims more cleared items than its manifest supports"
    ),
    IssueCode("AIC616", "card", "error", "items created after every source stopped collecting"),
    IssueCode("AIC617", "card", "warning", "items carry declarations for places no source lists"),
    IssueCode("AIC618", "card", "error", "manifest cannot be audited"),
)

CODES: Final[dict[str, IssueCode]] = {entry.code: entry for entry in _TABLE}


def lookup(code: str) -> IssueCode:
    """Return the table entry for a code; an unknown code is a programming error."""
    return CODES[code]
