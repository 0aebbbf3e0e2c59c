"""Declarations carried in a signed C2PA manifest (spec §3.4, §9.10).

Attaching signs a manifest with two assertions: `cawg.training-mining`, so that C2PA tools see the
closest CAWG entries, and `org.w3id.aiconsent.v1`, the whole aiconsent document, so that our
readers lose nothing. The manifest is an edit of the asset (the previous asset, with any earlier
manifest, becomes its parent ingredient), so a second attach makes a new active manifest rather
than a second copy in the same one. Signing goes to a temporary file in the target's folder which
is checked and then replaces the target atomically; on any failure the original is untouched.

Reading trusts an assertion only when the active manifest validates (signature and hard binding);
otherwise only prohibitions survive, with an unreadable marker. Nothing here raises for bad bytes.
The SDK is asked not to fetch remote manifests or OCSP responses, so reading stays offline.
"""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Final

from aiconsent.carriers.content import brief, image_media_type, read_guarded
from aiconsent.carriers.gate import describe, first_error
from aiconsent.carriers.safe_write import SafeWriteError, atomic_produce, check_target
from aiconsent.formats.cawg import LABEL as TRAINING_MINING_LABEL
from aiconsent.formats.cawg import base_label, read_manifest_store, write_training_mining
from aiconsent.formats.common import Loss, Origin, unreadable
from aiconsent.model.found import Found, ReadResult

CARRIER: Final = "c2pa"
AICONSENT_LABEL: Final = "org.w3id.aiconsent.v1"
# c2pa.Reader reports a versioned label without its `.vN` suffix
_AICONSENT_LABELS: Final = frozenset({AICONSENT_LABEL, "org.w3id.aiconsent"})
DEFAULT_MAX_BYTES: Final = 50 * 1024 * 1024
MAX_ATTACH_BYTES: Final = 512 * 1024 * 1024
GENERATOR: Final = {"name": "aiconsent", "version": "1"}
ALGORITHMS: Final = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")
# reading and signing stay offline, and signing adds no thumbnail to the user's file
_OFFLINE: Final[dict[str, Any]] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "builder": {"thumbnail": {"enabled": False}},
}
_TRUSTED_STATES: Final = ("Valid", "Trusted")

# file-name suffix -> media type
SUFFIXES: Final[dict[str, str]] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".gif": "image/gif",
}


class C2paManifestError(ValueError):
    """Content that cannot be signed safely, bad signing material, or bad declarations."""


def _c2pa() -> Any:
    """The SDK, imported late: it is optional, and reading other carriers must not need it."""
    try:
        return importlib.import_module("c2pa")
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise C2paManifestError("the c2pa-python package is not installed") from error


def _merged(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _context(settings: Mapping[str, Any] | None) -> Any:
    """An SDK context: the caller's settings (e.g. trust anchors) with network fetching off."""
    return _c2pa().Context.from_dict(_merged(settings or {}, _OFFLINE))


# --------------------------------------------------------------------------- writing


def _document(declarations: Sequence[Mapping[str, Any]]) -> dict[str, Any] | list[Any]:
    nodes = [dict(value) for value in declarations]
    return nodes[0] if len(nodes) == 1 else nodes


def manifest_of(declarations: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], list[Loss]]:
    """The manifest definition for these declarations and what the CAWG assertion loses;
    refuses declarations that are not valid."""
    if not declarations:
        raise C2paManifestError("no declarations to attach")
    document = _document(declarations)
    error = first_error(document)
    if error is not None:
        raise C2paManifestError(f"declarations are not valid: {describe(error)}")
    written = write_training_mining(declarations)
    manifest = {
        "claim_generator_info": [GENERATOR],
        "assertions": [
            {"label": TRAINING_MINING_LABEL, "data": json.loads(written.text)},
            {"label": AICONSENT_LABEL, "data": document},
        ],
    }
    return manifest, list(written.losses)


def _expected_type(path: Path, data: bytes) -> str:
    expected = SUFFIXES.get(path.suffix.lower())
    if expected is None:
        names = ", ".join(sorted(SUFFIXES))
        raise C2paManifestError(f"{path.name}: not a file name C2PA is written to here ({names})")
    actual = image_media_type(data)
    if actual != expected:
        raise C2paManifestError(f"{path.name}: the bytes are {actual or 'unknown'}, not {expected}")
    return expected


