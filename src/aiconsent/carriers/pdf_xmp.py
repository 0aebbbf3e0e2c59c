"""Declarations attached to a PDF through its document-level XMP (spec §3.4, §9.4, §9.11).

Writing puts TDMRep `tdm:reservation` / `tdm:policy` (namespace http://www.w3.org/ns/tdmrep/, as
`formats.tdmrep.write_tdm_headers` decides them) and the whole aiconsent document in
`aic:declarations` into the catalog's /Metadata stream. pikepdf (qpdf) rewrites the file with
streams left as they were (no decoding, no recompression, object streams preserved), so page
content is never touched; the result is checked page by page before it atomically replaces the
original, which stays byte-identical on any failure. Reading never raises for bad bytes: an
encrypted, damaged or hostile PDF gives an unreadable marker (spec §9.1 rule 5), never a
permission.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zlib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final

from aiconsent.carriers.content import brief, read_guarded
from aiconsent.carriers.gate import describe, first_error
from aiconsent.carriers.safe_write import SafeWriteError, atomic_produce, check_target
from aiconsent.formats.common import Loss, Origin, unreadable
from aiconsent.model.found import Found, ReadResult

CARRIER: Final = "xmp"
TDM_NAMESPACE: Final = "http://www.w3.org/ns/tdmrep/"
TDM_HASH_NAMESPACE: Final = "http://www.w3.org/ns/tdmrep#"
AIC_NAMESPACE: Final = "https://w3id.org/aiconsent#"
DECLARATIONS: Final = f"{{{AIC_NAMESPACE}}}declarations"
RESERVATION: Final = f"{{{TDM_NAMESPACE}}}reservation"
POLICY: Final = f"{{{TDM_NAMESPACE}}}policy"
MAX_METADATA_BYTES: Final = 10 * 1024 * 1024  # spec §11.2: one XMP packet
DEFAULT_MAX_BYTES: Final = 256 * 1024 * 1024  # a PDF larger than this is not read
MAX_ATTACH_BYTES: Final = 1024 * 1024 * 1024
_FORBIDDEN_XML: Final = re.compile(rb"<!(doctype|entity)", re.IGNORECASE)


class PdfXmpError(ValueError):
    """A PDF that cannot be written to safely, or declarations that cannot be attached."""


@cache
def _pikepdf() -> Any:
    """pikepdf, imported on first use with our namespaces registered (once per process)."""
    try:
        import pikepdf
        from pikepdf.models.metadata import PdfMetadata
    except ImportError as error:  # pragma: no cover - pikepdf is a dependency
        raise PdfXmpError("PDF XMP needs pikepdf (pip install pikepdf)") from error
    PdfMetadata.register_xml_namespace(TDM_NAMESPACE, "tdm")
    PdfMetadata.register_xml_namespace(AIC_NAMESPACE, "aic")
    return pikepdf


# --------------------------------------------------------------------------- shared


def _metadata_packet(pdf: Any) -> bytes | None:
    """The decoded catalog /Metadata stream, bounded; None if there is none; ValueError if bad.

    Flate is inflated here with a limit (a bomb stops at MAX_METADATA_BYTES); other filters are
    decoded by qpdf only when the encoded stream is small enough that they cannot blow up.
    """
    pikepdf = _pikepdf()
    stream = pdf.Root.get("/Metadata")
    if stream is None:
        return None
    if not isinstance(stream, pikepdf.Stream):
        raise ValueError("the catalog's /Metadata is not a stream")
    raw: bytes = stream.read_raw_bytes()
    if len(raw) > MAX_METADATA_BYTES:
        raise ValueError("the XMP metadata stream is too large")
    filters = stream.stream_dict.get("/Filter")
    names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else []
    if filters is not None and not names:
        names = [str(filters)]
    if not names:
        return raw
    if names == ["/FlateDecode"] and stream.stream_dict.get("/DecodeParms") is None:
        inflater = zlib.decompressobj()
        try:
            content = inflater.decompress(raw, MAX_METADATA_BYTES)
        except zlib.error as error:
            raise ValueError("the XMP metadata stream cannot be inflated") from error
        if not inflater.eof or inflater.unconsumed_tail:
            raise ValueError("the XMP metadata stream is cut off or too large")
        return content
    if len(raw) > MAX_METADATA_BYTES // 64:
        raise ValueError(f"the XMP metadata stream uses {names} and is too large to decode")
    decoded: bytes = stream.read_bytes()
    if len(decoded) > MAX_METADATA_BYTES:
        raise ValueError("the XMP metadata stream is too large")
    return decoded


def _check_packet(packet: bytes) -> None:
    """Refuse XML with a DTD or entities (spec §11.3) and XML that does not parse."""
    if _FORBIDDEN_XML.search(packet):
        raise ValueError("XMP with a DOCTYPE or ENTITY declaration; refused")
    from aiconsent.formats.tdmrep import _parse_xml

    _parse_xml(packet)


def _page_streams(pdf: Any) -> list[list[str]]:
    """The sha256 of every page's content stream as stored (encoded), page by page: enough to
    prove the rewrite kept them, without holding a large PDF's pages in memory."""
    pikepdf = _pikepdf()
    pages: list[list[str]] = []
    for page in pdf.pages:
        contents = page.obj.get("/Contents")
        if contents is None:
            pages.append([])
        elif isinstance(contents, pikepdf.Array):
            pages.append([hashlib.sha256(item.read_raw_bytes()).hexdigest() for item in contents])
        else:
            pages.append([hashlib.sha256(contents.read_raw_bytes()).hexdigest()])
    return pages


