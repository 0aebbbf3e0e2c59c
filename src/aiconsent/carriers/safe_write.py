"""Writing next to or into content without ever damaging it: the helpers every carrier uses.

A carrier rewrites files people care about (their pages, their photos), so a write is atomic — a
temporary file in the same folder, fsync, then os.replace — and on any failure the original stays
byte-identical. A symlink is followed only while it stays in the target's folder: attaching
consent to `page.html` must never rewrite a file somewhere else on the system.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


class SafeWriteError(ValueError):
    """A write that was refused or failed; the original file, if any, is unchanged."""


class UnsafeTargetError(SafeWriteError):
    """The target is a folder, has no parent folder, or is a symlink leading out of its folder."""


def check_target(path: Path) -> Path:
    """The real file a write to `path` would replace; raise UnsafeTargetError if it is unsafe.

    The result is in the same folder as `path` (a symlink inside the folder is followed, so the
    link survives the write); it may not exist yet.
    """
    path = Path(path)
    if not path.name or path.name in (".", ".."):
        raise UnsafeTargetError(f"{path}: not a file name")
    folder = path.parent
    try:
        real_folder = folder.resolve(strict=True)
    except (OSError, RuntimeError) as error:
        raise UnsafeTargetError(f"{path}: the folder {folder} does not exist") from error
    if not real_folder.is_dir():
        raise UnsafeTargetError(f"{path}: {folder} is not a folder")
    target = real_folder / path.name
    if target.is_symlink():
        try:
            real = target.resolve(strict=False)
        except (OSError, RuntimeError) as error:  # a loop of links
            raise UnsafeTargetError(f"{path}: the symlink cannot be resolved") from error
        if real.parent != real_folder:
            raise UnsafeTargetError(f"{path}: a symlink leading out of its folder ({real})")
        target = real
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return target
    except OSError as error:
        raise UnsafeTargetError(f"{path}: {error.strerror or error}") from error
    if stat.S_ISDIR(mode):
        raise UnsafeTargetError(f"{path}: is a folder")
    if not stat.S_ISREG(mode):
        raise UnsafeTargetError(f"{path}: not a regular file")
    return target


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; not every platform lets a folder be opened, which is harmless."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _mode_for(target: Path) -> int:
    """The existing file's permissions, or what a new file gets under the current umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, data: bytes) -> Path:
    """Replace `path` with `data` all at once; return the file actually written.

    Raises UnsafeTargetError for an unsafe target and SafeWriteError when writing fails; in both
    cases the original is untouched and no temporary file is left behind.
    """
    target = check_target(path)
    mode = _mode_for(target)
    temporary: str | None = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(target)
        temporary = None
    except OSError as error:
        raise SafeWriteError(f"{path}: could not write: {error.strerror or error}") from error
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
    _fsync_folder(target.parent)
    return target


def atomic_produce(path: Path, produce: Callable[[Path], None]) -> Path:
    """Replace `path` with a file that `produce` writes at a temporary path beside it.

    For large content (a 200 MB TIFF or PDF) that a library can write to a file without
    holding it in memory. `produce` may raise anything; the original is then untouched and no
    temporary file is left behind. Returns the file actually written.
    """
    target = check_target(path)
    mode = _mode_for(target)
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(descriptor)
    temporary = Path(name)
    replaced = False
    try:
        produce(temporary)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        temporary.chmod(mode)
        temporary.replace(target)
        replaced = True
    except OSError as error:
        raise SafeWriteError(f"{path}: could not write: {error.strerror or error}") from error
    finally:
        if not replaced:
            with contextlib.suppress(OSError):
                temporary.unlink()
    _fsync_folder(target.parent)
    return target
