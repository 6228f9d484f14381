"""A server that drips its answer, a byte at a time, never trips a per-read timeout: each
request has a deadline for the whole of it (the engine's `timeout`), is retried as a timeout,
and the run ends with one clear line when every attempt drips. Answers larger than any answer
of ours can be are refused before they fill memory."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import deepl.http_client
import pytest
import requests
from helpers import editions, make_site, reference_editions, run_cli
from openai_server import OpenAITestServer
from test_openai_engine import setup_site

from pipeline.engines.deadline import AnswerTooLarge, mount

try:
    from deepl_server import DeepLTestServer
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.deepl_server import DeepLTestServer

DEEPL_CONFIG = "[deepl]\ntimeout = 2.0\nretries = 1\n"  # a drip takes 12.5 s (tests/fake_server.py)


def hung_up(records: Callable[[], list]) -> bool:  # type: ignore[type-arg]
    """Whether the server saw the client hang up on every dripped answer: it notices on its own
    threads, at its next byte, so it is given a moment (under load too)."""
    noticed = time.monotonic() + 10
    while any(r.fault == "drip" and r.status is not None for r in records()) and time.monotonic() < noticed:
        time.sleep(0.05)
    return all(r.status is None for r in records() if r.fault == "drip")


@pytest.fixture
def deepl_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer) -> Path:
    site = make_site(tmp_path / "site")
    (site / "pipeline.toml").write_text(DEEPL_CONFIG, encoding="utf-8")
    # the engine sets these module globals of the deepl library from the config: put them back after the test
    for name in ("max_network_retries", "min_connection_timeout"):
        monkeypatch.setattr(deepl.http_client, name, getattr(deepl.http_client, name))
    monkeypatch.chdir(site)
    return site


def test_a_dripping_deepl_answer_is_cut_at_the_deadline_and_asked_again(
    tmp_path: Path, deepl_site: Path, deepl_env: DeepLTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = reference_editions(deepl_site, tmp_path / "reference", monkeypatch, deepl_env)
    deepl_env.drip_answers(1)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    dripped = [r for r in deepl_env.requests if r.fault == "drip"]
    assert len(dripped) == 1 and hung_up(lambda: deepl_env.requests), "the client hung up mid-drip"
    assert editions(deepl_site) == reference


def _every_answer_drips(site: Path, records: Callable[[], list], message: str) -> None:  # type: ignore[type-arg]
    """The run, with every translate request dripping: each attempt cut at the deadline, then
    one line and exit 4; nothing written, and no dripped answer read to its end."""
    result = run_cli("translate")
    output = result.stdout + result.stderr
    assert result.exit_code == 4, output
    assert message in output and "Traceback" not in output
    assert records() and all(r.fault == "drip" for r in records())
    assert hung_up(records), "no dripped answer was read to its end"
    assert editions(site) == {}


def test_deepl_dripping_every_answer_ends_the_run_with_one_line(deepl_site: Path, deepl_env: DeepLTestServer) -> None:
    deepl_env.drip_answers(1000)
    _every_answer_drips(deepl_site, lambda: [r for r in deepl_env.requests if r.path == "/v2/translate"], "no complete answer within 2 s")


@pytest.fixture
def openai_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer) -> Path:
    site = setup_site(tmp_path / "site")
    toml = site / "pipeline.toml"
    toml.write_text(toml.read_text().replace("timeout = 5", "timeout = 2"))
    monkeypatch.chdir(site)
    return site


def test_a_dripping_openai_answer_is_cut_at_the_deadline_and_asked_again(openai_site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.drip_answers(1)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    dripped = [r for r in openai_server.requests if r.fault == "drip"]
    assert len(dripped) == 1 and hung_up(lambda: openai_server.requests), "the client hung up mid-drip"
    assert any(r.status == 200 and r.texts == dripped[0].texts for r in openai_server.requests), "asked again"


def test_openai_dripping_every_answer_ends_the_run_with_one_line(openai_site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.drip_answers(1000)
    _every_answer_drips(openai_site, lambda: openai_server.requests, "gave no answer within 2 s")


def test_an_answer_larger_than_the_cap_is_refused(deepl_server: DeepLTestServer) -> None:
    session = mount(requests.Session(), 5.0, max_bytes=64)
    with pytest.raises(AnswerTooLarge, match="refused"):
        session.get(f"{deepl_server.url}/v2/languages?type=target", headers={"Authorization": f"DeepL-Auth-Key {deepl_server.auth_key}"})
