"""Run the pipeline's CLI and kill it with SIGKILL just before its N-th file replacement.

Test-only (tests/test_crash_points.py). Every file the pipeline writes goes through
`post.write_atomic`, which ends in `os.replace`; replacing `os.replace` here, in this
process only, puts a kill at each write boundary without a hook in the pipeline's code.

Environment: CRASH_LOG (a file: each replaced path is appended, one a line, before the
replacement), CRASH_AT (1-based number of the replacement to die before; 0 or unset: none).
Arguments: the CLI's own, as for `python -m pipeline`.
"""

from __future__ import annotations

import os
import signal
import sys

_real_replace = os.replace
_log = os.environ["CRASH_LOG"]
_at = int(os.environ.get("CRASH_AT") or 0)
_count = 0


def _replace(src: str, dst: str, *args: object, **kwargs: object) -> None:
    global _count
    _count += 1
    with open(_log, "a", encoding="utf-8") as log:
        log.write(f"{os.fspath(dst)}\n")
    if _count == _at:
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # no handler, no cleanup: the temp file stays
    _real_replace(src, dst, *args, **kwargs)  # type: ignore[arg-type]


os.replace = _replace  # type: ignore[assignment]

from pipeline.cli import app  # noqa: E402 - after the patch, though write_atomic looks it up at call time

app(prog_name="pipeline")
