"""A kill -9 at any write boundary of a run loses no translator's edit, no approved
translation, and buys nothing twice (issue 15, items 1 and 6).

The run under test has a translator's edit in each edition: one post whose source also
gained a paragraph (so its edition is rewritten and one text is bought), one whose edition
only was edited (state and memory written, the edition left alone), and one whose edition
has no state and no `lang`/`ref` keys (adopted as a translator's work and rewritten with them). It
runs as the real CLI in a subprocess (tests/crashpoint.py) against the DeepL test server,
and is killed with SIGKILL just before its 1st, 2nd, … file replacement: each state,
edition, memory and report write. After each kill a normal run finishes the job; the tree
must then be exactly what an uninterrupted run leaves, and no text may have been sent twice.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from helpers import REPO, make_site, run_cli

from pipeline.post import TEMP_SUFFIX

CRASHPOINT = REPO / "tests" / "crashpoint.py"

POSTS = {
    "2026-01-01-a.md": ["最初の記事の一段落目です。", "最初の記事の二段落目です。", "最初の記事の三段落目です。"],
    "2026-01-03-c.md": ["三つ目の記事の一段落目です。", "三つ目の記事の二段落目です。"],
    "2026-01-04-d.md": ["四つ目の記事の一段落目です。", "四つ目の記事の二段落目です。"],
}
# post → (the Japanese paragraph whose English a translator rewrote, their English)
EDITS = {
    "2026-01-01-a.md": ("最初の記事の二段落目です。", "The first post's second paragraph, as the translator put it."),
    "2026-01-03-c.md": ("三つ目の記事の二段落目です。", "The third post ends here, in the translator's words."),
    "2026-01-04-d.md": ("四つ目の記事の一段落目です。", "A fourth post, its state file lost, begins."),
}
ADOPTED = "2026-01-04-d.md"  # state file deleted, lang/ref gone: a translator's own file, adopted and completed
ADDED = {  # a post whose source gains a paragraph after the edit: its edition is rewritten
    "2026-01-01-a.md": "あとから書き足した段落です。",
}


# post → a translator's edit outside the translated text (issue 23): carried over by every write
CARRIED = {
    "2026-01-01-a.md": ("layout: post\n", "layout: post-en\n"),
    "2026-01-03-c.md": ("layout: post\n", "layout: wide-en\n"),
}


def _write_post(path: Path, title: str, paragraphs: list[str]) -> None:
    path.write_text(f"---\ntitle: {title}\nlayout: post\n---\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def _files(root: Path) -> dict[str, bytes]:
    """Editions, state files and the memory, with the tree's own path taken out of the state."""
    found: dict[str, bytes] = {}
    for folder in ("content/en", "translations"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.name != ".pipeline.lock":
                found[path.relative_to(root).as_posix()] = path.read_bytes().replace(str(root).encode(), b"<root>")
    return found


def _crashing_run(site: Path, env: dict[str, str], at: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CRASHPOINT), "translate", "--engine", "deepl", "--adopt"],
        cwd=site,
        env={**env, "CRASH_AT": str(at), "CRASH_LOG": str(site.parent / f"{site.name}.writes")},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def edited_tree(tmp_path: Path, deepl_env, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    """A tree translated once, then edited by translators and (one post) by the author."""
    base = make_site(tmp_path / "base", posts=[])
    for name, paragraphs in POSTS.items():
        _write_post(base / "content" / "ja" / name, "題名 " + name[:10], paragraphs)
    monkeypatch.chdir(base)
    first = run_cli("translate")
    assert first.exit_code == 0, first.stderr
    for name, (japanese, english) in EDITS.items():
        edition = base / "content" / "en" / name
        blocks = edition.read_text(encoding="utf-8").split("\n\n")
        (machine,) = [b.strip() for b in blocks if japanese in b]
        edition.write_text(edition.read_text(encoding="utf-8").replace(machine, english), encoding="utf-8")
    for name, (machine_line, their_line) in CARRIED.items():
        edition = base / "content" / "en" / name
        edition.write_text(edition.read_text(encoding="utf-8").replace(machine_line, their_line), encoding="utf-8")
    (base / "translations" / f"{ADOPTED}.json").unlink()
    adopted = base / "content" / "en" / ADOPTED
    lines = adopted.read_text(encoding="utf-8").splitlines(keepends=True)
    adopted.write_text("".join(l for l in lines if not l.startswith(("lang:", "ref:"))), encoding="utf-8")
    for name, paragraph in ADDED.items():
        _write_post(base / "content" / "ja" / name, "題名 " + name[:10], POSTS[name] + [paragraph])
    deepl_env.reset_log()
    return base, {**os.environ, "DEEPL_AUTH_KEY": deepl_env.auth_key, "DEEPL_SERVER_URL": deepl_env.url}


def test_a_kill_at_any_write_boundary_loses_no_edit_and_buys_nothing_twice(
    edited_tree: tuple[Path, dict[str, str]], deepl_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, env = edited_tree
    reference = base.parent / "reference"
    shutil.copytree(base, reference)
    clean = _crashing_run(reference, env, at=0)
    assert clean.returncode == 0, clean.stderr
    bought = Counter(deepl_server.texts_sent)
    assert len(bought) == len(ADDED) and set(bought.values()) == {1}
    expected = _files(reference)
    assert all(line.encode() in expected[f"content/en/{name}"] for name, (_, line) in CARRIED.items())
    written = (base.parent / "reference.writes").read_text(encoding="utf-8").splitlines()
    boundaries = [(reference / w).resolve().relative_to(reference.resolve()).as_posix() for w in written]
    assert len([b for b in boundaries if b.startswith("content/en/")]) == len(ADDED) + 1, boundaries
    assert len([b for b in boundaries if b.endswith(".md.json")]) >= len(POSTS), boundaries
    assert "translations/memory.jsonl" in boundaries, boundaries

    lost: list[str] = []
    for at, boundary in enumerate(boundaries, start=1):
        site = base.parent / f"killed-{at}"
        shutil.copytree(base, site)
        deepl_server.reset_log()
        killed = _crashing_run(site, env, at)
        assert killed.returncode == -signal.SIGKILL, (at, boundary, killed.stderr)
        monkeypatch.chdir(site)
        rerun = run_cli("translate", "--engine", "deepl", "--adopt")
        assert rerun.exit_code == 0, (at, boundary, rerun.stderr)
        twice = [t for t, n in Counter(deepl_server.texts_sent).items() if n > 1]
        assert twice == [], f"killed before writing {boundary}: bought again {twice}"
        assert Counter(deepl_server.texts_sent) == bought, f"killed before writing {boundary}"
        # (a report's temp file in the cache folder may stay: written after the run lock is
        # released, it cannot be told from another run's that is being written)
        left = [p.relative_to(site).as_posix() for f in ("content", "translations") for p in (site / f).rglob(f"*{TEMP_SUFFIX}")]
        if left:
            lost.append(f"killed before writing {boundary}: the re-run left {left}")
        got = _files(site)
        for name, (_, english) in EDITS.items():
            if english.encode() not in got.get(f"content/en/{name}", b""):
                lost.append(f"killed before writing {boundary}: the edit of {name} is gone")
            if name in CARRIED and CARRIED[name][1].encode() not in got.get(f"content/en/{name}", b""):
                lost.append(f"killed before writing {boundary}: the {CARRIED[name][1].strip()!r} edit of {name} is gone")
            if english.encode() not in got.get("translations/memory.jsonl", b""):
                lost.append(f"killed before writing {boundary}: the memory lacks the edit of {name}")
        if not lost:
            assert got == expected, f"killed before writing {boundary}: the tree differs from an uninterrupted run's"
        shutil.rmtree(site)
    assert lost == [], "\n".join(lost)