def _is_signed(pdf: Any) -> bool:
    """Whether the PDF carries a digital signature or certification that a rewrite would break.

    Signatures cover byte ranges of the file as it is; pikepdf cannot append an incremental
    update, so any rewrite invalidates them. Looked for: /Perms (DocMDP, UR3) in the catalog,
    the SignaturesExist bit of /AcroForm /SigFlags, and any signature field with a value.
    """
    root = pdf.Root
    if "/Perms" in root:
        return True
    form = root.get("/AcroForm")
    if form is None:
        return False
    flags = form.get("/SigFlags")
    if flags is not None and int(flags) & 1:
        return True
    pending = list(form.get("/Fields", []))
    seen = 0
    while pending and seen < 10_000:  # a bound: field trees can be made cyclic
        field = pending.pop()
        seen += 1
        if not hasattr(field, "get"):
            continue
        if field.get("/FT") == "/Sig" and field.get("/V") is not None:
            return True
        pending.extend(field.get("/Kids", []))
    return False


# --------------------------------------------------------------------------- writing


def plan_pdf_xmp(declarations: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], list[Loss]]:
    """The XMP values (Clark-notation key -> text) for the declarations, and the TDMRep losses."""
    if not declarations:
        raise PdfXmpError("no declarations to attach")
    from aiconsent.carriers.image_xmp import document_of
    from aiconsent.formats.tdmrep import write_tdm_headers

    document = document_of(declarations)
    error = first_error(document)
    if error is not None:
        raise PdfXmpError(f"declarations are not valid: {describe(error)}")
    written = write_tdm_headers([dict(value) for value in declarations])
    values = {DECLARATIONS: json.dumps(document, ensure_ascii=False, separators=(",", ":"))}
    for line in written.text.splitlines():
        field, _, value = line.partition(":")
        if field.strip() == "tdm-reservation":
            values[RESERVATION] = value.strip()
        elif field.strip() == "tdm-policy":
            values[POLICY] = value.strip()
    return values, list(written.losses)


def attach_pdf(
    path: Path, declarations: Sequence[Mapping[str, Any]], *, out: Path | None = None
) -> list[Loss]:
    """Write the declarations into the PDF's XMP, replacing any earlier attach; return losses.

    Written to `out` when given (the original is then only read). Page content streams are
    kept byte for byte; the file is replaced atomically and stays byte-identical on failure.
    qpdf reads the original from disk and writes the new file to disk, so a 200 MB PDF is not
    held in memory. A signed or certified PDF is refused: rewriting it breaks the signature.
    """
    try:
        source = check_target(Path(path))
        target = check_target(Path(out)) if out is not None else source
    except SafeWriteError as error:
        raise PdfXmpError(str(error)) from error
    values, losses = plan_pdf_xmp(declarations)
    try:
        size = source.stat().st_size
        with source.open("rb") as stream:
            head = stream.read(5)
    except OSError as error:
        raise PdfXmpError(f"{path}: cannot read: {error.strerror or error}") from error
    if head != b"%PDF-":
        raise PdfXmpError(f"{path}: the bytes are not a PDF (no %PDF- header)")
    if size > MAX_ATTACH_BYTES:
        raise PdfXmpError(f"{path}: larger than {MAX_ATTACH_BYTES} bytes")

    def produce(temporary: Path) -> None:
        _rewrite(source, temporary, source.name, values)

    try:
        atomic_produce(target, produce)
    except SafeWriteError as error:
        raise PdfXmpError(str(error)) from error
    return losses


