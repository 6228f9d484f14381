"""Send what the cache lacks to the engine: in batches, several in flight, cached as they land.

Each batch is cached the moment it returns, so a run that fails halfway (quota, network,
a signal) has already paid for and kept everything before the failure; the re-run bills
only the rest.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.cache import TranslationCache
from pipeline.engines import Contextual, Engine, EngineResult, Limits, Metered, SegmentContext, Spend
from pipeline.errors import AnswerError

REQUEST_OVERHEAD = Limits().overhead  # the default: bytes of JSON around the texts (see Limits)


@dataclass(frozen=True)
class Request:
    key: str
    text: str
    context: SegmentContext | None = None  # for engines that read it (engines.Contextual)


@dataclass
class Usage:
    requests: int = 0
    texts: int = 0
    billed_characters: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # key -> why the engine would not translate it (never cached)

    def add(self, other: "Usage") -> None:
        self.requests += other.requests
        self.texts += other.texts
        self.billed_characters += other.billed_characters
        self.refused.update(other.refused)


# A tag as we write them (and DeepL gives them back): a name and at most an `id`.
_XML_TAG = re.compile(r'<(/?)([A-Za-z_][A-Za-z0-9_.-]*)( id="[^"<&]*")?(/?)>')
_ENTITIES = {"&amp;": 4, "&lt;": 3, "&gt;": 3, "&quot;": 5, "&apos;": 5}  # entity: characters beyond the one billed
_NEEDS_PARSER = re.compile("[^\t\n\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # characters invalid in XML, and \r, which it rewrites


@lru_cache(maxsize=4096)
def billable_length(xml: str) -> int:
    """Characters DeepL bills for an XML text: everything outside the tags themselves.

    Counted with regexes and str.count, not an XML parser: this runs for every text sent
    and every answer checked (a source twice: billing and the truncation test, hence the
    small cache). Whatever is not plainly text, our tags and the five named entities
    (numeric entities, other attributes, CDATA, a carriage return, unbalanced tags) goes to
    the parser, so the result is always the parser's.
    """
    if "]]>" in xml or _NEEDS_PARSER.search(xml):
        return _parsed_length(xml)
    tags = _XML_TAG.findall(xml) if "<" in xml else []
    if len(tags) != xml.count("<"):
        return _parsed_length(xml)
    markup = 0
    if "&" in xml:
        counts = {entity: xml.count(entity) for entity in _ENTITIES}
        if sum(counts.values()) != xml.count("&"):
            return _parsed_length(xml)
        markup += sum(n * _ENTITIES[entity] for entity, n in counts.items())
    open_tags: list[str] = []
    for closing, name, attribute, empty in tags:
        markup += 2 + len(closing) + len(name) + len(attribute) + len(empty)
        if not closing:
            if not empty:
                open_tags.append(name)
        elif attribute or empty or not open_tags or open_tags.pop() != name:
            return _parsed_length(xml)
    if open_tags:
        return _parsed_length(xml)
    return len(xml) - markup


def _parsed_length(xml: str) -> int:
    """`billable_length` by the XML parser itself; a malformed text counts in full."""
    try:
        return sum(len(part) for part in ET.fromstring(f"<seg>{xml}</seg>").itertext())
    except ET.ParseError:
        return len(xml)


def request_size(text: str) -> int:
    """Bytes a text adds to the JSON request body (requests encodes with ensure_ascii)."""
    return len(json.dumps(text)) + 2


def batches(requests: Sequence[Request], limits: Limits) -> Iterator[list[Request]]:
    """Greedy packing in order: at most `max_texts` texts and `max_bytes` per request, and
    at most `max_tokens` estimated tokens of texts where the engine is billed by tokens.
    Where a request carries one context for all its texts (`one_context`), the texts
    without context are packed first, then each run sharing a context on its own."""
    if limits.one_context:
        requests = sorted(requests, key=lambda r: r.context is not None)  # stable: runs stay together
    batch: list[Request] = []
    size = limits.overhead
    tokens = 0
    count = limits.count_tokens if limits.max_tokens is not None else None
    for request in requests:
        cost = request_size(request.text)
        weight = count(request.text) if count is not None else 0
        over_tokens = limits.max_tokens is not None and tokens + weight > limits.max_tokens
        other_context = limits.one_context and bool(batch) and batch[-1].context != request.context
        if batch and (len(batch) >= limits.max_texts or size + cost > limits.max_bytes or over_tokens or other_context):
            yield batch
            batch, size, tokens = [], limits.overhead, 0
        batch.append(request)
        size += cost
        tokens += weight
    if batch:
        yield batch


def estimate(engine: Engine, requests: Sequence[Request]) -> Spend | None:
    """What sending `requests` would cost an engine billed by tokens, counted on the very
    batches that would be sent (None: the engine bills otherwise)."""
    if not isinstance(engine, Metered):
        return None
    return engine.estimate([[(r.text, r.context) for r in batch] for batch in batches(requests, engine.limits)])


def in_flight(engine: Engine, jobs: int) -> int:
    """Requests in flight: `--jobs`, capped where the engine's server wants fewer."""
    cap = engine.limits.max_in_flight
    return max(1, min(jobs, cap) if cap is not None else jobs)


