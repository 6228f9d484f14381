"""Any OpenAI-compatible chat completions server (OpenAI, Azure, Ollama, llama.cpp, vLLM).

Only the transport changes: the texts are the XML the DeepL engine receives, and every
answer goes through the same restore and checks. The request and the reading of its
answer are `openai_wire`'s, the HTTP and its retries `openai_client`'s, the `[openai]`
table `openai_config`'s; this module decides what to ask: ids left out are asked again
on their own; an answer cut off at the output limit (`finish_reason: length`) is never
used: the batch is split in two and asked again, as is a batch the server refuses for its
size or content; a refusal naming a parameter the model does not take changes the
request's shape for the rest of the run. It also counts what the run spends.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pipeline.engines import ContextPolicy, EngineResult, Limits, SegmentContext, Spend
from pipeline.engines.openai_client import Client, Refused, refuse_malformed_key
from pipeline.engines.openai_config import CONTRACT_VERSION, DEFAULT_BASE_URL, OpenAIOptions
from pipeline.engines.openai_wire import (
    Item,
    Reply,
    batch_context,
    estimate_tokens,
    parse_translations,
    read_reply,
    response_format,
    system_prompt,
)
from pipeline.errors import AnswerError, ConfigError
from pipeline.glossary import prose_of, terms_in

# a batch refused for its content or size, not the request's form: asked again in halves,
# down to one segment (OpenAI, llama.cpp, Azure's content filter, Groq's failed JSON)
BATCH_REFUSALS = ("context_length_exceeded", "exceed_context_size_error", "content_filter", "json_validate_failed")
# OpenAI's reasoning models (o1, o3, o4-mini, gpt-5…), also behind a router's prefix ("openai/o3")
REASONING_MODEL = re.compile(r"(?:[\w.-]+/)?(?:o\d(?:-|$)|gpt-5)", re.IGNORECASE)
LEARNABLE_CODES = ("unsupported_parameter", "unsupported_value")
CONTEXT_RESERVE = 1500  # tokens of a request besides the system prompt and the texts: context, glossary, JSON
MESSAGE_OVERHEAD = 4  # tokens a chat message costs besides its content (role, separators)
ITEM_OVERHEAD = 12  # tokens of `{"id": "s12", "text": ""},` around one text, either way


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


class _BatchRefused(Exception):
    """The server would not take this batch for its size or content (`BATCH_REFUSALS`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
        refuse_malformed_key(api_key)
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
        self._client = Client(self.base_url, api_key, dict(options.headers), options)
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
        items = [Item(f"s{n}", text, context) for n, (text, context) in enumerate(zip(texts, contexts), 1)]
        refused: dict[str, str] = {}
        found = self._answer(items, refused)
        return [EngineResult(found[item.id], 0) if item.id not in refused else EngineResult("", 0, refused[item.id]) for item in items]

    def _answer(self, items: list[Item], refused: dict[str, str], again: bool = True) -> dict[str, str]:
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

    def request_body(self, items: Sequence[Item]) -> dict[str, Any]:
        """The chat completions request for one batch (also what a dry run counts)."""
        payload: dict[str, Any] = {}
        terms = self._terms(items)
        if terms:
            payload["glossary"] = terms
        context = batch_context(items)
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

    def _terms(self, items: Sequence[Item]) -> dict[str, str]:
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

    def _complete(self, items: Sequence[Item]) -> Reply:
        while True:
            body = self.request_body(items)
            try:
                data = self._client.post(body)
            except Refused as exc:
                if self._learn(body, exc):
                    continue  # each lesson changes the shape for good, so this ends
                if exc.status in (400, 413) and exc.code in BATCH_REFUSALS:
                    raise _BatchRefused(f"HTTP {exc.status} {exc.code}: {exc.message[:200]}") from None
                raise exc.as_error(self.label, self.options.model) from None
            self._count(body, data)
            return read_reply(data, self.label)

    def shape(self) -> Shape:
        with self._lock:
            return self._shape

    def _learn(self, body: Mapping[str, Any], refused: Refused) -> bool:
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
            content = read_reply(data, self.label).content or ""
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
            items = [Item(f"s{n}", text, context) for n, (text, context) in enumerate(batch, 1)]
            spend.input_tokens += _prompt_tokens(self.request_body(items))
            texts = sum(estimate_tokens(item.text) for item in items)
            spend.output_tokens += round(texts * self.options.output_ratio) + ITEM_OVERHEAD * len(items) + 5
        return spend


def lesson(shape: Shape, body: Mapping[str, Any], refused: Refused) -> Shape | None:
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