def _rewrite(source: Path, temporary: Path, name: str, values: Mapping[str, str]) -> None:
    """qpdf: `source` with our XMP values into `temporary`, then checked page by page."""
    pikepdf = _pikepdf()
    try:
        with pikepdf.open(source) as pdf:
            if pdf.is_encrypted:
                raise PdfXmpError(f"{name}: encrypted; refusing to rewrite it")
            if _is_signed(pdf):
                raise PdfXmpError(
                    f"{name}: digitally signed or certified; rewriting it would invalidate the "
                    "signature (attach a sidecar instead: --as sidecar)"
                )
            packet = _metadata_packet(pdf)
            if packet is not None:
                _check_packet(packet)
            pages = _page_streams(pdf)
            with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
                stale = [
                    f"{{{namespace}}}{local}"
                    for namespace in (TDM_NAMESPACE, TDM_HASH_NAMESPACE)
                    for local in ("reservation", "policy")
                ] + [DECLARATIONS]
                for key in stale:
                    if key in meta:
                        del meta[key]
                for key, value in values.items():
                    meta[key] = value
            pdf.save(
                temporary,
                compress_streams=False,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                object_stream_mode=pikepdf.ObjectStreamMode.preserve,
                recompress_flate=False,
                fix_metadata_version=False,
            )
    except PdfXmpError:
        raise
    except Exception as error:  # qpdf raises PdfError and friends for damaged files
        raise PdfXmpError(f"{name}: cannot update its metadata: {brief(error)}") from error
    _verify(temporary, name, pages, values)


def _verify(updated: Path, name: str, pages: list[list[str]], values: Mapping[str, str]) -> None:
    """Re-read the result before it replaces anything: same pages, our values in place."""
    pikepdf = _pikepdf()
    try:
        with pikepdf.open(updated) as pdf:
            same_pages = _page_streams(pdf) == pages
            meta = pdf.open_metadata()
            ours = all(str(meta.get(key)) == value for key, value in values.items())
    except Exception as error:
        raise PdfXmpError(f"{name}: the rewritten PDF does not read back: {error}") from error
    if not same_pages:
        raise PdfXmpError(f"{name}: rewriting would change page content; refusing")
    if not ours:
        raise PdfXmpError(f"{name}: the rewritten PDF does not hold what was written")


# --------------------------------------------------------------------------- reading


def read_pdf(
    data_or_path: bytes | Path | str,
    name: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ReadResult:
    """`aic:declarations` and TDMRep values in the PDF's document XMP (carrier xmp).

    Encrypted, damaged, oversized or hostile PDFs give an unreadable marker; nothing here raises
    for bad bytes, and nothing unreadable becomes a permission.
    """
    return read_guarded(
        data_or_path,
        name,
        "<pdf>",
        max_bytes,
        CARRIER,
        "PDF metadata",
        lambda result, data, origin: _read_into(result, data, origin, max_bytes),
    )


def _read_into(result: ReadResult, data: bytes, origin: Origin, max_bytes: int) -> None:
    if len(data) > max_bytes:
        unreadable(result, origin, CARRIER, f"PDF larger than {max_bytes} bytes; not read")
        return
    if not data.startswith(b"%PDF-"):
        unreadable(result, origin, CARRIER, "not a PDF (no %PDF- header)")
        return
    pikepdf = _pikepdf()
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            packet = _metadata_packet(pdf)
    except pikepdf.PasswordError:
        unreadable(result, origin, CARRIER, "encrypted PDF; its metadata cannot be read")
        return
    except Exception as error:
        unreadable(result, origin, CARRIER, f"damaged PDF: {brief(error)}")
        return
    if packet is None:
        return
    try:
        _check_packet(packet)
    except ValueError as error:
        unreadable(result, origin, CARRIER, f"document XMP: {error}")
        return
    from aiconsent.formats.tdmrep import read_pdf_xmp

    result.extend(read_pdf_xmp(packet, origin))
    _read_declarations(result, packet, origin)


def _read_declarations(result: ReadResult, packet: bytes, origin: Origin) -> None:
    from aiconsent.formats.tdmrep import _parse_xml

    texts: list[str | None] = []
    for element in _parse_xml(packet).iter(DECLARATIONS):
        texts.append(None if len(element) else (element.text or ""))
    if not texts:
        return
    if len(texts) > 1 or texts[0] is None:
        unreadable(result, origin, CARRIER, "aic:declarations is not one simple text value")
        return
    from aiconsent.readers.jsonld import read_jsonld

    inner = read_jsonld(texts[0].encode("utf-8", "surrogatepass"), f"{origin.source}#xmp")
    result.found.extend(Found(item.declaration, item.source, CARRIER) for item in inner.found)
    result.unreadable.extend(inner.unreadable)
    result.other.extend(inner.other)
    if not (inner.found or inner.unreadable or inner.other):
        unreadable(result, origin, CARRIER, "aic:declarations holds no aiconsent node")
