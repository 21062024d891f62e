"""Write files so a reader never sees half of one: a temp file in the same folder, then an atomic rename.

A process killed between the two (SIGKILL, power loss) leaves its temp file behind. Temp names carry the
writer's host and process id, so the next write to the same target removes the ones whose process is gone.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from lccode.errors import InputError

# Temp files of versions before the owner was in the name: removed once clearly abandoned.
_OLD_TEMP_AGE_S = 24 * 3600


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"


def clean_stale_temps(target: Path) -> list[Path]:
    """Remove temp files beside `target` that a dead writer of this host left; returns what was removed."""
    removed = []
    own = re.compile(rf"\.{re.escape(target.name)}\.(?:(?P<host>[A-Za-z0-9-]+)-(?P<pid>\d+)\.)?[\w-]+\.tmp")
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for p in entries:
        m = own.fullmatch(p.name)
        if not m:
            continue
        try:
            if m.group("pid"):
                stale = m.group("host") == _host() and not process_alive(int(m.group("pid")))
            else:
                stale = time.time() - p.stat().st_mtime > _OLD_TEMP_AGE_S
            if stale:
                p.unlink()
                removed.append(p)
        except OSError:  # gone already, or not ours to remove
            pass
    return removed


def _file_in_the_way(path: Path) -> Path | None:
    """The first existing part of `path`'s folders that is a file, not a folder."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def check_file_target(path: str | Path) -> Path:
    """A path a file can be written to, checked before the work that produces the file rather than after it."""
    path = Path(path)
    if path.is_dir():
        raise InputError("this is a folder, not a file to write", file=path, expected="a file name",
                         fix=f"add the name of the file to write, e.g. {path / 'NAME'}")
    blocker = _file_in_the_way(path)
    if blocker is not None:
        raise InputError(f"{blocker} is a file, so nothing can be written inside it", file=path,
                         expected="a path whose folders are folders", fix="choose a path in an existing folder")
    return path


def check_folder_target(path: str | Path) -> Path:
    """A path a folder can be made at (or an existing folder), checked before the work that fills it."""
    path = Path(path)
    blocker = path if path.exists() and not path.is_dir() else _file_in_the_way(path)
    if blocker is not None:
        raise InputError(f"{blocker} is a file; a folder is to be written here", file=path,
                         expected="a folder, existing or new", fix="choose a folder name that is not a file")
    return path


@contextmanager
def atomic_path(target: str | Path):
    """Yields a temp path beside `target`; renamed onto it only if the block finishes without an error."""
    target = check_file_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{_host()}-{os.getpid()}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes files private (0600); outputs are meant to be shared
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text_atomic(target: str | Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
