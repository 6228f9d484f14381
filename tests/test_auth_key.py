"""The API key: refused up front when it cannot be a key, and never shown in any form."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from helpers import make_site, run_cli

from pipeline.engines.deepl import DeepLEngine, _clean
from pipeline.errors import ConfigError

try:
    from deepl_server import DeepLTestServer
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.deepl_server import DeepLTestServer


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer) -> Path:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


BAD_KEYS = {
    "line break": "abc1-secret:fx\nsecond-line-secret",
    "carriage return": "abc1-secret:fx\rsecond-line-secret",
    "tab": "abc1-secret:fx\tsecond-line-secret",
    "space": "abc1-secret:fx second-line-secret",
    "escape": "abc1-secret:fx\x1bsecond-line-secret",
    "zero-width space": "abc1-secret:fx\u200bsecond-line-secret",
}


@pytest.mark.parametrize("kind", sorted(BAD_KEYS))
def test_a_key_with_whitespace_or_a_control_character_is_refused_unprinted(
    kind: str, site: Path, deepl_env: DeepLTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPL_AUTH_KEY", BAD_KEYS[kind])
    for args in (("translate",), ("translate", "--dry-run")):
        result = run_cli(*args)
        assert result.exit_code == 2, result.stdout + result.stderr
        output = result.stdout + result.stderr
        assert "DEEPL_AUTH_KEY" in output and len(result.stderr.strip().splitlines()) == 1
        assert "secret" not in output, "a part of the key was printed"
    assert deepl_env.requests == [], "nothing is sent with a key that cannot be one"
    assert not (site / "content" / "en").exists()


def test_the_engine_itself_refuses_such_a_key() -> None:
    with pytest.raises(ConfigError, match="line break at character 15 of 33") as caught:
        DeepLEngine(BAD_KEYS["line break"])
    assert "secret" not in str(caught.value)


def test_surrounding_whitespace_is_only_trimmed(site: Path, deepl_env: DeepLTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPL_AUTH_KEY", f"  {deepl_env.auth_key}\n")
    assert run_cli("translate").exit_code == 0


@pytest.mark.parametrize(
    "shown",
    [
        lambda key: f"Invalid header value {('DeepL-Auth-Key ' + key).encode()!r}",  # requests/http.client style
        lambda key: f"Header value {'DeepL-Auth-Key ' + key!r} contains a reserved character",
        lambda key: f"header: {ascii(key)}",
        lambda key: f'{{"auth_key": {json.dumps(key)}}}',
        lambda key: f'{{"auth_key": {json.dumps(key, ensure_ascii=False)}}}',
        lambda key: f"form body: auth_key={quote(key, safe='')}",  # a URL's query is not shown at all (pipeline.redact)
        lambda key: f"form body: auth_key={quote_plus(key)}",
        lambda key: f"a proxy quoting it lower-cased: {key.lower()}",
        lambda key: f"key is {key} (raw)",
    ],
)
def test_masking_covers_escaped_and_quoted_forms(shown) -> None:
    key = "s3cr\\et'key\"é:fx"
    message = shown(key)
    masked = _clean(message, key)
    for fragment in ("s3cr", "key\\", "é:fx", "%C3%A9", "\\xe9", "\\u00e9"):
        assert fragment not in masked, (message, masked)
    assert "***" in masked
