"""`aiconsent manifest build`: gather the declarations of a dataset's items into a manifest.

Sources are JSON Lines manifests, aiconsent JSON-LD files, existing Parquet manifests, content
files and folders of content files. A content file is an item named by the SHA-256 of its
bytes; it is read with every carrier (embedded XMP/C2PA, HTML, PDF, a `NAME.consent.jsonld`
sidecar). The builder applies spec §6.2 rule 1 when it files a declaration under an item, so
every row of the manifest is about the item it is filed under and engines need not re-match
targets.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from aiconsent.engine.targets import about
from aiconsent.manifests.jsonl import JsonlError, read_jsonl_manifest, write_jsonl_manifest
from aiconsent.manifests.layout import (
    V1_CONTEXT,
    empty_row,
    entry_of,
    item_keys,
    row_of,
    unreadable_row,
)
from aiconsent.manifests.parquet import ManifestError, iter_rows, write_manifest
from aiconsent.model.found import Found, Unreadable
from aiconsent.readers.detect import detect
from aiconsent.readers.jsonld import read_jsonld

DEFAULT_MAX_BYTES: Final = 100 * 1024 * 1024
"""The largest content file whose carriers are read (a larger one is an unreadable item)."""

MAX_DOCUMENT_BYTES: Final = 10 * 1024 * 1024
"""The largest JSON-LD source file read (as for `aiconsent validate`)."""

CONTENT_KINDS: Final = frozenset({"image", "pdf", "html", "xmp", "epub-opf"})
"""Formats whose embedded carriers speak for the content file itself."""

SIDECAR_SUFFIX: Final = ".consent.jsonld"

Entry = Found | Unreadable


class BuildError(ValueError):
    """Bad input for a build: a missing source, an unsupported output, a bad dataset IRI."""


@dataclass(slots=True)
class BuildSummary:
    """What a build wrote, for the command's report and the dataset card."""

    output: str
    format: str
    items: int = 0
    rows: int = 0
    declarations: int = 0
    empty_items: int = 0
    unreadable: int = 0
    files_read: int = 0
    carriers: dict[str, int] = field(default_factory=dict)
    sha256: str = ""
    dataset: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "format": self.format,
            "items": self.items,
            "rows": self.rows,
            "declarations": self.declarations,
            "emptyItems": self.empty_items,
            "unreadable": self.unreadable,
            "filesRead": self.files_read,
            "carriers": dict(sorted(self.carriers.items())),
            "sha256": self.sha256,
            "dataset": self.dataset,
            "notes": list(self.notes),
        }


@dataclass(slots=True)
class _Gathered:
    items: dict[str, list[Entry]] = field(default_factory=dict)
    unfiled: list[Found] = field(default_factory=list)
    everywhere: list[Unreadable] = field(default_factory=list)
    files_read: int = 0


Progress = Callable[[int, int, str], None]
"""A progress callback: (files done, files in all, current name)."""


def output_format(out: Path) -> str:
    """`parquet` or `jsonl`, from the output's name; BuildError for anything else."""
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".jsonl":
        return "jsonl"
    raise BuildError(f"{out}: the output must end in .parquet or .jsonl")


def build_manifest(
    sources: list[Path],
    out: Path,
    *,
    dataset: str | None = None,
    progress: bool | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_progress: Progress | None = None,
) -> BuildSummary:
    """Read the sources and write the manifest `out` (.parquet or .jsonl); return a summary.

    progress: show a progress bar on stderr (None: only when stderr is a terminal).
    """
    kind = output_format(out)
    _check_dataset(dataset)
    if not sources:
        raise BuildError("no sources given")
    if not out.parent.is_dir():
        raise BuildError(f"{out}: the folder {out.parent} does not exist")
    if out.is_dir():
        raise BuildError(f"{out}: is a folder")
    for source in sources:
        if not source.exists() and not source.is_symlink():
            raise BuildError(f"{source}: no such file or folder")
    files = list(_plan(sources))
    show = sys.stderr.isatty() if progress is None else progress
    gathered = _Gathered()
    with _progress_bar(show, len(files)) as advance:
        for done, (root, path) in enumerate(files, start=1):
            _gather(root, path, gathered, max_bytes)
            advance(path)
            if on_progress is not None:
                on_progress(done, len(files), str(path))
    _file_unfiled(gathered, dataset)
    for marker in gathered.everywhere:
        for entries in gathered.items.values():
            entries.append(marker)
    summary = BuildSummary(str(out), kind, dataset=dataset, files_read=gathered.files_read)
    if gathered.everywhere and not gathered.items:
        summary.notes.append(
            f"{len(gathered.everywhere)} unreadable part(s) of the sources concern no known item"
        )
    try:
        if kind == "parquet":
            summary.rows = write_manifest(_rows(gathered, summary), out, dataset=dataset)
        else:
            _write_jsonl(gathered, out, summary)
    except (ManifestError, JsonlError) as error:
        raise BuildError(str(error)) from None
    summary.sha256 = _sha256_of(out)
    return summary


