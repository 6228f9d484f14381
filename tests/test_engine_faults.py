"""An engine that answers wrongly, fails mid-run, or hangs: nothing wrong is kept, what was
billed is reported, one clear line is printed, and a signal ends the run at once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import NO_DEEPL_CONTEXT, editions, make_site, reference_editions, run_cli

from pipeline.post import TEMP_SUFFIX

try:
    from deepl_server import DeepLTestServer, ServerError
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.deepl_server import DeepLTestServer, ServerError


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer) -> Path:
    make_site(tmp_path / "site")
    (tmp_path / "site" / "pipeline.toml").write_text(NO_DEEPL_CONTEXT, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "site")
    return tmp_path / "site"


@pytest.fixture
def reference(tmp_path: Path, site: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer) -> dict[str, bytes]:
    """The editions a healthy server gives, from a copy of the site with its own cache."""
    return reference_editions(site, tmp_path / "reference", monkeypatch, deepl_env)


LIARS = {
    "fewer": (lambda s: s.respond_with_fewer_translations, "DeepL answered 49 translations for 50 texts"),
    "more": (lambda s: s.respond_with_more_translations, "DeepL answered 51 translations for 50 texts"),
    "empty": (lambda s: s.respond_with_empty_body, "DeepL answered an empty or malformed body for 50 texts"),
    "malformed": (lambda s: s.respond_with_malformed_body, "DeepL answered an empty or malformed body for 50 texts"),
    "null": (lambda s: s.respond_with_null_texts, "DeepL answered null for text 50 of 50"),
}


@pytest.mark.parametrize("lie", sorted(LIARS))
def test_a_lying_answer_twice_fails_the_run_and_keeps_nothing(lie: str, site: Path, deepl_env: DeepLTestServer, reference) -> None:
    verb, message = LIARS[lie]
    verb(deepl_env)(2)
    result = run_cli("translate", "--jobs", "1")
    assert result.exit_code == 4, result.stdout + result.stderr
    assert message in result.stderr
    assert [r.fault for r in deepl_env.requests if r.path == "/v2/translate"] == [lie, lie], "asked once more, then stopped"
    assert editions(site) == {}
    assert run_cli("translate").exit_code == 0
    assert editions(site) == reference, "an answer of the lying batch was cached and reused"


@pytest.mark.parametrize("lie", sorted(LIARS))
def test_a_lying_answer_once_is_asked_again(lie: str, site: Path, deepl_env: DeepLTestServer, reference) -> None:
    verb, _ = LIARS[lie]
    verb(deepl_env)(1)
    result = run_cli("translate", "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    assert editions(site) == reference
    sent = [r.texts for r in deepl_env.requests if r.path == "/v2/translate"]
    assert len(sent) == 3 and sent[0] == sent[1], "the batch is sent again as it was, the next one once"


def _billed_in_summary(stdout: str) -> int:
    return int(re.search(r"([\d,]+) characters billed", stdout).group(1).replace(",", ""))


def _fail_after(server: DeepLTestServer, texts: int, status: int) -> None:
    """From the `texts`+1-th text on, every request fails with `status` (a storm)."""
    seen: list[str] = []

    def translate(text: str, params: dict) -> str:
        seen.append(text)
        if len(seen) > texts:
            raise ServerError(status, "injected storm")
        return "EN: " + text

    server.set_translator(translate)


@pytest.mark.parametrize("storm", ["quota", "5xx", "429"])
def test_an_aborted_run_reports_what_was_billed(storm: str, site: Path, deepl_env: DeepLTestServer) -> None:
    (site / "pipeline.toml").write_text(NO_DEEPL_CONTEXT + "retries = 1\n", encoding="utf-8")
    if storm == "quota":
        deepl_env.init_character_limit(10_000)  # the first request fits, the second does not
    else:
        _fail_after(deepl_env, 50, {"5xx": 503, "429": 429}[storm])
    result = run_cli("translate", "--jobs", "1")
    assert result.exit_code == {"quota": 3, "5xx": 4, "429": 4}[storm], result.stderr
    billed = deepl_env.billed_characters
    assert billed > 0
    assert _billed_in_summary(result.stdout) == billed
    last_run = json.loads((site / ".cache" / "pipeline" / "last-run.json").read_text(encoding="utf-8"))
    assert last_run["billed_characters"] == billed and last_run["requests"] == 1


def test_a_lying_answer_reports_what_it_billed(site: Path, deepl_env: DeepLTestServer) -> None:
    deepl_env.respond_with_null_texts(2)  # every item still says what it cost
    result = run_cli("translate", "--jobs", "1")
    assert result.exit_code == 4
    assert _billed_in_summary(result.stdout) == deepl_env.character_count > 0, "both answers were billed"
    assert "in 2 request(s)" in result.stdout


def test_an_engine_abort_prints_one_error_line_naming_the_posts(site: Path, deepl_env: DeepLTestServer) -> None:
    (site / "pipeline.toml").write_text(NO_DEEPL_CONTEXT + "retries = 1\n", encoding="utf-8")
    deepl_env.respond_with_5xx(50, paths="/v2/translate")
    result = run_cli("translate")
    assert result.exit_code == 4
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, result.stderr
    assert "DeepL request failed after retries" in errors[0] and "2025-09-30-aws-ai-revenue.md" in errors[0]


@pytest.mark.parametrize("engine", ["deepl", "pseudo"])
def test_markup_nested_thousands_deep_fails_that_post_clearly(engine: str, site: Path, deepl_env: DeepLTestServer) -> None:
    # kramdown nests em and strong at most once each; CommonMark nests them as deep as they go
    (site / "pipeline.toml").write_text('[markdown]\ndialect = "commonmark"\n', encoding="utf-8")
    posts = site / "content" / "ja"
    (posts / "2026-03-01-stars.md").write_text("---\ntitle: 星\n---\n\n前の段落。\n\n" + "*" * 5000 + "日本語" + "*" * 5000 + "\n", encoding="utf-8")
    (posts / "2026-03-02-strong.md").write_text("---\ntitle: 太字\n---\n\n" + "**" * 5000 + "日本語" + "**" * 5000 + "\n", encoding="utf-8")
    result = run_cli("translate", "--engine", engine)
    assert result.exit_code == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, result.stderr
    assert errors[0].startswith("error: content/ja/2026-03-01-stars.md:7: ") and "nested" in errors[0]
    assert errors[1].startswith("error: content/ja/2026-03-02-strong.md:5: ") and "nested" in errors[1]
    assert "internal error" not in result.stderr
    assert sorted(editions(site)) == ["2025-09-30-aws-ai-revenue.md", "2025-12-25-amazon-trillion-yen-ai-infrastructure.md"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_a_run_whose_requests_hang_within_seconds(signum: int, tmp_path: Path, deepl_server: DeepLTestServer) -> None:
    """CI cancels with SIGINT or SIGTERM and kills a few seconds later: the run must not wait
    for requests that will never be answered (the deepl library would retry them for minutes)."""
    site = make_site(tmp_path / "site")
    env = {**os.environ, "DEEPL_AUTH_KEY": deepl_server.auth_key, "DEEPL_SERVER_URL": deepl_server.url}
    deepl_server.hang_requests(100, paths="/v2/translate")
    command = [sys.executable, "-m", "pipeline", "translate", "--jobs", "2"]
    proc = subprocess.Popen(command, cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while sum(r.fault == "hang" for r in deepl_server.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sum(r.fault == "hang" for r in deepl_server.requests) == 2, "both batches are in flight"
        signalled = time.monotonic()
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=10)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert took < 5, f"the run took {took:.1f}s to stop"
    assert "interrupted" in stderr and "Traceback" not in stderr
    # the server notices the closed sockets on its own threads: give it a moment, under load too
    noticed = time.monotonic() + 5
    while any(r.duration is None for r in deepl_server.requests) and time.monotonic() < noticed:
        time.sleep(0.05)
    assert all(r.duration is not None for r in deepl_server.requests), "the hung requests were abandoned (sockets closed)"
    assert not list(site.rglob(f"*{TEMP_SUFFIX}")) and not (site / "content" / "en").exists()
    deepl_server.clear_faults()
    done = subprocess.run(command, cwd=site, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    check = subprocess.run([sys.executable, "-m", "pipeline", "check"], cwd=site, env=env, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
