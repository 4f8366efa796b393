"""Files written so that a crash or a kill never leaves a half-written one, and file checksums.

The one home of both: the index's CURRENT pointer, model weights assembled from packages or
de-quantised, embedding caches and shards, and checksums of inputs and weights all go through here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def replacing(target: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A fresh temporary path beside `target` to write; when the block ends without error it is
    flushed to disk and renamed over `target` in one step, else removed. Readers see the old file
    or the new one, never a part."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _sync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def replacing_folder(target: str | Path) -> Iterator[Path]:
    """`replacing` for a folder: fill the yielded fresh folder beside `target`; when the block ends
    without error it takes `target`'s place (an old one is moved aside first, then removed), else
    it is removed. Readers never see a half-filled folder under `target`'s name."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=target.name + ".tmp"))
    old = target.with_name(tmp.name + ".old")
    try:
        yield tmp
        tmp.chmod(0o755)  # mkdtemp's folder is private; the folder it replaces was not
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        _sync_dir(target.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def write_atomic(target: str | Path, data: bytes | str) -> None:
    """Replace `target` with `data` (text is written as UTF-8) atomically."""
    with replacing(target) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _sync_dir(folder: Path) -> None:
    """Make the rename itself durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
