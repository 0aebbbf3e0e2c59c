"""`aiconsent check`, `read` and `convert` on every signal format, through the CLI.

The corpus files are read where they lie (skipped when ../shared/corpus is absent); expected
answers follow spec §9 for each format.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiconsent.cli.app import app

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SITE = "https://site.example"
ROBOTS = f"--url {SITE}/robots.txt"
ONLY = "--policy signals-only"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")

# (file in the corpus, extra flags, expected decision, a deciding reason code)
CASES = [
    (
        "aipref/attach-05_ex2_robots-simple.txt",
        "--purpose genai-training --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "aipref/attach-05_ex3_robots-paths.txt",
        f"--purpose genai-training {ROBOTS} --item {SITE}/ai-ok/x {ONLY}",
        "allowed",
        "permitted",
    ),
    (
        "aipref/attach-05_ex3_robots-paths.txt",
        f"--purpose genai-training {ROBOTS} --item {SITE}/other {ONLY}",
        "denied",
        "prohibited",
    ),
    (
        "aipref/attach-05_ex3_robots-paths.txt",
        f"--purpose genai-training {ROBOTS} --item {SITE}/other --agent ExampleBot {ONLY}",
        "allowed",
        "permitted",
    ),
    (
        "aipref/attach-05_ex1_http-response.http",
        "--purpose genai-training --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "aipref/attach-05_ex1_http-response.http",
        f"--purpose search {ONLY}",
        "unknown",
        "no-signal",
    ),
    (
        "aipref/vocab-07_ex1_basic.sf.txt",
        "--purpose genai-training --policy signals-only",
        "allowed",
        "permitted",
    ),
    (
        "aipref/vocab-07_ex1_basic.sf.txt",
        "--purpose search --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "robots/ai.robots.txt/robots.txt",
        f"--purpose genai-training --agent GPTBot {ROBOTS} --item {SITE}/x",
        "denied",
        "prohibited",
    ),
    (
        "robots/ai.robots.txt/robots.txt",
        f"--purpose genai-training --agent Googlebot {ROBOTS} --item {SITE}/x {ONLY}",
        "unknown",
        "agent-not-matched",
    ),
    (
        "robots/content-signal/constructed_content-signal-with-rsl.txt",
        f"--purpose genai-training --item {SITE}/story --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "robots/content-signal/constructed_content-signal-with-rsl.txt",
        f"--purpose search --item {SITE}/story {ONLY}",
        "allowed",
        "permitted",
    ),
    (
        "robots/healsdata-ai-training-opt-out/headers.txt",
        "--purpose genai-training --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "robots/healsdata-ai-training-opt-out/meta-tags.html",
        "--purpose ai-inference --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "tdmrep/spec-examples/ex01-tdmrep-optout-all.json",
        f"--purpose genai-training --url {SITE}/.well-known/tdmrep.json --item {SITE}/a",
        "denied",
        "prohibited",
    ),
    (
        "tdmrep/spec-examples/ex05-html-meta.html",
        "--purpose genai-training --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "tdmrep/spec-examples/ex03-http-header-reservation.http",
        "--purpose search --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "rsl/constructed_prohibit-all.xml",
        "--purpose search --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "rsl/constructed_two-licences.xml",
        f"--purpose genai-training {ONLY}",
        "allowed",
        "permitted",
    ),
    (
        "ai-txt/ai.robots.txt_ai.txt",
        "--purpose genai-training --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "odrl/ai-vocab/example2_data-mining_prohibit-ai-augment.jsonld",
        "--purpose ai-inference --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "c2pa/expected/C_with_CAWG_data.reader.json",
        "--purpose genai-training --policy opt-out",
        "denied",
        "prohibited",
    ),
    (
        "c2pa/expected/CA.reader.json",
        f"--purpose genai-training {ONLY}",
        "unknown",
        "no-signal",
    ),
]
EXIT = {"allowed": 0, "denied": 1, "unknown": 3}


@pytest.mark.parametrize(
    ("path", "flags", "answer", "reason"), CASES, ids=[f"{c[0]}::{c[2]}" for c in CASES]
)
def test_check_answers_for_every_format(path: str, flags: str, answer: str, reason: str) -> None:
    """Each format's corpus file gets the answer its spec section implies."""
    result = CliRunner().invoke(
        app, ["check", str(CORPUS / path), *shlex.split(flags), "--format", "json"]
    )
    output = json.loads(result.stdout)
    assert output["decision"] == answer, output
    assert result.exit_code == EXIT[answer]
    assert reason in {item["code"] for item in output["reasons"]}


