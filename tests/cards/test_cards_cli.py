"""`aiconsent attach|validate|read` with dataset cards, through the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiconsent.cards.reading import card_consent, read_card
from aiconsent.cli.app import app

from .consents import CROISSANT_CARDS, HF_CARDS, consent_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CARDS = ROOT / "examples" / "cards"
DECLARATION = ROOT / "examples" / "05-explicit-consent-withdrawn.jsonld"
SIMPLE_PARQUET = next(p for p in CROISSANT_CARDS if p.name == "simple-parquet.json")
SIMPLE_HF = next(p for p in HF_CARDS if p.name == "sample_datasetcard_simple.md")
HUB = "https://huggingface.co/datasets/example/sample"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write_consent(folder: Path, dataset: str, **changes: object) -> Path:
    path = folder / "consent.jsonld"
    path.write_text(json.dumps(consent_for(dataset, **changes)), encoding="utf-8")
    return path


def test_attach_then_validate_and_read_a_croissant_card(tmp_path: Path) -> None:
    card = tmp_path / "card.json"
    shutil.copyfile(SIMPLE_PARQUET, card)
    consent = write_consent(tmp_path, "https://mlcommons.org")
    code, out, err = run("attach", str(consent), "--to", str(card))
    assert code == 0, err
    assert out.strip().endswith("(croissant)")
    # the consent's manifest is not beside this card: leave the card layer's check out here
    layers = "syntax,schema,jsonld,shacl,semantic"
    assert run("validate", "--strict", "--layers", layers, str(card))[0] == 0
    code, out, _ = run("read", str(card), "--format", "json")
    document = json.loads(out)
    assert document["datasetConsent"] == [consent_for("https://mlcommons.org")]
    assert document["sources"][0]["format"] == "croissant"
    assert document["declarations"] == [] and document["unreadable"] == []


def test_attach_to_a_copy_leaves_the_hf_card_alone(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    shutil.copyfile(SIMPLE_HF, card)
    before = card.read_bytes()
    consent = write_consent(tmp_path, HUB)
    copy = tmp_path / "copy.md"
    code, out, err = run("attach", str(consent), "--to", str(card), "--out", str(copy))
    assert code == 0, err
    assert out.strip().endswith("(hf-card)")
    assert card.read_bytes() == before
    document = json.loads(run("read", str(copy), "--format", "json")[1])
    expected = consent_for(HUB)
    assert document["datasetConsent"] == [expected]
    assert card_consent(copy) == (expected, "hf-card", "/consent")


def test_croissant_validation_points_into_the_card(tmp_path: Path) -> None:
    card = tmp_path / "card.json"
    shutil.copyfile(SIMPLE_PARQUET, card)
    consent = write_consent(tmp_path, "https://mlcommons.org")
    assert run("attach", str(consent), "--to", str(card))[0] == 0
    value = json.loads(card.read_bytes())
    value["aic:itemCount"] = 5
    card.write_text(json.dumps(value, indent=2), encoding="utf-8")
    code, out, _ = run("validate", "--format", "json", str(card))
    assert code == 1
    issues = json.loads(out)["files"][0]["issues"]
    assert [(i["code"], i["path"]) for i in issues] == [("AIC512", "/aic:decisionCounts")]
    reading = read_card(card.read_bytes(), "card.json")
    assert reading.pointer("/itemCount") == "/aic:itemCount"
    assert card_consent(card)[1:] == ("croissant", "")


def test_hf_validation_points_into_the_block_and_names_the_line(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text(
        "---\nlicense: mit\nconsent:\n  type: DatasetConsent\n  id: x\n---\n# Card\n",
        encoding="utf-8",
    )
    code, out, _ = run("validate", "--format", "json", str(card))
    assert code == 1
    issues = json.loads(out)["files"][0]["issues"]
    by_path = {(i["code"], i["path"]): i["message"] for i in issues}
    assert ("AIC201", "/consent") in by_path
    assert by_path[("AIC201", "/consent")].endswith("(line 3)")
    assert any(path == "/consent/id" and "(line 5)" in m for (_, path), m in by_path.items())


def test_a_card_without_consent_is_a_warning() -> None:
    code, out, _ = run("validate", "--format", "json", str(SIMPLE_PARQUET), str(SIMPLE_HF))
    assert code == 0
    files = json.loads(out)["files"]
    assert [[i["code"] for i in f["issues"]] for f in files] == [["AIC601"], ["AIC601"]]
    assert run("validate", "--strict", str(SIMPLE_HF))[0] == 1


@pytest.mark.parametrize(
    ("as_", "target", "message"),
    [
        ("xmp", "card", "goes into a dataset card"),
        ("hf-card", "card", "is a Croissant card"),
        ("croissant", "readme", "is not a Croissant card"),
        (None, "text", "neither a Croissant card"),
    ],
)
def test_bad_combinations_exit_2(
    tmp_path: Path, as_: str | None, target: str, message: str
) -> None:
    files = {"card": tmp_path / "card.json", "readme": tmp_path / "README.md"}
    shutil.copyfile(SIMPLE_PARQUET, files["card"])
    shutil.copyfile(SIMPLE_HF, files["readme"])
    files["text"] = tmp_path / "notes.txt"
    files["text"].write_text("plain text\n", encoding="utf-8")
    before = files[target].read_bytes()
    consent = write_consent(tmp_path, "https://mlcommons.org")
    args = ["attach", str(consent), "--to", str(files[target])]
    code, _, err = run(*args, *(["--as", as_] if as_ else []))
    assert code == 2
    assert message in err
    assert files[target].read_bytes() == before


def test_declarations_do_not_go_into_a_card(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    shutil.copyfile(SIMPLE_HF, card)
    code, _, err = run("attach", str(DECLARATION), "--to", str(card))
    assert code == 2 and "only ConsentDeclarations" in err


def test_an_invalid_consent_is_not_attached(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    shutil.copyfile(SIMPLE_HF, card)
    before = card.read_bytes()
    counts = {"allowed": 1, "denied": 1, "unknown": 1}
    consent = write_consent(tmp_path, HUB, itemCount=5, decisionCounts=counts)
    code, _, err = run("attach", str(consent), "--to", str(card))
    assert code == 2 and "AIC512" in err
    assert card.read_bytes() == before


def test_croissant_id_that_cannot_be_kept_is_reported(tmp_path: Path) -> None:
    card = tmp_path / "card.json"
    shutil.copyfile(SIMPLE_PARQUET, card)
    consent = write_consent(tmp_path, "https://mlcommons.org", id="urn:uuid:1")
    code, _, err = run("attach", str(consent), "--to", str(card))
    assert code == 0
    assert "urn:uuid:1 is not kept" in err


def test_the_examples_validate_and_read() -> None:
    files = sorted(path for path in EXAMPLE_CARDS.iterdir() if path.is_file())
    assert {f.name for f in files} >= {"README.md", "consent.jsonld"}
    code, out, err = run("validate", "--strict", *map(str, files))
    assert code == 0, out + err
    documents = [json.loads(run("read", str(f), "--format", "json")[1]) for f in files]
    assert all(len(d["datasetConsent"]) == 1 for d in documents)