def attach_c2pa(
    path: Path,
    declarations: Sequence[Mapping[str, Any]],
    *,
    cert_chain: bytes,
    private_key: bytes,
    alg: str = "es256",
    out: Path | None = None,
) -> list[Loss]:
    """Sign a manifest carrying the declarations into `path` (or into `out`); return what the
    CAWG assertion cannot say (the aiconsent assertion carries the declarations whole).

    The signed file is written next to the target and checked before it replaces the target;
    on any failure the original stays byte-identical.
    """
    c2pa = _c2pa()
    if alg.lower() not in ALGORITHMS:
        raise C2paManifestError(f"unknown signing algorithm {alg!r} ({', '.join(ALGORITHMS)})")
    manifest, losses = manifest_of(declarations)
    source = Path(path)
    try:
        real_source = check_target(source)
        target = check_target(Path(out) if out is not None else source)
    except SafeWriteError as error:
        raise C2paManifestError(str(error)) from error
    try:
        size = real_source.stat().st_size
        with real_source.open("rb") as stream:
            head = stream.read(64 * 1024)
    except OSError as error:
        raise C2paManifestError(f"{source}: cannot read: {error.strerror or error}") from error
    if size > MAX_ATTACH_BYTES:
        raise C2paManifestError(f"{source.name}: larger than {MAX_ATTACH_BYTES} bytes")
    media_type = _expected_type(source, head)
    if target != real_source and SUFFIXES.get(target.suffix.lower()) != media_type:
        raise C2paManifestError(f"{target.name}: its name does not say {media_type}")
    try:
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(
                alg=alg.lower().encode("ascii"),
                sign_cert=cert_chain,
                private_key=private_key,
                ta_url=None,
            )
        )
    except Exception as error:
        raise C2paManifestError(f"the certificate chain or key cannot sign: {error}") from error
    _sign_replace(c2pa, manifest, signer, media_type, real_source, target)
    return losses


def _sign_replace(
    c2pa: Any, manifest: dict[str, Any], signer: Any, media_type: str, source: Path, target: Path
) -> None:
    """Sign from the source file into a temporary file beside the target, check it, then
    rename it over the target. Both sides are file streams, so large media are not held in
    memory by us (the SDK streams what its format handlers allow)."""

    def produce(temporary: Path) -> None:
        with source.open("rb") as original, temporary.open("w+b") as handle:
            try:
                builder = c2pa.Builder(manifest, context=_context(None))
                builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
                builder.sign(signer, media_type, original, handle)
            except Exception as error:
                raise C2paManifestError(f"{target.name}: signing failed: {error}") from error
            handle.flush()
            handle.seek(0)
            _verify(c2pa, handle, media_type, manifest, target.name)

    try:
        atomic_produce(target, produce)
    except SafeWriteError as error:
        raise C2paManifestError(str(error)) from error


def _verify(
    c2pa: Any, signed: BinaryIO, media_type: str, manifest: dict[str, Any], name: str
) -> None:
    """The signed file must validate and carry what we wrote, before it replaces anything."""
    try:
        reader = c2pa.Reader(media_type, signed, context=_context(None))
        store = json.loads(reader.json())
    except Exception as error:
        raise C2paManifestError(f"{name}: the signed file cannot be read back: {error}") from error
    state = store.get("validation_state")
    if state not in _TRUSTED_STATES:
        raise C2paManifestError(f"{name}: the signed file does not validate ({state})")
    active = store.get("manifests", {}).get(store.get("active_manifest"), {})
    wrote = {base_label(a["label"]).removesuffix(".v1"): a["data"] for a in manifest["assertions"]}
    seen = {
        base_label(a.get("label", "")).removesuffix(".v1"): a.get("data")
        for a in active.get("assertions", [])
        if isinstance(a, dict)
    }
    for label, value in wrote.items():
        if seen.get(label) != value:
            raise C2paManifestError(f"{name}: the signed manifest lost the {label} assertion")


# --------------------------------------------------------------------------- reading

MAX_TRUST_FILE_BYTES: Final = 1024 * 1024


