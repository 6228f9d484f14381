"""A source tree with traps in it: symlink loops, symlinks out of the tree or to devices, a
FIFO and a directory named like posts, a second path to a post. Every command reads posts
through one confined reader: each trap is one clear line naming the file, no command hangs
or reads gigabytes, nothing outside the tree is echoed, and the real posts still work.

Commands run in a subprocess with a timeout: a FIFO would otherwise hang the test suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SAMPLES, make_site

SECRET = "社外秘のパスワードはhunter2です"
TRAPS = {
    "loop-a.md": "symlink loop",
    "loop-b.md": "symlink loop",
    "zero.md": "outside the content tree",
    "outside.md": "outside the content tree",
    "fifo.md": "a FIFO, not a post",
    "folder.md": "a directory, not a post",
}
ALIAS = "alias.md"


def pipeline(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, timeout=30,
        env={**os.environ, "COLUMNS": "400"},
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site")
    ja = root / "content" / "ja"
    (ja / "loop-a.md").symlink_to("loop-b.md")
    (ja / "loop-b.md").symlink_to("loop-a.md")
    (ja / "zero.md").symlink_to("/dev/zero")
    secret = tmp_path / "secret.md"
    secret.write_text(f"---\ntitle: 秘密\n---\n\n{SECRET}\n\n{SECRET}\n", encoding="utf-8")
    (ja / "outside.md").symlink_to(secret)
    os.mkfifo(ja / "fifo.md")
    (ja / "folder.md").mkdir()
    (ja / ALIAS).symlink_to(SAMPLES[0].name)
    return root


def _errors(stderr: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in stderr.splitlines():
        for name in (*TRAPS, ALIAS):
            if f"content/ja/{name}" in line:
                found.setdefault(name, []).append(line)
    return found


def test_translate_fails_each_trap_and_translates_the_posts(site: Path) -> None:
    result = pipeline("translate", "--engine", "pseudo", cwd=site)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = _errors(result.stderr)
    for name, why in TRAPS.items():
        assert len(lines.get(name, [])) == 1 and why in lines[name][0] and lines[name][0].startswith("error:"), (name, result.stderr)
    en = site / "content" / "en"
    for sample in SAMPLES:
        edition = (en / sample.name).read_text(encoding="utf-8")
        assert f"\nref: {sample.stem}\n" in edition
    assert sorted(p.name for p in en.iterdir()) == sorted(s.name for s in SAMPLES)


def test_a_second_path_to_a_post_is_skipped_with_a_warning(site: Path) -> None:
    for sample in SAMPLES[1:]:
        (site / "content" / "ja" / sample.name).unlink()
    for name in TRAPS:
        os.unlink(site / "content" / "ja" / name) if name != "folder.md" else (site / "content" / "ja" / name).rmdir()
    result = pipeline("translate", "--engine", "pseudo", "--report", "report.json", cwd=site)
    assert result.returncode == 0, result.stderr
    [warning] = _errors(result.stderr)[ALIAS]
    assert warning.startswith("warning:") and f"another path to" in warning and SAMPLES[0].name in warning
    edition = (site / "content" / "en" / SAMPLES[0].name).read_text(encoding="utf-8")
    assert f"\nref: {SAMPLES[0].stem}\n" in edition
    statuses = {Path(p["source"]).name: p["status"] for p in json.loads((site / "report.json").read_text())["posts"]}
    assert statuses == {SAMPLES[0].name: "written", ALIAS: "skipped"}
    check = pipeline("check", "--engine", "pseudo", cwd=site)
    assert check.returncode == 0, check.stdout + check.stderr


def test_status_and_check_report_each_trap(site: Path) -> None:
    assert pipeline("translate", "--engine", "pseudo", *[f"content/ja/{s.name}" for s in SAMPLES], cwd=site).returncode == 0
    status = pipeline("status", "--engine", "pseudo", "--json", cwd=site)
    assert status.returncode == 0, status.stderr
    states = {Path(p["source"]).name: (p["state"], p["reason"]) for p in json.loads(status.stdout)["posts"]}
    for name, why in TRAPS.items():
        assert states[name][0] == "failed" and why in states[name][1], (name, states[name])
    assert states[ALIAS][0] == "skipped"
    assert all(states[s.name][0] == "up-to-date" for s in SAMPLES)
    check = pipeline("check", "--engine", "pseudo", cwd=site)
    assert check.returncode == 1
    assert all(f"content/ja/{name}" in check.stdout for name in TRAPS), check.stdout


def test_lint_reports_each_trap_and_echoes_nothing_from_outside(site: Path) -> None:
    result = pipeline("lint", cwd=site)
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stdout + result.stderr
    lines = _errors(result.stdout)
    for name, why in TRAPS.items():
        assert len(lines.get(name, [])) == 1 and why in lines[name][0], (name, result.stdout)


def test_glossary_check_reports_each_trap_and_lists_the_posts(site: Path) -> None:
    result = pipeline("glossary", "check", cwd=site)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = _errors(result.stderr)
    for name, why in TRAPS.items():
        assert len(lines.get(name, [])) == 1 and why in lines[name][0], (name, result.stderr)
    for sample in SAMPLES:
        assert f"{sample.name}:\n  terms:" in result.stdout


def test_a_symlink_loop_fails_that_post_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Alone (no FIFO to hang the old code first): the loop used to crash the whole run."""
    from helpers import run_cli

    root = make_site(tmp_path / "site")
    (root / "content" / "ja" / "loop-a.md").symlink_to("loop-b.md")
    (root / "content" / "ja" / "loop-b.md").symlink_to("loop-a.md")
    monkeypatch.chdir(root)
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 1
    assert "error: content/ja/loop-a.md: a symlink loop" in result.stderr
    assert all((root / "content" / "en" / s.name).is_file() for s in SAMPLES)


