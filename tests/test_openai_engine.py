"""The `openai` engine against an OpenAI-compatible server on 127.0.0.1 (tests/openai_server.py):
the wire contract, the prompt, the cache, costs, and every fault the server can be made to show."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import SAMPLES, make_site, run_cli
from openai_server import DEFAULT_MODEL, MARK, OpenAITestServer
from test_roundtrip import POSTS, html_structure

from pipeline.frontmatter import read_values
from pipeline.glossary import load_glossary
from pipeline.post import parse_post

CONFIG = f"""\
[translate]
engine = "openai"

[openai]
model = "{DEFAULT_MODEL}"
retries = 3
timeout = 5
input_price = 0.15
output_price = 0.6
"""


def setup_site(root: Path, posts: list[Path] | None = None, extra: str = "") -> Path:
    make_site(root, posts)
    (root / "pipeline.toml").write_text(CONFIG + extra, encoding="utf-8")
    return root


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer) -> Path:
    setup_site(tmp_path / "site")
    monkeypatch.chdir(tmp_path / "site")
    return tmp_path / "site"


def report(site: Path, *args: str) -> tuple[int, dict, str]:
    result = run_cli("translate", "--report", str(site / "report.json"), *args)
    data = json.loads((site / "report.json").read_text(encoding="utf-8")) if (site / "report.json").exists() else {}
    return result.exit_code, data, result.stdout + result.stderr


def assert_kept(source_path: Path, edition_path: Path, names: tuple[str, ...]) -> None:
    """Every element, every glossary name and every front matter key of the source is in the edition."""
    source = parse_post(source_path, source_path.read_bytes())
    english = parse_post(edition_path, edition_path.read_bytes())
    assert html_structure(english.body, "kramdown") == html_structure(source.body, "kramdown"), edition_path.name
    for name in names:
        assert english.body.count(name) >= source.body.count(name), (edition_path.name, name)
    if source.front_matter is not None:
        assert english.front_matter is not None
        keys = list(read_values(source.front_matter, source_path))
        assert list(read_values(english.front_matter, edition_path))[: len(keys)] == keys, edition_path.name


# the main path -------------------------------------------------------------------------


def test_samples_translate_keeping_everything_and_a_second_run_sends_nothing(site: Path, openai_server: OpenAITestServer) -> None:
    code, data, output = report(site)
    assert code == 0, output
    names = load_glossary(site / "glossary").names
    for sample in SAMPLES:
        edition = site / "content" / "en" / sample.name
        assert MARK in edition.read_text(encoding="utf-8")
        assert_kept(site / "content" / "ja" / sample.name, edition, names)
    assert not [w for p in data["posts"] for w in p["warnings"] if w["code"] in ("structure", "truncated")]
    first = openai_server.answered
    assert first and all(r.body["model"] == DEFAULT_MODEL for r in first)
    assert data["tokens"]["input"] == openai_server.prompt_tokens > 0
    assert data["tokens"]["output"] == openai_server.completion_tokens > 0
    assert re.search(r"[\d,]+ input \+ [\d,]+ output tokens \(estimated cost \d+\.\d{4} USD\)", output), output

    openai_server.reset_log()
    code, data, output = report(site)
    assert code == 0, output
    assert openai_server.requests == []
    assert data["tokens"]["input"] == data["tokens"]["output"] == 0
    assert "0 input + 0 output tokens" in output


def test_the_wire_contract(site: Path, openai_server: OpenAITestServer) -> None:
    assert run_cli("translate").exit_code == 0
    request = openai_server.answered[0]
    assert request.path == "/v1/chat/completions"
    body = request.body
    assert body["messages"][-1]["role"] == "user"
    payload = json.loads(body["messages"][-1]["content"])
    assert set(payload) <= {"segments", "glossary", "context"}
    assert [s["id"] for s in payload["segments"]] == [f"s{n}" for n in range(1, len(payload["segments"]) + 1)]
    assert all(set(s) == {"id", "text"} for s in payload["segments"])
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["temperature"] == 0.0
    style = (site / "glossary" / "style.md").read_text(encoding="utf-8")
    assert request.system.startswith(style.rstrip()), "the style guide is the system prompt"
    assert "<x" in request.system


def test_the_source_echoed_gives_the_japanese_bodies_byte_for_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer) -> None:
    """The identity guarantee through the LLM path: every sample and corpus document."""
    openai_server.mode = "echo"
    site = setup_site(tmp_path / "site", POSTS)
    monkeypatch.chdir(site)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    for path in POSTS:
        source = parse_post(path, path.read_bytes())
        edition = site / "content" / "en" / path.name
        assert parse_post(edition, edition.read_bytes()).body == source.body, path.name


def test_every_corpus_document_keeps_its_tags_names_and_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer) -> None:
    site = setup_site(tmp_path / "site", POSTS)
    monkeypatch.chdir(site)
    code, data, output = report(site)
    assert code == 0, output
    assert len(POSTS) == 172
    names = load_glossary(site / "glossary").names
    for path in POSTS:
        assert_kept(path, site / "content" / "en" / path.name, names)
    kept = [(p["post"], w) for p in data["posts"] for w in p["warnings"] if w["code"] in ("structure", "truncated")]
    assert kept == []
    openai_server.reset_log()
    assert run_cli("translate").exit_code == 0
    assert openai_server.requests == [], "the second run sends 0 tokens"


def test_dry_run_estimates_the_tokens_within_ten_percent(site: Path, openai_server: OpenAITestServer) -> None:
    code, estimate, output = report(site, "--dry-run")
    assert code == 0, output
    assert openai_server.requests == []
    assert "would send about" in output and "estimated cost" in output
    code, real, output = report(site)
    assert code == 0, output
    est, got = estimate["tokens"], real["tokens"]
    assert est["estimated"] is True and got["estimated"] is False
    assert abs(est["input"] - got["input"]) <= 0.1 * got["input"], (est, got)
    total_est, total_got = est["input"] + est["output"], got["input"] + got["output"]
    assert abs(total_est - total_got) <= 0.1 * total_got, (est, got)


def test_an_unknown_or_mistyped_openai_setting_exits_2(site: Path, openai_server: OpenAITestServer) -> None:
    config = site / "pipeline.toml"
    base = config.read_text()
    for extra, message in (('modle = "x"\n', "unknown setting 'openai.modle'"), ('batch_tokens = "many"\n', "'openai.batch_tokens' must be a int")):
        config.write_text(base + extra)
        result = run_cli("translate")
        assert result.exit_code == 2, result.stderr
        assert "pipeline.toml" in result.stderr and message in result.stderr
    assert openai_server.requests == []


def test_shard_reports_add_their_tokens_up() -> None:
    from pipeline.report import combine, summary_markdown

    def shard(tokens_in: int, tokens_out: int, cost: float | None) -> dict:
        tokens = {"input": tokens_in, "output": tokens_out, "estimated_cost": cost, "currency": "USD", "estimated": False}
        return {"dry_run": False, "shards": 1, "elapsed_seconds": 1.0, "requests": 2, "billed_characters": 0, "aborted": None,
                "approved_memory": [], "posts": [], "tokens": tokens}  # fmt: skip

    combined = combine([shard(100, 50, 0.25), shard(10, 5, 0.5)])  # type: ignore[list-item]
    assert combined["tokens"] == {
        "input": 110, "output": 55, "estimated_cost": 0.75, "currency": "USD", "estimated": False, "cached_input": 0, "reasoning": 0
    }  # older reports lack the last two: none counted
    assert "110 input + 55 output tokens, estimated cost 0.7500 USD sent" in summary_markdown(combined)
