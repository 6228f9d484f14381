"""Any OpenAI-compatible chat completions server (OpenAI, Azure, Ollama, llama.cpp, vLLM).

Only the transport changes: the texts are the XML the DeepL engine receives, and every
answer goes through the same restore and checks. The wire contract (README, "OpenAI-
compatible servers"): one `POST {base}/chat/completions` per batch whose last message is
a user message holding exactly one JSON object `{"segments": [{"id", "text"}…]}` (plus
`glossary` and `context`), answered by `{"translations": [{"id", "text"}…]}`.

Whatever the server claims is checked here: one JSON object (text around it is
tolerated), every id at most once and none unknown; ids left out are asked again on
their own; an answer cut off at the output limit (`finish_reason: length`) is never used:
the batch is split in two and asked again. The HTTP client is a thin one over `requests`
(already installed with `deepl`) so that retries live in one loop: 429 and 5xx honour
`Retry-After`, timeouts and dropped connections back off exponentially.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import json
import math
import random
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from pipeline.engines import KEEP_TAG, ContextPolicy, EngineResult, Limits, SegmentContext, Spend, deadline
from pipeline.engines.openai_config import CONTRACT_VERSION, DEFAULT_BASE_URL, OpenAIOptions
from pipeline.errors import (
    AnswerError,
    AuthenticationError,
    ConfigError,
    EngineError,
    ModelNotFoundError,
    QuotaExceededError,
)
from pipeline.glossary import prose_of, terms_in
from pipeline.redact import public_url, scrub, url_secrets

BACKOFF_INITIAL = 1.0  # seconds before the first retry; doubled each time (tests shrink it)
BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 366 * 86400.0  # a Retry-After beyond the budget stops the run; this only keeps it printable
# a batch refused for its content or size, not the request's form: asked again in halves,
# down to one segment (OpenAI, llama.cpp, Azure's content filter, Groq's failed JSON)
BATCH_REFUSALS = ("context_length_exceeded", "exceed_context_size_error", "content_filter", "json_validate_failed")
QUOTA_CODES = (
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
)
# OpenAI's reasoning models (o1, o3, o4-mini, gpt-5…), also behind a router's prefix ("openai/o3")
REASONING_MODEL = re.compile(r"(?:[\w.-]+/)?(?:o\d(?:-|$)|gpt-5)", re.IGNORECASE)
LEARNABLE_CODES = ("unsupported_parameter", "unsupported_value")
CONTEXT_RESERVE = 1500  # tokens of a request besides the system prompt and the texts: context, glossary, JSON
MESSAGE_OVERHEAD = 4  # tokens a chat message costs besides its content (role, separators)
ITEM_OVERHEAD = 12  # tokens of `{"id": "s12", "text": ""},` around one text, either way

RULES = """\
# How to answer (the pipeline relies on this)

You translate Japanese blog post segments into {language}.
The user message is one JSON object. Translate the "text" of every item of "segments".
Answer with exactly one JSON object and nothing else:
{{"translations": [{{"id": "<the segment's id>", "text": "<its translation>"}}, ...]}}
with every id of "segments" exactly once.

- The texts are XML fragments. Keep every element: <b>, <i>, <s>, <a>, <img>, <br/> and
  <{keep}> elements appear in the translation exactly as often as in the source, with the
  same attributes; move them with the words they mark.
- <{keep} id="…">…</{keep}> elements stand for code, links, names and markup: copy each one
  exactly as it is, content included; never translate, merge or drop them.
