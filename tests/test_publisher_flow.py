"""The whole journey of issue 6, as a publisher and a creator would run it from the command line.

Stamp real images (XMP and a sidecar), build a manifest from the folder, audit it with each
engine (the same answers), write the report and the allowed items, put the consent section into
a real Croissant card and a real Hugging Face card from the corpus, validate all of it (the card
layer re-audits the manifest), and let a creator look up a photo.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aiconsent.cli.app import app

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "carriers" / "data"
CARDS = HERE / "cards" / "data"
DATASET = "https://mlcommons.org"
AT = "2026-10-01T00:00:00Z"
CONTEXT = "https://w3id.org/aiconsent/v1"


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def declaration(number: int, role: str, basis: str, **rules: Any) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "id": f"urn:uuid:7a1c0e4b-2d3f-4a5b-8c6d-9e0f1a2b3c{number:02d}",
        "type": "ConsentDeclaration",
        "target": [{"url": f"https://photos.example.org/{number}"}],
        "declaredBy": {"id": f"https://photos.example.org/people/{number}", "role": role},
        "declaredAt": "2025-05-01T00:00:00Z",
        "basis": basis,
        "retroactive": True,
        "content": {"createdAt": "2025-04-01T00:00:00Z", "personalData": False},
        "withdrawalUrl": "https://photos.example.org/settings/ai",
        **rules,
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A publisher's folder: stamped images, the manifest, the audit, and two cards."""
    root = tmp_path_factory.mktemp("publisher")
    images = root / "images"
    images.mkdir()
    for name in ("A.jpg", "small.png", "small.webp", "libpng-test.png"):
        shutil.copyfile(IMAGES / name, images / name)
    stamps = {
        "A.jpg": (
            "xmp",
            declaration(1, "creator", "explicit-consent", permission=[{"purpose": "tdm"}]),
        ),
        "small.png": (
            "xmp",
            declaration(2, "creator", "unspecified", prohibition=[{"purpose": "ai-training"}]),
        ),
        "small.webp": (
            "sidecar",
            declaration(3, "rightsholder", "license", permission=[{"purpose": "tdm"}]),
        ),
    }  # libpng-test.png says nothing
    for name, (carrier, value) in stamps.items():
        source = root / f"{name}.declaration.jsonld"
        source.write_text(json.dumps(value), encoding="utf-8")
        code, _, err = run("attach", str(source), "--to", str(images / name), "--as", carrier)
        assert code == 0, err
    consent_folder = root / "consent"
    consent_folder.mkdir()
    manifest = consent_folder / "items.parquet"
    code, out, err = run(
        "manifest",
        "build",
        str(images),
        "--out",
        str(manifest),
        "--dataset",
        DATASET,
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["items"] == 4
    return {"root": root, "images": images, "manifest": manifest}


def audit(manifest: Path, *more: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(
        "audit",
        str(manifest),
        "--purpose",
        "genai-training",
        "--at",
        AT,
        "--format",
        "json",
        *more,
    )
    assert code in (0, 1), err
    return code, json.loads(out)


def test_the_engines_agree_and_the_report_and_allowed_items_are_written(
    published: dict[str, Path],
) -> None:
    manifest = published["manifest"]
    root = published["root"]
    code, duckdb = audit(
        manifest,
        "--engine",
        "duckdb",
        "--report",
        str(root / "report.html"),
        "--write-allowed",
        str(root / "allowed.parquet"),
    )
    assert code == 1, "two of four items may not be used"
    assert duckdb["decisions"] == {"allowed": 2, "denied": 2, "unknown": 0}
    _, python = audit(manifest, "--engine", "python")
    assert {k: v for k, v in python.items() if k != "engine"} == {
        k: v for k, v in duckdb.items() if k != "engine"
    }
    html = (root / "report.html").read_text(encoding="utf-8")
    assert "genai-training" in html and "<svg" in html
    again, cleared = audit(root / "allowed.parquet")
    assert again == 0 and cleared["decisions"] == {"allowed": 2, "denied": 0, "unknown": 0}


@pytest.mark.parametrize(
    "card_name", ["croissant/simple-parquet.json", "hf-cards/sample_datasetcard_simple.md"]
)
def test_a_card_with_its_consent_section_validates_against_the_manifest(
    published: dict[str, Path], card_name: str
) -> None:
    root = published["root"]
    _, totals = audit(published["manifest"])
    card = root / Path(card_name).name
    shutil.copyfile(CARDS / card_name, card)
    consent = {
        "@context": CONTEXT,
        "id": f"{DATASET}#consent",
        "type": "DatasetConsent",
        "dataset": DATASET,
        "purposeAssessed": ["genai-training"],
        "policy": "opt-in",
        "signalsChecked": {"carrier": ["xmp", "sidecar", "c2pa"], "checkedAt": AT},
        "manifest": {
            "url": "consent/items.parquet",
            "sha256": totals["sha256"],
            "format": "parquet",
        },
        "itemCount": totals["items"],
        "decisionCounts": totals["decisions"],
        "withdrawal": {"url": "https://photos.example.org/settings/ai", "honoredWithin": "P30D"},
    }
    source = root / f"{card.name}.consent.jsonld"
    source.write_text(json.dumps(consent), encoding="utf-8")
    code, _, err = run("attach", str(source), "--to", str(card))
    assert code == 0, err
    code, out, _ = run("validate", "--format", "json", str(card), str(source))
    report = json.loads(out)
    assert code == 0, out
    assert not [i for f in report["files"] for i in f["issues"] if i["layer"] == "card"]

    # a card claiming every item cleared is caught by the card layer, with examples
    consent["decisionCounts"] = {"allowed": 4, "denied": 0, "unknown": 0}
    source.write_text(json.dumps(consent), encoding="utf-8")
    code, _, err = run("attach", str(source), "--to", str(card))
    assert code == 0, err
    code, out, _ = run("validate", "--format", "json", str(card))
    issues = [i for f in json.loads(out)["files"] for i in f["issues"]]
    assert code == 1
    assert [i["code"] for i in issues if i["severity"] == "error"] == ["AIC615"]
    assert "2 denied" in issues[0]["message"] and "for example: sha256:" in issues[0]["message"]


def test_a_creator_finds_their_photo_and_the_decision(published: dict[str, Path]) -> None:
    manifest = published["manifest"]
    code, out, err = run(
        "lookup",
        str(manifest),
        "--file",
        str(published["images"] / "small.png"),
        "--purpose",
        "genai-training",
        "--at",
        AT,
        "--format",
        "json",
    )
    assert code == 0, err
    found = json.loads(out)
    assert found["found"] is True
    [item] = found["items"]
    assert item["decision"] == "denied"
    assert "prohibited-by-standing-party" in item["reasons"]
    assert item["declarations"][0]["carrier"] == "xmp"
    stranger = published["root"] / "not-in-the-dataset.txt"
    stranger.write_bytes(b"a photo nobody collected")
    code, out, _ = run("lookup", str(manifest), "--file", str(stranger), "--format", "json")
    assert code == 1 and json.loads(out)["found"] is False
