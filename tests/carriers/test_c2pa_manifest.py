"""C2PA carrier: corpus images read right, attach signs and round-trips, damage never permits."""

from __future__ import annotations

import copy
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

c2pa = pytest.importorskip("c2pa")

from aiconsent.carriers import c2pa_manifest  # noqa: E402
from aiconsent.carriers.c2pa_manifest import (  # noqa: E402
    C2paManifestError,
    attach_c2pa,
    read_c2pa,
)
from aiconsent.formats.cawg import write_training_mining  # noqa: E402
from aiconsent.model.found import ReadResult  # noqa: E402

DATA = Path(__file__).parent / "data" / "c2pa"
CERTS = DATA / "certs"
EXAMPLE = (
    Path(__file__).parents[2] / "examples" / "08-photographer-image-search-yes-genai-no.jsonld"
)


@pytest.fixture(scope="module")
def trust() -> dict[str, Any]:
    value: dict[str, Any] = json.loads((CERTS / "trust_config_test_settings.json").read_text())
    return value


@pytest.fixture
def declaration() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return value


@pytest.fixture
def image(tmp_path: Path) -> Path:
    target = tmp_path / "A.jpg"
    shutil.copyfile(DATA / "A.jpg", target)
    return target


def _sign(path: Path, declarations: list[dict[str, Any]], **kwargs: Any) -> Any:
    return attach_c2pa(
        path,
        declarations,
        cert_chain=(CERTS / "es256_certs.pem").read_bytes(),
        private_key=(CERTS / "es256_private.key").read_bytes(),
        **kwargs,
    )


