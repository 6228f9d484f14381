"""Worker processes (`[translate] workers`): a run's output never depends on them.

The same posts translated serially (`workers = 1`) and with a pool give the same editions,
state files and memory, byte for byte, and the same report; a post that fails in a worker
fails alone, with the message a serial run gives it. No timing here: the speed-up is a
benchmark figure (benchmarks/).
"""

from __future__ import annotations

import dataclasses
import pickle
import shutil
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pool_jobs
import pytest
from helpers import CORPUS_AND_SAMPLES, SAMPLES, make_site, run_cli

from pipeline import workers
from pipeline.cache import MemoryCache
from pipeline.config import Settings, create_engine, load_settings
from pipeline.errors import InputError, InternalError, PipelineError
from pipeline.memory import MEMORY_FILE
from pipeline.post import parse_post
from pipeline.report import RunReport
from pipeline.run import Translator

CORPUS = CORPUS_AND_SAMPLES[0].parents[1]  # tests/fixtures/corpus/ja: one folder per site


def _translate(root: Path, posts: list[Path], workers: int, source: Path = CORPUS) -> RunReport:
    """`posts` into `root` (editions in en/, state in translations/) by the pseudo engine."""
    settings = Settings(root=root, source_dir=source, output_dir=Path("en"), state_dir=Path("translations"), workers=workers)
    return Translator(settings, create_engine("pseudo"), MemoryCache()).run(posts)


def _files(root: Path) -> dict[str, bytes]:
    """Every file a run wrote under `root`, by its path there: editions, state, memory."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _results(report: RunReport) -> list[tuple[object, ...]]:
    """What the report says of each post, in its order (the timing left out)."""
    return [
        (p.source, p.status, str(p.error), p.segments, [dataclasses.astuple(f) for f in p.flags], p.lint_findings) for p in report.posts
    ]


@pytest.fixture
def forced_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool started for any work at all: a small tree exercises it."""
    monkeypatch.setattr(workers, "START_SIZE", 0)
    monkeypatch.setattr(workers, "START_JOBS", 1)


