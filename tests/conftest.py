"""Shared pytest fixtures.

The DeepL fixtures give every test a fresh DeepL-compatible server on
127.0.0.1 (see tests/deepl_server.py) and make the deepl library's retry
backoff fast, so fault-injection tests finish in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import deepl.http_client
import pytest
from helpers import make_site, run_cli

try:  # tests/ is a rootdir-style test dir (no __init__.py)
    from deepl_server import DeepLTestServer
    from openai_server import OpenAITestServer
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.deepl_server import DeepLTestServer
    from tests.openai_server import OpenAITestServer


@pytest.fixture
def fast_deepl_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink deepl's exponential backoff (1 s initial, x1.6) to ~10 ms.

    Why: deepl.http_client retries 429/5xx/connection errors up to
    ``max_network_retries`` (5) times, sleeping per ``_BackoffTimer``; with the
    defaults a "429 twice" test would take ~2.6 s. Retries themselves stay the
    library's. The per-attempt timeout is max(backoff, min_connection_timeout)
    and is left at 10 s; tests that want client timeouts patch
    ``deepl.http_client.min_connection_timeout`` themselves.
    """
    timer = deepl.http_client._BackoffTimer
    monkeypatch.setattr(timer, "BACKOFF_INITIAL", 0.01)
    monkeypatch.setattr(timer, "BACKOFF_MAX", 0.05)


@pytest.fixture
def deepl_server(fast_deepl_retries: None) -> Iterator[DeepLTestServer]:
    """A fresh DeepL test server per test (auth key "test-key"), fast retries."""
    with DeepLTestServer() as server:
        yield server


@pytest.fixture
def deepl_env(deepl_server: DeepLTestServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeepLTestServer]:
    """Point DEEPL_AUTH_KEY / DEEPL_SERVER_URL at ``deepl_server`` and yield it."""
    monkeypatch.setenv("DEEPL_AUTH_KEY", deepl_server.auth_key)
    monkeypatch.setenv("DEEPL_SERVER_URL", deepl_server.url)
    yield deepl_server


@pytest.fixture
def translated_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer) -> Path:
    """The sample posts translated once through the test server, with cwd in the tree."""
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate").exit_code == 0
    return tmp_path


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAITestServer]:
    """A fresh OpenAI-compatible test server per test, OPENAI_* pointing at it, and the
    engine's backoff shrunk to milliseconds (a Retry-After the server sends is still honoured)."""
    import pipeline.engines.openai as engine

    monkeypatch.setattr(engine, "BACKOFF_INITIAL", 0.01)
    with OpenAITestServer() as server:
        monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        yield server
