"""The machine a run measured on, recorded beside its figures (a ratio from a loaded 2-core
box reads differently from one on an idle workstation)."""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.inputs import REPO


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import markdown_it

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "markdown_it_py": markdown_it.__version__,
        "temp_dir": tempfile.gettempdir(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "commit": commit(),
    }


def commit() -> str | None:
    """The checked-out commit (read-only `git rev-parse`); None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
