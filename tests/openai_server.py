"""An OpenAI-compatible chat completions test server (stdlib HTTP, real sockets).

Why: the `openai` engine speaks HTTP to any OpenAI-compatible server, and the suite has
neither network nor a key. This server answers `POST /v1/chat/completions` on 127.0.0.1
(random port) the way a model that follows our wire contract would: it reads the last
user message's `{"segments": [...]}` and answers `{"translations": [...]}`, keeping every
tag. It counts tokens with OpenAI's own o200k_base tokenizer (the `bpe-openai` package,
which ships its data), so the engine's estimates are checked against a real tokenizer.

Modes: "mark" (default: each text node gets `EN ` in front of it and the request's
glossary applied, tags and `<x>` contents kept) and "echo" (every text comes back exactly
as sent: the identity guarantee through the LLM path). Faults are count-down verbs, and
every request is recorded (segments, glossary terms, context, tokens, the fault met).

Library use::

    with OpenAITestServer() as server:
        server.respond_with_429(1, retry_after=1)
        ...  # OPENAI_BASE_URL=server.url, OPENAI_API_KEY=server.api_key
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fake_server import RequestLog, take_fault
from openai_spec import request_problems, response_problems

try:
    from deepl_server import transform_xml
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.deepl_server import transform_xml

DEFAULT_API_KEY = "test-key"
DEFAULT_MODEL = "test-model"
MARK = "EN "
REFUSAL = "I'm sorry, I can't help with that request."
QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details."
# answer faults: the request is served (and its tokens counted), the answer is wrong
ANSWER_FAULTS = ("length", "wrapped", "missing_id", "unknown_id", "dropped_tag", "fewer", "refusal", "not_json", "append", "surrogate")
STATUS_FAULTS = ("429", "5xx", "quota", "drop", "answer")
# a batch refused for its content or size, as each server words it (status 400)
BATCH_REFUSALS: dict[str, dict[str, Any]] = {
    "context_length_exceeded": {  # OpenAI
        "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. "
        "Please reduce the length of the messages.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    },
    "exceed_context_size_error": {  # llama.cpp
        "code": 400,
        "message": "the request exceeds the available context size, try increasing it",
        "type": "exceed_context_size_error",
        "n_prompt_tokens": 5120,
        "n_ctx": 4096,
    },
    "content_filter": {  # Azure OpenAI
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
        "Please modify your prompt and retry.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {"violence": {"filtered": True, "severity": "medium"}}},
    },
    "json_validate_failed": {  # Groq
        "message": "Failed to generate JSON. Please adjust your prompt. See 'failed_generation' for more details.",
        "type": "invalid_request_error",
        "code": "json_validate_failed",
        "failed_generation": '{"translations": [{"id": "s1", "text": "EN ',
    },
}
_TAG = re.compile(r"<(b|i|s|a)(\s[^>]*)?>(.*?)</\1>", re.DOTALL)


@cache
def _encoding() -> Any:
    import bpe_openai

    return bpe_openai.get_encoding("o200k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text))


@dataclass
class RecordedRequest:
    """One request as the server saw it; `status` None when no answer was sent."""

    path: str
    headers: dict[str, str]
    body: Any
    time: float
    status: int | None = None
    fault: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    problems: tuple[str, ...] = ()  # what OpenAI's CreateChatCompletionRequest schema refuses in the body

    @property
    def query(self) -> str:
        """The URL's query (`api-version=…` for Azure's deployment URLs)."""
        return self.path.partition("?")[2]

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON object of the last user message (the wire contract's request)."""
        try:
            return json.loads(self.body["messages"][-1]["content"])
        except (KeyError, IndexError, TypeError, ValueError):
            return {}

    @property
    def segments(self) -> list[dict[str, str]]:
        return list(self.payload.get("segments", []))

    @property
    def texts(self) -> list[str]:
        return [s["text"] for s in self.segments]

    @property
    def glossary(self) -> dict[str, str]:
        return dict(self.payload.get("glossary", {}))

    @property
    def context(self) -> list[dict[str, Any]]:
        return list(self.payload.get("context", []))

    @property
    def system(self) -> str:
        return str(self.body["messages"][0]["content"]) if isinstance(self.body, dict) else ""


