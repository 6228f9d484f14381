"""The OpenAI-compatible test server speaks OpenAI's published OpenAPI document
(tests/openai_spec.py): its checks refuse what the spec refuses, its own answers pass them,
and the engine's requests pass them for every request shape it has (every test's requests
are checked too, by the `openai_server` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli
from openai_server import BATCH_REFUSALS, OpenAITestServer, _error, _reasoning_refusal
from openai_spec import error_problems, request_problems
from test_openai_engine import setup_site

VALID = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "こんにちは"}]}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"messages": []}, "messages"),
        ({"temperature": 5}, "temperature"),
        ({"response_format": {"type": "json_schema"}}, "response_format"),
        ({"max_completion_tokens": "many"}, "max_completion_tokens"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages"),
    ],
)
def test_the_spec_refuses_what_openai_refuses(change: dict, where: str) -> None:
    assert request_problems(VALID) == []
    found = request_problems({**VALID, **change})
    assert found and found[0].startswith(where), found


def test_the_servers_openai_error_bodies_follow_the_spec() -> None:
    assert error_problems(_error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")) == []
    assert error_problems({"error": BATCH_REFUSALS["context_length_exceeded"]}) == []
    assert error_problems(_reasoning_refusal({"max_tokens": 10})) == []
    assert error_problems(_reasoning_refusal({"temperature": 0.0})) == []
    assert error_problems({"error": "a proxy's text"}) != []


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("o4-mini", ""),
        ("gpt-5-mini", "max_output_tokens = 8000\n"),
        ("test-model", 'max_output_tokens = 3000\nseed = 7\nresponse_format = "json_object"\n'),
    ],
)
def test_every_request_of_a_run_is_valid_against_the_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer, model: str, extra: str
) -> None:
    openai_server.models += (model,)
    if model != "test-model":
        openai_server.reasoning_models.add(model)
    site = setup_site(tmp_path / "site", extra=extra)
    config = site / "pipeline.toml"
    config.write_text(config.read_text().replace('model = "test-model"', f'model = "{model}"'))
    monkeypatch.chdir(site)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(openai_server.requests) > 1
    assert [request_problems(r.body) for r in openai_server.requests] == [[]] * len(openai_server.requests)
