"""The previous version of a file, from git.

Review compares the working tree with a revision (HEAD by default: CI runs `translate`,
then `review`, before committing). Outside a git repository, or for a file that did not
exist at the revision, there is no previous version: everything shows as new.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import ConfigError


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.SubprocessError):  # git missing, or the folder is gone
        return None


def show(path: Path, rev: str) -> bytes | None:
    """The bytes of `path` at `rev`, or None (no repository, no such revision or file)."""
    if not path.parent.is_dir():
        return None
    done = _git(["show", f"{rev}:./{path.name}"], path.parent)
    return done.stdout if done is not None and done.returncode == 0 else None


def find_version(path: Path, rev: str, wanted: Callable[[bytes], bool], limit: int = 50) -> bytes | None:
    """The newest version of `path` at or before `rev` that `wanted` accepts, looking back
    through at most `limit` commits that touched it; None if there is none.

    The edition at `rev` may have been built from an older source than the one at `rev`
    (an editor commits the changed Japanese, CI translates it afterwards): the source
    diff a reviewer needs is against the version the old English was made from.
    """
    if not path.parent.is_dir():
        return None
    done = _git(["log", "--format=%H", "-n", str(limit), rev, "--", f"./{path.name}"], path.parent)
    if done is None or done.returncode != 0:
        return None
    for commit in done.stdout.decode().split():
        raw = show(path, commit)
        if raw is not None and wanted(raw):
            return raw
    return None


def in_repository(cwd: Path) -> bool:
    done = _git(["rev-parse", "--is-inside-work-tree"], cwd)
    return done is not None and done.returncode == 0 and done.stdout.strip() == b"true"


def has_commit(rev: str, cwd: Path) -> bool:
    """Whether `rev` names a commit (False in a repository without commits yet)."""
    done = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd)
    return done is not None and done.returncode == 0


def verify(rev: str, cwd: Path) -> str:
    """`rev` if it names a commit; a ConfigError that says why otherwise."""
    if not in_repository(cwd):
        raise ConfigError(f"--since {rev}: {cwd.resolve()} is not inside a git repository")
    if not has_commit(rev, cwd):
        raise ConfigError(f"--since {rev}: git knows no such revision (try HEAD~1, a branch or a commit id)")
    return rev


def changed_since(rev: str, folders: list[Path], cwd: Path) -> list[Path]:
    """Files under `folders` that differ between `rev` and the working tree, untracked
    ones included, as paths relative to `cwd`."""
    names = [f.as_posix() for f in folders]
    found: list[Path] = []
    for args in (
        ["diff", "--name-only", "--relative", "-z", rev, "--", *names],
        ["ls-files", "--others", "--exclude-standard", "-z", "--", *names],
    ):
        done = _git(args, cwd)
        if done is None or done.returncode != 0:
            raise ConfigError(f"git {args[0]} failed: {done.stderr.decode(errors='replace').strip() if done else 'git not found'}")
        found += [Path(n) for n in done.stdout.decode("utf-8", errors="surrogateescape").split("\0") if n]
    return list(dict.fromkeys(found))
