"""No credential a user put in a server URL or key reaches the terminal, `--report`,
`--summary` (a CI pull request's body) or `last-run.json` (issue 25): URLs are shown
without userinfo or query, and a key is masked whatever case a server echoes it in."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers import make_site, run_cli
from openai_server import OpenAITestServer
from test_openai_engine import CONFIG

from pipeline.engines.deepl import _clean
from pipeline.redact import public_url

PASSWORD = "pw-Hunter2-secret"
TOKEN = "tok-9f8e7d-query"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _everything_written(root: Path, *args: str, reports: bool = True) -> tuple[int, str]:
    """A run's exit code, and all it said and wrote: output, report, summary, last-run.json
    (`reports`: the run got as far as writing them)."""
    result = run_cli("translate", "--report", str(root / "report.json"), "--summary", str(root / "summary.md"), *args)
    files = [root / "report.json", root / "summary.md", root / ".cache" / "pipeline" / "last-run.json"]
    assert all(f.is_file() == reports for f in files), [f for f in files if f.is_file() != reports]
    files = [f for f in files if f.is_file()]
    return result.exit_code, result.stdout + result.stderr + "".join(f.read_text(encoding="utf-8") for f in files)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer) -> Path:
    make_site(tmp_path)
    (tmp_path / "pipeline.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_credentials_in_openai_base_url_are_never_shown(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://proxy-user:{PASSWORD}@127.0.0.1:{port}/v1?api-key={TOKEN}")
    code, everything = _everything_written(root)
    assert code == 4, everything
    assert f"http://127.0.0.1:{port}/v1/chat/completions" in everything  # where it failed is still said
    for secret in (PASSWORD, TOKEN, "proxy-user", "api-key="):
        assert secret.lower() not in everything.lower(), (secret, everything)


def test_a_query_secret_a_server_quotes_back_is_masked(
    root: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer
) -> None:
    # a path the server does not serve: it answers 404 quoting the path, query and all
    monkeypatch.setenv("OPENAI_BASE_URL", f"{openai_server.url}/elsewhere?api-key={TOKEN}")
    code, everything = _everything_written(root)
    assert code == 2, everything
    assert "/v1/elsewhere/chat/completions" in everything and TOKEN.lower() not in everything.lower(), everything


def test_a_key_echoed_lower_cased_is_masked(root: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "Wrong-KEY-AbCdEf-123")
    openai_server.echo_key = True
    code, everything = _everything_written(root)
    assert code == 2, everything
    assert "Incorrect API key provided: bearer ***" in everything
    assert "wrong-key-abcdef-123" not in everything.lower(), everything


@pytest.mark.parametrize("shown", [str.lower, str.upper, str.swapcase])
def test_deepl_masking_is_case_insensitive(shown) -> None:  # type: ignore[no-untyped-def]
    key = "aBcD1234-ef56-7890-abcd-ef1234567890:fx"
    masked = _clean(f"server said: key {shown(key)} unknown", key)
    assert masked == "server said: key *** unknown"


def test_deepl_messages_show_the_server_url_without_credentials() -> None:
    url = f"https://user:{PASSWORD}@deepl.proxy.example:8443/base?token={TOKEN}#x"
    masked = _clean(f"HTTPSConnectionPool: cannot reach {url}/v2/translate", "k" * 20, url)
    assert masked == "HTTPSConnectionPool: cannot reach https://deepl.proxy.example:8443/base", masked
    assert public_url("http://[::1]:8080/v1?x=1") == "http://[::1]:8080/v1"


def test_credentials_in_deepl_server_url_are_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast_deepl_retries: None) -> None:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    port = _closed_port()
    monkeypatch.setenv("DEEPL_AUTH_KEY", "Key-Abc-123456:fx")
    monkeypatch.setenv("DEEPL_SERVER_URL", f"http://proxy-user:{PASSWORD}@127.0.0.1:{port}")
    code, everything = _everything_written(tmp_path, reports=False)  # the glossary is looked up first: no report yet
    assert code == 4, everything
    assert "127.0.0.1" in everything
    for secret in (PASSWORD, "proxy-user", "key-abc-123456"):
        assert secret.lower() not in everything.lower(), (secret, everything)