def test_opt_in_never_counts_an_anonymous_signal_as_consent() -> None:
    """A Content-Usage `train-ai=y` is a publisher's unspecified permission: not consent."""
    result = CliRunner().invoke(
        app, ["check", "--header", "Content-Usage: train-ai=y", "--purpose", "genai-training"]
    )
    assert result.exit_code == 1
    assert "basis-not-accepted" in result.stdout or "does not count" in result.stdout


def test_read_prints_compact_declarations_with_carriers() -> None:
    """read --format json: valid compact declarations, each with its carrier, and the sources."""
    from aiconsent.validation.validate import validate_value

    files = ["robots/healsdata-ai-training-opt-out/headers.txt", "rsl/constructed_two-licences.xml"]
    result = CliRunner().invoke(
        app, ["read", *[str(CORPUS / f) for f in files], "--format", "json"]
    )
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert {d["carrier"] for d in document["declarations"]} == {"http-header", "rsl"}
    assert [s["count"] > 0 for s in document["sources"]] == [True, True]
    for declaration in document["declarations"]:
        assert validate_value(declaration).errors == 0


def test_an_image_with_iptc_data_mining_is_read() -> None:
    """The IPTC reference image's DMI-PROHIBITED-GENAIMLTRAINING denies generative training."""
    image = str(CORPUS / "iptc" / "IPTC-PhotometadataRef-Std2023.2.jpg")
    result = CliRunner().invoke(
        app, ["check", image, "--purpose", "genai-training", "--policy", "opt-out"]
    )
    assert result.exit_code == 1, result.stdout
    plain = CliRunner().invoke(app, ["read", str(CORPUS / "c2pa" / "A.jpg")])
    assert plain.exit_code == 0
    assert "no declaration found" in plain.stdout


def test_convert_writes_and_reports_losses(tmp_path: Path) -> None:
    """convert --to content-usage: the field; what it cannot carry on stderr; --strict exits 1."""
    example = (
        Path(__file__).resolve().parents[1]
        / "examples"
        / "08-photographer-image-search-yes-genai-no.jsonld"
    )
    result = CliRunner().invoke(app, ["convert", str(example), "--to", "content-usage"])
    assert result.exit_code == 0
    assert result.stdout == "Content-Usage: train-ai=n, search=y\n"
    assert "dropped" in result.stderr
    strict = CliRunner().invoke(app, ["convert", str(example), "--to", "content-usage", "--strict"])
    assert strict.exit_code == 1


@pytest.mark.parametrize(
    "target",
    [
        "robots-txt",
        "tdm-headers",
        "tdm-meta",
        "x-robots-tag",
        "rsl",
        "ai-txt",
        "odrl",
        "cawg",
        "iptc",
        "content-signal",
        "jsonld",
    ],
)
def test_every_writer_keeps_a_refusal(target: str, tmp_path: Path) -> None:
    """Every writer writes a publisher's refusal of genai-training (and says what it lost)."""
    declaration = {
        "@context": "https://w3id.org/aiconsent/v1",
        "id": "urn:uuid:2f0b7e1c-3d4a-4b5c-8d6e-7f8091a2b3c4",
        "type": "ConsentDeclaration",
        "target": [{"url": "https://site.example/a"}],
        "declaredBy": {"id": "https://site.example/", "role": "publisher"},
        "declaredAt": "2025-01-01T00:00:00Z",
        "prohibition": [{"purpose": "genai-training"}],
    }
    source = tmp_path / "refusal.jsonld"
    source.write_text(json.dumps(declaration), encoding="utf-8")
    written = CliRunner().invoke(app, ["convert", str(source), "--to", target, "--site", SITE])
    assert written.exit_code == 0, written.stderr
    assert written.stdout.strip()
    if target in {"cawg", "iptc"}:
        return  # assertion data and XMP values: embedded in files by the attach tools
    names = {
        "robots-txt": "robots.txt",
        "content-signal": "robots.txt",
        "ai-txt": "ai.txt",
        "tdm-meta": "page.html",
    }
    back = tmp_path / names.get(target, f"converted.{target}")
    text = written.stdout
    if target == "tdm-meta":
        text = f"<html><head>{text}</head></html>"
    if target == "content-signal":  # the line belongs in a robots.txt group
        text = f"User-agent: *\n{text}"
    back.write_text(text, encoding="utf-8")
    where = f"{SITE}/{names.get(target, 'file')}"
    answer = CliRunner().invoke(
        app,
        [
            "check",
            str(back),
            "--purpose",
            "genai-training",
            "--policy",
            "opt-out",
            "--url",
            where,
            "--item",
            f"{SITE}/a",
            "--format",
            "json",
        ],
    )
    assert json.loads(answer.stdout)["decision"] == "denied", (target, text)