def _store(data: bytes, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    context = c2pa.Context.from_dict(settings) if settings else None
    reader = c2pa.Reader("image/jpeg", io.BytesIO(data), context=context)
    value: dict[str, Any] = json.loads(reader.json())
    return value


def _assertions(store: dict[str, Any]) -> dict[str, Any]:
    active = store["manifests"][store["active_manifest"]]
    return {item["label"]: item["data"] for item in active["assertions"]}


def _purposes(result: ReadResult, kind: str) -> set[str]:
    return {rule["purpose"] for f in result.found for rule in f.declaration.get(kind, [])}


def _stripped(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k != "carrier"}


# --------------------------------------------------------------------------- corpus


def test_cawg_data_prohibits_genai_training_and_inference() -> None:
    result = read_c2pa(DATA / "C_with_CAWG_data.jpg")
    assert not result.unreadable
    assert [f.carrier for f in result.found] == ["c2pa"]
    assert _purposes(result, "prohibition") == {"genai-training", "ai-inference"}
    assert _purposes(result, "permission") == set()


def test_cawg_data_same_with_trust_settings(trust: dict[str, Any]) -> None:
    result = read_c2pa(DATA / "C_with_CAWG_data.jpg", trust_settings=trust)
    assert _purposes(result, "prohibition") == {"genai-training", "ai-inference"}


@pytest.mark.parametrize("name", ["adobe_connected_identities.jpg", "ims_multiple_manifests.jpg"])
def test_invalid_offline_is_not_trusted(name: str) -> None:
    result = read_c2pa(DATA / name)
    # both say "allowed": an untrusted manifest keeps prohibitions only, so nothing remains
    assert _purposes(result, "permission") == set()
    assert _purposes(result, "prohibition") == set()
    assert len(result.unreadable) == 1
    assert "did not validate" in result.unreadable[0].message
    assert result.unreadable[0].carrier == "c2pa"


@pytest.mark.parametrize("name", ["CA.jpg", "no_manifest.jpg", "A.jpg"])
def test_nothing_declared(name: str) -> None:
    result = read_c2pa(DATA / name)
    assert result.found == [] and result.unreadable == []


def test_bytes_and_name() -> None:
    result = read_c2pa((DATA / "C_with_CAWG_data.jpg").read_bytes(), "photo.jpg")
    assert result.found[0].source == "photo.jpg"


def test_not_an_image_is_unreadable() -> None:
    result = read_c2pa(b"hello, world", "x.txt")
    assert result.found == [] and len(result.unreadable) == 1


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    result = read_c2pa(tmp_path / "nope.jpg")
    assert result.found == [] and len(result.unreadable) == 1


# --------------------------------------------------------------------------- attach


def test_attach_round_trip(image: Path, declaration: dict[str, Any], trust: dict[str, Any]) -> None:
    losses = _sign(image, [declaration])
    assert any(loss.kind == "dropped" for loss in losses)  # search has no CAWG entry
    data = image.read_bytes()
    assert data != (DATA / "A.jpg").read_bytes()

    store = _store(data)
    assert store["validation_state"] == "Valid"
    assert _store(data, trust)["validation_state"] == "Trusted"
    assertions = _assertions(store)
    assert assertions["cawg.training-mining"] == json.loads(
        write_training_mining([declaration]).text
    )
    assert assertions["org.w3id.aiconsent"] == declaration  # the SDK drops the `.v1` suffix

    result = read_c2pa(image, trust_settings=trust)
    assert result.unreadable == []
    full = [f for f in result.found if f.source == f"{image}#c2pa"]
    assert len(full) == 1 and full[0].carrier == "c2pa"
    assert _stripped(full[0].declaration) == declaration
    assert "genai-training" in _purposes(result, "prohibition")


def test_attach_to_out_leaves_source(
    image: Path, declaration: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "signed.jpg"
    _sign(image, [declaration], out=out)
    assert image.read_bytes() == (DATA / "A.jpg").read_bytes()
    assert _store(out.read_bytes())["validation_state"] == "Valid"


def test_tampered_image_is_invalid(image: Path, declaration: dict[str, Any]) -> None:
    declaration["permission"] = [{"purpose": "ai-inference"}]
    _sign(image, [declaration])
    data = bytearray(image.read_bytes())
    assert data[-2:] == b"\xff\xd9"
    data[-50] ^= 0x01  # inside the entropy-coded image data, after the manifest
    result = read_c2pa(bytes(data), "tampered.jpg")
    assert _purposes(result, "permission") == set()
    assert result.unreadable and "did not validate" in result.unreadable[0].message
    assert all(not f.source or not f.source.endswith("#c2pa") for f in result.found)


def test_second_attach_replaces(
    image: Path, declaration: dict[str, Any], trust: dict[str, Any]
) -> None:
    _sign(image, [declaration])
    first = _store(image.read_bytes())["active_manifest"]
    second = copy.deepcopy(declaration)
    second["id"] = "urn:uuid:7d1f0d6e-2f43-4a53-9d6b-0d3f1f2f6a11"
    second["permission"] = [{"purpose": "genai-training"}]
    second.pop("prohibition")
    _sign(image, [second])
    store = _store(image.read_bytes(), trust)
    assert store["active_manifest"] != first
    assert store["validation_state"] == "Trusted"
    assertions = _assertions(store)
    assert assertions["org.w3id.aiconsent"] == second
    assert assertions["cawg.training-mining"] == json.loads(write_training_mining([second]).text)
    result = read_c2pa(image)
    full = [f.declaration for f in result.found if f.source == f"{image}#c2pa"]
    assert [_stripped(value) for value in full] == [second]
    assert _purposes(result, "prohibition") == set()
    assert _purposes(result, "permission") == {"genai-training"}


def test_truncated_files_never_raise(image: Path, declaration: dict[str, Any]) -> None:
    declaration["permission"] = [{"purpose": "ai-inference"}]
    _sign(image, [declaration])
    data = image.read_bytes()
    for size in (0, 1, 3, 20, 200, 1000, 5000, 20000, len(data) // 2, len(data) - 2):
        result = read_c2pa(data[:size], f"cut-{size}.jpg")
        assert _purposes(result, "permission") == set(), size
    for name in ("C_with_CAWG_data.jpg", "adobe_connected_identities.jpg"):
        corpus = (DATA / name).read_bytes()
        for size in range(0, len(corpus), len(corpus) // 17):
            result = read_c2pa(corpus[:size], f"cut-{size}-{name}")
            assert _purposes(result, "permission") == set(), (name, size)


def test_corrupted_manifest_box_is_unreadable(image: Path, declaration: dict[str, Any]) -> None:
    _sign(image, [declaration])
    data = bytearray(image.read_bytes())
    at = data.find(b"jumb")
    assert at > 0
    data[at + 20 : at + 60] = b"\x00" * 40
    result = read_c2pa(bytes(data), "broken.jpg")
    assert _purposes(result, "permission") == set()
    assert result.unreadable


# --------------------------------------------------------------------------- refusals


def test_failure_leaves_original_identical(
    image: Path, declaration: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = image.read_bytes()

    def fail(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(C2paManifestError):
        _sign(image, [declaration])
    assert image.read_bytes() == before
    assert sorted(p.name for p in image.parent.iterdir()) == ["A.jpg"]


def test_failed_verification_leaves_original(
    image: Path, declaration: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = image.read_bytes()

    def refuse(*args: Any) -> None:
        raise C2paManifestError("injected")

    monkeypatch.setattr(c2pa_manifest, "_verify", refuse)
    with pytest.raises(C2paManifestError, match="injected"):
        _sign(image, [declaration])
    assert image.read_bytes() == before
    assert sorted(p.name for p in image.parent.iterdir()) == ["A.jpg"]


def test_bad_key_refused(image: Path, declaration: dict[str, Any]) -> None:
    before = image.read_bytes()
    with pytest.raises(C2paManifestError):
        attach_c2pa(
            image,
            [declaration],
            cert_chain=(CERTS / "es256_certs.pem").read_bytes(),
            private_key=b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
        )
    assert image.read_bytes() == before
    assert sorted(p.name for p in image.parent.iterdir()) == ["A.jpg"]


def test_unknown_algorithm_refused(image: Path, declaration: dict[str, Any]) -> None:
    with pytest.raises(C2paManifestError, match="algorithm"):
        _sign(image, [declaration], alg="md5")


def test_name_must_match_bytes(tmp_path: Path, declaration: dict[str, Any]) -> None:
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(C2paManifestError, match="not image/jpeg"):
        _sign(fake, [declaration])
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(C2paManifestError):
        _sign(text, [declaration])


def test_invalid_declarations_refused(image: Path, declaration: dict[str, Any]) -> None:
    declaration["basis"] = 42
    with pytest.raises(C2paManifestError, match="not valid"):
        _sign(image, [declaration])
    with pytest.raises(C2paManifestError, match="no declarations"):
        _sign(image, [])


def test_symlink_out_of_folder_refused(
    tmp_path: Path, image: Path, declaration: dict[str, Any]
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    link = folder / "photo.jpg"
    link.symlink_to(image)
    with pytest.raises(C2paManifestError, match="symlink"):
        _sign(link, [declaration])
    assert image.read_bytes() == (DATA / "A.jpg").read_bytes()


def test_bad_trust_settings_type_raises() -> None:
    with pytest.raises(C2paManifestError):
        read_c2pa(DATA / "CA.jpg", trust_settings={"trust": {"trust_anchors": 5}})


# --------------------------------------------------------------------------- trust anchors


def _other_anchor(folder: Path) -> Path:
    """A self-signed CA certificate that did not sign the test chain."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some other root")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = folder / "other-root.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _genai_permission() -> dict[str, Any]:
    from tests.documents import declaration as make

    return make(
        permission=[{"purpose": "genai-training"}],
        prohibition=None,
        retroactive=True,
        content={"personalData": False},
    )


def test_trust_settings_from_pem_and_json(tmp_path: Path, trust: dict[str, Any]) -> None:
    pem = tmp_path / "anchors.pem"
    pem.write_text(trust["trust"]["trust_anchors"], encoding="utf-8")
    assert c2pa_manifest.trust_settings_from_file(pem) == {
        "trust": {"trust_anchors": trust["trust"]["trust_anchors"]}
    }
    assert (
        c2pa_manifest.trust_settings_from_file(CERTS / "trust_config_test_settings.json") == trust
    )
    junk = tmp_path / "junk.txt"
    junk.write_text("hello", encoding="utf-8")
    with pytest.raises(C2paManifestError, match="neither PEM"):
        c2pa_manifest.trust_settings_from_file(junk)


def test_a_signer_outside_the_anchors_keeps_only_prohibitions(image: Path, tmp_path: Path) -> None:
    _sign(image, [_genai_permission()])
    anchored = c2pa_manifest.trust_settings_from_file(_other_anchor(tmp_path))
    result = read_c2pa(image, trust_settings=anchored)
    assert "genai-training" not in _purposes(result, "permission")
    assert any("trust anchors" in marker.message for marker in result.unreadable)
    trusted = read_c2pa(
        image,
        trust_settings=c2pa_manifest.trust_settings_from_file(
            CERTS / "trust_config_test_settings.json"
        ),
    )
    assert trusted.unreadable == []
    assert "genai-training" in _purposes(trusted, "permission")


def test_cli_c2pa_trust_decides_whether_the_permission_counts(image: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aiconsent.cli.app import app

    _sign(image, [_genai_permission()])
    base = [
        "check",
        str(image),
        "--purpose",
        "genai-training",
        "--policy",
        "signals-only",
        "--format",
        "json",
    ]
    runner = CliRunner()
    good = runner.invoke(
        app, [*base, "--c2pa-trust", str(CERTS / "trust_config_test_settings.json")]
    )
    assert json.loads(good.stdout)["decision"] == "allowed", good.stdout
    bad = runner.invoke(app, [*base, "--c2pa-trust", str(_other_anchor(tmp_path))])
    assert json.loads(bad.stdout)["decision"] == "unknown", bad.stdout
    missing = runner.invoke(app, [*base, "--c2pa-trust", str(tmp_path / "absent.pem")])
    assert missing.exit_code == 2 and "--c2pa-trust" in missing.stderr
