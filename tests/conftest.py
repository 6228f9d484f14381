"""Shared pytest fixtures.

The DeepL fixtures give every test a fresh DeepL-compatible server on
127.0.0.1 (see tests/deepl_server.py) and make the deepl library's retry
backoff fast, so fault-injection tests finish in milliseconds.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import deepl.http_client
import pytest
from filelock import FileLock
from hypothesis import settings as hypothesis_settings
from helpers import CORPUS_AND_SAMPLES, make_site, run_cli

from pipeline.cache import MemoryCache
from pipeline.config import Settings
from pipeline.engines.pseudo import PseudoEngine
from pipeline.report import PostResult
from pipeline.run import Translator

# The suite decides whether a submission lands, so its property tests draw the same examples
# on every run: a failure is reproducible, not a coin toss. `HYPOTHESIS_PROFILE=explore`
# draws new ones each run, which is how they find new cases (then pin the case with @example).
hypothesis_settings.register_profile("repeatable", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


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
    engine's backoff shrunk to milliseconds (a Retry-After the server sends is still honoured).
    Afterwards: no request body and no answer fell outside OpenAI's OpenAPI document."""
    import pipeline.engines.openai_client as client

    monkeypatch.setattr(client, "BACKOFF_INITIAL", 0.01)
    with OpenAITestServer() as server:
        monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        yield server
        # every request any test made is one OpenAI's published schema allows, and so is every answer
        assert [r.problems for r in server.invalid_requests] == [], "a request body the OpenAPI document refuses"
        assert server.invalid_answers == [], "the test server answered outside the OpenAPI document"


def _translate_pseudo(out: Path) -> dict[Path, PostResult]:
    results: dict[Path, PostResult] = {}
    for folder in sorted({f.parent for f in CORPUS_AND_SAMPLES}):
        # each output folder with a state folder of its own (one state folder describes one output folder)
        settings = Settings(root=out, source_dir=folder, output_dir=out / folder.name, state_dir=out / "state" / folder.name, dialect="kramdown")
        report = Translator(settings, PseudoEngine(), MemoryCache()).run([f for f in CORPUS_AND_SAMPLES if f.parent == folder])
        results.update((post.source, post) for post in report.posts)
    assert sorted(results) == sorted(CORPUS_AND_SAMPLES)
    return results


@pytest.fixture(scope="session")
def pseudo_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, PostResult]:
    """Every corpus document and sample post translated by the pseudo engine (kramdown), one
    Translator run per folder, each post's result by its source path.

    Why shared: a pseudo pass over the corpus takes seconds (pykakasi), and the leftover
    figure (test_leftovers.py) and the per-post structure round trip (test_roundtrip.py) judge
    the same editions; they read this one run. Under pytest-xdist the first worker to need it
    makes it in the run's own temporary folder (every worker's basetemp is in it) and the
    others wait for it and read its results: xdist's documented way to share a session
    fixture between workers.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return _translate_pseudo(tmp_path_factory.mktemp("pseudo-corpus"))
    shared = tmp_path_factory.getbasetemp().parent / "pseudo-corpus"
    with FileLock(f"{shared}.lock"):
        if not (shared / "results.pickle").is_file():
            results = _translate_pseudo(shared)
            (shared / "results.pickle").write_bytes(pickle.dumps(results))
            return results
    loaded: dict[Path, PostResult] = pickle.loads((shared / "results.pickle").read_bytes())
    return loaded
