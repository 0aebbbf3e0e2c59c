"""Atomic, symlink-safe writes: the original survives any failure, and nothing leaves its folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aiconsent.carriers import safe_write
from aiconsent.carriers.safe_write import (
    SafeWriteError,
    UnsafeTargetError,
    atomic_write,
    check_target,
)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_a_new_file(tmp_path: Path) -> None:
    target = tmp_path / "new.html"
    assert atomic_write(target, b"hello") == target.resolve()
    assert target.read_bytes() == b"hello"
    assert leftovers(tmp_path) == []


def test_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_symlink_inside_the_folder_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.html"
    real.write_bytes(b"old")
    link = tmp_path / "link.html"
    link.symlink_to("real.html")
    assert check_target(link) == real.resolve()
    atomic_write(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_bytes(b"do not touch")
    folder = tmp_path / "site"
    folder.mkdir()
    link = folder / "page.html"
    link.symlink_to(secret)
    with pytest.raises(UnsafeTargetError, match="out of its folder"):
        atomic_write(link, b"pwned")
    assert secret.read_bytes() == b"do not touch"
    relative = folder / "up.html"
    relative.symlink_to("../outside/secret.txt")
    with pytest.raises(UnsafeTargetError):
        check_target(relative)
    dangling = folder / "dangling.html"
    dangling.symlink_to("/nonexistent-aiconsent-folder/x")
    with pytest.raises(UnsafeTargetError):
        check_target(dangling)


def test_symlink_loop_is_refused(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.symlink_to("b")
    b.symlink_to("a")
    with pytest.raises(UnsafeTargetError):
        check_target(a)


def test_folders_and_missing_parents_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeTargetError, match="folder"):
        atomic_write(tmp_path, b"x")
    (tmp_path / "sub").mkdir()
    with pytest.raises(UnsafeTargetError, match="folder"):
        atomic_write(tmp_path / "sub", b"x")
    with pytest.raises(UnsafeTargetError, match="does not exist"):
        atomic_write(tmp_path / "missing" / "page.html", b"x")
    plain = tmp_path / "file"
    plain.write_bytes(b"x")
    with pytest.raises(UnsafeTargetError):
        atomic_write(plain / "child", b"x")
    assert issubclass(UnsafeTargetError, ValueError)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_special_files_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeTargetError, match="regular file"):
        atomic_write(fifo, b"x")


@pytest.mark.parametrize("where", ["fsync", "replace", "write"])
def test_injected_failure_leaves_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    target = tmp_path / "page.html"
    original = b"<html>\x00\xff original bytes</html>"
    target.write_bytes(original)

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if where == "fsync":
        monkeypatch.setattr(safe_write.os, "fsync", fail)
    elif where == "replace":
        monkeypatch.setattr(safe_write.os, "replace", fail)
        monkeypatch.setattr(Path, "replace", fail)
    else:
        real_fdopen = os.fdopen

        class Broken:
            def __init__(self, descriptor: int, mode: str) -> None:
                self.handle = real_fdopen(descriptor, mode)

            def __enter__(self) -> Broken:
                return self

            def __exit__(self, *exc: object) -> None:
                self.handle.close()

            def write(self, data: bytes) -> int:
                self.handle.write(data[:3])
                raise OSError(5, "Input/output error")

        monkeypatch.setattr(safe_write.os, "fdopen", Broken)
    with pytest.raises(SafeWriteError, match="could not write"):
        atomic_write(target, b"new content that must not appear")
    assert target.read_bytes() == original
    assert leftovers(tmp_path) == []
