"""Folders published with renames, and what a killed run leaves behind.

A build publishes ``OUT/NAME/VERSION`` and an export publishes its ``--out`` folder the same way:
everything is written into ``.TARGET.tmp-PID`` next to the target, then renamed into place. With
``force`` an existing target is first renamed to ``.TARGET.old-PID`` and deleted once the new copy
is in place. A run killed (``kill -9``, power loss) leaves one of those two folders; the next run
in the same parent calls :func:`recover_interrupted`, which deletes a half-written ``tmp`` and puts
a complete ``old`` copy back when the new one never arrived.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from pathlib import Path

__all__ = ["TargetExistsError", "pid_alive", "recover_interrupted", "replace_dir"]

_LEFTOVER = re.compile(r"\.(?P<target>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)")


class TargetExistsError(FileExistsError):
    """Another run published the target between our check and our rename."""


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (ours counts; one we may not signal counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def recover_interrupted(parent: Path) -> list[Path]:
    """Clean up what killed runs left in ``parent``; returns the targets whose old copy was restored.

    Only leftovers of processes that no longer exist are touched, so a run in progress is safe.
    """
    restored: list[Path] = []
    if not parent.is_dir():
        return restored
    for entry in sorted(parent.iterdir()):
        match = _LEFTOVER.fullmatch(entry.name)
        if match is None or entry.is_symlink() or not entry.is_dir() or pid_alive(int(match["pid"])):
            continue
        target = parent / match["target"]
        if match["kind"] == "old" and not os.path.lexists(target):
            # Killed between the two renames of a forced publish: the old copy is complete, the new one absent.
            entry.rename(target)
            restored.append(target)
        else:
            shutil.rmtree(entry, ignore_errors=True)
    return restored


def replace_dir(tmp_dir: Path, target: Path, *, force: bool = True) -> None:
    """Rename ``tmp_dir`` to ``target``; with ``force`` an existing target is replaced.

    Raises
    ------
    TargetExistsError
        ``target`` exists and ``force`` is False, or another run published it while this one was
        renaming (a rename onto a non-empty directory fails with ENOTEMPTY or EEXIST).
    """
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    try:
        if force and target.exists():
            with contextlib.suppress(FileNotFoundError):  # another forced run moved it first
                os.rename(target, old)
        os.rename(tmp_dir, target)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise TargetExistsError(errno.EEXIST, "published by another run", str(target)) from None
        raise
    finally:
        if old.exists() and not target.exists():
            os.rename(old, target)  # our rename failed: put the previous copy back
    if old.exists():
        shutil.rmtree(old)
