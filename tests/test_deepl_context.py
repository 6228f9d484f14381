"""DeepL's `context` parameter (read, not translated, not billed): sent with the neighbouring
paragraphs for short segments (headings, list items, table cells) only, through the real
`deepl.Translator` to the test server, which records it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deepl_server import DeepLTestServer
from helpers import make_site, run_cli

from pipeline.translate import billable_length

HEADING = "人材と組織の変革"
NEXT_PARAGRAPH = "このAIの波を乗りこなす上で"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer) -> Path:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_headings_request_carries_its_neighbours_as_context_unbilled(site: Path, deepl_env: DeepLTestServer) -> None:
    result = run_cli("translate", "--report", str(site / "report.json"))
    assert result.exit_code == 0, result.stdout + result.stderr
    sent = deepl_env.translate_requests
    heading = [r for r in sent if any(HEADING in t for t in r.texts)]
    assert len(heading) == 1
    assert heading[0].context is not None and NEXT_PARAGRAPH in heading[0].context, "the paragraph after the heading"
    assert all(len(t) < 100 for t in heading[0].texts), "only short segments share a request with context"
    long_ones = [r for r in sent if any(NEXT_PARAGRAPH in t for t in r.texts)]
    assert long_ones and all(r.context is None for r in long_ones), "a paragraph goes without context, as before"
    billed = json.loads((site / "report.json").read_text(encoding="utf-8"))["billed_characters"]
    texts = sum(billable_length(t) for r in sent for t in r.texts)
    assert billed == texts == deepl_env.character_count, "the context is not billed"


def test_a_context_change_resends_only_the_short_segments_around_it(site: Path, deepl_env: DeepLTestServer) -> None:
    assert run_cli("translate").exit_code == 0
    post = site / "content" / "ja" / "2025-12-25-amazon-trillion-yen-ai-infrastructure.md"
    text = post.read_text(encoding="utf-8")
    assert text.count(NEXT_PARAGRAPH) == 1
    post.write_text(text.replace(NEXT_PARAGRAPH, "このAIの大波を乗りこなす上で"), encoding="utf-8")
    deepl_env.reset_log()
    assert run_cli("translate").exit_code == 0
    sent = deepl_env.texts_sent
    assert any("大波" in t for t in sent) and any(HEADING in t for t in sent), "the edited paragraph, and the heading it is context of"
    assert len(sent) <= 4


def test_formality_a_target_lacks_is_refused_before_any_request(site: Path, deepl_env: DeepLTestServer) -> None:
    (site / "pipeline.toml").write_text('[deepl]\nformality = "more"\n', encoding="utf-8")
    result = run_cli("translate")
    output = result.stdout + result.stderr
    assert result.exit_code == 2, output
    assert "formality" in output and "EN-US" in output and "prefer_more" in output and "pipeline.toml" in output
    assert deepl_env.requests == []


def test_a_formality_preference_is_sent(site: Path, deepl_env: DeepLTestServer) -> None:
    (site / "pipeline.toml").write_text('[deepl]\nformality = "prefer_more"\n', encoding="utf-8")
    result = run_cli("translate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert deepl_env.translate_requests and all(r.body["formality"] == "prefer_more" for r in deepl_env.translate_requests)