@dataclass
class _Fault:
    kind: str
    remaining: int
    seconds: float = 0.0
    retry_after: str | None = None
    status: int = 500
    count: int = 1
    refusal: str = ""  # BATCH_REFUSALS key
    answer: Any = None  # "answer": the body sent
    headers: dict[str, str] | None = None  # "answer": the headers sent
    containing: str = ""  # refuse only requests with a text holding this
    suffix: str = ""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    app: OpenAITestServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:
        app = self.server.app
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in self.headers.items()}
        record = RecordedRequest(self.path, headers, body, time.time())
        app._record(record)
        with app._lock:
            app._in_flight += 1
            app.max_in_flight = max(app.max_in_flight, app._in_flight)
        try:
            status, answer, extra = app._serve(record, self.headers.get("Authorization"))
        finally:
            with app._lock:
                app._in_flight -= 1
        if status is None:  # a dropped connection, or the client gave up while we were slow
            self.close_connection = True
            return
        try:
            payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8: it goes as JSON's `\ud800` escape
            payload = json.dumps(answer).encode("utf-8")
        record.status = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            record.status, record.fault = None, "abandoned"


def _error(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class OpenAITestServer:
    def __init__(self, api_key: str = DEFAULT_API_KEY, *, models: tuple[str, ...] = (DEFAULT_MODEL,), mode: str = "mark") -> None:
        self.api_key = api_key
        self.models = models
        self.mode = mode
        self.json_schema = True  # False: refuse response_format json_schema, like an older server
        self.json_schema_status = 400  # 500: as old llama.cpp builds refuse it (server_error)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._faults: list[_Fault] = []
        self._log: RequestLog[RecordedRequest] = RequestLog()
        self._httpd: _HTTPServer | None = None
        self._in_flight = 0
        self.invalid_answers: list[str] = []  # the server's own 200 answers the spec's response schema refuses (a bug here)
        self.max_in_flight = 0  # the most requests the server was answering at once
        self.latency = 0.0  # seconds before every answer
        # models that take requests as OpenAI's reasoning models do (o1, o3, o4-mini, gpt-5*):
        # `max_completion_tokens`, never `max_tokens`; `temperature` only at its default of 1
        self.reasoning_models: set[str] = set()
        self.usage = True  # False: answers without `usage` (some local servers)
        self.cached_tokens = 0  # usage.prompt_tokens_details.cached_tokens of every answer
        self.reasoning_tokens = 0  # usage.completion_tokens_details.reasoning_tokens of every answer
        self.context_size: int | None = None  # a local server's context (llama.cpp's n_ctx, Ollama's num_ctx)
        self.echo_key = False  # True: a wrong key is quoted back lower-cased, as some proxies do

    # lifecycle ------------------------------------------------------------------

    def start(self) -> OpenAITestServer:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.app = self
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> OpenAITestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL (OPENAI_BASE_URL), `/v1` included as OpenAI's own."""
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # fault verbs (count-down: each consumed by one request) ----------------------

    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def respond_with_429(self, count: int, retry_after: str | None = None) -> None:
        """Rate limited (`rate_limit_exceeded`), with a `Retry-After` header when given."""
        self._add(_Fault("429", count, retry_after=retry_after))

    def respond_with_5xx(self, count: int, status: int = 503) -> None:
        self._add(_Fault("5xx", count, status=status))

    def respond_with(self, count: int, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        """Any status, body and headers (a server's own error answer, word for word)."""
        self._add(_Fault("answer", count, status=status, answer=body, headers=dict(headers or {})))

    def respond_with_insufficient_quota(self, count: int = 1) -> None:
        """429 with `insufficient_quota`: no retry helps."""
        self._add(_Fault("quota", count))

    def drop_connections(self, count: int) -> None:
        self._add(_Fault("drop", count))

    def respond_slowly(self, count: int, seconds: float) -> None:
        """Wait `seconds` before answering; a client that hung up meanwhile gets nothing."""
        self._add(_Fault("slow", count, seconds=seconds))

    def cut_off_answers(self, count: int) -> None:
        """`finish_reason: length` and the answer cut in half, for batches of several segments."""
        self._add(_Fault("length", count))

    def wrap_answers_in_text(self, count: int) -> None:
        """The JSON inside a ```json fence between sentences."""
        self._add(_Fault("wrapped", count))

    def drop_ids(self, count: int) -> None:
        """One translation without its `id`."""
        self._add(_Fault("missing_id", count))

    def answer_unknown_ids(self, count: int) -> None:
        """One translation under an id that was not asked for."""
        self._add(_Fault("unknown_id", count))

    def drop_tags(self, count: int) -> None:
        """The first <b>/<i>/<s>/<a> element of the first text that has one loses its tags."""
        self._add(_Fault("dropped_tag", count))

    def answer_fewer(self, count: int, missing: int = 1) -> None:
        """The last `missing` translations left out."""
        self._add(_Fault("fewer", count, count=missing))

    def refuse(self, count: int) -> None:
        """`message.refusal` set and no content (structured outputs' refusal)."""
        self._add(_Fault("refusal", count))

    def refuse_batches(self, count: int, refusal: str) -> None:
        """400 with one of `BATCH_REFUSALS` (a batch too long, or its content filtered)."""
        self._add(_Fault("batch", count, refusal=refusal))

    def refuse_texts_containing(self, text: str, refusal: str = "content_filter", count: int = 1000) -> None:
        """400 to every request one of whose texts holds `text`, however small the batch."""
        self._add(_Fault("batch", count, refusal=refusal, containing=text))

    def answer_prose(self, count: int) -> None:
        """Content that is no JSON at all."""
        self._add(_Fault("not_json", count))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def append_to_answers(self, count: int, suffix: str) -> None:
        """`suffix` after every translation of the answer: what a model steered by a post's
        text, or a proxy in between, may add."""
        self._add(_Fault("append", count, suffix=suffix))

    def answer_lone_surrogates(self, count: int) -> None:
        """Every translation ends in `\\ud800`, a lone surrogate: valid JSON, not Unicode."""
        self._add(_Fault("surrogate", count))

    def _take(self, kinds: tuple[str, ...]) -> _Fault | None:
        with self._lock:
            return take_fault(self._faults, lambda f: f.kind in kinds)

    def _take_matching(self, kind: str, wanted: Any) -> _Fault | None:
        with self._lock:
            return take_fault(self._faults, lambda f: f.kind == kind and wanted(f))

    # the log ----------------------------------------------------------------------

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._log.record(record)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return self._log.all()

    @property
    def invalid_requests(self) -> list[RecordedRequest]:
        """Requests whose body OpenAI's CreateChatCompletionRequest schema refuses."""
        return [r for r in self.requests if r.problems]

    @property
    def answered(self) -> list[RecordedRequest]:
        """Requests answered with 200 (tokens were spent on them)."""
        return [r for r in self.requests if r.status == 200]

    @property
    def prompt_tokens(self) -> int:
        return sum(r.prompt_tokens for r in self.answered)

    @property
    def completion_tokens(self) -> int:
        return sum(r.completion_tokens for r in self.answered)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    # serving ------------------------------------------------------------------------

    def _serve(self, record: RecordedRequest, authorization: str | None) -> tuple[int | None, Any, dict[str, str]]:
        slow = self._take(("slow",))
        if slow is not None:
            record.fault = "slow"
        if slow is not None or self.latency:
            self._stopping.wait(self.latency + (slow.seconds if slow is not None else 0.0))
        if record.path.partition("?")[0].rstrip("/") != "/v1/chat/completions":
            return 404, _error(f"Unknown request URL: POST {record.path}", "invalid_request_error", "unknown_url"), {}
        if authorization != f"Bearer {self.api_key}":
            said = f"Incorrect API key provided: {(authorization or '').lower()}." if self.echo_key else "Incorrect API key provided."
            return 401, _error(said, "invalid_request_error", "invalid_api_key"), {}
        record.problems = tuple(request_problems(record.body))
        if record.problems:  # OpenAI refuses a body its schema does not allow, before anything else
            return 400, _error(f"Invalid request body: {record.problems[0]}", "invalid_request_error", "invalid_request_body"), {}
        body = record.body if isinstance(record.body, dict) else {}
        model = body.get("model")
        if model not in self.models:
            message = f"The model `{model}` does not exist or you do not have access to it."
            return 404, _error(message, "invalid_request_error", "model_not_found"), {}
        refused = _reasoning_refusal(body) if model in self.reasoning_models else None
        if refused is not None:
            return 400, refused, {}
        texts = [s.get("text", "") for s in record.segments]
        batch = self._take_matching("batch", lambda f: not f.containing or any(f.containing in t for t in texts))
        if batch is not None:
            record.fault = "batch:" + batch.refusal
            return 400, {"error": BATCH_REFUSALS[batch.refusal]}, {}
        status = self._take(STATUS_FAULTS)
        if status is not None:
            record.fault = status.kind
            if status.kind == "drop":
                return None, None, {}
            if status.kind == "answer":
                return status.status, status.answer, dict(status.headers or {})
            if status.kind == "quota":
                return 429, _error(QUOTA_MESSAGE, "insufficient_quota", "insufficient_quota"), {}
            if status.kind == "429":
                headers = {"Retry-After": status.retry_after} if status.retry_after is not None else {}
                return 429, _error("Rate limit reached for requests", "requests", "rate_limit_exceeded"), headers
            return status.status, _error("The server had an error while processing your request.", "server_error", None), {}
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema" and not self.json_schema:
            if self.json_schema_status == 500:  # llama.cpp's words before it learnt json_schema
                message = 'response_format type must be one of "text" or "json_object", but got: json_schema'
                return 500, {"error": {"code": 500, "message": message, "type": "server_error"}}, {}
            return 400, _error("response_format json_schema is not supported by this server", "invalid_request_error", None), {}
        segments = record.segments
        if not segments:
            return 400, _error("the last message holds no segments", "invalid_request_error", None), {}
        prompt_tokens = sum(count_tokens(str(m.get("content") or "")) + 4 for m in body.get("messages", [])) + 3
        if self.context_size is not None and prompt_tokens >= self.context_size:  # llama.cpp's answer
            message = "the request exceeds the available context size, try increasing it"
            error = {"code": 400, "message": message, "type": "exceed_context_size_error", "n_prompt_tokens": prompt_tokens}
            return 400, {"error": {**error, "n_ctx": self.context_size}}, {}
        translations = [{"id": s["id"], "text": self._translate(s["text"], record.glossary)} for s in segments]
        content: str | None = json.dumps({"translations": translations}, ensure_ascii=False)
        finish, refusal = "stop", None
        fault = self._take(ANSWER_FAULTS)
        if fault is not None:
            record.fault = fault.kind
            content, finish, refusal = _corrupt(fault, translations)
        if self.context_size is not None and content and prompt_tokens + count_tokens(content) > self.context_size:
            content, finish = _encoding().decode(_encoding().encode(content)[: self.context_size - prompt_tokens]), "length"
        record.prompt_tokens = prompt_tokens
        record.completion_tokens = count_tokens(content or refusal or "")
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
        answer = {
            "id": f"chatcmpl-{len(self._log)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {
                "prompt_tokens": record.prompt_tokens,
                "completion_tokens": record.completion_tokens,
                "total_tokens": record.prompt_tokens + record.completion_tokens,
                "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
                "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            },
        }
        if not self.usage:
            del answer["usage"]
        for problem in response_problems(answer):
            with self._lock:
                self.invalid_answers.append(problem)
        return 200, answer, {}

    def _translate(self, text: str, glossary: Mapping[str, str]) -> str:
        if self.mode == "echo":
            return text
        terms = sorted(glossary, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(t) for t in terms)) if terms else None

        def node(s: str) -> str:
            if pattern is not None:
                s = pattern.sub(lambda m: glossary[m.group(0)], s)
            return MARK + s if s.strip() else s

        return transform_xml(text, node, ignore_tags=("x",))


def _reasoning_refusal(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """OpenAI's own 400 for what a reasoning model does not take (its words and codes)."""
    if "max_tokens" in body:
        message = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
        return {"error": {"message": message, "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}
    if "temperature" in body and body["temperature"] != 1:
        message = (
            f"Unsupported value: 'temperature' does not support {body['temperature']} with this model. "
            "Only the default (1) value is supported."
        )
        return {"error": {"message": message, "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value"}}
    return None


def _corrupt(fault: _Fault, translations: list[dict[str, str]]) -> tuple[str | None, str, str | None]:
    """The wrong answer a fault gives: (content, finish_reason, refusal)."""
    def dump(items: list[dict[str, str]]) -> str:
        return json.dumps({"translations": items}, ensure_ascii=False)

    kind = fault.kind
    if kind == "refusal":
        return None, "stop", REFUSAL
    if kind == "not_json":
        return "Sure! Here is the translation of your text.", "stop", None
    if kind == "length":
        whole = dump(translations)
        return whole[: len(whole) // 2], "length", None
    if kind == "wrapped":
        return "Here are the translations:\n```json\n" + dump(translations) + "\n```\nLet me know if you need more.", "stop", None
    items = [dict(t) for t in translations]
    if kind == "missing_id":
        del items[-1]["id"]
    elif kind == "unknown_id":
        items[-1]["id"] = "s999"
    elif kind == "fewer":
        items = items[: max(0, len(items) - fault.count)]
    elif kind in ("append", "surrogate"):
        for item in items:
            item["text"] += fault.suffix if kind == "append" else "\ud800"
    elif kind == "dropped_tag":
        for item in items:
            changed = _TAG.sub(lambda m: m.group(3), item["text"], count=1)
            if changed != item["text"]:
                item["text"] = changed
                break
    return dump(items), "stop", None