def test_the_corpus_translated_serially_and_by_workers_gives_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 29: every edition, state file and the memory, byte for byte, and the same report
    (the docs-ja site whole and every third react.dev page: 70 real posts, both sites' markup);
    then again after a change of some sources whose editions a translator edited (their
    English reused, the edits kept and approved into the memory, the rest up to date)."""
    posts = [p for p in CORPUS_AND_SAMPLES if p.is_relative_to(CORPUS / "docs-ja")]
    posts += [p for p in CORPUS_AND_SAMPLES if p.is_relative_to(CORPUS / "ja.react.dev")][::3]
    source = tmp_path / "ja"
    for post in posts:
        (source / post.relative_to(CORPUS)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(post, source / post.relative_to(CORPUS))
    posts = sorted(source.rglob("*.md"))
    serial = _translate(tmp_path / "serial", posts, workers=1, source=source)
    parallel = _translate(tmp_path / "parallel", posts, workers=2, source=source)
    assert (serial.workers, parallel.workers) == (0, 2)  # the pool ran: the comparison is not of two serial runs
    assert [p.status for p in serial.posts] == ["written"] * len(posts)
    assert _results(parallel) == _results(serial)
    written = _files(tmp_path / "serial")
    assert len([name for name in written if name.startswith("en/")]) == len(posts)
    assert any(name.startswith("translations/") for name in written)
    assert _files(tmp_path / "parallel") == written

    changed = posts[::7]
    for post in changed:
        post.write_text(post.read_text(encoding="utf-8") + "\n追加の段落です。\n", encoding="utf-8")
        for root in ("serial", "parallel"):
            edition = tmp_path / root / "en" / post.relative_to(source)
            text = edition.read_text(encoding="utf-8")
            line = next(line for line in text.splitlines() if line.startswith("⟦"))
            edition.write_text(text.replace(line, "⟦Edited by a translator.⟧", 1), encoding="utf-8")
    monkeypatch.setattr(workers, "START_SIZE", 0)  # a handful of posts to rebuild: the pool started all the same
    serial = _translate(tmp_path / "serial", posts, workers=1, source=source)
    parallel = _translate(tmp_path / "parallel", posts, workers=2, source=source)
    assert parallel.workers == 2
    assert [p.source for p in serial.posts if p.status == "written"] == changed
    assert _results(parallel) == _results(serial)
    written = _files(tmp_path / "serial")
    kept = [name for name, data in written.items() if "Edited by a translator." in data.decode("utf-8")]
    assert len([name for name in kept if name.startswith("en/")]) == len(changed)  # the edits kept
    assert [name for name in kept if not name.startswith("en/")] == [f"translations/{MEMORY_FILE}"]  # and approved
    assert _files(tmp_path / "parallel") == written


def test_a_post_failing_in_a_worker_fails_alone_with_the_serial_message(tmp_path: Path, forced_pool: None) -> None:
    """A broken post read in a worker: the same one-line error (file, line) as a serial run's,
    and the posts around it written as a serial run writes them."""
    site = make_site(tmp_path / "tree", SAMPLES)
    broken = site / "content" / "ja" / "2000-01-01-broken.md"
    broken.write_text("---\ntitle: 閉じていない\n本文です。\n", encoding="utf-8")
    bad_yaml = site / "content" / "ja" / "2000-01-02-bad-yaml.md"
    bad_yaml.write_text("---\ntitle: [閉じていない\n---\n本文です。\n", encoding="utf-8")
    posts = sorted((site / "content" / "ja").glob("*.md"))
    serial = _translate(tmp_path / "serial", posts, workers=1, source=site / "content" / "ja")
    parallel = _translate(tmp_path / "parallel", posts, workers=2, source=site / "content" / "ja")
    assert parallel.workers == 2
    failed = [p for p in parallel.posts if p.status == "failed"]
    assert [p.source for p in failed] == [broken, bad_yaml]
    assert isinstance(failed[0].error, InputError) and (failed[0].error.path, failed[0].error.line) == (broken, 1)
    assert _results(parallel) == _results(serial)
    assert [p.status for p in parallel.posts if p not in failed] == ["written"] * len(SAMPLES)
    assert _files(tmp_path / "parallel") == _files(tmp_path / "serial")


def test_a_one_post_run_and_an_up_to_date_tree_start_no_worker(tmp_path: Path) -> None:
    """Starting processes costs more than one post's reading; a run with nothing to read
    (every post up to date) has nothing to give them."""
    assert _translate(tmp_path, SAMPLES[:1], workers=2, source=SAMPLES[0].parent).workers == 0
    posts = [p for p in CORPUS_AND_SAMPLES if p.is_relative_to(CORPUS / "docs-ja")]
    assert _translate(tmp_path / "tree", posts, workers=2).workers == 2
    again = _translate(tmp_path / "tree", posts, workers=2)
    assert again.workers == 0 and {p.status for p in again.posts} == {"up-to-date"}


def test_an_error_in_a_worker_comes_back_as_the_posts_error() -> None:
    """A pipeline error keeps its class, message and place; any other exception (a bug)
    becomes the one-line internal error a serial run reports."""
    with workers.Pool(2) as pool:
        broken = pool.submit(workers.Job(parse_post, (Path("a.md"), b"---\ntitle: never closed\n")))
        bug = pool.submit(workers.Job(int, ("not a number",)))
        fine = pool.submit(workers.Job(int, ("12",)))
        with pytest.raises(InputError) as raised:
            broken()
        with pytest.raises(InternalError, match=r"^internal error \(ValueError: invalid literal .*\); please report it$"):
            bug()
        assert fine() == 12
    assert raised.value.path == Path("a.md")
    assert not pool.started


def test_a_worker_that_dies_fails_its_posts_and_the_rest_are_done_in_place(forced_pool: None) -> None:
    """A worker killed (out of memory, a signal): the jobs it held fail with a message saying
    so, not run again in the run's own process (one may be what killed it); the jobs after
    them are done in place, and the run goes on."""
    killer = workers.Job(signal.raise_signal, (signal.SIGKILL,))
    jobs = [("killer", killer)] + [(str(n), workers.Job(int, (str(n),))) for n in range(12)]
    with workers.Pool(2) as pool:
        assert pool.ready()  # up before the killer is given: a job no worker began would be done here
        results = []
        for key, call in pool.ordered(iter(jobs)):
            assert call is not None
            try:
                results.append((key, call()))
            except InternalError as exc:
                results.append((key, exc.message))
    assert pool.broken
    assert results[0] == ("killer", results[0][1]) and "a worker process stopped" in str(results[0][1])
    assert [key for key, _ in results] == ["killer"] + [str(n) for n in range(12)]
    # the last ones were given after the pool broke: done in place
    assert results[-1] == ("11", 11)
    assert all(value == int(key) or "a worker process stopped" in str(value) for key, value in results[1:])


class _Unpicklable(PipelineError):
    def __init__(self, message: str, extra: int) -> None:  # unpickling calls it with the message alone
        super().__init__(message)
        self.extra = extra


def test_an_error_that_does_not_unpickle_comes_back_as_an_internal_error() -> None:
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(_Unpicklable("lost", 1)))
    error = workers._portable(_Unpicklable("its message", 1))
    assert isinstance(error, InternalError) and error.message == "its message"
    assert isinstance(workers._portable(InputError("kept", path="p.md", line=3)), InputError)


def test_workers_is_set_in_the_config_or_on_the_command_line_and_at_least_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path, SAMPLES[:1])
    monkeypatch.chdir(tmp_path)
    assert load_settings().workers == workers.usable_cores() >= 1
    (tmp_path / "pipeline.toml").write_text("[translate]\nworkers = 3\n", encoding="utf-8")
    assert load_settings().workers == 3
    for value, message in (
        ("0", "[translate] workers must be at least 1 (1: no worker processes), not 0"),
        ('"two"', "'translate.workers' must be a int"),
    ):
        (tmp_path / "pipeline.toml").write_text(f"[translate]\nworkers = {value}\n", encoding="utf-8")
        result = run_cli("translate", "--engine", "pseudo")
        assert result.exit_code == 2
        assert "pipeline.toml" in result.stderr and message in result.stderr, result.stderr
    (tmp_path / "pipeline.toml").unlink()
    refused = run_cli("translate", "--engine", "pseudo", "--workers", "0")
    assert refused.exit_code == 2 and "--workers" in refused.stderr
    result = run_cli("translate", "--engine", "pseudo", "--workers", "1")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "content" / "en" / SAMPLES[0].name).is_file()


def test_while_the_run_waits_it_does_the_jobs_of_that_kind_no_worker_has_begun() -> None:
    """The run waits for a result a worker is computing: meanwhile it takes back the jobs
    of the same kind queued behind it (the last first) and does them itself; the one it
    waits for stays the worker's. Before the workers are up, the run does the job it asks for."""
    with workers.Pool(2) as pool:
        early = pool.submit(workers.Job(os.getpid, ()))
        assert early() == os.getpid()  # the pool is still starting
        assert pool.ready()
        busy = [pool.submit(workers.Job(pool_jobs.pid_after, (2,))) for _ in range(2)]
        queued = [pool.submit(workers.Job(pool_jobs.pid_after, (0,))) for _ in range(6)]
        busy_pids = [call() for call in busy]
        pids = [call() for call in queued]
    # the one waited for stays the worker's; the other busy job may not have begun when the run
    # started waiting (a loaded machine), and is then taken back like any job of its kind
    assert busy_pids[0] != os.getpid()
    assert pids[-1] == os.getpid()  # the last given, taken back first


def test_while_the_run_waits_it_leaves_the_jobs_of_another_kind_to_the_workers() -> None:
    """A rendering waited for does not make the run read the next window's post: that
    would hold up the drafting the workers wait on."""
    with workers.Pool(2) as pool:
        assert pool.ready()
        busy = [pool.submit(workers.Job(pool_jobs.pid_after, (1,))) for _ in range(2)]
        other = [pool.submit(workers.Job(os.getpid, ())) for _ in range(2)]  # handed over, not begun
        assert busy[0]() != os.getpid()  # meanwhile the run could take back only busy[1], of its kind
        other_pids = [call() for call in other]
        busy[1]()
    assert os.getpid() not in other_pids


def test_an_urgent_job_goes_to_the_workers_before_the_jobs_given_earlier() -> None:
    """A window's renderings (`urgent`) are handed over before the next window's readings
    given earlier, which wait behind them: the processes take jobs in the order handed."""
    monotonic = workers.Job(time.clock_gettime, (time.CLOCK_MONOTONIC,))  # the clock of time.monotonic
    with workers.Pool(2) as pool:
        assert pool.ready()
        busy = [pool.submit(workers.Job(time.sleep, (1,))) for _ in range(2)]
        readings = [pool.submit(workers.Job(pool_jobs.clock_after, (0.2,))) for _ in range(2 * workers.HANDED + 4)]
        rendering = pool.submit(monotonic, urgent=True)
        assert [call() for call in busy] == [None, None]
        rendered_at = rendering()
        read_at = [call() for call in readings]
    handed_first = 2 * workers.HANDED - 2  # with the two sleeps, what the workers had room for before the rendering came
    assert rendered_at < min(read_at[handed_first:])


_FORKED_NOW = """
import os, sys
sys.path.insert(0, sys.argv[1])
import pool_jobs
from pipeline.workers import Job, Pool
with Pool(2) as pool:
    started = pool.start_now()
    parents = {pool.submit(Job(pool_jobs.parent_pid, ()))() for _ in range(4)}
    print(started, parents == {os.getpid()}, pool.ran)
"""


def test_a_pool_started_now_forks_its_workers_from_the_run_itself() -> None:
    """The CLI starts its pool before any thread (`Pool.start_now`): the workers are the run's
    own children, up at once, not the fork server's (which imports the pipeline first)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("forked from the run only on Linux")
    tests = str(Path(__file__).parent)
    done = subprocess.run([sys.executable, "-c", _FORKED_NOW, tests], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "2"]


def test_a_pool_is_not_forked_from_the_run_while_another_thread_runs() -> None:
    """A fork copies only the thread that forks: a lock another thread held (a print to
    stderr, the progress view's) would stay held in the worker for ever. Then the pool
    starts as usual, from the fork server, once jobs come."""
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)
    waiting.start()
    try:
        with workers.Pool(2) as pool:
            assert not pool.start_now()
            assert not pool.started and pool.ran == 0
            assert pool.ready()  # the usual start
            assert pool.submit(workers.Job(pool_jobs.parent_pid, ()))() != os.getpid()
    finally:
        stop.set()
        waiting.join()


def test_the_cli_with_workers_writes_what_it_writes_without(tmp_path: Path) -> None:
    """`pipeline translate` as a user runs it, on enough posts that its pool starts before the
    run (forked from the CLI itself): the same editions and state as with `--workers 1`."""
    posts = [p for p in CORPUS_AND_SAMPLES if p.is_relative_to(CORPUS / "docs-ja")]
    trees = {}
    for count in ("1", "2"):
        site = make_site(tmp_path / count, posts)
        done = subprocess.run(
            [sys.executable, "-m", "pipeline", "translate", "--engine", "pseudo", "--workers", count],
            cwd=site,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        trees[count] = {k: v for k, v in _files(site).items() if k.startswith(("content/en/", "translations/"))}
    assert len([name for name in trees["1"] if name.startswith("content/en/")]) == len(posts)
    assert trees["2"] == trees["1"]
