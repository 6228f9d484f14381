"""Every fault the OpenAI-compatible test server can show, each handled as the README says:
retried, split, asked again, or one clear line and the right exit code; never a wrong answer
kept or cached."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import editions, run_cli
from openai_server import MARK, REFUSAL, OpenAITestServer
from test_openai_engine import setup_site

from pipeline.engines.openai_wire import estimate_tokens
from pipeline.glossary import load_glossary, prose_of
from pipeline.report import combine


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer) -> Path:
    setup_site(tmp_path / "site")
    monkeypatch.chdir(tmp_path / "site")
    return tmp_path / "site"


@pytest.fixture
def reference(tmp_path: Path, site: Path, monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer) -> dict[str, bytes]:
    """The editions a healthy server gives (a copy of the site with its own cache), and how
    many requests that took; the log is cleared afterwards."""
    copy = tmp_path / "reference"
    shutil.copytree(site, copy)
    monkeypatch.chdir(copy)
    assert run_cli("translate", "--jobs", "1").exit_code == 0
    monkeypatch.chdir(site)
    openai_server.healthy_requests = len(openai_server.requests)  # type: ignore[attr-defined]
    openai_server.reset_log()
    return editions(copy)


def translate(*args: str) -> tuple[int, str]:
    result = run_cli("translate", "--jobs", "1", *args)
    return result.exit_code, result.stdout + result.stderr


# retried ----------------------------------------------------------------------------------


def test_429_is_retried_after_the_servers_retry_after(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.respond_with_429(1, retry_after="1")
    code, output = translate()
    assert code == 0, output
    first, second = openai_server.requests[:2]
    assert first.fault == "429" and first.status == 429 and second.status == 200
    assert second.time - first.time >= 0.95, "Retry-After: 1 was not waited for (our own backoff is 10 ms in tests)"
    assert second.texts == first.texts
    assert editions(site) == reference


def test_5xx_is_retried(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.respond_with_5xx(2, status=503)
    code, output = translate()
    assert code == 0, output
    assert [r.status for r in openai_server.requests[:3]] == [503, 503, 200]
    assert editions(site) == reference


def test_5xx_past_the_retries_fails_the_run_with_exit_4(site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.respond_with_5xx(100, status=502)
    code, output = translate()
    assert code == 4, output
    assert "answered HTTP 502" in output and "(4 attempt(s))" in output  # retries = 3 in the test config
    assert editions(site) == {}


def test_a_slow_answer_times_out_and_is_asked_again(site: Path, openai_server: OpenAITestServer, reference) -> None:
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text().replace("timeout = 5", "timeout = 0.5"))
    openai_server.respond_slowly(1, seconds=2)
    code, output = translate()
    assert code == 0, output
    first = openai_server.requests[0]
    assert first.fault == "slow" and first.status is None, "the client gave up before the answer"
    assert openai_server.requests[1].texts == first.texts
    assert editions(site) == reference


def test_a_dropped_connection_is_retried(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.drop_connections(1)
    code, output = translate()
    assert code == 0, output
    assert openai_server.requests[0].fault == "drop"
    assert editions(site) == reference


# answers checked ---------------------------------------------------------------------------


def test_an_answer_cut_off_at_the_length_limit_splits_the_batch(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.cut_off_answers(1)
    code, output = translate()
    assert code == 0, output
    cut, half1, half2 = openai_server.requests[:3]
    assert cut.fault == "length"
    assert half1.texts + half2.texts == cut.texts and len(half1.texts) == len(cut.texts) // 2
    assert editions(site) == reference, "the cut-off answer was used or cached"


def test_one_segment_cut_off_alone_is_an_engine_error(site: Path, openai_server: OpenAITestServer) -> None:
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "batch_tokens = 1\n")
    openai_server.cut_off_answers(2)
    code, output = translate()
    assert code == 4, output
    assert "finish_reason: length" in output and "max_output_tokens" in output
    assert editions(site) == {}


def test_text_around_the_json_is_tolerated(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.wrap_answers_in_text(1)
    code, output = translate()
    assert code == 0, output
    assert openai_server.requests[0].fault == "wrapped"
    assert len(openai_server.requests) == openai_server.healthy_requests, "nothing was asked again"  # type: ignore[attr-defined]
    assert editions(site) == reference


def test_an_answer_without_its_id_is_asked_again_on_its_own(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.drop_ids(1)
    code, output = translate()
    assert code == 0, output
    first, again = openai_server.requests[:2]
    assert first.fault == "missing_id"
    assert again.segments == first.segments[-1:], "only the segment whose answer lost its id"
    assert editions(site) == reference


def test_fewer_answers_ask_again_for_the_missing_ones_only(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.answer_fewer(1, missing=2)
    code, output = translate()
    assert code == 0, output
    first, again = openai_server.requests[:2]
    assert first.fault == "fewer"
    assert again.segments == first.segments[-2:]
    assert editions(site) == reference


def test_an_unknown_id_refuses_the_answer_and_asks_the_batch_again(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.answer_unknown_ids(1)
    code, output = translate()
    assert code == 0, output
    first, again = openai_server.requests[:2]
    assert first.fault == "unknown_id" and again.texts == first.texts
    assert editions(site) == reference


def test_an_unknown_id_twice_fails_the_run(site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.answer_unknown_ids(2)
    code, output = translate()
    assert code == 4, output
    assert "'s999'" in output and "asked twice" in output
    assert editions(site) == {}
    spent = openai_server.prompt_tokens
    assert spent > 0 and f"{spent:,} input +" in output, "the aborted run reports the tokens of the two answers it refused"


def test_a_dropped_tag_is_caught_by_the_checks_and_asked_again(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.drop_tags(1)
    code, output = translate()
    assert code == 0, output
    first = openai_server.requests[0]
    assert first.fault == "dropped_tag"
    again = openai_server.requests[openai_server.healthy_requests]  # type: ignore[attr-defined]
    assert len(again.texts) == 1 and again.texts[0] in first.texts, "the broken segment is asked for once more"
    assert editions(site) == reference


def test_a_refusal_is_asked_again_and_twice_is_an_engine_error(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.refuse(1)
    code, output = translate()
    assert code == 0, output
    assert editions(site) == reference
    shutil.rmtree(site / "content" / "en")
    shutil.rmtree(site / "translations")
    shutil.rmtree(site / ".cache")
    openai_server.refuse(2)
    code, output = translate()
    assert code == 4, output
    assert "refused to translate" in output and REFUSAL[:20] in output
    assert editions(site) == {}


def test_an_answer_that_is_not_json_is_an_engine_error(site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.answer_prose(2)
    code, output = translate()
    assert code == 4, output
    assert "no JSON object" in output
    assert editions(site) == {}


def test_json_mode_where_the_server_has_no_structured_outputs(site: Path, openai_server: OpenAITestServer, reference) -> None:
    openai_server.json_schema = False
    code, output = translate()
    assert code == 0, output
    first, *rest = openai_server.requests
    assert first.status == 400 and first.body["response_format"]["type"] == "json_schema"
    assert rest and all(r.body["response_format"] == {"type": "json_object"} for r in rest)
    assert editions(site) == reference


# bad input -----------------------------------------------------------------------------------


def test_no_key_exits_2_naming_the_variable(site: Path, openai_server: OpenAITestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    code, output = translate()
    assert code == 2
    assert "OPENAI_API_KEY" in output and "any value" in output
    assert openai_server.requests == []


def test_a_wrong_key_exits_2(site: Path, openai_server: OpenAITestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-0123")
    code, output = translate()
    assert code == 2, output
    assert "OPENAI_API_KEY" in output and "sk-wrong-key-0123" not in output


def test_an_unknown_model_exits_2_with_the_servers_message(site: Path, openai_server: OpenAITestServer) -> None:
    config = site / "pipeline.toml"
    config.write_text(config.read_text().replace('model = "test-model"', 'model = "gpt-9"'))
    code, output = translate()
    assert code == 2, output
    assert "The model `gpt-9` does not exist or you do not have access to it." in output
    assert len(openai_server.requests) == 1, "not retried"


def test_insufficient_quota_exits_3_without_retrying(site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.respond_with_insufficient_quota(1)
    code, output = translate()
    assert code == 3, output
    assert "quota" in output
    assert len(openai_server.requests) == 1


def test_an_unreachable_server_exits_4(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # discard port: nothing listens
    code, output = translate()
    assert code == 4, output
    assert "cannot be reached" in output and "127.0.0.1:9" in output


@pytest.mark.parametrize("content", [None, "", "  \n"])
def test_a_missing_or_empty_style_guide_exits_2_naming_it(site: Path, openai_server: OpenAITestServer, content: str | None) -> None:
    guide = site / "glossary" / "style.md"
    if content is None:
        guide.unlink()
    else:
        guide.write_text(content)
    for args in ((), ("--dry-run",)):
        code, output = translate(*args)
        assert code == 2, output
        assert "style.md" in output and ("missing" if content is None else "empty") in output
    assert openai_server.requests == []


# the prompt, batching, requests in flight, the cache -------------------------------------------


def test_each_prompt_carries_only_the_glossary_terms_of_its_batch(site: Path, openai_server: OpenAITestServer) -> None:
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "batch_tokens = 400\n")
    code, output = translate()
    assert code == 0, output
    glossary = load_glossary(site / "glossary")
    carried = [r.glossary for r in openai_server.answered]
    assert any(carried) and len(carried) > 3
    for request, terms in zip(openai_server.answered, carried):
        wanted = dict(t for text in request.texts for t in glossary.terms_in(prose_of(text)))
        assert terms == wanted
    assert all(len(terms) < len(glossary.terms) for terms in carried)


def test_batches_follow_the_token_budget(site: Path, openai_server: OpenAITestServer) -> None:
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "batch_tokens = 500\n")
    code, output = translate()
    assert code == 0, output
    sizes = [sum(estimate_tokens(t) for t in r.texts) for r in openai_server.answered]
    assert len(sizes) > 5
    assert all(size <= 500 or len(r.texts) == 1 for size, r in zip(sizes, openai_server.answered))


def test_requests_in_flight_follow_jobs_capped_by_the_server_setting(site: Path, openai_server: OpenAITestServer) -> None:
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "batch_tokens = 1500\n")
    openai_server.latency = 0.2
    assert run_cli("translate", "--jobs", "3").exit_code == 0
    assert openai_server.max_in_flight == 3
    shutil.rmtree(site / "content" / "en")
    shutil.rmtree(site / "translations")
    shutil.rmtree(site / ".cache")
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "jobs = 1\n")
    openai_server.max_in_flight = 0
    assert run_cli("translate", "--jobs", "3").exit_code == 0
    assert openai_server.max_in_flight == 1


def test_the_title_and_neighbours_go_along_as_context_and_an_edit_resends_only_its_neighbourhood(
    site: Path, openai_server: OpenAITestServer
) -> None:
    assert run_cli("translate").exit_code == 0
    contexts = [c for r in openai_server.answered for c in r.context]
    assert contexts and all(c["title"] for c in contexts)
    ids = {s["id"] for r in openai_server.answered for s in r.segments}
    assert all(set(c["ids"]) <= ids for c in contexts)
    post = site / "content" / "ja" / "2025-09-30-aws-ai-revenue.md"
    text = post.read_text(encoding="utf-8")
    paragraph = "でもね、今回のAWSのケースは"
    assert text.count(paragraph) == 1
    post.write_text(text.replace(paragraph, "でもね、今回の件は"), encoding="utf-8")
    openai_server.reset_log()
    assert run_cli("translate").exit_code == 0
    sent = [t for r in openai_server.answered for t in r.texts]
    assert len(sent) == 3, "the edited paragraph and the one before and after it (their context changed)"
    assert any("今回の件は" in t for t in sent)


def test_a_changed_style_guide_retranslates_every_segment(site: Path, openai_server: OpenAITestServer) -> None:
    assert run_cli("translate").exit_code == 0
    first = sorted(t for r in openai_server.answered for t in r.texts)
    assert run_cli("status").stdout.count("up-to-date") >= 2
    guide = site / "glossary" / "style.md"
    guide.write_text(guide.read_text(encoding="utf-8") + "\n- Prefer British spelling.\n", encoding="utf-8")
    assert "stale" in run_cli("status").stdout
    openai_server.reset_log()
    assert run_cli("translate").exit_code == 0
    assert sorted(t for r in openai_server.answered for t in r.texts) == first


def test_a_key_with_a_space_inside_is_refused_unshown(site: Path, openai_server: OpenAITestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-first half")
    code, output = translate()
    assert code == 2, output
    assert "OPENAI_API_KEY contains" in output and "half" not in output
    assert openai_server.requests == []


# learned per run, at the default --jobs --------------------------------------------------------


def _fresh(site: Path) -> None:
    """The site as before any run: no editions, no state, no cache."""
    for name in ("content/en", "translations", ".cache"):
        shutil.rmtree(site / name, ignore_errors=True)


def test_json_mode_fallback_holds_for_every_request_in_flight_at_the_default_jobs(
    site: Path, openai_server: OpenAITestServer, reference
) -> None:
    """Several requests are refused json_schema at once: each falls back, not only the first."""
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "batch_tokens = 400\n")
    openai_server.json_schema = False
    openai_server.latency = 0.05  # the first refusals are still in flight together
    for _ in range(3):
        _fresh(site)
        openai_server.reset_log()
        result = run_cli("translate")  # --jobs 4, the default
        assert result.exit_code == 0, result.stdout + result.stderr
        refused = [r for r in openai_server.requests if r.status == 400]
        assert refused and all(r.body["response_format"]["type"] == "json_schema" for r in refused)
        assert openai_server.answered and all(r.body["response_format"] == {"type": "json_object"} for r in openai_server.answered)
    assert openai_server.max_in_flight > 1


def test_a_llama_cpp_500_on_json_schema_falls_back_to_json_mode(site: Path, openai_server: OpenAITestServer, reference) -> None:
    """Older llama.cpp builds answer 500 (server_error) to a json_schema response format."""
    openai_server.json_schema = False
    openai_server.json_schema_status = 500
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    refused = [r for r in openai_server.requests if r.status == 500]
    assert refused and len(refused) <= 4, "not retried as a server failure"
    assert all(r.body["response_format"] == {"type": "json_object"} for r in openai_server.answered)
    assert editions(site) == reference


# the request shape each model and server takes ---------------------------------------------------


def _set(site: Path, old: str, new: str) -> None:
    config = site / "pipeline.toml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new))


def test_a_reasoning_model_gets_no_temperature(site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.models += ("o4-mini",)
    openai_server.reasoning_models.add("o4-mini")
    _set(site, 'model = "test-model"', 'model = "o4-mini"')
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert openai_server.requests and all(r.status == 200 for r in openai_server.requests), "nothing refused: known by its name"
    assert all("temperature" not in r.body and "max_tokens" not in r.body for r in openai_server.requests)


def test_a_reasoning_model_gets_max_completion_tokens(site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.models += ("gpt-5-mini",)
    openai_server.reasoning_models.add("gpt-5-mini")
    _set(site, 'model = "test-model"', 'model = "gpt-5-mini"')
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "max_output_tokens = 8000\n")
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert openai_server.requests and all(r.status == 200 for r in openai_server.requests)
    assert all(r.body["max_completion_tokens"] == 8000 and "max_tokens" not in r.body for r in openai_server.requests)


def test_a_reasoning_model_under_another_name_is_learnt_from_its_refusals_once_per_run(
    site: Path, openai_server: OpenAITestServer, reference
) -> None:
    """An Azure deployment may call o4-mini anything: its 400s teach the shape, once."""
    openai_server.models += ("translator-prod",)
    openai_server.reasoning_models.add("translator-prod")
    openai_server.latency = 0.05
    _set(site, 'model = "test-model"', 'model = "translator-prod"')
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "max_output_tokens = 8000\nbatch_tokens = 400\n")
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    refused = [r for r in openai_server.requests if r.status == 400]
    assert 2 <= len(refused) <= 2 * 4, "max_tokens, then temperature, each learnt once (at most the requests in flight)"
    answered = openai_server.answered
    assert len(answered) > 4
    assert all("temperature" not in r.body and r.body["max_completion_tokens"] == 8000 and "max_tokens" not in r.body for r in answered)


def test_other_models_keep_max_tokens_and_temperature(site: Path, openai_server: OpenAITestServer) -> None:
    """Ollama and older servers ignore max_completion_tokens: everyone else keeps max_tokens."""
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "max_output_tokens = 3000\n")
    assert run_cli("translate").exit_code == 0
    assert all(r.body["max_tokens"] == 3000 and r.body["temperature"] == 0 for r in openai_server.requests)
    assert not any("max_completion_tokens" in r.body for r in openai_server.requests)


def test_batches_fit_a_small_local_context(site: Path, openai_server: OpenAITestServer) -> None:
    """Ollama's context is 4,096 tokens on most machines: `context_tokens` sizes the batches so
    that the prompt and its answer fit (counted by the server with a real tokenizer)."""
    openai_server.context_size = 4096
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "context_tokens = 4096\n")
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert openai_server.requests and all(r.status == 200 for r in openai_server.requests)
    assert all(r.prompt_tokens + r.completion_tokens <= 4096 for r in openai_server.answered)


def test_a_context_too_small_for_the_prompt_is_a_config_error(site: Path, openai_server: OpenAITestServer) -> None:
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + "context_tokens = 1000\n")
    result = run_cli("translate")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "context_tokens" in result.stdout + result.stderr and "too small" in result.stdout + result.stderr
    assert openai_server.requests == []


# a batch refused for its content or size -------------------------------------------------------------


@pytest.mark.parametrize("refusal", ["context_length_exceeded", "exceed_context_size_error", "content_filter", "json_validate_failed"])
def test_a_batch_refused_for_its_content_or_size_is_asked_again_in_halves(
    site: Path, openai_server: OpenAITestServer, reference, refusal: str
) -> None:
    openai_server.refuse_batches(1, refusal)
    result = run_cli("translate")  # --jobs 4
    assert result.exit_code == 0, result.stdout + result.stderr
    refused = [r for r in openai_server.requests if r.status == 400]
    assert len(refused) == 1 and refused[0].fault == "batch:" + refusal
    texts = refused[0].texts
    half = len(texts) // 2
    asked = [r.texts for r in openai_server.answered]
    assert texts[:half] in asked and texts[half:] in asked, "the refused texts were asked again in two halves"
    assert editions(site) == reference


def test_a_segment_refused_alone_keeps_its_japanese_and_the_run_goes_on(site: Path, openai_server: OpenAITestServer, reference) -> None:
    paragraph = "ただのバズワードで終わる話ではない"
    openai_server.refuse_texts_containing(paragraph, "content_filter")
    result = run_cli("translate", "--report", str(site / "report.json"))
    output = result.stdout + result.stderr
    assert result.exit_code == 0, output
    alone = [r for r in openai_server.requests if r.status == 400 and len(r.texts) == 1]
    assert len(alone) == 1 and paragraph in alone[0].texts[0], "split down to the one segment"
    sizes = [len(r.texts) for r in openai_server.requests if r.status == 400]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 1
    edition = (site / "content" / "en" / "2025-09-30-aws-ai-revenue.md").read_text(encoding="utf-8")
    assert paragraph in edition, "kept in Japanese"
    assert edition.count(MARK) > 10, "the rest of the post is translated"
    data = json.loads((site / "report.json").read_text(encoding="utf-8"))
    post = next(p for p in data["posts"] if p["post"].endswith("aws-ai-revenue.md"))
    assert post["kept_by_reason"] == {"refused": 1}
    warning = next(w for w in post["warnings"] if w["code"] == "refused")
    assert "content_filter" in warning["message"] and "--retry-flagged" in warning["message"]
    assert "refused 1" in output
    openai_server.reset_log()
    assert run_cli("translate").exit_code == 0
    assert openai_server.requests == [], "not bought again without --retry-flagged"
    openai_server.clear_faults()
    result = run_cli("translate", "--retry-flagged")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [r.texts for r in openai_server.requests] == [alone[0].texts]
    assert editions(site) == reference


# retries in one place, exit codes by meaning ---------------------------------------------------------


def test_a_retry_after_beyond_the_budget_stops_at_once_saying_when_to_retry(site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.respond_with_429(100, retry_after="600")
    result = run_cli("translate")
    output = result.stdout + result.stderr
    assert result.exit_code == 4, output
    assert len(openai_server.requests) <= 4, "no request waited or was sent again"
    assert "600 s" in output and "try again after" in output and "UTC" in output and "Traceback" not in output


@pytest.mark.parametrize("value", ["60s", "soon", "nan", "1e999", "-5"])
def test_a_malformed_retry_after_is_no_traceback(site: Path, openai_server: OpenAITestServer, reference, value: str) -> None:
    openai_server.respond_with_429(1, retry_after=value)
    code, output = translate()
    assert code in (0, 4) and "Traceback" not in output, output
    if value != "1e999":  # an endless wait is beyond any budget
        assert code == 0, output
        assert editions(site) == reference


def test_x_should_retry_false_is_not_retried(site: Path, openai_server: OpenAITestServer) -> None:
    error = {"error": {"message": "The engine is currently overloaded.", "type": "server_error", "param": None, "code": None}}
    openai_server.respond_with(100, 503, error, {"x-should-retry": "false"})
    code, output = translate()
    assert code == 4, output
    assert len(openai_server.requests) == 1 and "overloaded" in output


def test_x_should_retry_true_is_retried(site: Path, openai_server: OpenAITestServer, reference) -> None:
    error = {"error": {"message": "Please try again.", "type": "invalid_request_error", "param": None, "code": "conflict"}}
    openai_server.respond_with(1, 400, error, {"x-should-retry": "true"})
    code, output = translate()
    assert code == 0, output
    assert [r.status for r in openai_server.requests[:2]] == [400, 200]
    assert editions(site) == reference


def test_openrouters_402_out_of_credits_exits_3(site: Path, openai_server: OpenAITestServer) -> None:
    body = {"error": {"code": 402, "message": "Insufficient credits. Add more using https://openrouter.ai/settings/credits"}}
    openai_server.respond_with(1, 402, body)
    code, output = translate()
    assert code == 3, output
    assert "Insufficient credits" in output and len(openai_server.requests) == 1


def test_a_403_that_is_not_the_key_says_the_servers_reason(site: Path, openai_server: OpenAITestServer) -> None:
    body = {
        "error": {
            "message": "Country, region, or territory not supported",
            "type": "request_forbidden",
            "param": None,
            "code": "unsupported_country_region_territory",
        }
    }
    openai_server.respond_with(1, 403, body)
    code, output = translate()
    assert code == 2, output
    assert "Country, region, or territory not supported" in output
    assert "refused the key" not in output


def test_answers_without_usage_are_reported_as_estimates(site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.usage = False
    result = run_cli("translate", "--report", str(site / "report.json"))
    assert result.exit_code == 0, result.stdout + result.stderr
    tokens = json.loads((site / "report.json").read_text(encoding="utf-8"))["tokens"]
    assert tokens["estimated"] is True and tokens["input"] > 0
    assert "estimated" in result.stdout


def test_cached_and_reasoning_tokens_are_reported(site: Path, openai_server: OpenAITestServer) -> None:
    openai_server.cached_tokens = 64
    openai_server.reasoning_tokens = 32
    result = run_cli("translate", "--report", str(site / "report.json"))
    assert result.exit_code == 0, result.stdout + result.stderr
    tokens = json.loads((site / "report.json").read_text(encoding="utf-8"))["tokens"]
    answered = len(openai_server.answered)
    assert tokens["estimated"] is False
    assert tokens["cached_input"] == 64 * answered and tokens["reasoning"] == 32 * answered
    assert f"{64 * answered:,} cached" in result.stdout and f"{32 * answered:,} reasoning" in result.stdout
    report = json.loads((site / "report.json").read_text(encoding="utf-8"))
    both = combine([report, report])["tokens"]  # merge-shards
    assert both["cached_input"] == 2 * 64 * answered and both["reasoning"] == 2 * 32 * answered


def test_azure_deployment_urls_carry_the_api_version(site: Path, openai_server: OpenAITestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    (site / "pipeline.toml").write_text((site / "pipeline.toml").read_text() + 'api_version = "2024-10-21"\n')
    code, output = translate()
    assert code == 0, output
    assert openai_server.requests and all(r.query == "api-version=2024-10-21" for r in openai_server.requests)