Answers = dict[str, str]  # cache key -> the engine's text


def answers_for(engine: Engine, texts: list[str], contexts: Sequence[SegmentContext | None] = ()) -> list[EngineResult]:
    """The engine's answers to one request, one per text in order, or AnswerError.

    Answers are paired with texts by position, so a single missing or extra answer would
    shift every later one onto the wrong text; the count is the one thing every engine's
    answer can be checked against."""
    if isinstance(engine, Contextual) and contexts:
        results = engine.translate_in_context(texts, contexts)
    else:
        results = engine.translate(texts)
    if len(results) != len(texts):
        label = getattr(engine, "label", engine.name)
        raise AnswerError(
            f"{label} answered {len(results)} translations for {len(texts)} texts",
            billed_characters=sum(r.billed_characters for r in results),
        )
    for number, result in enumerate(results, 1):
        bad = _SURROGATE.search(result.text)
        if bad is not None:  # JSON may carry "\ud800"; no file, cache or page can hold it
            label = getattr(engine, "label", engine.name)
            raise AnswerError(
                f"{label} answered text {number} of {len(texts)} that is not valid Unicode (a lone surrogate, U+{ord(bad.group(0)):04X})",
                billed_characters=sum(r.billed_characters for r in results),
            )
    return results


_SURROGATE = re.compile("[\ud800-\udfff]")


def translate_missing(
    requests: Sequence[Request],
    engine: Engine,
    cache: TranslationCache,
    jobs: int,
    on_batch: Callable[[Answers], None] | None = None,
    usage: Usage | None = None,
) -> Usage:
    """Translate `requests` (unique keys, none cached) and store every answer in `cache`.

    The first engine error stops new batches from starting and is re-raised once the
    batches already in flight have finished (and been cached). `on_batch` is called, on
    this thread, with the answers of each batch that landed once the next batch is on its
    way: work on the answers then overlaps the requests still in flight, and needs no
    read back from the cache (which the other batches are writing to).

    A batch whose answer does not fit its texts (`AnswerError`) is asked once more; a
    second bad answer is the run's error. Nothing of a bad answer is cached.

    What was billed is added to `usage` as each batch lands, so a caller that passes its
    own still knows what an aborted run cost.
    """
    usage = Usage() if usage is None else usage
    jobs = in_flight(engine, jobs)
    todo = list(batches(requests, engine.limits))
    if not todo:
        return usage

    def run(batch: list[Request]) -> tuple[Usage, Answers]:
        return _translate_batch(engine, cache, batch)

    landed: list[Answers] = []

    def notify() -> None:
        while landed:  # emptied even without a callback: nothing holds answers it will not use
            answers = landed.pop(0)
            if on_batch is not None:
                on_batch(answers)

    with _pool(jobs) as pool:
        pending: set[Future[tuple[Usage, Answers]]] = set()
        try:
            _send_all(pool, run, todo, pending, jobs, usage, landed, notify)
        except KeyboardInterrupt:
            # a request answered within a moment of the signal is cached by its thread, so
            # the next run does not pay for it again; a hung one is abandoned all the same
            wait(pending, timeout=INTERRUPT_GRACE_SECONDS)
            raise
    return usage


INTERRUPT_GRACE_SECONDS = 2.0


