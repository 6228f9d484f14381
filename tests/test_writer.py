"""The writer thread (`pipeline.writer`) and the run's collector (`pipeline.heap`): the
writes of a run keep the serial run's order, a crashed write stops the ones after it as a
crash would, and a run leaves its caller's collector as it found it."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest
from helpers import SAMPLES, make_site

from pipeline.cache import MemoryCache
from pipeline.config import Settings, create_engine
from pipeline.heap import YOUNG
from pipeline.run import Translator
from pipeline.writer import Writer


class Killed(BaseException):
    """What a kill looks like to the code it interrupts: no post's failure."""


def test_items_finish_in_their_order_after_their_own_write() -> None:
    events: list[str] = []
    writer: Writer[int] = Writer(lambda item: events.append(f"finished {item}"))

    def write(item: int, pause: float) -> None:
        time.sleep(pause)
        events.append(f"wrote {item} on {threading.current_thread().name.split('_')[0]}")

    writer.add(1, lambda: write(1, 0.05))  # slow: the items after it wait for it (written meanwhile)
    writer.add(2, None)  # nothing to write (a failed post): finished in its turn, not before 1
    writer.add(3, lambda: write(3, 0))
    writer.wait()
    writer.close()
    finished = [e for e in events if e.startswith("finished")]
    assert finished == ["finished 1", "finished 2", "finished 3"]  # 2 waits for 1's slow write
    assert events.index("wrote 1 on pipeline-writer") < events.index("finished 1")
    assert events.index("wrote 3 on pipeline-writer") < events.index("finished 3")


def test_a_crashed_write_stops_the_writes_after_it_and_reaches_the_run() -> None:
    done: list[int] = []
    written: list[int] = []
    writer: Writer[int] = Writer(done.append, writers=1)  # one at a time: 3 waits behind the crash

    def crash() -> None:
        raise Killed

    writer.add(1, lambda: written.append(1))
    writer.add(2, crash)
    writer.add(3, lambda: written.append(3))
    with pytest.raises(Killed):
        writer.wait()
    writer.close()
    assert written == [1] and done == [1]  # 3 was never written, nor reported as done


def test_with_several_writers_a_crash_lets_the_writes_under_way_end_and_drops_the_rest() -> None:
    done: list[int] = []
    written: list[int] = []
    go, crashed = threading.Event(), threading.Event()
    writer: Writer[int] = Writer(done.append, writers=2)

    def under_way() -> None:  # begun before the crash, ends after it: whole, as after a kill
        assert crashed.wait(5)
        written.append(1)

    def crash() -> None:
        assert go.wait(5)  # once both writes are under way
        crashed.set()
        raise Killed

    writer.add(1, under_way)
    writer.add(2, crash)
    go.set()
    assert crashed.wait(5)
    time.sleep(0.05)  # the crash has reached the writer
    with pytest.raises(Killed):  # when the run next looks: adding 3, or waiting
        writer.add(3, lambda: written.append(3))  # not begun before the crash: dropped
        writer.wait()
    writer.close()
    assert written == [1] and done == [1]  # 1 finished in its turn; 3 never written, nor reported


def test_a_run_collects_less_and_gives_the_collector_back(tmp_path: Path) -> None:
    seen: list[tuple[int, int, int]] = []
    before = gc.get_threshold()
    site = make_site(tmp_path, SAMPLES[:1])
    settings = Settings(root=site)
    report = Translator(settings, create_engine("identity"), MemoryCache()).run(
        sorted((site / "content" / "ja").glob("*.md")), progress=lambda _: seen.append(gc.get_threshold())
    )
    assert [p.status for p in report.posts] == ["written"]
    assert seen and all(threshold[0] == YOUNG for threshold in seen)
    assert gc.get_threshold() == before
