"""Tests of the DeepL test server, driven through the real ``deepl`` client.

Why: the pipeline's tests trust this server to behave like DeepL as seen by
deepl 1.32 (shapes, status codes, retries). These tests pin that contract.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import deepl
import deepl.http_client
import pytest
import requests
from deepl.api_data import MultilingualGlossaryDictionaryEntries

try:
    from deepl_server import DeepLTestServer, ServerError
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.deepl_server import DeepLTestServer, ServerError


@pytest.fixture
def translator(deepl_server: DeepLTestServer) -> Iterator[deepl.Translator]:
    """A real deepl.Translator pointed at the test server."""
    t = deepl.Translator(deepl_server.auth_key, server_url=deepl_server.url)
    yield t
    t.close()


def statuses(server: DeepLTestServer) -> list[int | None]:
    return [r.status for r in server.requests]


def test_plain_translate_shape_and_request(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    result = translator.translate_text("こんにちは、世界", target_lang="EN-US")
    assert isinstance(result, deepl.TextResult)
    assert result.text == "EN: こんにちは、世界"
    assert result.detected_source_lang == "JA"
    assert result.billed_characters == 8

    (req,) = deepl_server.translate_requests
    assert req.method == "POST"
    assert req.body == {"target_lang": "EN-US", "text": ["こんにちは、世界"], "show_billed_characters": True}
    assert req.headers["Authorization"] == "<redacted>"
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["User-Agent"].startswith("deepl-python/1.32.0")
    assert req.auth_ok is True and req.duration is not None and req.time <= time.time()


def test_source_lang_and_options_are_echoed_or_recorded(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    result = translator.translate_text(
        "text",
        source_lang="ja",
        target_lang="en-gb",
        formality="prefer_less",
        model_type="prefer_quality_optimized",
        context="ctx",
        preserve_formatting=True,
        split_sentences="nonewlines",
        outline_detection=False,
    )
    assert result.detected_source_lang == "JA"
    assert result.model_type_used == "quality_optimized"
    body = deepl_server.translate_requests[0].body
    assert body["source_lang"] == "JA" and body["target_lang"] == "EN-GB"
    assert body["formality"] == "prefer_less"
    assert body["context"] == "ctx"
    assert body["preserve_formatting"] is True and body["outline_detection"] is False
    assert body["split_sentences"] == "nonewlines"
    assert deepl_server.billed_characters == 4  # context is not billed


def test_xml_keeps_tags_attributes_and_ignored_content(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    glossary = translator.create_glossary("g", "JA", "EN", {"猫": "cat"})
    source = '<p class="a" id="b">猫 &amp; <x id="1"/> 猫<br/><code lang="ja">猫 &lt;猫&gt;</code>猫</p><!--猫-->'
    result = translator.translate_text(
        source,
        source_lang="JA",
        target_lang="EN-US",
        glossary=glossary,
        tag_handling="xml",
        tag_handling_version="v2",
        ignore_tags=["code", "pre"],
    )
    assert result.text == (
        'EN: <p class="a" id="b">cat &amp; <x id="1"/> cat<br/><code lang="ja">猫 &lt;猫&gt;</code>cat</p><!--猫-->'
    )
    body = deepl_server.translate_requests[0].body
    assert body["tag_handling"] == "xml"
    assert body["tag_handling_version"] == "v2"
    assert body["ignore_tags"] == ["code", "pre"]


def test_malformed_xml_is_rejected_and_not_billed(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    with pytest.raises(deepl.DeepLException, match="Tag handling parsing failed") as info:
        translator.translate_text(["ok", "<b>unclosed"], target_lang="EN-US", tag_handling="xml")
    assert info.value.http_status_code == 400
    assert statuses(deepl_server) == [400]  # 4xx is not retried
    assert deepl_server.character_count == 0
    assert deepl_server.translate_requests == []


def test_plain_text_is_not_parsed_as_xml(translator: deepl.Translator) -> None:
    assert translator.translate_text("<b>x", target_lang="EN-US").text == "EN: <b>x"


def test_html_tag_handling_is_lenient(translator: deepl.Translator) -> None:
    result = translator.translate_text("a<br>b <pre>c</pre>", target_lang="EN-US", tag_handling="html", ignore_tags="pre")
    assert result.text == "EN: a<br>b <pre>c</pre>"


def test_batch_is_one_request_with_n_texts(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    results = translator.translate_text(["一", "二つ", "three"], target_lang="EN-US")
    assert [r.text for r in results] == ["EN: 一", "EN: 二つ", "EN: three"]
    assert [r.detected_source_lang for r in results] == ["JA", "JA", "EN"]
    assert len(deepl_server.translate_requests) == 1
    assert deepl_server.translate_requests[0].texts == ["一", "二つ", "three"]
    assert deepl_server.texts_sent == ["一", "二つ", "three"]


def test_billing_and_usage(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    results = translator.translate_text(["abc", "de"], target_lang="EN-US")
    translator.translate_text("fghij", target_lang="EN-US")
    assert [r.billed_characters for r in results] == [3, 2]
    assert deepl_server.billed_characters == 10
    usage = translator.get_usage()
    assert usage.character.count == 10
    assert usage.character.limit == deepl_server.character_limit
    assert not usage.any_limit_reached

    deepl_server.reset_log()
    assert deepl_server.requests == [] and deepl_server.billed_characters == 0
    assert translator.get_usage().character.count == 10  # account usage survives reset_log


def test_quota_exceeded_bills_nothing(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.init_character_limit(10)
    translator.translate_text("12345", target_lang="EN-US")
    with pytest.raises(deepl.QuotaExceededException):
        translator.translate_text("123456", target_lang="EN-US")
    assert statuses(deepl_server) == [200, 456]
    assert deepl_server.requests[-1].fault == "quota"
    assert deepl_server.character_count == 5
    translator.translate_text("12345", target_lang="EN-US")  # exactly at the limit is fine
    assert translator.get_usage().character.limit_reached


def test_glossary_round_trip(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    entries = {"東京": "Tokyo", "東京タワー": "Tokyo Tower", "塔": "tower"}
    info = translator.create_glossary("site terms", "JA", "EN", entries)
    assert (info.name, info.source_lang, info.target_lang, info.entry_count, info.ready) == ("site terms", "JA", "EN", 3, True)
    assert deepl_server.requests[0].body["entries_format"] == "tsv"
    assert deepl_server.requests[0].path == "/v2/glossaries"

    assert [g.glossary_id for g in translator.list_glossaries()] == [info.glossary_id]
    assert translator.get_glossary(info.glossary_id).name == "site terms"
    assert translator.get_glossary_entries(info) == entries
    assert deepl_server.glossaries[info.glossary_id].entries == entries

    # longest source term first: 東京タワー is not split into 東京 + タワー
    result = translator.translate_text_with_glossary("東京タワーと東京の塔", info, target_lang="EN-US")
    assert result.text == "EN: Tokyo TowerとTokyoのtower"
    assert deepl_server.translate_requests[0].body["glossary_id"] == info.glossary_id

    translator.delete_glossary(info)
    assert translator.list_glossaries() == []
    with pytest.raises(deepl.GlossaryNotFoundException):
        translator.get_glossary(info.glossary_id)
    assert (deepl_server.glossaries_created, deepl_server.glossaries_deleted) == (1, 1)


def test_glossary_errors(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    pairs = translator.get_glossary_languages()
    assert any(p.source_lang == "ja" and p.target_lang == "en" for p in pairs)
    with pytest.raises(deepl.DeepLException, match="Bad request"):
        translator.translate_text("x", source_lang="JA", target_lang="EN-US", glossary="no-such-id")
    glossary = deepl_server.add_glossary("de", "de", "en", {"Haus": "house"})
    with pytest.raises(deepl.DeepLException, match="language pair does not match"):
        translator.translate_text("x", source_lang="JA", target_lang="EN-US", glossary=glossary.glossary_id)
    with pytest.raises(deepl.DeepLException, match="Unsupported glossary"):
        translator.create_glossary("bad", "JA", "XX", {"a": "b"})
    assert deepl_server.glossaries_created == 0


def test_v3_multilingual_glossary(deepl_server: DeepLTestServer) -> None:
    client = deepl.DeepLClient(deepl_server.auth_key, server_url=deepl_server.url)
    info = client.create_multilingual_glossary(
        "multi", [MultilingualGlossaryDictionaryEntries("JA", "EN", {"猫": "cat"})]
    )
    assert deepl_server.requests[0].path == "/v3/glossaries"
    assert [(d.source_lang, d.target_lang, d.entry_count) for d in info.dictionaries] == [("JA", "EN", 1)]
    assert [g.glossary_id for g in client.list_multilingual_glossaries()] == [info.glossary_id]
    entries = client.get_multilingual_glossary_entries(info, "JA", "EN")
    assert entries.dictionaries[0].entries == "猫\tcat"  # DeepL returns TSV here, and deepl passes it through
    assert client.translate_text("猫", source_lang="JA", target_lang="EN-US", glossary=info).text == "EN: cat"
    client.delete_multilingual_glossary(info)
    assert deepl_server.glossaries == {}
    client.close()


def test_429_twice_then_success(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_429(2)
    started = time.monotonic()
    assert translator.translate_text("a", target_lang="EN-US").text == "EN: a"
    assert time.monotonic() - started < 1.0
    assert statuses(deepl_server) == [429, 429, 200]
    assert [r.fault for r in deepl_server.requests] == ["429", "429", None]
    assert deepl_server.billed_characters == 1 and deepl_server.character_count == 1


def test_429_exhausting_retries_raises(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_429(10)
    with pytest.raises(deepl.TooManyRequestsException):
        translator.translate_text("a", target_lang="EN-US")
    assert len(deepl_server.requests) == 1 + deepl.http_client.max_network_retries


def test_5xx_then_success(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_5xx(1, status=503)
    deepl_server.respond_with_5xx(1)
    assert translator.translate_text("a", target_lang="EN-US").text == "EN: a"
    assert statuses(deepl_server) == [503, 500, 200]


def test_fault_paths_filter(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_429(1, paths="/v2/glossaries")
    translator.translate_text("a", target_lang="EN-US")
    assert translator.list_glossaries() == []
    assert [(r.path, r.status) for r in deepl_server.requests] == [
        ("/v2/translate", 200),
        ("/v2/glossaries", 429),
        ("/v2/glossaries", 200),
    ]


def test_faults_apply_to_glossary_endpoints_by_default(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_5xx(1, status=502)
    translator.create_glossary("g", "JA", "EN", {"a": "b"})
    assert statuses(deepl_server) == [502, 201]
    assert len(deepl_server.glossaries) == 1


def test_wrong_key_is_403(deepl_server: DeepLTestServer) -> None:
    bad = deepl.Translator("not-the-key", server_url=deepl_server.url)
    with pytest.raises(deepl.AuthorizationException):
        bad.translate_text("a", target_lang="EN-US")
    bad.close()
    (req,) = deepl_server.requests
    assert (req.status, req.fault, req.auth_ok) == (403, "auth", False)
    assert "not-the-key" not in repr(req)  # the key value is not logged


def test_expect_auth_key(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.expect_auth_key("rotated")
    with pytest.raises(deepl.AuthorizationException):
        translator.get_usage()
    rotated = deepl.Translator("rotated", server_url=deepl_server.url)
    assert rotated.get_usage().character.count == 0
    rotated.close()


def test_dropped_connection_is_retried(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.drop_connections(1)
    assert translator.translate_text("a", target_lang="EN-US").text == "EN: a"
    assert statuses(deepl_server) == [None, 200]
    assert deepl_server.requests[0].fault == "drop"


def test_one_outcome_fault_per_request(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_429(1)
    deepl_server.drop_connections(1)
    translator.translate_text("a", target_lang="EN-US")
    assert [r.fault for r in deepl_server.requests] == ["drop", "429", None]
    assert statuses(deepl_server) == [None, 429, 200]


def test_dropped_connections_exhaust_retries(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.drop_connections(100)
    with pytest.raises(deepl.ConnectionException):
        translator.translate_text("a", target_lang="EN-US")
    assert len(deepl_server.requests) == 1 + deepl.http_client.max_network_retries
    assert deepl_server.character_count == 0


def test_slow_response_times_out_and_is_retried(
    translator: deepl.Translator, deepl_server: DeepLTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deepl.http_client, "min_connection_timeout", 0.2)
    deepl_server.respond_slowly(1, 1.0)
    assert translator.translate_text("a", target_lang="EN-US").text == "EN: a"
    first, second = deepl_server.requests
    assert first.fault == "slow" and first.status is None  # client gave up
    assert second.status == 200
    assert len(deepl_server.translate_requests) == 1


def test_latency_applies_to_every_response(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.set_latency(0.05)
    started = time.monotonic()
    translator.get_usage()
    translator.translate_text("a", target_lang="EN-US")
    assert time.monotonic() - started >= 0.1
    assert all(r.duration is not None and r.duration >= 0.05 for r in deepl_server.requests)


def test_fixed_mode_drops_tags(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.set_mode("fixed")
    results = translator.translate_text(["<b>猫</b>", "犬"], target_lang="EN-US", tag_handling="xml")
    assert [r.text for r in results] == ["proton beam", "proton beam"]
    assert deepl_server.texts_sent == ["<b>猫</b>", "犬"]  # billed on the input, not the output
    assert deepl_server.billed_characters == sum(r.billed_characters for r in results) > 0


def test_custom_translator_hook(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    seen: list[dict[str, Any]] = []

    def drop_bold(text: str, params: dict[str, Any]) -> str:
        seen.append(params)
        if "boom" in text:
            raise ServerError(400, "hook refused")
        return text.replace("<b>", "").replace("</b>", "")

    deepl_server.set_translator(drop_bold)
    assert deepl_server.mode == "custom"
    assert translator.translate_text("<b>x</b> y", target_lang="EN-US", tag_handling="xml").text == "x y"
    assert seen[0]["target_lang"] == "EN-US" and seen[0]["tag_handling"] == "xml"
    with pytest.raises(deepl.DeepLException, match="hook refused"):
        translator.translate_text("boom", target_lang="EN-US")
    deepl_server.set_translator(None)
    assert translator.translate_text("x", target_lang="EN-US").text == "EN: x"


def test_unknown_path_and_languages(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    headers = {"Authorization": f"DeepL-Auth-Key {deepl_server.auth_key}"}
    response = requests.get(f"{deepl_server.url}/v2/nope", headers=headers, timeout=5)
    assert response.status_code == 404 and "message" in response.json()
    assert {lang.code for lang in translator.get_target_languages()} >= {"EN-US", "EN-GB", "JA"}
    assert {lang.code for lang in translator.get_source_languages()} >= {"JA", "EN"}


def test_concurrent_requests_are_all_counted(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        t = deepl.Translator(deepl_server.auth_key, server_url=deepl_server.url)
        try:
            for i in range(5):
                t.translate_text(f"{n}-{i}", target_lang="EN-US")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            t.close()

    deepl_server.respond_with_429(4)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(deepl_server.translate_requests) == 40
    assert statuses(deepl_server).count(429) == 4
    assert deepl_server.character_count == sum(len(f"{n}-{i}") for n in range(8) for i in range(5))


def test_script_mode_serves_until_terminated() -> None:
    script = Path(__file__).with_name("deepl_server.py")
    command = [sys.executable, str(script), "--port", "0", "--latency", "0.01", "--auth-key", "k"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            t = deepl.Translator("k", server_url=url)
            assert t.translate_text("猫", target_lang="EN-US").text == "EN: 猫"
            t.close()
        finally:
            proc.terminate()
            assert proc.wait(timeout=5) == 0  # SIGTERM is a clean shutdown


def _raw_translate(server: DeepLTestServer, texts: list[str]) -> requests.Response:
    """The answer as sent, before the deepl client interprets it."""
    headers = {"Authorization": f"DeepL-Auth-Key {server.auth_key}"}
    return requests.post(f"{server.url}/v2/translate", json={"text": texts, "target_lang": "EN-US"}, headers=headers, timeout=5)


def test_fewer_and_more_translations_than_texts(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_fewer_translations(1, missing=2)
    deepl_server.respond_with_more_translations(1)
    assert [r.text for r in translator.translate_text(["a", "b", "c"], target_lang="EN-US")] == ["EN: a"]
    assert [r.text for r in translator.translate_text(["a", "b"], target_lang="EN-US")] == ["EN: a", "EN: b", "EN: extra 1"]
    assert len(translator.translate_text(["a", "b"], target_lang="EN-US")) == 2  # count-down used up
    assert [r.fault for r in deepl_server.requests] == ["fewer", "more", None]
    assert deepl_server.character_count == 3 + 2 + 2, "a lying answer is still billed"


def test_null_texts(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_null_texts(1, texts=2)
    assert [r.text for r in translator.translate_text(["a", "b", "c"], target_lang="EN-US")] == ["EN: a", None, None]


def test_empty_and_malformed_bodies(deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_empty_body(1)
    deepl_server.respond_with_malformed_body(1)
    empty, malformed, healthy = (_raw_translate(deepl_server, ["猫"]) for _ in range(3))
    assert (empty.status_code, empty.content) == (200, b"")
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    assert healthy.json()["translations"][0]["text"] == "EN: 猫"
    assert [r.fault for r in deepl_server.requests] == ["empty", "malformed", None]


def test_lying_answers_only_apply_to_a_200(translator: deepl.Translator, deepl_server: DeepLTestServer) -> None:
    deepl_server.respond_with_429(1)
    deepl_server.respond_with_fewer_translations(1)
    assert len(translator.translate_text(["a", "b"], target_lang="EN-US")) == 1
    assert [r.fault for r in deepl_server.requests] == ["429", "fewer"]


def test_hang_holds_the_request_until_the_client_gives_up(
    translator: deepl.Translator, deepl_server: DeepLTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deepl.http_client, "min_connection_timeout", 0.3)
    deepl_server.hang_requests(1)
    started = time.monotonic()
    assert translator.translate_text("a", target_lang="EN-US").text == "EN: a"
    assert time.monotonic() - started >= 0.3
    hung, answered = deepl_server.requests
    assert (hung.fault, hung.status) == ("hang", None) and answered.status == 200
    assert deepl_server.character_count == 1, "a hung request is not billed"


def test_hang_is_released_when_the_server_stops(fast_deepl_retries: None) -> None:
    server = DeepLTestServer().start()
    server.hang_requests(1)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            _raw_translate(server, ["a"])
        except requests.RequestException as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    while not server.requests:
        time.sleep(0.01)
    time.sleep(0.2)
    assert thread.is_alive(), "a hung request must not be answered"
    server.stop()
    thread.join(timeout=5)
    assert not thread.is_alive() and len(errors) == 1