def _check_dataset(dataset: str | None) -> None:
    if dataset is None:
        return
    scheme, colon, rest = dataset.partition(":")
    if not colon or not rest or not scheme[:1].isalpha() or any(c.isspace() for c in dataset):
        raise BuildError(f"--dataset {dataset!r} is not an absolute IRI")


# --- which files -------------------------------------------------------------------------------


def _plan(sources: list[Path]) -> Iterator[tuple[Path | None, Path]]:
    """(folder root or None, file) for every file to read, in a stable order."""
    for source in sources:
        if source.is_dir():
            for path in _walk(source):
                yield source, path
        else:
            yield None, source


def _walk(root: Path) -> Iterator[Path]:
    """The content files of a folder: no hidden files, no sidecars, no way out through a link."""
    real_root = root.resolve()
    for folder, folders, names in os.walk(root, followlinks=False):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or name.endswith(SIDECAR_SUFFIX):
                continue
            path = Path(folder) / name
            if path.is_symlink():
                try:
                    real = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    continue
                if not real.is_relative_to(real_root) or not real.is_file():
                    continue
            elif not path.is_file():
                continue
            yield path


# --- reading -----------------------------------------------------------------------------------


def _gather(root: Path | None, path: Path, gathered: _Gathered, max_bytes: int) -> None:
    gathered.files_read += 1
    suffix = path.suffix.lower()
    if root is None and suffix == ".jsonl":
        _gather_jsonl(path, gathered)
    elif root is None and suffix == ".parquet":
        _gather_parquet(path, gathered)
    elif root is None and suffix in {".jsonld", ".json"}:
        _gather_jsonld(path, gathered)
    else:
        _gather_content(path, gathered, max_bytes)


def _gather_jsonl(path: Path, gathered: _Gathered) -> None:
    try:
        manifest = read_jsonl_manifest(path)
    except JsonlError as error:
        raise BuildError(str(error)) from None
    for key, founds in manifest.items.items():
        gathered.items.setdefault(key, []).extend(founds)
    gathered.unfiled.extend(manifest.unfiled)
    gathered.everywhere.extend(manifest.unreadable)


def _gather_parquet(path: Path, gathered: _Gathered) -> None:
    try:
        for index, row in enumerate(iter_rows(path)):
            entries = gathered.items.setdefault(row["item"], [])
            entry = entry_of(row, row_index=index)
            if entry is not None:
                entries.append(entry)
    except ManifestError as error:
        raise BuildError(str(error)) from None


def _gather_jsonld(path: Path, gathered: _Gathered) -> None:
    data = _read_limited(path, MAX_DOCUMENT_BYTES)
    if data is None:
        message = f"the file is larger than {MAX_DOCUMENT_BYTES} bytes"
        gathered.everywhere.append(Unreadable(str(path), message, "jsonld"))
        return
    result = read_jsonld(data, str(path), base=path.resolve().as_uri())
    gathered.everywhere.extend(result.unreadable)
    for found in result.found:
        keys = item_keys(found.declaration)
        if not keys:
            gathered.unfiled.append(found)
        for key in keys:
            gathered.items.setdefault(key, []).append(found)


def _gather_content(path: Path, gathered: _Gathered, max_bytes: int) -> None:
    """A content file: its item key is the hash of its bytes; read its carriers and sidecar."""
    try:
        digest, size, head = _hash_file(path)
    except OSError as error:
        raise BuildError(f"{path}: cannot be read ({error.strerror or error})") from None
    entries = gathered.items.setdefault(f"sha256:{digest}", [])
    kind = detect(head, path.name)
    if kind in CONTENT_KINDS:
        if size > max_bytes:
            message = f"{size} bytes: larger than {max_bytes}, its carriers were not read"
            entries.append(Unreadable(str(path), message))
        else:
            entries.extend(_carriers_of(path))
    entries.extend(_sidecar_of(path))


def _carriers_of(path: Path) -> list[Entry]:
    from aiconsent.readers.sources import SourceError, read_bytes

    try:
        data = path.read_bytes()
        result, _kind = read_bytes(data, str(path), base=path.resolve().as_uri())
    except SourceError as error:
        return [Unreadable(str(path), str(error))]
    except Exception as error:
        return [Unreadable(str(path), f"could not be read: {type(error).__name__}: {error}")]
    return [*result.found, *result.unreadable]


def _sidecar_of(path: Path) -> list[Entry]:
    from aiconsent.carriers.sidecar import SidecarError, read_sidecar, sidecar_path

    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return []
    try:
        result = read_sidecar(path)
    except SidecarError as error:
        return [Unreadable(str(sidecar), str(error), "sidecar")]
    return [*result.found, *result.unreadable]


def _hash_file(path: Path) -> tuple[str, int, bytes]:
    digest = hashlib.sha256()
    size = 0
    head = b""
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            if not head:
                head = chunk[:8192]
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, head


