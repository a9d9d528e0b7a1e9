"""Writing a file so that a reader never sees half of it: into a temporary file beside
it, then renamed over it. The one place that knows the dance, for the CLI's outputs
and the simulator's per-deal records alike (neither may depend on the other)."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from typing import IO, Any, Iterator

__all__ = ["atomic_file"]


@contextmanager
def atomic_file(path: str, *, text: bool = False, keep_mode: bool = True
                ) -> Iterator[IO[Any]]:
    """A file handle whose contents replace `path` when the block ends without an
    exception; on one, `path` is left as it was and the temporary file is removed.

    Binary unless `text` (then UTF-8 with newlines untranslated, as `csv` wants). The
    new file gets the permissions of the one it replaces when `keep_mode`, else (and
    for a new file) 0o644 rather than mkstemp's private 0o600."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".funnelc-", dir=folder)
    try:
        with (os.fdopen(fd, "w", newline="", encoding="utf-8") if text
              else os.fdopen(fd, "wb")) as fh:
            yield fh
        if keep_mode and os.path.exists(path):
            try:
                os.chmod(tmp, os.stat(path).st_mode & 0o7777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
