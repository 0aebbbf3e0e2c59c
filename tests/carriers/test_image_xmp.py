"""Image XMP carrier: attach and read back, pixels and other metadata untouched, safe writes,
hostile input unreadable (spec §3.4, §9.11, §11.3)."""

from __future__ import annotations

import copy
import json
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

pyexiv2 = pytest.importorskip("pyexiv2")

from aiconsent.carriers import image_xmp, safe_write  # noqa: E402
from aiconsent.carriers.image_xmp import (  # noqa: E402
    DATA_MINING_KEY,
    DECLARATIONS_KEY,
    NAMESPACE,
    OTHER_CONSTRAINTS_KEY,
    ImageXmpError,
    attach_image,
    kind_of,
    plan_image_xmp,
    read_image,
)
from aiconsent.formats.iptc import VOCABULARY  # noqa: E402

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parents[2] / "examples"
REFERENCE = DATA / "IPTC-PhotometadataRef-Std2023.2.jpg"
IMAGES = ["A.jpg", "IPTC-PhotometadataRef-Std2023.2.jpg", "libpng-test.png", "small.png"]
IMAGES += ["small.webp", "small.tiff"]
OURS = {DECLARATIONS_KEY, DATA_MINING_KEY, OTHER_CONSTRAINTS_KEY}
# exiv2 lays out a rewritten TIFF anew: where the strips sit changes, their bytes do not; and
# TIFF keeps the XMP packet itself in an IFD tag
MOVED = {"Exif.Image.StripOffsets", "Exif.Image.XMLPacket"}


def photographer() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        (EXAMPLES / "08-photographer-image-search-yes-genai-no.jsonld").read_text("utf-8")
    )
    return value


def inference_refused() -> dict[str, Any]:
    """A declaration no narrow DMI code fits: DMI-PROHIBITED plus our summary text."""
    value = photographer()
    value["id"] = "urn:uuid:6d1f0a52-3c1e-4f0b-8f43-5a0f6c9e2d17"
    value["prohibition"] = [{"purpose": "ai-inference"}]
    return value


def genai_only() -> dict[str, Any]:
    value = photographer()
    value["id"] = "urn:uuid:2b0c5f4e-7a59-4f57-9d0e-8a7c8d8c1b11"
    del value["permission"]
    return value