def _read_limited(path: Path, limit: int) -> bytes | None:
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise BuildError(f"{path}: cannot be read ({error.strerror or error})") from None
    return None if len(data) > limit else data


# --- filing ------------------------------------------------------------------------------------


def _file_unfiled(gathered: _Gathered, dataset: str | None) -> None:
    """File urlPattern/collection declarations under the known items they concern (§6.2 rule 1).

    A collection target naming the dataset covers every item. Otherwise the declaration is
    filed whole where a target matches the item, and with its permissions removed where no
    target can be compared with the item (a collection of unknown members, a URL pattern and
    an item known only by its hash): not knowing is never a permission.
    """
    for found in gathered.unfiled:
        declaration = found.declaration
        covers_all = dataset is not None and any(
            t.get("collection") == dataset for t in declaration.get("target", [])
        )
        for item, entries in gathered.items.items():
            if covers_all:
                entries.append(found)
                continue
            applying = about(declaration, _engine_item(item))
            if applying is declaration:
                entries.append(found)
            elif applying is not None:
                entries.append(Found(applying, found.source, found.carrier))


def _engine_item(item: str) -> str:
    """The item as the engine names it: the bare hex digest, or the URL."""
    return item.removeprefix("sha256:")


# --- writing -----------------------------------------------------------------------------------


def _rows(gathered: _Gathered, summary: BuildSummary) -> Iterator[dict[str, Any]]:
    seen_declarations: set[tuple[str, str | None, str | None]] = set()
    for item in sorted(gathered.items):
        entries = gathered.items[item]
        summary.items += 1
        if not entries:
            summary.empty_items += 1
            yield empty_row(item)
            continue
        for entry in entries:
            if isinstance(entry, Unreadable):
                summary.unreadable += 1
                yield unreadable_row(
                    item,
                    entry.message,
                    carrier=entry.carrier,
                    source=entry.source,
                    purposes=entry.purposes,
                )
                continue
            try:
                row = row_of(item, entry.declaration, carrier=entry.carrier, source=entry.source)
            except (ValueError, OverflowError, KeyError, TypeError) as error:
                # e.g. a date-time whose UTC instant falls outside the timestamp range
                summary.unreadable += 1
                message = f"declaration {entry.declaration.get('id')!r} cannot be stored: {error}"
                yield unreadable_row(item, message, carrier=entry.carrier, source=entry.source)
                continue
            key = (str(entry.declaration.get("id")), entry.carrier, entry.source)
            if key not in seen_declarations:
                seen_declarations.add(key)
                summary.declarations += 1
                summary.carriers[entry.carrier] = summary.carriers.get(entry.carrier, 0) + 1
            yield row


def _write_jsonl(gathered: _Gathered, out: Path, summary: BuildSummary) -> None:
    """JSON Lines: one line per declaration; no lines for empty items (spec §10.4.1).

    An unreadable marker cannot be tied to one item in JSON Lines, so it is written as a line
    that no reader accepts: every item of the manifest is then unreadable, as §10.4.1 says.
    """
    founds: list[Found] = []
    markers: list[str] = []
    for item in sorted(gathered.items):
        entries = gathered.items[item]
        summary.items += 1
        if not entries:
            summary.empty_items += 1
        for entry in entries:
            if isinstance(entry, Found):
                founds.append(entry)
            else:
                summary.unreadable += 1
                marker = {
                    "@context": V1_CONTEXT,
                    "type": "ConsentDeclaration",
                    "unreadable": entry.message,
                    "item": item,
                    "source": entry.source,
                }
                markers.append(json.dumps(marker, ensure_ascii=False, separators=(",", ":")))
    unique_markers = sorted(set(markers))
    summary.rows = write_jsonl_manifest(founds, out, extra_lines=unique_markers)
    summary.declarations = summary.rows - len(unique_markers)
    for found in {(_identity(f)): f for f in founds}.values():
        summary.carriers[found.carrier] = summary.carriers.get(found.carrier, 0) + 1
    if unique_markers:
        summary.notes.append(
            f"{len(unique_markers)} unreadable marker(s) written as unreadable lines: in JSON "
            "Lines they make every item unreadable (spec §10.4.1); Parquet keeps them to their item"
        )


def _identity(found: Found) -> tuple[str, str]:
    return json.dumps(found.declaration, sort_keys=True), found.carrier


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _progress_bar(show: bool, total: int) -> AbstractContextManager[Callable[[Path], None]]:
    if not show:
        return nullcontext(lambda _path: None)
    return _rich_progress(total)


class _rich_progress(AbstractContextManager[Callable[[Path], None]]):  # noqa: N801
    """A rich progress bar on stderr over the files of a build."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("reading", total=total)

    def __enter__(self) -> Callable[[Path], None]:
        self._progress.start()
        return self._advance

    def _advance(self, path: Path) -> None:
        self._progress.update(self._task, advance=1, description=f"reading {path.name[:40]}")

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()