- Escape &, < and > in text as &amp;, &lt; and &gt;, as the source does.
- "glossary" maps Japanese terms to the {term_language} that must be used for them.
- "context" (the post's title, the paragraphs around the segments) is there to read, not
  to translate: never include it in an answer.
- Translate everything; do not summarise, explain or add notes.
"""

_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff00-\uffef]")
_WORD = re.compile(r"[A-Za-z]+")
_DIGITS = re.compile(r"[0-9]+")
_OTHER = re.compile(r"[^\sA-Za-z0-9\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """Tokens a text costs, estimated without a tokenizer (none fits every server's model).

    Weights per kind of character, fitted by least squares to OpenAI's o200k_base counts
    of the requests the 170 corpus documents make (system prompt and JSON with the XML
    texts, as sent): the estimate adds up to 0.99 of the true count on the two sample
    posts, which the fit did not see. A kanji 1.15 tokens, kana 0.61, CJK punctuation
    0.6, an English word 1.26 (long ones 1.5), a run of digits 2.65, other punctuation
    (tags, JSON) 0.27: the tokenizer takes `\">` or `</` as one token."""
    words = _WORD.findall(text)
    return (
        round(
            1.15 * len(_KANJI.findall(text))
            + 0.61 * len(_KANA.findall(text))
            + 0.6 * len(_CJK_PUNCTUATION.findall(text))
            + sum(1.5 if len(w) >= 9 else 1.26 for w in words)
            + 2.65 * len(_DIGITS.findall(text))
            + 0.27 * len(_OTHER.findall(text))
        )
        + 1
    )


# The language a prompt names for a DeepL target code; another code is named by itself.
LANGUAGE_NAMES = {
    "EN-US": "American English",
    "EN-GB": "British English",
    "ZH-HANS": "Simplified Chinese",
    "ZH-HANT": "Traditional Chinese",
    "KO": "Korean",
    "DE": "German",
    "FR": "French",
    "ES": "Spanish",
    "IT": "Italian",
    "PT-BR": "Brazilian Portuguese",
    "PT-PT": "European Portuguese",
}


def system_prompt(style_guide: str, target_lang: str) -> str:
    """The style guide, then the rules of the answer, naming the target language (English's
    prompt reads as it always did: its segments' cache keys stay)."""
    code = target_lang.upper()
    language = LANGUAGE_NAMES.get(code, "American English" if code.startswith("EN") else f"the language with the code {code}")
    term_language = "English" if code.startswith("EN") else language
    return style_guide.rstrip() + "\n\n" + RULES.format(language=language, term_language=term_language, keep=KEEP_TAG)


def response_format(kind: str) -> dict[str, Any]:
    if kind == "json_object":
        return {"type": "json_object"}
    item = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
        "required": ["id", "text"],
        "additionalProperties": False,
    }
    schema = {
        "type": "object",
        "properties": {"translations": {"type": "array", "items": item}},
        "required": ["translations"],
        "additionalProperties": False,
    }
    return {"type": "json_schema", "json_schema": {"name": "translations", "strict": True, "schema": schema}}


@dataclass(frozen=True)
class _Item:
    id: str
    text: str
    context: SegmentContext | None


@dataclass(frozen=True)
class Shape:
    """What a request carries that servers differ on, as this run has learned it: every
    request is built from the shape of the moment, and a refusal naming a choice the
    refused request made changes that choice for the whole run. Judged on the request
    that was refused, not on the shape now, so every request in flight at once falls
    back, not only the first to hear the refusal."""

    response_format: str = "json_schema"
    max_tokens_field: str = "max_tokens"  # reasoning models: max_completion_tokens (Ollama ignores that one)
    temperature: bool = True  # reasoning models take none but their default

    @classmethod
    def of(cls, options: OpenAIOptions) -> Shape:
        """The shape a model is known by its name to take; the rest is learnt from refusals."""
        if REASONING_MODEL.match(options.model):
            return cls(options.response_format, "max_completion_tokens", temperature=False)
        return cls(options.response_format)


@dataclass(frozen=True)
class _Reply:
    content: str | None
    finish_reason: str | None
    refusal: str | None


class OpenAIEngine:
    name = "openai"
    label = "The OpenAI-compatible server"  # in messages
    translates = True
    bills = True

    def __init__(
        self,
        api_key: str,
        options: OpenAIOptions,
        style_guide: str,
        terms: Mapping[str, str] | None = None,
        base_url: str | None = None,
        target_lang: str = "EN-US",
    ) -> None:
        _refuse_malformed_key(api_key)
        self.options = options
        self.base_url = (base_url or options.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.terms = dict(terms or {})  # the glossary's fixed terms, sent with the batches they occur in
        self.system = system_prompt(style_guide, target_lang)
        self.limits = Limits(
            max_texts=100,
            max_bytes=128 * 1024,
            max_tokens=batch_tokens(options, estimate_tokens(self.system)),
            count_tokens=estimate_tokens,
            max_in_flight=options.jobs,
        )
        self.context_policy = ContextPolicy(options.context_paragraphs, options.context_title)
        self._shape = Shape.of(options)  # learned per run, under the lock
        self._client = _Client(self.base_url, api_key, dict(options.headers), options)
        self._lock = threading.Lock()
        self._spent = self._new_spend()

    def _new_spend(self, estimated: bool = False) -> Spend:
        o = self.options
        return Spend(input_price=o.input_price, output_price=o.output_price, currency=o.currency, estimated=estimated)

    def settings(self) -> Mapping[str, object]:
        """Everything that changes an answer: in every segment's cache key."""
        o = self.options
        return {
            "engine": self.name,
            "contract": CONTRACT_VERSION,
            "model": o.model,
            "prompt": hashlib.sha256(self.system.encode("utf-8")).hexdigest(),
            "temperature": o.temperature,
            "seed": o.seed,
            "response_format": o.response_format,
        }

    def spend(self) -> Spend:
        with self._lock:
            spent = self._new_spend()
            spent.add(self._spent)
            return spent

    # translating -------------------------------------------------------------------

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        return self.translate_in_context(texts, [None] * len(texts))

    def translate_in_context(self, texts: Sequence[str], contexts: Sequence[SegmentContext | None]) -> list[EngineResult]:
        items = [_Item(f"s{n}", text, context) for n, (text, context) in enumerate(zip(texts, contexts), 1)]
        refused: dict[str, str] = {}
        found = self._answer(items, refused)
        return [EngineResult(found[item.id], 0) if item.id not in refused else EngineResult("", 0, refused[item.id]) for item in items]

    def _answer(self, items: list[_Item], refused: dict[str, str], again: bool = True) -> dict[str, str]:
        """The translations of `items` by id; those the server would not translate even
        alone go into `refused` with its reason instead."""
        try:
            reply = self._complete(items)
        except _BatchRefused as exc:
            # too long for the server's context, or its filter objects to something in it:
            # halves fit, or find the one segment it objects to; that one keeps its Japanese
            if len(items) == 1:
                refused[items[0].id] = exc.reason
                return {}
            half = len(items) // 2
            return {**self._answer(items[:half], refused), **self._answer(items[half:], refused)}
        if reply.finish_reason == "length":
            # Cut off at the output limit: never used. Halves fit where the whole did not.
            if len(items) == 1:
                raise AnswerError(
                    f"{self.label} stopped at its output limit (finish_reason: length) translating one segment of about "
                    f"{estimate_tokens(items[0].text)} tokens; raise [openai] max_output_tokens or the server's limit"
                )
            half = len(items) // 2
            return {**self._answer(items[:half], refused), **self._answer(items[half:], refused)}
        if reply.refusal:
            raise AnswerError(f"{self.label} refused to translate {len(items)} segment(s): {reply.refusal[:200]!r}")
        if reply.finish_reason == "content_filter":
            raise AnswerError(f"{self.label} withheld the answer for {len(items)} segment(s) (finish_reason: content_filter)")
        found = parse_translations(reply.content, {item.id for item in items}, self.label)
        missing = [item for item in items if item.id not in found]
        if missing:
            if not again:
                raise AnswerError(f"{self.label} left out {len(missing)} of {len(items)} segment(s) when asked for them alone")
            found.update(self._answer(missing, refused, again=False))
        return found

    def request_body(self, items: Sequence[_Item]) -> dict[str, Any]:
        """The chat completions request for one batch (also what a dry run counts)."""
        payload: dict[str, Any] = {}
        terms = self._terms(items)
        if terms:
            payload["glossary"] = terms
        context = _context(items)
        if context:
            payload["context"] = context
        payload["segments"] = [{"id": item.id, "text": item.text} for item in items]
        shape = self.shape()
        body: dict[str, Any] = {
            "model": self.options.model,
            "messages": [
                {"role": "system", "content": self.system},
                {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
            ],
        }
        if shape.temperature:
            body["temperature"] = self.options.temperature
        body["response_format"] = response_format(shape.response_format)
        if self.options.seed is not None:
            body["seed"] = self.options.seed
        if self.options.max_output_tokens is not None:
            body[shape.max_tokens_field] = self.options.max_output_tokens
        return body

    def _terms(self, items: Sequence[_Item]) -> dict[str, str]:
        """Only the glossary terms that occur in this batch: a whole term base would
        overflow a small model's context and dilute the prompt."""
        if not self.terms:
            return {}
        found: dict[str, str] = {}
        for item in items:
            try:
                found.update(terms_in(self.terms, prose_of(item.text)))
            except Exception:  # a malformed text: the server says so
                found.update(terms_in(self.terms, item.text))
        return dict(sorted(found.items()))

    def _complete(self, items: Sequence[_Item]) -> _Reply:
        while True:
            body = self.request_body(items)
            try:
                data = self._client.post(body)
            except _Refused as exc:
                if self._learn(body, exc):
                    continue  # each lesson changes the shape for good, so this ends
                if exc.status in (400, 413) and exc.code in BATCH_REFUSALS:
                    raise _BatchRefused(f"HTTP {exc.status} {exc.code}: {exc.message[:200]}") from None
                raise exc.as_error(self.label, self.options.model) from None
            self._count(body, data)
            return _reply(data, self.label)

    def shape(self) -> Shape:
        with self._lock:
            return self._shape

    def _learn(self, body: Mapping[str, Any], refused: _Refused) -> bool:
        """Whether `refused` names something the request `body` carried that this run can
        do without; the shape is changed for every later request (thread-safe: whichever
        thread learns it first, the others find it learnt)."""
        with self._lock:
            shape = lesson(self._shape, body, refused)
            if shape is None:
                return False
            self._shape = shape
            return True

    def _count(self, body: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        """The tokens the server says this answer cost; where it says nothing (some local
        servers send no `usage`) our estimate, and the run's spend is marked as estimated."""
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        assert isinstance(usage, dict)
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        estimated = not isinstance(prompt, int) or not isinstance(completion, int)
        if not isinstance(prompt, int):
            prompt = _prompt_tokens(body)
        if not isinstance(completion, int):
            content = _reply(data, self.label).content or ""
            completion = estimate_tokens(content)
        with self._lock:
            self._spent.input_tokens += prompt
            self._spent.output_tokens += completion
            self._spent.cached_tokens += _detail(usage, "prompt_tokens_details", "cached_tokens")
            self._spent.reasoning_tokens += _detail(usage, "completion_tokens_details", "reasoning_tokens")
            self._spent.estimated = self._spent.estimated or estimated

    # estimating --------------------------------------------------------------------

    def estimate(self, batches: Sequence[Sequence[tuple[str, SegmentContext | None]]]) -> Spend:
        """What sending these batches would cost, counted on the very requests that would
        be sent; the output from the segments' own tokens times `output_ratio`."""
        spend = self._new_spend(estimated=True)
        for batch in batches:
            items = [_Item(f"s{n}", text, context) for n, (text, context) in enumerate(batch, 1)]
            spend.input_tokens += _prompt_tokens(self.request_body(items))
            texts = sum(estimate_tokens(item.text) for item in items)
            spend.output_tokens += round(texts * self.options.output_ratio) + ITEM_OVERHEAD * len(items) + 5
        return spend


def lesson(shape: Shape, body: Mapping[str, Any], refused: _Refused) -> Shape | None:
    """The shape a refusal of `body` teaches, or None: it names nothing the request could
    do without. A server without structured outputs refuses json_schema with 400 (old
    llama.cpp builds with 500): JSON mode then, checked all the same."""
    sent = body.get("response_format") or {}
    if sent.get("type") == "json_schema" and refused.names_response_format():
        return replace(shape, response_format="json_object")
    if refused.status != 400 or refused.code not in LEARNABLE_CODES:
        return None
    # OpenAI's reasoning models: "Unsupported parameter: 'max_tokens' … Use 'max_completion_tokens'
    # instead." and "Unsupported value: 'temperature' does not support 0.0 …"
    if "max_tokens" in body and refused.names("max_tokens"):
        return replace(shape, max_tokens_field="max_completion_tokens")
    if "temperature" in body and refused.names("temperature"):
        return replace(shape, temperature=False)
    return None


def batch_tokens(options: OpenAIOptions, system_tokens: int) -> int:
    """The tokens of texts one request may carry: `batch_tokens`, or less where the server's
    context (`context_tokens`: Ollama's is 4,096 on most machines, and it silently cuts an
    over-long prompt) must hold the system prompt, the texts, their context and the answer."""
    if options.context_tokens is None:
        return options.batch_tokens
    room = options.context_tokens - system_tokens - CONTEXT_RESERVE
    # the answer: as long as the texts times output_ratio, or max_output_tokens when set;
    # a quarter more for the JSON around each text, both ways
    if options.max_output_tokens is not None:
        fits = (room - options.max_output_tokens) / 1.25
    else:
        fits = room / ((1 + options.output_ratio) * 1.25)
    if fits < 100:
        raise ConfigError(
            f"[openai] context_tokens = {options.context_tokens} is too small for the system prompt (about {system_tokens} "
            f"tokens), the context sent along and an answer: raise it (and the server's context), or shorten the style guide"
        )
    return min(options.batch_tokens, int(fits))


def _detail(usage: Mapping[str, Any], group: str, name: str) -> int:
    """A count inside `usage` (`prompt_tokens_details.cached_tokens`); 0 when absent."""
    details = usage.get(group)
    value = details.get(name) if isinstance(details, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _prompt_tokens(body: Mapping[str, Any]) -> int:
    return sum(estimate_tokens(m["content"]) + MESSAGE_OVERHEAD for m in body["messages"]) + 3


def _context(items: Sequence[_Item]) -> list[dict[str, Any]]:
    """The context of a batch: for each run of consecutive segments of one post, its title
    and the paragraphs just before and after the run (those inside it are segments)."""
    runs: list[dict[str, Any]] = []
    previous: SegmentContext | None = None
    for item in items:
        context = item.context
        if context is None or not (context.title or context.before or context.after):
            previous = None
            continue
        if runs and previous is not None and previous.title == context.title:
            runs[-1]["ids"].append(item.id)
            runs[-1]["after"] = context.after
        else:
            runs.append({"ids": [item.id], "title": context.title, "before": context.before, "after": context.after})
        previous = context
    return [{k: v for k, v in run.items() if v} for run in runs]


def parse_translations(content: str | None, ids: set[str], label: str) -> dict[str, str]:
    """The translations of an answer by id. Refused outright (the batch is asked again):
    no single JSON object, no `translations` list, an id not asked for or answered twice.
    An item without a string id or text is passed over: its segment counts as left out."""
    answer = one_json_object(content or "", label)
    items = answer.get("translations")
    if not isinstance(items, list):
        raise AnswerError(f'{label} answered JSON without a "translations" list: {_short(content)}')
    found: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("text"), str):
            continue
        if item["id"] not in ids:
            raise AnswerError(f"{label} answered an id that was not asked for ({item['id']!r}); nothing of that answer was kept")
        if item["id"] in found:
            raise AnswerError(f"{label} answered id {item['id']!r} twice; nothing of that answer was kept")
        found[item["id"]] = item["text"]
    return found


def one_json_object(content: str, label: str) -> dict[str, Any]:
    """The one JSON object in `content`. Text around it (a model's "Here you are:", a
    ```json fence) is tolerated only when exactly one object parses."""
    try:
        whole = json.loads(content)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        return whole
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    position = content.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(content, position)
        except ValueError:
            position = content.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        position = content.find("{", end)
    if len(found) != 1:
        what = "no JSON object" if not found else f"{len(found)} JSON objects"
        raise AnswerError(f"{label} answered {what} where one was asked for: {_short(content)}")
    return found[0]


def _short(content: str | None) -> str:
    text = json.dumps((content or "")[:120], ensure_ascii=False)
    return text + ("…" if content and len(content) > 120 else "")


def _reply(data: Mapping[str, Any], label: str) -> _Reply:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise AnswerError(f"{label} answered without choices: {_short(json.dumps(data)[:120])}")
    message = choices[0].get("message") if isinstance(choices[0].get("message"), dict) else {}
    assert isinstance(message, dict)
    content, refusal = message.get("content"), message.get("refusal")
    return _Reply(
        content if isinstance(content, str) else None,
        choices[0].get("finish_reason") if isinstance(choices[0].get("finish_reason"), str) else None,
        refusal if isinstance(refusal, str) and refusal else None,
    )


# the HTTP client -------------------------------------------------------------------


class _Refused(Exception):
    """A status the retries cannot help (4xx but 408/409/429-for-rate, or a quota)."""

    def __init__(self, status: int, message: str, code: str, param: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param

    def names(self, parameter: str) -> bool:
        return self.param == parameter or (not self.param and f"'{parameter}'" in self.message)

    def names_response_format(self) -> bool:
        return self.status in (400, 422, 500) and ("json_schema" in self.message or "response_format" in self.message)

    def as_error(self, label: str, model: str) -> EngineError:
        said = f"HTTP {self.status}: {self.message}" if self.message else f"HTTP {self.status}"
        if self.code in QUOTA_CODES or self.status == 402:  # 402: OpenRouter's "Insufficient credits"
            return QuotaExceededError(f"{label} says the account's quota or credit is used up ({said}); add credit or raise the limit")
        if self.status == 401:
            return AuthenticationError(f"{label} refused the key in OPENAI_API_KEY ({said}); check the key and OPENAI_BASE_URL")
        if self.status == 403:  # not always the key: a region the server does not serve, a model the project may not use
            return AuthenticationError(f"{label} refused access ({said}); its reason says what to change (the key's permissions, …)")
        if self.status == 404:
            return ModelNotFoundError(f"{label} does not know model {model!r} ({said}); set [openai] model, or check OPENAI_BASE_URL")
        hint = "; if the request is too long for the model, lower [openai] batch_tokens" if self.status in (400, 413) else ""
        return EngineError(f"{label} refused the request ({said}){hint}")


class _BatchRefused(Exception):
    """The server would not take this batch for its size or content (`BATCH_REFUSALS`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Client:
    """POST with retries, in one place: 429 (not a quota) and 5xx honour `Retry-After`
    (seconds or a date; `retry-after-ms` too) and `x-should-retry`, timeouts and dropped
    connections back off exponentially with jitter; all of it within `retries` attempts and
    `retry_seconds` of waiting. A wait beyond that stops at once, saying when to try again.
    One `requests.Session` per thread."""

    def __init__(self, base_url: str, api_key: str, headers: dict[str, str], options: OpenAIOptions) -> None:
        base = urlsplit(base_url)  # a query in the base URL stays after the path
        self.url = urlunsplit(base._replace(path=base.path.rstrip("/") + "/chat/completions"))
        self._params = {"api-version": options.api_version} if options.api_version else {}  # Azure's deployment URLs
        self._key = api_key
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json", **headers}
        self.timeout = options.timeout
        self.retries = options.retries
        self.budget = options.retry_seconds
        self._local = threading.local()

    def _scrub(self, message: str) -> str:
        """A server's or the HTTP library's words without the key or the URL's credentials."""
        return scrub(message, [self._key, *url_secrets(self.url)])

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = deadline.mount(requests.Session(), self.timeout)  # timeout: the whole request's
            session.trust_env = True
        return session

    def post(self, body: Mapping[str, Any]) -> dict[str, Any]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        started = time.monotonic()
        attempt = 0
        while True:
            wait: float | None = None
            try:
                response = self._session().post(self.url, params=self._params, data=data, headers=self._headers, timeout=self.timeout)
            except requests.Timeout:
                failure = f"gave no answer within {self.timeout:g} s"
            except requests.RequestException as exc:
                failure = f"cannot be reached ({self._scrub(type(exc).__name__ + ': ' + str(exc))[:300]})"
            else:
                if response.status_code == 200:
                    return self._json(response)
                message, code, param = _error_of(response)
                message = self._scrub(message)
                if not _retryable(response, code) or _refuses_format(response.status_code, message, body):
                    raise _Refused(response.status_code, message, code, param)
                failure = f"answered HTTP {response.status_code}" + (f": {message}" if message else "")
                wait = _retry_after(response.headers)
            self._pause(attempt, time.monotonic() - started, wait, failure)
            attempt += 1

    def _pause(self, attempt: int, spent: float, wait: float | None, failure: str) -> None:
        """Sleep before the next attempt, or raise: no attempts left, or the wait would go
        beyond the time budget (the server's own Retry-After is never cut short)."""
        where = f"The OpenAI-compatible server at {public_url(self.url)} {failure}"
        if attempt >= self.retries:
            raise EngineError(f"{where} ({attempt + 1} attempt(s))")
        delay = wait if wait is not None else _backoff(attempt)
        if spent + delay <= self.budget:
            time.sleep(delay)
            return
        if wait is not None:
            when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=wait)
            raise EngineError(
                f"{where} and asks to wait {wait:.0f} s (Retry-After), beyond what [openai] retry_seconds = {self.budget:g} "
                f"leaves: try again after {when:%Y-%m-%d %H:%M:%S} UTC"
            )
        raise EngineError(f"{where} ({attempt + 1} attempt(s) in {spent:.0f} s; [openai] retry_seconds = {self.budget:g})")

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise AnswerError(f"The OpenAI-compatible server answered a body that is not JSON: {_short(response.text)}") from None
        if not isinstance(data, dict):
            raise AnswerError(f"The OpenAI-compatible server answered JSON that is not an object: {_short(response.text)}")
        return data


def _retryable(response: requests.Response, code: str) -> bool:
    """Whether another attempt may help: never for a quota; as the server's `x-should-retry`
    says when it says (OpenAI's, honoured by its own clients); else 408, 409, 429 and 5xx."""
    if code in QUOTA_CODES:
        return False
    should = response.headers.get("x-should-retry", "").strip().lower()
    if should in ("true", "false"):
        return should == "true"
    return response.status_code in (408, 409, 429) or response.status_code >= 500


def _refuses_format(status: int, message: str, body: Mapping[str, Any]) -> bool:
    """A server error that is a refusal of the response format (old llama.cpp builds
    answer json_schema with 500): no retry helps, the engine falls back instead."""
    return _Refused(status, message, "").names_response_format() and (body.get("response_format") or {}).get("type") == "json_schema"


def _error_of(response: requests.Response) -> tuple[str, str, str]:
    """The message, code and parameter of an error answer: OpenAI's `{"error": {"message",
    "type", "param", "code"}}`, or whatever text a proxy sent."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:300], "", ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        # a quota reads `type: insufficient_quota` with a code naming which one, or the code alone
        marks = [str(error.get(k)) for k in ("code", "type") if isinstance(error.get(k), str)]
        code = next((m for m in marks if m in QUOTA_CODES), marks[0] if marks else "")
        param = error.get("param")
        return str(error.get("message") or "")[:500], code, param if isinstance(param, str) else ""
    if isinstance(error, str):
        return error[:500], "", ""
    return response.text.strip()[:300], "", ""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait (`retry-after-ms`, or `Retry-After` in seconds or
    as a date); None when it asks nothing or says something unreadable (`60s`): our backoff."""
    milliseconds = _seconds(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = headers.get("retry-after")
    seconds = _seconds(value)
    if seconds is not None or not value:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return _bounded(when.timestamp() - time.time())


def _seconds(value: str | None) -> float | None:
    try:
        return _bounded(float(value)) if value else None
    except ValueError:
        return None


def _bounded(seconds: float) -> float | None:
    """A wait as a number we can sleep and print: none below 0, a year at most (an endless
    one is beyond any budget all the same); NaN is no wait at all."""
    if math.isnan(seconds):
        return None
    return min(RETRY_AFTER_MAX, max(0.0, seconds))


def _backoff(attempt: int) -> float:
    return min(BACKOFF_MAX, BACKOFF_INITIAL * 2.0**attempt) * (0.75 + random.random() / 2)


def _refuse_malformed_key(key: str) -> None:
    """A key with whitespace or control characters inside (two lines pasted together)
    would fail in the HTTP library, whose error may quote the header: refused first."""
    for position, char in enumerate(key, 1):
        if char.isspace() or not char.isprintable():
            raise ConfigError(
                f"OPENAI_API_KEY contains a space or control character (U+{ord(char):04X}) at character {position} of "
                f"{len(key)}: copy it again (the key is not shown)"
            )
