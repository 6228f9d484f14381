"""A file of ours that cannot be written (disk full, a read-only folder, something in the
way): one plain error naming the folder and the cause, the other posts done, the run's
report still written, and the state written only for what landed (issue 15, items 6, 14)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import make_site, run_cli

from pipeline.post import TEMP_SUFFIX

BIG = "2026-02-01-big.md"
SMALL = "2026-02-02-small.md"
LIMIT = 256_000  # bytes a file may grow to: room for the cache, a state file, a report; not for the big edition
CODE = "```\n" + "x = 1  # a long listing, copied as it is\n" * 8_000 + "```"


def _write(site: Path, name: str, paragraphs: list[str]) -> None:
    (site / "content" / "ja" / name).write_text("---\ntitle: 題名\n---\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def _files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for folder in ("content/en", "translations")
        for p in sorted((site / folder).rglob("*"))
        if p.is_file() and p.name != ".pipeline.lock"
    }


def test_a_memory_that_cannot_be_written_fails_only_its_post_and_the_edit_comes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env
) -> None:
    site = make_site(tmp_path, posts=[])
    _write(site, BIG, ["一段落目です。", "二段落目です。"])
    _write(site, SMALL, ["小さな記事です。"])
    monkeypatch.chdir(site)
    assert run_cli("translate").exit_code == 0
    edition = site / "content" / "en" / BIG
    machine = next(b.strip() for b in edition.read_text(encoding="utf-8").split("\n\n") if "二段落目" in b)
    human = "The second paragraph, in the translator's words."
    edition.write_text(edition.read_text(encoding="utf-8").replace(machine, human), encoding="utf-8")
    _write(site, SMALL, ["小さな記事です。", "段落を足しました。"])
    before = _files(site)
    memory = site / "translations" / "memory.jsonl"
    memory.mkdir()  # in the way of the file: the rename onto it fails, as on a read-only folder

    result = run_cli("translate", "--report", "run.json")

    assert result.exit_code == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: content/ja/{BIG}: cannot write the translation memory into translations: Is a directory"
    ], result.stderr
    report = json.loads((site / "run.json").read_text(encoding="utf-8"))
    assert {Path(p["source"]).name: p["status"] for p in report["posts"]} == {BIG: "failed", SMALL: "written"}
    after = _files(site)
    assert after[f"translations/{BIG}.json"] == before[f"translations/{BIG}.json"], "state written for a post that failed"
    assert human in after[f"content/en/{BIG}"].decode()
    assert not list(site.rglob(f"*{TEMP_SUFFIX}"))

    memory.rmdir()
    assert run_cli("translate").exit_code == 0
    assert human in memory.read_text(encoding="utf-8"), "the approval never came back"


def _limited(size: int) -> None:
    """In the child: files cannot grow past `size` bytes; a write past it fails with EFBIG
    (SIGXFSZ ignored), as a write on a full disk fails with ENOSPC."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_an_edition_that_cannot_be_written_is_a_plain_error_and_its_state_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env
) -> None:
    site = make_site(tmp_path, posts=[])
    _write(site, BIG, ["大きな記事です。", CODE])
    _write(site, SMALL, ["小さな記事です。"])
    monkeypatch.chdir(site)
    assert run_cli("translate").exit_code == 0
    assert (site / "content" / "en" / BIG).stat().st_size > LIMIT
    _write(site, BIG, ["大きな記事です。", CODE, "段落を足しました。"])
    _write(site, SMALL, ["小さな記事です。", "こちらにも段落を足しました。"])
    before = _files(site)
    deepl_env.reset_log()

    env = {**os.environ, "DEEPL_AUTH_KEY": deepl_env.auth_key, "DEEPL_SERVER_URL": deepl_env.url}
    run = subprocess.run(
        [sys.executable, "-m", "pipeline", "translate", "--report", "run.json"],
        cwd=site, env=env, capture_output=True, text=True, preexec_fn=lambda: _limited(LIMIT), timeout=120,
    )

    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: content/ja/{BIG}: cannot write the English edition into content/en: File too large"], run.stderr
    after = _files(site)
    assert after[f"content/en/{BIG}"] == before[f"content/en/{BIG}"]
    assert after[f"translations/{BIG}.json"] == before[f"translations/{BIG}.json"], "state rewritten for an edition that never changed"
    assert "こちらにも段落を足しました" in after[f"content/en/{SMALL}"].decode(), "the other post was not written"
    assert json.loads((site / "run.json").read_text(encoding="utf-8"))["posts"]
    assert not list(site.rglob(f"*{TEMP_SUFFIX}"))
    bought = len(deepl_env.texts_sent)

    assert run_cli("translate").exit_code == 0  # room again: the edition lands, nothing is bought twice
    assert "段落を足しました" in (site / "content" / "en" / BIG).read_text(encoding="utf-8")
    assert len(deepl_env.texts_sent) == bought