def copy_image(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copyfile(DATA / name, target)
    return target


def metadata(data: bytes) -> dict[str, Any]:
    with pyexiv2.ImageData(data) as image:
        return {
            "exif": {k: v for k, v in image.read_exif().items() if k not in MOVED},
            "iptc": image.read_iptc(),
            "icc": image.read_icc(),
            "xmp": {k: v for k, v in image.read_xmp().items() if k not in OURS},
            "comment": image.read_comment(),
            "size": (image.get_pixel_width(), image.get_pixel_height()),
        }


def jpeg_scan(data: bytes) -> bytes:
    """Everything from the first SOS marker on: the entropy-coded pixels."""
    position = 2
    while position < len(data):
        marker = data[position : position + 2]
        if marker == b"\xff\xda":
            return data[position:]
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    raise AssertionError("no SOS marker")


def ours(result: Any) -> list[dict[str, Any]]:
    return [item.declaration for item in result.found if str(item.source).endswith("#xmp")]


# --------------------------------------------------------------------------- attach and read


@pytest.mark.parametrize("name", IMAGES)
def test_attach_then_read_gives_the_declarations(tmp_path: Path, name: str) -> None:
    target = copy_image(tmp_path, name)
    attach_image(target, [photographer()])
    result = read_image(target)
    assert ours(result) == [photographer()]
    assert all(item.carrier == "xmp" for item in result.found)
    assert not result.unreadable
    plus = [f.declaration for f in result.found if not str(f.source).endswith("#xmp")]
    assert any(d.get("prohibition") == [{"purpose": "genai-training"}] for d in plus), (
        "DMI-PROHIBITED-GENAIMLTRAINING read back from plus:DataMining"
    )


@pytest.mark.parametrize("name", IMAGES)
def test_metadata_other_than_ours_is_unchanged(tmp_path: Path, name: str) -> None:
    target = copy_image(tmp_path, name)
    before = metadata(target.read_bytes())
    attach_image(target, [photographer()])
    assert metadata(target.read_bytes()) == before


@pytest.mark.parametrize("name", IMAGES)
def test_pixels_are_unchanged(tmp_path: Path, name: str) -> None:
    pil = pytest.importorskip("PIL.Image")
    target = copy_image(tmp_path, name)
    with pil.open(DATA / name) as image:
        before = (image.mode, image.size, image.tobytes())
    attach_image(target, [photographer()])
    with pil.open(target) as image:
        assert (image.mode, image.size, image.tobytes()) == before


@pytest.mark.parametrize("name", ["A.jpg", "IPTC-PhotometadataRef-Std2023.2.jpg"])
def test_jpeg_scan_data_is_byte_identical(tmp_path: Path, name: str) -> None:
    target = copy_image(tmp_path, name)
    attach_image(target, [photographer()])
    assert jpeg_scan(target.read_bytes()) == jpeg_scan((DATA / name).read_bytes())


@pytest.mark.parametrize("name", IMAGES)
def test_second_attach_replaces(tmp_path: Path, name: str) -> None:
    target = copy_image(tmp_path, name)
    with pyexiv2.ImageData(target.read_bytes()) as image:
        theirs = image.read_xmp().get(OTHER_CONSTRAINTS_KEY)
    attach_image(target, [inference_refused()])
    with pyexiv2.ImageData(target.read_bytes()) as image:
        assert image.read_xmp()[DATA_MINING_KEY] == VOCABULARY + "DMI-PROHIBITED"
    attach_image(target, [genai_only()])
    data = target.read_bytes()
    assert data.count(NAMESPACE.encode()) == 1
    assert data.count(b"aic:declarations") == 1
    assert ours(read_image(target)) == [genai_only()]
    with pyexiv2.ImageData(data) as image:
        xmp = image.read_xmp()
    assert xmp[DATA_MINING_KEY] == VOCABULARY + "DMI-PROHIBITED-GENAIMLTRAINING"
    # the first attach's summary text is gone; what the image had before is untouched
    assert xmp.get(OTHER_CONSTRAINTS_KEY) == theirs


def test_several_declarations_travel_as_one_array(tmp_path: Path) -> None:
    target = copy_image(tmp_path, "small.png")
    attach_image(target, [photographer(), genai_only()])
    assert ours(read_image(target)) == [photographer(), genai_only()]


def test_attach_overwrites_the_reference_images_code_but_keeps_the_rest(tmp_path: Path) -> None:
    target = copy_image(tmp_path, REFERENCE.name)
    with pyexiv2.ImageData(target.read_bytes()) as image:
        before = image.read_xmp()
    attach_image(target, [photographer()])
    with pyexiv2.ImageData(target.read_bytes()) as image:
        xmp = image.read_xmp()
    assert xmp[DATA_MINING_KEY] == VOCABULARY + "DMI-PROHIBITED-GENAIMLTRAINING"
    assert xmp.get(OTHER_CONSTRAINTS_KEY) == before.get(OTHER_CONSTRAINTS_KEY)
    assert xmp["Xmp.plus.ImageSupplierImageID"] == "Image Supplier Image ID (ref2023.2)"


def test_a_code_without_a_narrow_fit_writes_our_summary(tmp_path: Path) -> None:
    target = copy_image(tmp_path, "small.png")
    attach_image(target, [inference_refused()])
    with pyexiv2.ImageData(target.read_bytes()) as image:
        xmp = image.read_xmp()
    assert xmp[DATA_MINING_KEY] == VOCABULARY + "DMI-PROHIBITED"
    assert xmp[OTHER_CONSTRAINTS_KEY] == {
        'lang="x-default"': "aiconsent: prohibited: ai-inference; allowed: search"
    }


def test_plan_reports_the_plus_losses() -> None:
    plan = plan_image_xmp([photographer()])
    assert plan.values[DATA_MINING_KEY] == VOCABULARY + "DMI-PROHIBITED-GENAIMLTRAINING"
    assert json.loads(plan.values[DECLARATIONS_KEY]) == photographer()
    assert any(
        loss.kind == "dropped" and "permission of search" in loss.detail for loss in plan.losses
    )
    widened = plan_image_xmp([inference_refused()])
    assert any(loss.kind == "widened" for loss in widened.losses)


def test_someone_else_s_other_constraints_are_never_overwritten(tmp_path: Path) -> None:
    target = copy_image(tmp_path, REFERENCE.name)
    with pyexiv2.ImageData(target.read_bytes()) as image:
        theirs = image.read_xmp()[OTHER_CONSTRAINTS_KEY]
    attach_image(target, [inference_refused()])
    with pyexiv2.ImageData(target.read_bytes()) as image:
        xmp = image.read_xmp()
    assert xmp[DATA_MINING_KEY] == VOCABULARY + "DMI-PROHIBITED"
    assert xmp[OTHER_CONSTRAINTS_KEY] == theirs


# --------------------------------------------------------------------------- reading


def test_iptc_reference_image_prohibits_genai_training() -> None:
    result = read_image(REFERENCE)
    assert not result.unreadable
    assert [item.declaration["prohibition"] for item in result.found] == [
        [{"purpose": "genai-training"}]
    ]
    (item,) = result.found
    assert item.carrier == "xmp"
    assert item.declaration["carrier"] == "xmp"
    assert "sha256" in item.declaration["target"][0]
    assert "definitely+prohibited" in item.declaration["evidence"].replace("%20", "+")


def test_reads_bytes_and_path_alike() -> None:
    data = REFERENCE.read_bytes()
    from_bytes = read_image(data, "ref.jpg")
    from_path = read_image(str(REFERENCE))
    assert [f.declaration["prohibition"] for f in from_bytes.found] == [
        f.declaration["prohibition"] for f in from_path.found
    ]


def test_image_without_xmp_reads_nothing() -> None:
    result = read_image(DATA / "libpng-test.png")
    assert (result.found, result.unreadable) == ([], [])


def with_xmp_segment(jpeg: bytes, packet: bytes) -> bytes:
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


BILLION_LAUGHS = b"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><!DOCTYPE x [
<!ENTITY a "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
 plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-ALLOWED&c;"/></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def xmp_packet(description_attributes: str) -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        f'xmlns:other="{NAMESPACE}" {description_attributes}/>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def bare_jpeg() -> bytes:
    data = (DATA / "A.jpg").read_bytes()
    with pyexiv2.ImageData(data) as image:
        image.clear_xmp()
        stripped: bytes = image.get_bytes()
    return stripped


def test_entity_expansion_is_unreadable_and_never_a_permission() -> None:
    result = read_image(with_xmp_segment(bare_jpeg(), BILLION_LAUGHS), "evil.jpg")
    assert result.found == []
    assert result.unreadable and "DOCTYPE" in result.unreadable[0].message


def test_a_foreign_prefix_for_our_namespace_is_read() -> None:
    text = json.dumps(genai_only()).replace('"', "&quot;")
    packet = xmp_packet(f'other:declarations="{text}"')
    result = read_image(with_xmp_segment(bare_jpeg(), packet), "prefix.jpg")
    assert ours(result) == [genai_only()]


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ('other:declarations="{not json"', ""),
        ('other:declarations="{}"', ""),
        ('plus:DataMining="DMI-SOMETHING-ELSE"', "not a PLUS DMI code"),
    ],
)
def test_bad_values_are_unreadable(attributes: str, message: str) -> None:
    result = read_image(with_xmp_segment(bare_jpeg(), xmp_packet(attributes)), "bad.jpg")
    assert result.found == []
    assert result.unreadable
    assert message in result.unreadable[0].message