def _translate_batch(engine: Engine, cache: TranslationCache, batch: list[Request]) -> tuple[Usage, Answers]:
    """One request (asked once more if its answer does not fit its texts), its answers
    cached, and what it cost."""
    texts = [r.text for r in batch]
    contexts = [r.context for r in batch]
    spent = Usage(1, len(batch), 0)
    try:
        results = answers_for(engine, texts, contexts)
    except AnswerError as first:
        spent.requests += 1
        spent.billed_characters += first.billed_characters
        try:
            results = answers_for(engine, texts, contexts)
        except AnswerError as second:
            raise AnswerError(
                f"{second.message} (asked twice; nothing of that request was kept)",
                billed_characters=spent.billed_characters + second.billed_characters,
            ) from second
    answers: Answers = {request.key: result.text for request, result in zip(batch, results) if not result.refused}
    spent.refused.update((request.key, result.refused) for request, result in zip(batch, results) if result.refused)
    cache.set_many(answers.items())
    spent.billed_characters += sum(r.billed_characters for r in results)
    return spent, answers


def _send_all(
    pool: ThreadPoolExecutor,
    run: Callable[[list[Request]], tuple[Usage, Answers]],
    todo: list[list[Request]],
    pending: set[Future[tuple[Usage, Answers]]],
    jobs: int,
    usage: Usage,
    landed: list[Answers],
    notify: Callable[[], None],
) -> None:
    """Submit every batch, at most `jobs` in flight; the first error stops new ones and is
    raised once those in flight have finished."""
    error: BaseException | None = None
    for batch in todo:
        pending.add(pool.submit(run, batch))
        notify()
        if len(pending) >= jobs:
            error = _collect(pending, usage, landed)
            if error:
                break
    while pending and error is None:
        error = _collect(pending, usage, landed)
        notify()
    if error is not None:
        for future in pending:
            future.cancel()
        wait(pending)
        for future in pending:
            if not future.cancelled() and future.exception() is None:
                usage.add(future.result()[0])
        if isinstance(error, AnswerError):  # two requests, billed as the answers said
            usage.add(Usage(2, 0, error.billed_characters))
        raise error
    notify()


@contextmanager
def _pool(jobs: int) -> Iterator[ThreadPoolExecutor]:
    """The request threads; an interrupt (Ctrl-C, SIGTERM) abandons the requests in flight
    instead of waiting for them: a hung request would keep the run alive for minutes inside
    the deepl library's retries. Their answers are lost, and were never written anywhere."""
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        yield pool
    except BaseException as exc:
        pool.shutdown(wait=not isinstance(exc, KeyboardInterrupt), cancel_futures=True)
        raise
    pool.shutdown()


def _collect(pending: set[Future[tuple[Usage, Answers]]], usage: Usage, landed: list[Answers]) -> BaseException | None:
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    for future in done:
        pending.discard(future)
        exc = future.exception()
        if exc is not None:
            return exc
        result, answers = future.result()
        usage.add(result)
        landed.append(answers)
    return None


_TAG = re.compile(r"<(/?)[^>]*?(/?)>")
_SENTENCE_END = re.compile(r"[。！？!?]|\.(?= )")


def nesting_depth(xml: str) -> int:
    """How many elements deep an engine text goes at its deepest (tags counted, not parsed)."""
    depth = deepest = 0
    for m in _TAG.finditer(xml):
        if not m.group(2):
            depth += -1 if m.group(1) else 1
            deepest = max(deepest, depth)
    return deepest


def split_sentences(xml: str, max_bytes: int) -> list[str]:
    """Cut an engine text that is too large for one request at sentence ends.

    Cuts are made only outside elements, so every piece is well-formed XML and the
    translated pieces, joined, restore like the whole. A text that cannot be cut small
    enough is returned in as few pieces as possible; the engine then reports the problem.
    """
    if request_size(xml) <= max_bytes:
        return [xml]
    cuts: list[int] = []
    depth, pos = 0, 0
    tags = [(m.start(), m.end(), m.group(1), m.group(2)) for m in _TAG.finditer(xml)]
    tag_index = 0
    for m in _SENTENCE_END.finditer(xml):
        while tag_index < len(tags) and tags[tag_index][0] < m.start():
            _, _, closing, self_closing = tags[tag_index]
            depth += 0 if self_closing else (-1 if closing else 1)
            tag_index += 1
        if depth == 0:
            cuts.append(m.end())
    pieces: list[str] = []
    start = pos
    last_ok = None
    for cut in cuts + [len(xml)]:
        if request_size(xml[start:cut]) > max_bytes and last_ok is not None:
            pieces.append(xml[start:last_ok])
            start = last_ok
        last_ok = cut
    pieces.append(xml[start:])
    return [p for p in pieces if p]
