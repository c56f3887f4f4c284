"""Files and directories only their owner can read: ``0600`` / ``0700`` whatever the umask.

A node's evidence snippets and event logs carry the sensor's position (and
what it heard): they are created private. The umask can only remove
permission bits, so the mode asked of :func:`os.open` / :func:`os.mkdir` is
also set explicitly, on the open descriptor (no window in which the file is
readable by others) or on the new directory.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def open_fd(path: str | os.PathLike[str], flags: int, *, private: bool) -> int:
    """``os.open(path, flags | O_CREAT)``: a file it creates is ``0600`` when ``private``, else as the umask says.

    An existing file keeps its mode unless ``flags`` truncates it (then it is
    being rewritten by us and made private too).
    """
    existed = os.path.exists(path)
    fd = os.open(path, flags | os.O_CREAT, PRIVATE_FILE_MODE if private else 0o666)
    if private and (not existed or flags & os.O_TRUNC):
        os.fchmod(fd, PRIVATE_FILE_MODE)
    return fd


def make_dirs(path: str | os.PathLike[str], *, private: bool) -> Path:
    """Create ``path`` and its missing parents; those created are ``0700`` when ``private``.

    Existing directories are left as their owner set them.
    """
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=PRIVATE_DIR_MODE if private else 0o777, exist_ok=True)
        if private:
            os.chmod(d, PRIVATE_DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(f"{path}: not a directory")
    return path