def test_an_invalid_declaration_is_unreadable() -> None:
    broken = copy.deepcopy(genai_only())
    broken["prohibition"] = [{"purpose": "everything"}]
    text = json.dumps(broken).replace('"', "&quot;")
    packet = xmp_packet(f'other:declarations="{text}"')
    result = read_image(with_xmp_segment(bare_jpeg(), packet), "invalid.jpg")
    assert ours(result) == []
    assert result.unreadable


def damaged() -> list[tuple[str, bytes]]:
    cases: list[tuple[str, bytes]] = [("empty", b""), ("junk", b"\x00" * 64)]
    for name in IMAGES:
        data = (DATA / name).read_bytes()
        cases += [(f"{name}[:12]", data[:12]), (f"{name}[:40]", data[:40])]
        cases.append((f"{name}[:half]", data[: len(data) // 2]))
        flipped = bytearray(data)
        for index in range(20, min(len(flipped), 400), 7):
            flipped[index] ^= 0xFF
        cases.append((f"{name} flipped", bytes(flipped)))
    reference = REFERENCE.read_bytes()
    start = reference.find(b"<x:xmpmeta")
    cases.append(("xmp cut", reference[: start + 200]))
    return cases


@pytest.mark.parametrize(("label", "data"), damaged(), ids=[c[0] for c in damaged()])
def test_damaged_images_never_raise_and_never_permit(label: str, data: bytes) -> None:
    result = read_image(data, label)
    for item in result.found:
        assert "permission" not in item.declaration, label


def test_damaged_images_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    for label, data in damaged():
        read_image(data, label)
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("data", [b"", b"GIF89a" + b"\x00" * 20, b"\xff\xd8\xff" + b"\x00" * 9])
def test_not_an_image_or_truncated_is_unreadable(data: bytes) -> None:
    result = read_image(data, "x.jpg")
    assert result.found == [] and result.unreadable


def test_oversized_image_is_unreadable() -> None:
    result = read_image(REFERENCE, max_bytes=1000)
    assert result.found == [] and "larger than" in result.unreadable[0].message


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    result = read_image(tmp_path / "absent.jpg")
    assert result.found == [] and result.unreadable


def test_kind_of() -> None:
    assert [kind_of((DATA / name).read_bytes()) for name in IMAGES] == [
        "jpeg",
        "jpeg",
        "png",
        "png",
        "webp",
        "tiff",
    ]


# --------------------------------------------------------------------------- refusing


def test_refuses_bytes_that_are_not_what_the_name_says(tmp_path: Path) -> None:
    target = tmp_path / "photo.jpg"
    shutil.copyfile(DATA / "small.png", target)
    original = target.read_bytes()
    with pytest.raises(ImageXmpError, match="not jpeg"):
        attach_image(target, [photographer()])
    assert target.read_bytes() == original


@pytest.mark.parametrize("name", ["notes.txt", "picture.gif"])
def test_refuses_other_file_names(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_bytes(b"hello")
    with pytest.raises(ImageXmpError):
        attach_image(target, [photographer()])
    assert target.read_bytes() == b"hello"


def test_refuses_invalid_declarations(tmp_path: Path) -> None:
    target = copy_image(tmp_path, "small.png")
    broken = photographer()
    broken["basis"] = "because"
    with pytest.raises(ImageXmpError, match="not valid"):
        attach_image(target, [broken])
    with pytest.raises(ImageXmpError, match="no declarations"):
        attach_image(target, [])
    assert target.read_bytes() == (DATA / "small.png").read_bytes()


def test_refuses_a_damaged_image(tmp_path: Path) -> None:
    target = tmp_path / "cut.png"
    target.write_bytes((DATA / "small.png").read_bytes()[:30])
    with pytest.raises(ImageXmpError):
        attach_image(target, [photographer()])
    assert target.read_bytes() == (DATA / "small.png").read_bytes()[:30]


def test_refuses_xmp_with_a_doctype(tmp_path: Path) -> None:
    target = tmp_path / "evil.jpg"
    target.write_bytes(with_xmp_segment(bare_jpeg(), BILLION_LAUGHS))
    before = target.read_bytes()
    with pytest.raises(ImageXmpError, match="DOCTYPE"):
        attach_image(target, [photographer()])
    assert target.read_bytes() == before


def test_refuses_a_symlink_out_of_its_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    inside = tmp_path / "inside"
    outside.mkdir()
    inside.mkdir()
    real = copy_image(outside, "small.png")
    link = inside / "small.png"
    link.symlink_to(real)
    with pytest.raises(ImageXmpError, match="symlink"):
        attach_image(link, [photographer()])
    assert real.read_bytes() == (DATA / "small.png").read_bytes()


def test_a_symlink_within_its_folder_writes_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    real = copy_image(tmp_path, "small.png")
    link = tmp_path / "alias.png"
    link.symlink_to(real.name)
    attach_image(link, [photographer()])
    assert link.is_symlink()
    assert ours(read_image(real)) == [photographer()]


def test_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageXmpError, match="no such file"):
        attach_image(tmp_path / "absent.png", [photographer()])


@pytest.mark.parametrize("step", ["fsync", "replace", "get_bytes"])
def test_a_failed_write_leaves_the_original_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    target = copy_image(tmp_path, "IPTC-PhotometadataRef-Std2023.2.jpg")
    original = target.read_bytes()
    mode = target.stat().st_mode

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("injected failure")

    if step == "fsync":
        monkeypatch.setattr(safe_write.os, "fsync", fail)
    elif step == "replace":
        monkeypatch.setattr(safe_write.os, "replace", fail)
        monkeypatch.setattr(Path, "replace", fail)
    else:
        monkeypatch.setattr(pyexiv2.ImageData, "get_bytes", fail)
    with pytest.raises((OSError, ImageXmpError)):
        attach_image(target, [photographer()])
    assert target.read_bytes() == original
    assert target.stat().st_mode == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name], (
        "no temporary file left behind"
    )


def test_keeps_the_file_mode(tmp_path: Path) -> None:
    target = copy_image(tmp_path, "small.webp")
    target.chmod(0o640)
    attach_image(target, [photographer()])
    assert target.stat().st_mode & 0o777 == 0o640


# --------------------------------------------------------------------------- exiftool


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
@pytest.mark.parametrize("name", IMAGES)
def test_exiftool_reads_the_code_we_wrote(tmp_path: Path, name: str) -> None:
    target = copy_image(tmp_path, name)
    attach_image(target, [genai_only()])
    printed = subprocess.run(
        ["exiftool", "-XMP-plus:DataMining", "-s3", str(target)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert printed == VOCABULARY + "DMI-PROHIBITED-GENAIMLTRAINING"


# --------------------------------------------------------------------------- large files


@pytest.fixture
def on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every image takes the large-file path (a copy updated by exiv2 on disk)."""
    monkeypatch.setattr(image_xmp, "STREAM_BYTES", 0)


@pytest.mark.usefixtures("on_disk")
@pytest.mark.parametrize("name", IMAGES)
def test_the_on_disk_path_keeps_pixels_and_metadata_and_reads_back(
    tmp_path: Path, name: str
) -> None:
    pil = pytest.importorskip("PIL.Image")
    target = copy_image(tmp_path, name)
    before = metadata(target.read_bytes())
    with pil.open(DATA / name) as image:
        pixels = (image.mode, image.size, image.tobytes())
    attach_image(target, [photographer()])
    attach_image(target, [photographer()])
    assert ours(read_image(target)) == [photographer()]
    assert metadata(target.read_bytes()) == before
    with pil.open(target) as image:
        assert (image.mode, image.size, image.tobytes()) == pixels
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.mark.usefixtures("on_disk")
def test_the_on_disk_path_refuses_a_doctype_and_leaves_the_file(tmp_path: Path) -> None:
    target = tmp_path / "hostile.jpg"
    target.write_bytes(with_xmp_segment(bare_jpeg(), xmp_packet('plus:DataMining="x"')))
    data = target.read_bytes().replace(b"<?xpacket", b"<!DOCTYPE x><?xpacket", 1)
    target.write_bytes(data)
    with pytest.raises(ImageXmpError, match="DOCTYPE"):
        attach_image(target, [photographer()])
    assert target.read_bytes() == data


@pytest.mark.usefixtures("on_disk")
def test_the_on_disk_path_leaves_a_damaged_image_byte_identical(tmp_path: Path) -> None:
    target = copy_image(tmp_path, "small.tiff")
    data = target.read_bytes()[:200]
    target.write_bytes(data)
    with pytest.raises(ImageXmpError):
        attach_image(target, [photographer()])
    assert target.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
@pytest.mark.parametrize("name", IMAGES)
def test_exiftool_reads_back_the_whole_declaration(tmp_path: Path, name: str) -> None:
    """An independent XMP reader finds our aic:declarations text and it equals what we wrote."""
    target = copy_image(tmp_path, name)
    attach_image(target, [photographer()])
    printed = subprocess.run(
        [
            "exiftool",
            "-config",
            str(DATA / "exiftool-aic.config"),
            "-j",
            "-XMP-aic:all",
            "-XMP-plus:DataMining",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    row = json.loads(printed)[0]
    assert json.loads(row["Declarations"]) == photographer()
    assert row["DataMining"] == VOCABULARY + "DMI-PROHIBITED-GENAIMLTRAINING"
