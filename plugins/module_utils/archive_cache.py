# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read an archive once, and let every router's task of a run use that reading.

The check role asks for the archive once per router, possibly many at the
same time (forks). The first call reads it into a work folder under a lock;
the others wait for the lock and find the folder ready. A folder is reused
only for exactly the same files (path, size, modification time, inode), the
same ``year`` and hour (the year rule depends on the date), and the same
parser code; folders unused for a day are removed. The cache folder must be
the caller's own and closed to others (0700), since events carry addresses.
"""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Dict, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils import archive
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

_MAX_AGE = 86400


def default_cache_dir() -> str:
    return os.path.join(tempfile.gettempdir(), "netops-ipsec-spi-archive-%d" % os.getuid())


def _private_dir(path: str) -> str:
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError as exc:
        raise ParseError("cache folder %s cannot be used: %s" % (path, exc.strerror or exc)) from None
    if not os.path.isdir(path) or os.path.islink(path):
        raise ParseError("cache folder %s is not a folder" % path)
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ParseError("cache folder %s must belong to this user and be closed to others (mode 0700)" % path)
    return path


def _code_digest() -> str:
    """Of the code that decides what an index holds: a changed parser never reuses an old reading.

    From the modules' source as their loader gives it: a module runs from a
    different (zipped) place on every call, so paths would not do.
    """
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers.syslog import fast, header, scanner, zones
    from ansible_collections.netops.ipsec_spi.plugins.module_utils.parsers import syslog

    digest = hashlib.sha256()
    for module in (archive, syslog, fast, header, scanner, zones):
        try:
            digest.update(inspect.getsource(module).encode())
        except (OSError, TypeError):
            digest.update(module.__name__.encode())
    return digest.hexdigest()


def signature(spec: Any, year: Any, now: float, keep_recent: int) -> str:
    files, problems = archive.archive_files(spec)
    stats = []
    for path in files:
        try:
            info = os.stat(path)
            stats.append([path, info.st_size, info.st_mtime_ns, info.st_ino])
        except OSError as exc:
            stats.append([path, str(exc)])
    # the buckets are marshalled: only the same interpreter version may read them
    text = json.dumps([archive.INDEX_VERSION, sys.version, _code_digest(), stats, [p["file"] for p in problems],
                       year, int(now // 3600), keep_recent])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _prune(cache_dir: str, keep: str) -> None:
    limit = time.time() - _MAX_AGE
    for name in os.listdir(cache_dir):
        if name.startswith(keep):
            continue
        path = os.path.join(cache_dir, name)
        try:
            if os.lstat(path).st_mtime < limit:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
        except OSError:
            continue  # another run removed it first


def open_index(spec: Any, cache_dir: Optional[str] = None, year: Any = None, now: Optional[float] = None,
               keep_recent: int = 0, chunk: Optional[int] = None) -> Tuple[str, Dict[str, Any], bool]:
    """(work folder, summary, read now?) of an archive, read at most once for the same files."""
    now = time.time() if now is None else now
    cache_dir = _private_dir(cache_dir or default_cache_dir())
    key = signature(spec, year, now, keep_recent)
    folder = os.path.join(cache_dir, key)
    with open(os.path.join(cache_dir, key + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            index = os.path.join(folder, "index.json")
            if os.path.isfile(index):
                with open(index, encoding="utf-8") as handle:
                    summary = json.load(handle)
                os.utime(folder)
                return folder, summary, False
            work = tempfile.mkdtemp(prefix=key + ".tmp-", dir=cache_dir)
            try:
                summary = archive.read_archive(spec, work, year=year, now=now, keep_recent=keep_recent, chunk=chunk)
                os.rename(work, folder)
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise
            _prune(cache_dir, key)
            return folder, summary, True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
