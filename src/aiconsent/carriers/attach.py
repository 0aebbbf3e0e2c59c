"""attach(): stamp declarations into content, choosing the carrier from the content's bytes.

Images get XMP (IPTC PLUS DataMining and the full declaration), HTML pages get our JSON-LD and
meta tags, PDFs XMP (TDMRep and the declaration), anything else a sidecar bound by the content's
sha256; a signed C2PA manifest when asked (`as_="c2pa"` with a signing key). A DatasetConsent
goes into a dataset card instead: a Croissant card or a Hugging Face README.md (spec §10).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from aiconsent.formats.common import Loss

As = Literal["xmp", "sidecar", "html", "c2pa", "pdf", "croissant", "hf-card"]
CARRIERS: Final = ("xmp", "sidecar", "html", "c2pa", "pdf", "croissant", "hf-card")
CARD_CARRIERS: Final = ("croissant", "hf-card")


class AttachError(ValueError):
    """Declarations that cannot be attached to this content in this way."""


@dataclass(slots=True)
class Attached:
    """Where the declarations now live, and what the carrier could not hold."""

    path: Path
    carrier: str
    losses: list[Loss] = field(default_factory=list)


def choose_carrier(data: bytes, name: str) -> As:
    """The carrier a file's bytes call for."""
    from aiconsent.readers.detect import detect

    kind = detect(data, name)
    if kind in CARD_CARRIERS:
        return "hf-card" if kind == "hf-card" else "croissant"
    if kind == "image":
        return "xmp"
    if kind == "html":
        return "html"
    if kind == "pdf":
        return "pdf"
    return "sidecar"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What a C2PA manifest is signed with: a PEM certificate chain and its private key."""

    cert_chain: bytes
    private_key: bytes
    alg: str = "es256"


def attach(
    declarations: list[dict[str, Any]],
    to: str | Path,
    *,
    as_: As | None = None,
    out: str | Path | None = None,
    signing: SigningKey | None = None,
) -> Attached:
    """Attach declarations to the file `to` (or to a copy at `out`, leaving `to` untouched)."""
    source = Path(to)
    if not source.is_file():
        raise AttachError(f"{source}: no such file")
    if not declarations:
        raise AttachError("no declaration to attach")
    head = source.read_bytes()[:65536]
    consents = [d for d in declarations if d.get("type") == "DatasetConsent"]
    if consents or as_ in CARD_CARRIERS:
        return _attach_card(declarations, consents, source, as_, out)
    carrier = as_ or choose_carrier(head, source.name)
    if carrier in CARD_CARRIERS:
        raise AttachError(
            f"{source} is a dataset card: it carries a DatasetConsent, and the file holds only "
            "ConsentDeclarations (to keep them beside the card, use --as sidecar)"
        )
    target = Path(out) if out is not None else source
    if carrier == "c2pa":
        from aiconsent.carriers.c2pa_manifest import attach_c2pa

        if signing is None:
            raise AttachError(
                "c2pa: a signing certificate chain and key are needed (--cert, --key)"
            )
        losses = attach_c2pa(
            source,
            declarations,
            cert_chain=signing.cert_chain,
            private_key=signing.private_key,
            alg=signing.alg,
            out=Path(out) if out is not None else None,
        )
        return Attached(target, "c2pa", losses)
    if carrier == "pdf":
        from aiconsent.carriers.pdf_xmp import attach_pdf

        losses = attach_pdf(source, declarations, out=Path(out) if out is not None else None)
        return Attached(target, "pdf", losses)
    if carrier == "sidecar":
        from aiconsent.carriers.sidecar import attach_sidecar

        if out is not None:
            shutil.copyfile(source, target)
        return Attached(attach_sidecar(target, declarations), "sidecar")
    if carrier == "html":
        from aiconsent.carriers.html_page import attach_html_file

        if out is not None:
            shutil.copyfile(source, target)
        return Attached(target, "html", attach_html_file(target, declarations))
    from aiconsent.carriers.image_xmp import attach_image, plan_image_xmp

    if out is not None:
        shutil.copyfile(source, target)
    attach_image(target, declarations)
    return Attached(target, "xmp", list(plan_image_xmp(declarations).losses))


def _attach_card(
    documents: list[dict[str, Any]],
    consents: list[dict[str, Any]],
    source: Path,
    as_: As | None,
    out: str | Path | None,
) -> Attached:
    """Write the one DatasetConsent among documents into the card `source` (spec §10)."""
    from aiconsent.cards.attach import CardAttachError, attach_to_card
    from aiconsent.cards.detect import card_kind

    if as_ is not None and as_ not in CARD_CARRIERS:
        raise AttachError(
            f"a DatasetConsent goes into a dataset card (--as croissant or hf-card), not --as {as_}"
        )
    if len(consents) != 1:
        found = f"{len(consents)} DatasetConsents" if consents else "no DatasetConsent"
        raise AttachError(f"a dataset card carries exactly one DatasetConsent; found {found}")
    data = source.read_bytes()
    detected = card_kind(data, source.name)
    kind = as_ or detected
    if kind is None:
        raise AttachError(
            f"{source} is neither a Croissant card (JSON-LD with an sc:Dataset) nor a Hugging Face "
            "README.md (YAML front matter); a DatasetConsent goes into one of those"
        )
    if as_ == "croissant" and detected != "croissant":
        raise AttachError(f"--as croissant: {source} is not a Croissant card")
    if as_ == "hf-card" and detected == "croissant":
        raise AttachError(f"--as hf-card: {source} is a Croissant card, not a README.md")
    others = len(documents) - 1
    losses = []
    if others:
        detail = (
            f"{others} ConsentDeclaration(s) not attached: a card holds only its consent section"
        )
        losses.append(Loss("dropped", detail))
    try:
        written, card_losses = attach_to_card(
            consents[0], source, "hf-card" if kind == "hf-card" else "croissant", _path(out)
        )
    except CardAttachError as error:
        raise AttachError(f"{source}: {error}") from None
    return Attached(written, kind, [*losses, *card_losses])


def _path(out: str | Path | None) -> Path | None:
    return Path(out) if out is not None else None
