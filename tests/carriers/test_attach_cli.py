"""`aiconsent attach`: the carrier follows the bytes, --out leaves the original alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiconsent.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
REFUSAL = ROOT / "examples" / "05-explicit-consent-withdrawn.jsonld"
AT = ["--at", "2025-06-01T00:00:00Z", "--format", "json"]


def decision(path: Path) -> str:
    result = CliRunner().invoke(app, ["check", str(path), "--purpose", "genai-training", *AT])
    return str(json.loads(result.stdout)["decision"])


def test_image_gets_xmp_and_the_original_stays(tmp_path: Path) -> None:
    """An image is stamped as XMP in a copy; the source bytes do not change."""
    source = tmp_path / "a.jpg"
    shutil.copyfile(DATA / "A.jpg", source)
    before = source.read_bytes()
    copy = tmp_path / "b.jpg"
    result = CliRunner().invoke(
        app, ["attach", str(REFUSAL), "--to", str(source), "--out", str(copy)]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith("(xmp)")
    assert source.read_bytes() == before
    assert decision(copy) == "denied"


def test_html_and_sidecar(tmp_path: Path) -> None:
    """A page gets our JSON-LD in its head; other files get a sidecar next to them."""
    page = tmp_path / "post.html"
    page.write_text("<html><head><title>t</title></head><body>x</body></html>\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["attach", str(REFUSAL), "--to", str(page)]).exit_code == 0
    assert 'data-aiconsent="v1"' in page.read_text("utf-8")
    assert decision(page) == "denied"
    text = tmp_path / "essay.txt"
    text.write_text("words\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["attach", str(REFUSAL), "--to", str(text)])
    assert result.exit_code == 0
    assert (tmp_path / "essay.txt.consent.jsonld").is_file()
    assert decision(text) == "denied"  # read finds the sidecar next to the content
    text.write_text("words, edited\n", encoding="utf-8")
    changed = CliRunner().invoke(app, ["check", str(text), "--purpose", "genai-training", *AT])
    assert "does not match the content" in changed.stderr


def test_c2pa_with_the_test_certificates(tmp_path: Path) -> None:
    """--as c2pa signs a manifest with the given chain and key; read finds the refusal."""
    pytest.importorskip("c2pa")
    image = tmp_path / "a.jpg"
    shutil.copyfile(DATA / "A.jpg", image)
    certs = DATA / "c2pa" / "certs"
    result = CliRunner().invoke(
        app,
        [
            "attach",
            str(REFUSAL),
            "--to",
            str(image),
            "--as",
            "c2pa",
            "--cert",
            str(certs / "es256_certs.pem"),
            "--key",
            str(certs / "es256_private.key"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert decision(image) == "denied"


def test_bad_input_exits_2(tmp_path: Path) -> None:
    """C2PA without a key, a missing file or an unknown --as is an input error."""
    image = tmp_path / "a.jpg"
    shutil.copyfile(DATA / "A.jpg", image)
    runner = CliRunner()
    assert (
        runner.invoke(app, ["attach", str(REFUSAL), "--to", str(image), "--as", "c2pa"]).exit_code
        == 2
    )
    assert (
        runner.invoke(app, ["attach", str(REFUSAL), "--to", str(tmp_path / "none")]).exit_code == 2
    )
    assert (
        runner.invoke(app, ["attach", str(REFUSAL), "--to", str(image), "--as", "png"]).exit_code
        == 2
    )