def trust_settings_from_file(path: Path) -> dict[str, Any]:
    """c2pa SDK settings from a file: a PEM bundle of trust anchors, or a c2pa settings JSON
    document (as the SDK's own trust configuration files are). Raises C2paManifestError."""
    try:
        with Path(path).open("rb") as stream:
            data = stream.read(MAX_TRUST_FILE_BYTES + 1)
    except OSError as error:
        raise C2paManifestError(f"{path}: cannot read: {error.strerror or error}") from error
    if len(data) > MAX_TRUST_FILE_BYTES:
        raise C2paManifestError(f"{path}: larger than {MAX_TRUST_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise C2paManifestError(f"{path}: not UTF-8 text (PEM or JSON)") from error
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as error:
            raise C2paManifestError(f"{path}: not valid JSON: {error}") from error
        if not isinstance(value, dict):
            raise C2paManifestError(f"{path}: c2pa settings must be a JSON object")
        return value
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise C2paManifestError(f"{path}: neither PEM certificates nor c2pa settings JSON")
    return {"trust": {"trust_anchors": text}}


def read_c2pa(
    data_or_path: bytes | Path | str,
    name: str | None = None,
    *,
    trust_settings: Mapping[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ReadResult:
    """The declarations of the active C2PA manifest (carrier c2pa).

    `trust_settings` is a c2pa SDK settings dict. When it names trust anchors, only a
    manifest whose signer chains to them is trusted (validation_state `Trusted`); one that is
    merely `Valid` then keeps only its prohibitions, like an invalid one. No manifest gives an
    empty result; damaged or oversized content gives an unreadable marker, never a permission.
    """
    try:
        context = _context(trust_settings)
    except Exception as error:
        raise C2paManifestError(f"the C2PA trust settings are not usable: {error}") from error
    trusted = _trusted_states(trust_settings)
    return read_guarded(
        data_or_path,
        name,
        "<c2pa>",
        max_bytes,
        CARRIER,
        "the C2PA manifest",
        lambda result, data, origin: _read_into(result, data, origin, context, max_bytes, trusted),
    )


def _trusted_states(settings: Mapping[str, Any] | None) -> tuple[str, ...]:
    """`Trusted` only, once the caller named trust anchors; else a valid signature suffices."""
    trust = (settings or {}).get("trust")
    anchored = isinstance(trust, Mapping) and bool(trust.get("trust_anchors"))
    return ("Trusted",) if anchored else _TRUSTED_STATES


def _read_into(
    result: ReadResult,
    data: bytes,
    origin: Origin,
    context: Any,
    max_bytes: int,
    trusted_states: tuple[str, ...] = _TRUSTED_STATES,
) -> None:
    if len(data) > max_bytes:
        unreadable(result, origin, CARRIER, f"larger than {max_bytes} bytes; not read")
        return
    media_type = image_media_type(data)
    if media_type is None:
        unreadable(result, origin, CARRIER, "not a JPEG, PNG, WebP, TIFF or GIF image")
        return
    c2pa = _c2pa()
    try:
        reader = c2pa.Reader.try_create(media_type, io.BytesIO(data), context=context)
        if reader is None:
            return  # no manifest: nothing declared here
        text = reader.json()
    except Exception as error:
        unreadable(result, origin, CARRIER, f"the C2PA manifest is damaged: {brief(error)}")
        return
    reading = read_manifest_store(text, origin, invalid="unreadable", trusted_states=trusted_states)
    result.extend(reading.result)
    if reading.validation_state not in trusted_states or reading.active_manifest is None:
        return
    store = json.loads(text)
    manifest = store.get("manifests", {}).get(reading.active_manifest)
    assertions = manifest.get("assertions") if isinstance(manifest, dict) else None
    for assertion in assertions if isinstance(assertions, list) else []:
        if isinstance(assertion, dict) and base_label(str(assertion.get("label"))) in (
            _AICONSENT_LABELS
        ):
            _read_aiconsent(result, assertion.get("data"), origin)


def _read_aiconsent(result: ReadResult, value: Any, origin: Origin) -> None:
    from aiconsent.readers.jsonld import read_jsonld

    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        unreadable(result, origin, CARRIER, f"{AICONSENT_LABEL}: not JSON")
        return
    inner = read_jsonld(text.encode("utf-8", "surrogatepass"), f"{origin.source}#c2pa")
    result.found.extend(Found(item.declaration, item.source, CARRIER) for item in inner.found)
    result.unreadable.extend(inner.unreadable)
    result.other.extend(inner.other)
    if not (inner.found or inner.unreadable or inner.other):
        unreadable(result, origin, CARRIER, f"{AICONSENT_LABEL} holds no aiconsent node")