def test_lint_does_not_echo_a_file_outside_the_tree(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import run_cli

    (site / "content" / "ja" / "fifo.md").unlink()
    monkeypatch.chdir(site)
    result = run_cli("lint")
    assert SECRET[:8] not in result.stdout + result.stderr
    assert "content/ja/outside.md:1: F008" in result.stdout


def test_a_tree_remembers_folders_not_the_files_in_them(tmp_path: Path) -> None:
    """Folders are resolved once a run (`Tree._resolved`); each post's own name is still
    resolved afresh: a symlink beside a post already read, or a folder that is a second
    path to another, is judged as if it came first."""
    from pipeline.errors import InputError
    from pipeline.post import Alias, Tree

    tree_dir, outside = tmp_path / "ja", tmp_path / "outside"
    (tree_dir / "real").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.md").write_text(SECRET, encoding="utf-8")
    (tree_dir / "real" / "a.md").write_text("a", encoding="utf-8")
    (tree_dir / "real" / "link.md").symlink_to(outside / "secret.md")
    (tree_dir / "again").symlink_to(tree_dir / "real")
    tree = Tree.at(tree_dir)
    assert tree.read(tree_dir / "real" / "a.md") == (Path("real/a.md"), b"a")
    with pytest.raises(InputError, match="outside the content tree"):
        tree.read(tree_dir / "real" / "link.md")
    with pytest.raises(Alias):
        tree.read(tree_dir / "again" / "a.md")
    with pytest.raises(InputError, match="No such file"):
        tree.read(tree_dir / "real" / "gone.md")


def test_an_edition_that_is_a_symlink_out_of_the_output_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the other post's edition in the same folder was checked (the run remembers the
    folder's resolution, never a file's): the file outside is not written over."""
    from helpers import run_cli

    root = make_site(tmp_path / "site")
    outside = tmp_path / "outside.md"
    outside.write_text(SECRET, encoding="utf-8")
    first, second = sorted(SAMPLES)
    (root / "content" / "en").mkdir()
    (root / "content" / "en" / second.name).symlink_to(outside)
    monkeypatch.chdir(root)
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 1
    assert f"content/ja/{second.name}: its edition" in result.stderr and "would be written outside" in result.stderr
    assert (root / "content" / "en" / first.name).is_file()
    assert outside.read_text(encoding="utf-8") == SECRET
