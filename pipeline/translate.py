"""Send what the cache lacks to the engine: in batches, several in flight, cached as they land.

Each batch is cached the moment it returns, so a run that fails halfway (quota, network,
a signal) has already paid for and kept everything before the failure; the re-run bills
only the rest.
"""

from __future__ import annotations

import json
import re
import threading
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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


@lru_cache(maxsize=4096)
def request_size(text: str) -> int:
    """Bytes a text adds to the JSON request body (requests encodes with ensure_ascii):
    counted when the text is queued and again when its batch is packed, hence the cache."""
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
    """Translate `requests` (unique keys, none cached) and store every answer in `cache`:
    a `Sender` given them all at once (its docstring says what happens on errors)."""
    sender = Sender(engine, cache, jobs, on_batch, usage)
    with sender:
        for request in requests:
            sender.add(request)
        return sender.finish()


INTERRUPT_GRACE_SECONDS = 2.0


class Sender:
    """Requests sent while their texts are still being found: as soon as `jobs` batches are
    full (`add`), they go out together, so the engine works while the run reads the next
    posts; the rest go out with `finish`, which waits for every answer. At most `jobs` are
    in flight.

    Batches are those `batches` makes of all the texts in the order given: a text with a
    context, for an engine that takes one context per request (`Limits.one_context`), is
    held back and packed at `finish` with the others of its context.

    The first engine error stops new batches from starting and is raised by `finish` once
    the batches already in flight have finished (and been cached). `on_batch` is called,
    on the caller's thread (within `add` and `finish`), with the answers of each batch that
    landed: work on the answers overlaps the requests still in flight, and needs no read
    back from the cache (which the other batches are writing to).

    A batch whose answer does not fit its texts (`AnswerError`) is asked once more; a
    second bad answer is the run's error. Nothing of a bad answer is cached. What was
    billed is added to `usage` as each batch lands, so a caller that passes its own still
    knows what an aborted run cost.
    """

    def __init__(
        self,
        engine: Engine,
        cache: TranslationCache,
        jobs: int,
        on_batch: Callable[[Answers], None] | None = None,
        usage: Usage | None = None,
    ) -> None:
        self.engine, self.cache, self.on_batch = engine, cache, on_batch
        self.usage = Usage() if usage is None else usage
        self._jobs = in_flight(engine, jobs)
        self._threads: ThreadPoolExecutor | None = None
        self._pending: set[Future[tuple[Usage, Answers] | None]] = set()
        self._arrived: deque[Future[tuple[Usage, Answers] | None]] = deque()  # done, not taken yet (in the order they landed)
        self._unsent: list[Request] = []  # not in a full batch yet
        self._unsent_bytes = 0
        self._held: list[Request] = []  # texts with a context, for an engine with one per request
        self._error: BaseException | None = None
        self._failed = threading.Event()  # set by the request thread whose batch failed

    def add(self, request: Request) -> None:
        limits = self.engine.limits
        self._land(block=False)
        if limits.one_context and request.context is not None:
            self._held.append(request)
            return
        self._unsent.append(request)
        self._unsent_bytes += request_size(request.text)
        # sent `jobs` full batches at a time: they are in flight together, as a window's would be
        if len(self._unsent) > limits.max_texts * self._jobs or self._unsent_bytes > limits.max_bytes * self._jobs:
            *full, rest = batches(self._unsent, limits)  # at least `jobs` full ones: each holds no more than the limits
            for batch in full:
                self._send(batch)
            self._unsent, self._unsent_bytes = rest, sum(request_size(r.text) for r in rest)

    def finish(self) -> Usage:
        """The texts not sent yet, sent; every answer landed; the first error raised."""
        for batch in batches(self._unsent + self._held, self.engine.limits):
            self._send(batch)
        self._unsent, self._held, self._unsent_bytes = [], [], 0
        try:
            self._land(block=True)
        except KeyboardInterrupt:
            # a request answered within a moment of the signal is cached by its thread, so
            # the next run does not pay for it again; a hung one is abandoned all the same
            wait(self._pending, timeout=INTERRUPT_GRACE_SECONDS)
            raise
        error, self._error = self._error, None
        if error is not None:
            if isinstance(error, AnswerError):  # two requests, billed as the answers said
                self.usage.add(Usage(2, 0, error.billed_characters))
            raise error
        return self.usage

    def close(self, interrupted: bool = False) -> None:
        """The request threads stopped: an interrupt (Ctrl-C, SIGTERM) abandons the requests
        in flight instead of waiting for them: a hung request would keep the run alive for
        minutes inside the deepl library's retries. Their answers are lost, and were never
        written anywhere."""
        if self._threads is not None:
            self._threads.shutdown(wait=not interrupted, cancel_futures=True)
            self._threads = None

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(interrupted=kind is not None and issubclass(kind, KeyboardInterrupt))

    def _send(self, batch: list[Request]) -> None:
        if self._error is not None:  # the engine failed: nothing more is sent
            return
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=self._jobs)
        future = self._threads.submit(self._request, batch)
        self._pending.add(future)
        future.add_done_callback(self._arrived.append)  # on the request thread: a deque takes it without a lock

    def _request(self, batch: list[Request]) -> tuple[Usage, Answers] | None:
        """One batch on a request thread; None, unsent, once a batch has failed (the threads
        take queued batches as soon as one is free: the run would not see the error first)."""
        if self._failed.is_set():
            return None
        try:
            return _translate_batch(self.engine, self.cache, batch)
        except BaseException:
            self._failed.set()
            raise

    def _land(self, block: bool) -> None:
        """The batches that have landed, each billed and handed to `on_batch` in turn (after
        an error, billed only); with `block`, until none is left in flight."""
        while self._pending:
            while self._arrived:  # taken without a wait: the run looks here at every text it finds
                future = self._arrived.popleft()
                if future in self._pending:  # not taken by the wait below already
                    self._pending.discard(future)
                    self._take(future)
            if not block or not self._pending:
                return
            done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
            for future in done:
                self._pending.discard(future)
                self._take(future)

    def _take(self, future: Future[tuple[Usage, Answers] | None]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            self._error = self._error or exc  # the batches queued behind it are refused by `_request`
            return
        landed = future.result()
        if landed is None:  # not sent: a batch before it failed
            return
        spent, answers = landed
        self.usage.add(spent)
        if self._error is None and self.on_batch is not None:
            self.on_batch(answers)


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