# Every other file a command writes: one line naming the file and the reason, no traceback ----


def _pipeline(site: Path, *args: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=site, capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "400"}, preexec_fn=(lambda: _limited(limit)) if limit is not None else None,
    )


def _one_error(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode != 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.stderr
    return errors[0]


@pytest.fixture
def translated(tmp_path: Path) -> Path:
    site = make_site(tmp_path / "site", posts=[])
    _write(site, SMALL, ["小さな記事です。"])
    assert _pipeline(site, "translate", "--engine", "identity").returncode == 0
    return site


IN_THE_WAY = {  # a folder where the command's file goes: the rename onto it fails, as on a read-only disk
    "last-run.json": (("translate", "--engine", "identity", "--force"), ".cache/pipeline/last-run.json", "the run's record"),
    "--report": (("translate", "--engine", "identity", "--report", "out/run.json"), "out/run.json", "the report"),
    "--summary": (("translate", "--engine", "identity", "--summary", "out/summary.md"), "out/summary.md", "the summary"),
    "review --out": (("review", "--out", "out", "content/ja"), "out/report.html", "the review"),
    "export -o": (("export", "--all", "-o", "out/export.xlf"), "out/export.xlf", "the XLIFF file"),
}


@pytest.mark.parametrize("write", sorted(IN_THE_WAY))
def test_a_file_that_cannot_be_written_is_one_line_naming_it(write: str, translated: Path) -> None:
    args, target, what = IN_THE_WAY[write]
    (translated / target).unlink(missing_ok=True)
    (translated / target).mkdir(parents=True)
    error = _one_error(_pipeline(translated, *args))
    assert f"cannot write {what}" in error and target in error, error


@pytest.mark.parametrize("write", sorted(IN_THE_WAY))
def test_a_full_disk_at_each_write_is_one_line(write: str, translated: Path) -> None:
    args, target, what = IN_THE_WAY[write]
    error = _one_error(_pipeline(translated, *args, limit=64))
    # translate opens the cache first: a full disk is met there, named as the cache
    assert error.startswith("error: cannot ") and (target in error or "translation cache in .cache/pipeline" in error), error
    assert "File too large" in error or "disk I/O error" in error or "disk is full" in error, error


def test_a_cache_folder_that_cannot_be_opened_is_one_line(translated: Path) -> None:
    (translated / "blocked").write_text("a file where the cache folder goes", encoding="utf-8")
    error = _one_error(_pipeline(translated, "translate", "--engine", "identity", "--force", "--cache-dir", "blocked/cache"))
    assert "cannot open the translation cache in" in error and "blocked/cache" in error, error


def test_a_full_disk_when_the_cache_is_created_is_one_line(translated: Path) -> None:
    error = _one_error(_pipeline(translated, "translate", "--engine", "identity", "--force", "--cache-dir", "fresh", limit=64))
    assert "cannot open the translation cache in" in error or "cannot write" in error, error


def test_a_lock_that_cannot_be_taken_is_one_line(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", posts=[])
    _write(site, SMALL, ["小さな記事です。"])
    (site / "translations").write_text("a file where the state folder goes", encoding="utf-8")
    error = _one_error(_pipeline(site, "translate", "--engine", "identity"))
    assert "cannot take the run lock" in error and "translations" in error, error
