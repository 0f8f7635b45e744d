"""Safe file output: :func:`atomic_path` writes a file whole (under a temporary name in the
same folder, then renamed into place, so a reader or an interrupted run never sees half a
file), :func:`staged_folder` does the same for a folder of files (``--out``), and
:func:`writable_folder` checks an output folder before any work is done.

``graphs`` writes figures and BIF files this way, and ``zoo`` (reports, data, the CLI and the
example scripts) imports both from here, since ``graphs`` cannot import ``zoo``.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import GraphError


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; rename it to ``path`` when the block
    ends normally, remove it when the block raises (Ctrl-C included). Temporaries of
    ``path`` that killed processes left are removed first."""
    path = Path(path)
    remove_stale(path.parent, path.name)  # what a killed write of this file left
    tmp = _temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: the names of temporary files and folders: ``.NAME.PID.HEX.tmp``
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp")


def _temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


def remove_stale(folder: str | os.PathLike[str], name: str | None = None) -> list[str]:
    """Remove the temporaries that killed runs left in ``folder`` (only those of ``name``
    when given): names of the form ``.NAME.PID.HEX.tmp`` whose process is gone. A live
    process's temporaries are left alone. Returns the names removed."""
    removed: list[str] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        found = _TEMPORARY.fullmatch(entry.name)
        if not found or (name is not None and found["name"] != name):
            continue
        if _alive(int(found["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry.name)
    return removed


def no_space(err: BaseException) -> bool:
    """Whether ``err`` says the disk (or the user's quota) is full."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "No space left on device" in str(err)


@contextmanager
def staged_folder(
    path: str | os.PathLike[str], option: str = "--out", last: tuple[str, ...] = ()
) -> Iterator[Path]:
    """Yield an empty folder beside ``path`` to write into; when the block ends normally
    its contents move into ``path``, when it raises (Ctrl-C included) it is removed and
    ``path`` is as it was. Stale temporaries of killed runs, beside ``path`` and in it, are
    removed first.

    A ``path`` that does not exist (or is empty) is replaced by the whole folder in one
    rename; into a folder that holds other files, each file is renamed into place, those
    named in ``last`` (the record that names the rest) at the end. A full disk is a
    ``GraphError`` naming ``option``, with nothing left behind.
    """
    out = Path(path).absolute()
    made = [p for p in [out.parent, *out.parent.parents] if not p.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out.parent, out.name)
    if out.is_dir():
        remove_stale(out)
    stage = _temporary_name(out)
    stage.mkdir()
    try:
        yield stage
        _swap_in(stage, out, last)
    except BaseException as err:
        shutil.rmtree(stage, ignore_errors=True)
        for folder in made:  # the parents made for it, innermost first, if still empty
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(err, Exception) and no_space(err):
            raise GraphError(
                f"{option} {str(path)!r}: no space left on the device; nothing was written"
            ) from err
        raise


def _swap_in(stage: Path, out: Path, last: tuple[str, ...]) -> None:
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        os.rename(stage, out)
        return
    entries = sorted(stage.iterdir(), key=lambda e: (e.name in last, e.name))
    for entry in entries:
        target = out / entry.name
        if entry.is_dir() and target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)  # a folder of ours (the saved data) from an earlier run
        os.replace(entry, target)
    stage.rmdir()


def writable_folder(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """``path`` as a folder that is, or can be created, writable: checked before any work,
    so a bad ``option`` fails at once and writes nothing. ``ValueError`` names the problem."""
    out = Path(path)
    probe = out
    while not probe.exists() and probe.parent != probe:  # the nearest existing ancestor
        probe = probe.parent
    if not probe.is_dir():
        raise GraphError(f"{option} {str(path)!r}: {str(probe)!r} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise GraphError(f"{option} {str(path)!r}: {str(probe)!r} is not writable")
    return out


__all__ = ["atomic_path", "no_space", "remove_stale", "staged_folder", "writable_folder"]
