"""flash: of a lab router: a few files, 8 MB in all (EEM applets write there, `dir`/`more`/`delete` read it)."""
from __future__ import annotations

import datetime
import re
from typing import Any, Dict, Optional

FLASH_SIZE = 8 * 1024 * 1024


class Flash:
    """flash: of one router: a few files, 8 MB in all."""

    def __init__(self, boot: float, size: int = FLASH_SIZE) -> None:
        self.size = size
        self.files: Dict[str, Dict[str, Any]] = {
            "packages.conf": {"data": "#! /usr/binos/bin/packages_conf.sh\n" + "# lab image\n" * 560, "mtime": boot},
            "pnp-info": {"data": None, "mtime": boot},      # a directory
            "tracelogs": {"data": None, "mtime": boot},
        }
        self.next_index = 14

    def used(self) -> int:
        return sum(4096 if f["data"] is None else len(f["data"].encode("utf-8")) for f in self.files.values())

    def free(self) -> int:
        return max(0, self.size - self.used())

    def exists(self, name: str) -> bool:
        return name in self.files and self.files[name]["data"] is not None

    def write(self, name: str, text: str, now: float, append: bool = True) -> bool:
        """False (nothing written) when it does not fit."""
        old = self.files.get(name)
        base = old["data"] if old and append and old["data"] is not None else ""
        replaced = 0 if append or old is None or old["data"] is None else len(old["data"].encode("utf-8"))
        grow = len(text.encode("utf-8")) - replaced
        if grow > self.free():
            return False
        self.files[name] = {"data": base + text, "mtime": now, "index": (old or {}).get("index") or self._index()}
        return True

    def _index(self) -> int:
        self.next_index += 1
        return self.next_index

    def delete(self, name: str) -> bool:
        if not self.exists(name):
            return False
        del self.files[name]
        return True

    def dir_text(self, now: float, name: Optional[str] = None) -> str:
        rows = []
        for i, (fname, f) in enumerate(sorted(self.files.items())):
            if name is not None and fname != name:
                continue
            size = 4096 if f["data"] is None else len(f["data"].encode("utf-8"))
            when = datetime.datetime.fromtimestamp(f["mtime"], tz=datetime.timezone.utc)
            rows.append("%6d  %s %16d  %s  %s" % (f.get("index") or (11 + i), "drwx" if f["data"] is None else "-rw-",
                                                  size, when.strftime("%b %d %Y %H:%M:%S +00:00"), fname))
        if name is not None and not rows:
            return "%%Error opening flash:/%s (No such file or directory)" % name
        head = "Directory of flash:/%s" % (name or "")
        return "\n".join([head, ""] + rows + ["", "%d bytes total (%d bytes free)" % (self.size, self.free())])

    def state(self) -> Dict[str, Any]:
        return {"size": self.size, "free": self.free(),
                "files": {n: len(f["data"].encode("utf-8")) for n, f in self.files.items() if f["data"] is not None}}


def flash_path(arg: str) -> Optional[str]:
    """`flash:name`, `flash:/name`, `bootflash:name` -> name; None for another file system."""
    m = re.match(r"^(?:boot)?flash:/?([A-Za-z0-9_.-]*)$", arg.strip())
    return m.group(1) if m else None
