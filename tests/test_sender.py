"""Requests sent while the texts are still being found (`translate.Sender`): a full batch
goes out at once, the batches are the ones all the texts given at once would make, and a
failed batch stops the ones queued behind it."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from helpers import SAMPLES

from pipeline import switching
from pipeline.cache import MemoryCache
from pipeline.config import Settings
from pipeline.engines import EngineResult, Limits, SegmentContext
from pipeline.errors import QuotaExceededError
from pipeline.run import Translator
from pipeline.translate import Request, Sender, batches


class _Recording:
    """An engine that answers each text with itself and records every request it got."""

    name = "recording"
    bills = True
    translates = True

    def __init__(self, limits: Limits, fail_first: bool = False) -> None:
        self.limits = limits
        self.calls: list[list[str]] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def settings(self) -> dict[str, object]:
        return {"engine": self.name}

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        with self.lock:
            self.calls.append(list(texts))
            first = len(self.calls) == 1
        if first and self.fail_first:
            time.sleep(0.05)  # the batches queued behind it are waiting for the one thread
            raise QuotaExceededError("quota exceeded")
        return [EngineResult(t, len(t)) for t in texts]


def _sent(engine: _Recording, count: int) -> list[list[str]]:
    """The requests the engine got, once it got `count` (the request threads are async)."""
    deadline = time.monotonic() + 10
    while len(engine.calls) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return engine.calls


def test_a_full_batch_goes_out_before_the_rest_is_found() -> None:
    engine = _Recording(Limits(max_texts=2))
    landed: list[dict[str, str]] = []
    with Sender(engine, MemoryCache(), jobs=2, on_batch=landed.append) as sender:  # two full batches go together
        for i in range(5):
            sender.add(Request(f"k{i}", f"text {i}"))
        assert sorted(_sent(engine, 2)) == [["text 0", "text 1"], ["text 2", "text 3"]]  # the 5th waits for company
        usage = sender.finish()
    assert sorted(engine.calls) == [["text 0", "text 1"], ["text 2", "text 3"], ["text 4"]]
    assert sorted(key for answers in landed for key in answers) == [f"k{i}" for i in range(5)]
    assert (usage.requests, usage.texts) == (3, 5)


def test_the_batches_are_those_of_all_the_texts_at_once_for_an_engine_with_one_context() -> None:
    """Texts with a context wait for `finish`, where they are packed with their context's
    others, as `batches` packs the whole list (DeepL: one context per request)."""
    limits = Limits(max_texts=3, one_context=True)
    title = SegmentContext(title="題")
    other = SegmentContext(title="別")
    requests = [Request(f"k{i}", f"t{i}", [None, title, other][i % 3]) for i in range(14)]
    engine = _Recording(limits)
    with Sender(engine, MemoryCache(), jobs=1) as sender:
        for request in requests:
            sender.add(request)
        sender.finish()
    assert sorted(engine.calls) == sorted([r.text for r in batch] for batch in batches(requests, limits))


def test_a_failed_batch_stops_the_batches_queued_behind_it() -> None:
    engine = _Recording(Limits(max_texts=1), fail_first=True)
    with Sender(engine, MemoryCache(), jobs=1) as sender:
        for i in range(6):
            sender.add(Request(f"k{i}", f"text {i}"))
        with pytest.raises(QuotaExceededError):
            sender.finish()
    assert engine.calls == [["text 0"]]


class _Interval(_Recording):
    """A recording engine that also notes the GIL's switch interval its request threads saw."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(limits)
        self.intervals: list[float] = []

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        self.intervals.append(sys.getswitchinterval())
        return super().translate(texts)


def test_a_run_hands_the_gil_round_every_millisecond_and_gives_the_interval_back(tmp_path: Path) -> None:
    """A request thread waits for the run's thread to let go of the GIL before it can read
    its answer: during a run the interval is `SWITCH_INTERVAL` (figure 3b: 1.55x → 1.45x on average);
    the program that ran it gets its own back."""
    engine = _Interval(Limits(max_texts=50, max_bytes=128 * 1024))
    settings = Settings(root=tmp_path, source_dir=SAMPLES[0].parent, output_dir=Path("en"), state_dir=Path("state"), workers=1)
    before = sys.getswitchinterval()
    report = Translator(settings, engine, MemoryCache()).run(SAMPLES)  # type: ignore[arg-type]  # an engine by its shape
    assert [p.status for p in report.posts] == ["written"] * len(SAMPLES)
    assert engine.intervals and set(engine.intervals) == {switching.SWITCH_INTERVAL} != {before}
    assert sys.getswitchinterval() == before
