"""A window's engine answers, checked as they land (`qa.first_check`): in the pool's
workers once the pool runs, while the run's thread goes on sending requests.

Checking an answer restores its tags into Markdown and parses the result again (the
structure must be the source's): the one CPU-heavy step of a window's translation. On the
run's thread it held the GIL the request threads need, and it delayed the next batch's
sending. Only answers with something to check travel (a text without elements cannot
break on restore); a worker sends back each answer's outcome, not the answer, and the
run joins it to the `Protected` it holds (`qa.Answer.protected` is compared by identity).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pipeline import qa
from pipeline.engine_text import Protected
from pipeline.errors import InternalError, StructureError
from pipeline.segment import Segment
from pipeline.workers import Job, Pool

Outcome = tuple[str | StructureError | None, bool]  # an answer's `restored` and `truncated`


def outcomes(answers: Sequence[tuple[str, Protected]]) -> list[Outcome]:
    """`qa.first_check` of each (answer, source) in a worker: what the run needs back."""
    return [(a.restored, a.truncated) for a in (qa.first_check(text, protected) for text, protected in answers)]


class Checks:
    """The answers of one window, checked in batches as they land (`add`), collected once
    every request is back (`collect`)."""

    def __init__(self, pool: Pool, sources: Mapping[str, Segment]) -> None:
        self.pool, self.sources = pool, sources
        self.checked: dict[str, qa.Answer] = {}
        # the batches sent to a worker: their (key, answer) pairs, the job, and its result
        self._waiting: list[tuple[list[tuple[str, str]], Job[list[Outcome]], Callable[[], list[Outcome]]]] = []
        self._size = 0

    def add(self, answers: Mapping[str, str]) -> None:
        """One batch's answers (key → engine text): checked here when that is cheap
        (`qa.costly_check`) or the pool is not worth it, else sent to a worker."""
        hard: list[tuple[str, str]] = []
        for key, text in answers.items():
            protected = self.sources[key].protected
            if qa.costly_check(text, protected):
                hard.append((key, text))
            else:
                self.checked[key] = qa.first_check(text, protected)
        if not hard:
            return
        job = Job(outcomes, ([(text, self.sources[key].protected) for key, text in hard],), sum(len(text) for _, text in hard))
        self._size += job.size
        if self.pool.worth(len(self._waiting) + 1, self._size):
            self._waiting.append((hard, job, self.pool.submit(job, urgent=True)))
        else:
            self._join(hard, job())

    def collect(self) -> dict[str, qa.Answer]:
        """Every answer given so far, checked; a worker that died has its batch checked here."""
        for hard, job, result in self._waiting:
            try:
                found = result()
            except InternalError:  # the worker died: this thread checks the batch
                found = job()
            self._join(hard, found)
        self._waiting.clear()
        return self.checked

    def _join(self, hard: Sequence[tuple[str, str]], found: Sequence[Outcome]) -> None:
        for (key, text), (restored, truncated) in zip(hard, found):
            self.checked[key] = qa.Answer(self.sources[key].protected, text, restored, truncated)
