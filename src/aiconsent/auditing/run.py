"""`audit()`: judge every item of a manifest, count the outcomes, write what was asked for.

The driver only orchestrates: an engine decides each item (the Python reference, DuckDB or
Spark — they must agree), totals.py counts, allowed.py and report.py write. Intermediate files
live in a temporary folder, so a failed audit leaves nothing behind and changes no input.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

from aiconsent.auditing.question import DEFAULT_ENGINE, ENGINES, AuditError, question_of
from aiconsent.auditing.totals import compute_totals, file_sha256
from aiconsent.carriers.safe_write import SafeWriteError
from aiconsent.dates import parse_datetime
from aiconsent.engine.policy import Policy, PolicyError
from aiconsent.manifests.layout import ManifestRowError
from aiconsent.manifests.parquet import ManifestError, dataset_of, open_manifest

_ENGINE_MODULES: Final = {
    "python": "aiconsent.auditing.python_engine",
    "duckdb": "aiconsent.auditing.duckdb_engine",
    "spark": "aiconsent.auditing.spark_engine",
}
_PARQUET_MAGIC: Final = b"PAR1"


class Progress(Protocol):
    def __call__(self, done: int, /) -> None: ...


@dataclass(frozen=True, slots=True)
class AuditResult:
    """What an audit found: the totals (the JSON document) and the files it wrote."""

    totals: dict[str, Any]
    decisions: Path | None = None
    allowed: Path | None = None
    allowed_rows: int | None = None
    report: Path | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def all_allowed(self) -> bool:
        """True when no item is denied or unknown (the CLI's exit 0)."""
        counts = self.totals["decisions"]
        return bool(counts["denied"] == 0 and counts["unknown"] == 0)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `aiconsent audit --format json` (keys sorted, so output is stable)."""
        ordered: dict[str, Any] = _sorted(self.totals)
        return ordered


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def is_parquet(path: Path) -> bool:
    """Whether the file starts with Parquet's magic bytes (content decides, not the name)."""
    with path.open("rb") as handle:
        return handle.read(4) == _PARQUET_MAGIC


def _check_input(manifest: Path) -> None:
    if not manifest.exists():
        raise AuditError(f"{manifest}: no such file")
    if manifest.is_dir():
        raise AuditError(f"{manifest}: is a folder, not a manifest file")


@contextmanager
def parquet_manifest(manifest: Path, scratch: Path) -> Iterator[Path]:
    """The manifest as a checked Parquet file: itself, or a JSON Lines manifest converted.

    Raises AuditError naming the file when it is neither a Parquet manifest nor JSON Lines.
    """
    _check_input(manifest)
    try:
        if is_parquet(manifest):
            open_manifest(manifest)
            yield manifest
            return
    except OSError as error:
        raise AuditError(f"{manifest}: cannot be read ({error.strerror or error})") from None
    except ManifestError as error:
        raise AuditError(str(error)) from None
    converted = scratch / "manifest.parquet"
    try:
        _convert_jsonl(manifest, converted)
    except OSError as error:
        raise AuditError(f"{manifest}: cannot be read ({error.strerror or error})") from None
    yield converted


def _looks_like_json_lines(path: Path) -> bool:
    """Whether the file's first non-blank byte opens a JSON object (a JSON Lines manifest)."""
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def _convert_jsonl(manifest: Path, out: Path) -> None:
    """Convert a JSON Lines manifest (spec §10.4.1) to the Parquet layout for the engines.

    The manifests package files each line under its items and turns broken lines into
    unreadable markers for every item (spec §10.4.1), exactly as `manifest build` does.
    """
    if not _looks_like_json_lines(manifest):
        raise AuditError(f"{manifest}: not an item manifest (neither Parquet nor JSON Lines)")
    from aiconsent.manifests.build import build_manifest

    source = manifest
    if manifest.suffix.lower() != ".jsonl":  # the builder tells manifests from content by name
        source = out.parent / "manifest.jsonl"
        source.symlink_to(manifest.resolve())
    try:
        build_manifest([source], out, progress=False)
    except (ManifestError, ManifestRowError, ValueError) as error:
        raise AuditError(f"{manifest}: not a usable JSON Lines manifest: {error}") from None


def moment_of(at: datetime | str | None) -> datetime:
    """T from the user: a date-time with an offset (RFC 3339), or now."""
    if at is None:
        return datetime.now(UTC).replace(microsecond=0)
    if isinstance(at, datetime):
        return at
    try:
        moment = parse_datetime(at)
    except ValueError:
        raise AuditError(
            f"{at!r} is not an RFC 3339 date-time, e.g. 2026-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise AuditError(f"{at!r} needs a time zone, e.g. 2026-01-01T00:00:00Z")
    return moment


def _engine(name: str) -> Any:
    if name not in ENGINES:
        raise AuditError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    try:
        return importlib.import_module(_ENGINE_MODULES[name])
    except ImportError as error:
        raise AuditError(f"the {name} engine is not available here: {error}") from None


def format_instant(moment: datetime) -> str:
    """An RFC 3339 instant in UTC with `Z`, as every JSON output writes it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def audit(
    manifest: Path | str,
    *,
    purposes: Sequence[str] | str,
    jurisdiction: str | None = None,
    at: datetime | str | None = None,
    policy: str | Path | Policy = "opt-in",
    engine: str = DEFAULT_ENGINE,
    write_allowed: Path | str | None = None,
    report: Path | str | None = None,
    decisions_out: Path | str | None = None,
    progress: Progress | None = None,
    title: str | None = None,
) -> AuditResult:
    """Audit a manifest (Parquet or JSON Lines) for the purposes; see AuditResult.

    Raises AuditError (a ValueError) for bad input, naming the file or option: nothing is
    written then, and no input file is ever modified.
    """
    from aiconsent.auditing.allowed import allowed_format
    from aiconsent.auditing.allowed import write_allowed as write_allowed_file
    from aiconsent.auditing.report import write_report

    path = Path(manifest)
    _check_input(path)
    allowed_out = Path(write_allowed) if write_allowed is not None else None
    report_out = Path(report) if report is not None else None
    if allowed_out is not None:
        try:
            allowed_format(allowed_out)
        except ValueError as error:
            raise AuditError(str(error)) from None
    try:
        chosen = purposes if isinstance(purposes, str) else list(purposes)
        question = question_of(chosen, jurisdiction=jurisdiction, at=moment_of(at), policy=policy)
    except PolicyError as error:
        raise AuditError(str(error)) from None
    module = _engine(engine)
    with tempfile.TemporaryDirectory(prefix="aiconsent-audit-") as folder:
        scratch = Path(folder)
        with parquet_manifest(path, scratch) as parquet:
            decisions = Path(decisions_out) if decisions_out is not None else scratch / "d.parquet"
            try:
                module.decide(parquet, question, decisions, progress=progress)
            except ManifestError as error:
                raise AuditError(str(error)) from None
            totals: dict[str, Any] = {
                "manifest": str(path),
                "sha256": file_sha256(path),
                "engine": engine,
                "purposes": list(question.purposes),
                "jurisdiction": question.jurisdiction,
                "at": format_instant(question.at),
                "policy": question.policy.name,
            }
            totals.update(compute_totals(parquet, decisions))
            totals = _sorted(totals)
            allowed_rows = None
            try:
                if allowed_out is not None:
                    allowed_rows = write_allowed_file(parquet, decisions, allowed_out)
                if report_out is not None:
                    write_report(
                        report_out,
                        totals,
                        title=title,
                        dataset=dataset_of(parquet),
                        version=_version(),
                    )
            except (SafeWriteError, ManifestRowError, ManifestError) as error:
                raise AuditError(str(error)) from None
    return AuditResult(
        totals,
        decisions=Path(decisions_out) if decisions_out is not None else None,
        allowed=allowed_out,
        allowed_rows=allowed_rows,
        report=report_out,
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aiconsent")
    except PackageNotFoundError:
        return "0+unknown"
