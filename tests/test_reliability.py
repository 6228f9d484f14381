"""Faults, interruptions and hostile input: nothing lost, nothing half-written, nothing paid twice."""

from __future__ import annotations

import os
import re
from collections import Counter
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import NO_DEEPL_CONTEXT, REPO, editions, make_site, run_cli

from pipeline.post import TEMP_SUFFIX
from pipeline.workers import usable_cores

CORPUS = sorted((REPO / "tests" / "fixtures" / "corpus").rglob("*.md"))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> Path:
    make_site(tmp_path)
    (tmp_path / "pipeline.toml").write_text(NO_DEEPL_CONTEXT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def leftovers(site: Path) -> list[Path]:
    return [p for p in site.rglob(f"*{TEMP_SUFFIX}")]


class TestEngineFaults:
    def test_429_and_5xx_are_retried_by_the_library(self, site: Path, deepl_env) -> None:
        deepl_env.respond_with_429(2, paths="/v2/translate")
        deepl_env.respond_with_5xx(1, status=503, paths="/v2/translate")
        result = run_cli("translate", "--jobs", "1")
        assert result.exit_code == 0, result.stderr
        faults = [r.fault for r in deepl_env.requests if r.path == "/v2/translate"]
        assert faults[:3] == ["429", "429", "5xx"]
        assert len(editions(site)) == 2

    def test_slow_response_times_out_and_is_retried(self, site: Path, deepl_env) -> None:
        (site / "pipeline.toml").write_text(NO_DEEPL_CONTEXT + "timeout = 0.3\n", encoding="utf-8")
        deepl_env.respond_slowly(1, 2.0, paths="/v2/translate")
        started = time.monotonic()
        assert run_cli("translate", "--jobs", "1").exit_code == 0
        assert time.monotonic() - started < 2.0, "the client waited for the slow answer instead of retrying"
        slow = [r for r in deepl_env.requests if r.fault == "slow"]
        assert len(slow) == 1 and slow[0].status is None, "the abandoned request was not billed"
        assert len(editions(site)) == 2

    def test_dropped_connection_is_retried(self, site: Path, deepl_env) -> None:
        deepl_env.drop_connections(1, paths="/v2/translate")
        assert run_cli("translate").exit_code == 0
        assert len(editions(site)) == 2

    def test_persistent_5xx_fails_naming_the_posts_and_writes_nothing(self, site: Path, deepl_env) -> None:
        (site / "pipeline.toml").write_text(NO_DEEPL_CONTEXT + "retries = 1\n", encoding="utf-8")
        deepl_env.respond_with_5xx(50, paths="/v2/translate")
        result = run_cli("translate")
        assert result.exit_code == 4
        assert "DeepL request failed after retries" in result.stderr
        assert "2025-09-30-aws-ai-revenue.md" in result.stderr
        assert editions(site) == {} and leftovers(site) == []

    def test_quota_exceeded_exits_3_and_rerun_bills_only_the_rest(self, site: Path, deepl_env) -> None:
        # first learn what the whole job costs
        dry = run_cli("translate", "--dry-run")
        total = int(re.search(r"would bill ([\d,]+)", dry.stdout).group(1).replace(",", ""))
        (site / "pipeline.toml").write_text("[translate]\nwindow_texts = 5\n" + NO_DEEPL_CONTEXT, encoding="utf-8")  # small requests
        deepl_env.init_character_limit(total // 2)
        result = run_cli("translate", "--jobs", "1")
        assert result.exit_code == 3
        assert "quota exceeded" in result.stderr.lower() and "characters used" in result.stderr
        first = deepl_env.billed_characters
        assert 0 < first <= total // 2
        assert leftovers(site) == []
        deepl_env.init_character_limit(10 * total)
        assert run_cli("translate").exit_code == 0
        assert deepl_env.billed_characters == total, "something was paid for twice"

    def test_bad_key_one_line_exit_2_nothing_written_key_nowhere(self, site: Path, deepl_env, monkeypatch: pytest.MonkeyPatch) -> None:
        secret = "secret-key-6f1c0d2e-do-not-print"
        monkeypatch.setenv("DEEPL_AUTH_KEY", secret)
        result = run_cli("translate", "--report", "report.json")
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1 and "403" in result.stderr
        assert editions(site) == {}
        assert secret not in result.stdout + result.stderr
        # a successful run with the right key: the key appears in no file it writes either
        monkeypatch.setenv("DEEPL_AUTH_KEY", deepl_env.auth_key)
        assert run_cli("translate", "--report", "report.json").exit_code == 0
        for path in site.rglob("*"):
            if path.is_file():
                assert deepl_env.auth_key.encode() not in path.read_bytes(), path

    def test_mock_server_phrase_keeps_output_valid_and_cheap(self, site: Path, deepl_env) -> None:
        """DeepL's own mock answers everything with one phrase and drops tags."""
        deepl_env.set_mode("fixed")
        result = run_cli("translate", "--report", "r1.json")
        assert result.exit_code == 0
        assert "structure" in result.stderr or "truncated" in result.stderr
        counts = Counter(deepl_env.texts_sent)
        assert max(counts.values()) == 2, "a broken answer is asked for exactly once more, never more"
        retried = [t for t, n in counts.items() if n == 2]
        assert all("<" in t or len(t) >= 20 for t in retried), "only answers that broke tags or were cut short"
        source = (site / "content" / "ja" / "2025-09-30-aws-ai-revenue.md").read_text(encoding="utf-8")
        edition = (site / "content" / "en" / "2025-09-30-aws-ai-revenue.md").read_text(encoding="utf-8")
        assert edition.count("**") == source.count("**"), "broken answers must not break the Markdown"
        billed = deepl_env.billed_characters
        assert run_cli("translate", "--force").exit_code == 0
        assert deepl_env.billed_characters == billed, "cached answers are not paid for again"
        deepl_env.set_mode("mark")
        assert run_cli("translate", "--retry-flagged").exit_code == 0
        assert deepl_env.billed_characters > billed
        assert "EN: " in (site / "content" / "en" / "2025-09-30-aws-ai-revenue.md").read_text(encoding="utf-8")


def _pipeline(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux's /proc; none elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting for its parent is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.fixture
def big_site(tmp_path: Path, deepl_server) -> tuple[Path, dict[str, str]]:
    make_site(tmp_path, posts=CORPUS[:24])
    (tmp_path / "pipeline.toml").write_text(NO_DEEPL_CONTEXT, encoding="utf-8")
    env = {**os.environ, "DEEPL_AUTH_KEY": deepl_server.auth_key, "DEEPL_SERVER_URL": deepl_server.url}
    return tmp_path, env


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_killed_run_leaves_no_partial_file_and_rerun_bills_only_the_rest(big_site, deepl_server, signum: int) -> None:
    site, env = big_site
    dry = subprocess.run([sys.executable, "-m", "pipeline", "translate", "--dry-run"], cwd=site, env=env, capture_output=True, text=True)
    total = int(re.search(r"would bill ([\d,]+)", dry.stdout).group(1).replace(",", ""))
    deepl_server.set_latency(0.15)
    (site / "pipeline.toml").write_text("[translate]\nwindow_texts = 1\n" + NO_DEEPL_CONTEXT, encoding="utf-8")  # write as we go
    proc = _pipeline("translate", "--jobs", "1", cwd=site, env=env)
    deadline = time.monotonic() + 20
    while len(deepl_server.translate_requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(proc.pid)  # the pool forked by the CLI itself (24 posts: worth it)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert leftovers(site) == []
    if sys.platform.startswith("linux") and usable_cores() > 1:
        assert workers, "the run had started its worker processes"
        assert not [pid for pid in workers if _running(pid)], "a worker outlived the cancelled run (a CI step that never ends)"
    partial = editions(site)
    first = deepl_server.billed_characters
    assert 0 < first < total
    deepl_server.set_latency(0)
    done = subprocess.run([sys.executable, "-m", "pipeline", "translate"], cwd=site, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    twice = [t[:60] for t, n in Counter(deepl_server.texts_sent).items() if n > 1]
    assert deepl_server.billed_characters == total, f"the re-run paid again for {twice}"
    final = editions(site)
    assert len(final) == 24
    for name, data in partial.items():
        assert final[name] == data, f"{name} was left incomplete"


def test_sigkill_mid_run_loses_nothing_and_rerun_bills_only_the_rest(big_site, deepl_server) -> None:
    """SIGKILL (OOM killer, a runner that vanishes): no handler runs, so only atomic
    writes and what the cache had already stored stand between us and a broken tree."""
    site, env = big_site
    dry = subprocess.run([sys.executable, "-m", "pipeline", "translate", "--dry-run"], cwd=site, env=env, capture_output=True, text=True)
    total = int(re.search(r"would bill ([\d,]+)", dry.stdout).group(1).replace(",", ""))
    deepl_server.set_latency(0.15)
    (site / "pipeline.toml").write_text("[translate]\nwindow_texts = 1\n" + NO_DEEPL_CONTEXT, encoding="utf-8")
    proc = _pipeline("translate", "--jobs", "1", cwd=site, env=env)
    deadline = time.monotonic() + 20
    while len(deepl_server.translate_requests) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(proc.pid)
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.3)  # let the server finish (and bill) the request the kill cut off
    gone = time.monotonic() + 10  # a worker leaves once its parent is gone (it watches for that)
    while [pid for pid in workers if _running(pid)] and time.monotonic() < gone:
        time.sleep(0.05)
    assert not [pid for pid in workers if _running(pid)], "a worker outlived the killed run"
    partial = editions(site)
    killed_run = deepl_server.translate_requests
    assert 0 < deepl_server.billed_characters < total
    # a kill inside write_atomic leaves its temp file: plant one the way it would be named
    planted = site / "content" / "en" / f".{CORPUS[0].name}.k1ll3d00{TEMP_SUFFIX}"
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(b"half an edit")
    deepl_server.set_latency(0)
    done = subprocess.run([sys.executable, "-m", "pipeline", "translate"], cwd=site, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"removed {planted.relative_to(site)}, left by a run that was killed" in done.stderr
    # The one request in flight at the kill (--jobs 1) was billed but its answer never
    # arrived: that, and only that, is bought again. Everything answered before was kept.
    paid_twice = {t for t, n in Counter(deepl_server.texts_sent).items() if n > 1}
    assert paid_twice <= set(killed_run[-1].texts), "the re-run paid again for text the killed run had received"
    bought = {t for r in killed_run[:-1] for t in r.texts}
    assert not bought & {t for r in deepl_server.translate_requests[len(killed_run):] for t in r.texts}
    assert leftovers(site) == [], "the re-run left the killed run's temp files behind"
    final = editions(site)
    assert len(final) == 24
    for name, data in partial.items():
        assert final[name] == data, f"{name} was left incomplete"
    check = subprocess.run([sys.executable, "-m", "pipeline", "check"], cwd=site, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_two_runs_at_once_do_not_corrupt_anything(big_site, deepl_server) -> None:
    site, env = big_site
    deepl_server.set_latency(0.05)
    runs = [_pipeline("translate", cwd=site, env=env) for _ in range(2)]
    outputs = [r.communicate(timeout=120) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    texts = deepl_server.texts_sent
    assert len(texts) == len(set(texts)), "a text was translated twice"
    assert len(editions(site)) == 24
    check = subprocess.run([sys.executable, "-m", "pipeline", "check"], cwd=site, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_symlink_out_of_the_content_tree_is_refused(site: Path, tmp_path_factory: pytest.TempPathFactory, deepl_env) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text("---\ntitle: 秘密\n---\n\n秘密の本文。\n", encoding="utf-8")
    (site / "content" / "ja" / "2026-01-01-link.md").symlink_to(outside)
    result = run_cli("translate")
    assert result.exit_code == 1
    assert "outside the content tree" in result.stderr and "2026-01-01-link.md" in result.stderr
    assert sorted(editions(site)) == ["2025-09-30-aws-ai-revenue.md", "2025-12-25-amazon-trillion-yen-ai-infrastructure.md"]


def test_oversized_paragraph_is_split_and_rejoined(site: Path, deepl_env) -> None:
    sentence = "生成AIの基盤モデルは、クラウドの上で<b>急速に</b>普及しています。"
    paragraph = sentence.replace("<b>", "**").replace("</b>", "**") * 1200
    (site / "content" / "ja" / "2026-02-02-long.md").write_text(f"---\ntitle: 長い段落\n---\n\n{paragraph}\n", encoding="utf-8")
    result = run_cli("translate", "content/ja/2026-02-02-long.md")
    assert result.exit_code == 0, result.stderr
    sizes = [len(__import__("json").dumps(r.body)) for r in deepl_env.translate_requests]
    assert max(sizes) < 128 * 1024 and len(deepl_env.translate_requests) >= 2
    edition = (site / "content" / "en" / "2026-02-02-long.md").read_text(encoding="utf-8")
    body = edition.split("---\n", 2)[2].strip()
    assert body.count("**") == paragraph.count("**") and "\n" not in body
    assert "Warning" not in result.stderr
