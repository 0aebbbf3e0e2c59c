"""attach(): stamp declarations into content, choosing the carrier from the content's bytes.

Images get XMP (IPTC PLUS DataMining and the full declaration), HTML pages get our JSON-LD and
meta tags, PDFs XMP (TDMRep and the declaration), anything else a sidecar bound by the content's
sha256; a signed C2PA manifest when asked (`as_="c2pa"` with a signing key).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from aiconsent.formats.common import Loss

As = Literal["xmp", "sidecar", "html", "c2pa", "pdf"]
CARRIERS: Final = ("xmp", "sidecar", "html", "c2pa", "pdf")


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
    carrier = as_ or choose_carrier(source.read_bytes()[:65536], source.name)
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
