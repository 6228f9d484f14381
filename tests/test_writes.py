"""What a run leaves on disk besides the text: file modes, and the lock that makes two runs
on one tree take turns."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SAMPLES, make_site, run_cli

from pipeline.post import write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> object:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path: Path, umask_022: None) -> None:
    write_atomic(tmp_path / "new.md", b"x")
    assert _mode(tmp_path / "new.md") == 0o644


def test_a_replaced_file_keeps_its_own_mode(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "old.md"
    target.write_bytes(b"old")
    target.chmod(0o664)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and _mode(target) == 0o664


def test_editions_state_and_reports_are_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    make_site(tmp_path, SAMPLES[:1])
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "pseudo", "--report", "report.json", "--summary", "summary.md")
    assert result.exit_code == 0, result.stderr
    name = SAMPLES[0].name
    written = [
        tmp_path / "content" / "en" / name,
        tmp_path / "translations" / f"{name}.json",
        tmp_path / "report.json",
        tmp_path / "summary.md",
        tmp_path / ".cache" / "pipeline" / "last-run.json",
    ]
    assert {str(p.relative_to(tmp_path)): oct(_mode(p)) for p in written} == {
        str(p.relative_to(tmp_path)): oct(0o644) for p in written
    }


def test_two_runs_with_different_cache_folders_still_take_turns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock guards the editions and the state, so it lives with them, not in the cache."""
    from pipeline.cli.common import run_lock
    from pipeline.config import load_settings, replace

    make_site(tmp_path, SAMPLES[:1])
    monkeypatch.chdir(tmp_path)
    holder = replace(load_settings(), cache_dir=Path("cache-a"))
    with run_lock(holder):
        second = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "translate", "--engine", "pseudo", "--cache-dir", "cache-b"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # The second run says it waits, then waits: read its first line (however slow the
        # machine is to start Python), then stop it.
        assert second.stderr is not None
        first_line = second.stderr.readline()
        second.kill()
        _, stderr = second.communicate()
        stderr = first_line + stderr
        assert "another pipeline run holds" in stderr, stderr
        assert not (tmp_path / "content" / "en").exists(), "the second run wrote while the first held the lock"
