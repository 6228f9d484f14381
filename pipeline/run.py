"""One translation run: posts in, English editions out, a report back. Never prints.

Posts stream through in windows: each window is prepared (read, checked against the
committed state, split, protected, resolved from the previous edition or the cache), its
missing texts are translated in full batches, then each post is restored, checked,
rendered and committed with its state record. Memory stays bounded by the window, and
batches stay full across post boundaries. The reading and the rendering of each post
(`stages`) run in worker processes when there is enough of them (`workers.Pool`); every
decision, the caches and every write stay here, taken in the posts' order.

Where a segment's English comes from, first match wins:
1. the previous English edition, when the segment's source and settings are unchanged
   (a translator's edit there is kept and recorded as human): `reuse`;
2. the glossary taxonomy (categories, tags), or the source itself when there is nothing
   Japanese to translate;
3. the cache, then the engine (`translate`), each answer checked by `qa`.
The edition's bytes and the crash-safe order of the writes (memory, state, edition, state)
are `edition`'s: each post's approvals are saved with it, not at the end of the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline import carry, carry_over, edition, frontmatter, leftovers, qa, stages
from pipeline.answers import Checks
from pipeline.cache import CacheKeys, TranslationCache
from pipeline.config import Settings
from pipeline.edition import Pair, Unit, UnitMaker
from pipeline.engines import Engine, SegmentContext, context_policy, engine_spec, spend_of
from pipeline.errors import EditedDuringRun, EngineError, InputError, InternalError, PipelineError, internal_error
from pipeline.glossary import Glossary, prose_of_markdown
from pipeline.heap import collecting_less
from pipeline.memory import TranslationMemory
from pipeline.post import Alias, Post, Resolver, Tree, parse_post, source_hash
from pipeline.qa import Flag
from pipeline.report import PostResult, RunReport, Status
from pipeline.carry import NeedsMerge
from pipeline.reuse import EditionReader, Previous, adopt, previous_english, reuse
from pipeline.segment import Segment
from pipeline.switching import switching_often
from pipeline.state import (
    BuiltFrom,
    PostState,
    SegmentRecord,
    classify,
    glossary_misses,
    load_state,
    on_disk_record,
    refuser,
    settings_fingerprint,
    state_files,
)
from pipeline.target import Target
from pipeline.translate import Answers, Request, Sender, billable_length, estimate, translate_missing
from pipeline.workers import READ_AHEAD, Job, Pool
from pipeline.writer import Writer

__all__ = ["Flag", "NeedsMerge", "PostResult", "RunProgress", "RunReport", "Translator"]

HELD_FACTOR = 2  # a window also flushes once it holds this many times `window_texts` segments


@dataclass
class _Window:
    """Prepared posts waiting for their missing texts, and how much they hold."""

    posts: list[Pair] = field(default_factory=list)
    missing: dict[str, Segment] = field(default_factory=dict)
    held: int = 0  # segments the window holds, translated or not
    contexts: dict[str, SegmentContext | None] = field(default_factory=dict)  # what the engine reads with each missing text

    sender: Sender | None = None  # its requests, sent as the missing texts are found (None: a dry run)
    checks: Checks | None = None  # its answers, checked as they land

    waiting: dict[str, list[int]] = field(default_factory=dict)  # a missing key → the units waiting for it (into `unanswered`)
    unanswered: list[int] = field(default_factory=list)  # per waiting unit: how many of its keys are still unanswered
    settled: int = 0  # segments whose English is known: reused, cached, or answered
    landed: set[str] = field(default_factory=set)  # the keys answered so far (answers land while posts are still read)

    def close(self, interrupted: bool = False) -> None:
        """Its request threads stopped (`Sender.close`), and the sender and checks let go: the
        sender's callback holds the window, a cycle only the collector would free (with the
        window's every segment in it)."""
        if self.sender is not None:
            self.sender.close(interrupted)
        self.sender = self.checks = None

    def full(self, limit: int) -> bool:
        """Time to translate and write: enough texts for full batches, or enough segments held
        that memory would grow with the tree (a tree of mostly cached paragraphs misses few)."""
        return len(self.missing) >= limit or self.held >= HELD_FACTOR * limit

    def wait(self, keys: list[str]) -> None:
        """One segment, settled now (no key) or once the engine has answered all its `keys`."""
        keys = [key for key in keys if key not in self.landed]
        if not keys:
            self.settled += 1
            return
        self.unanswered.append(len(keys))
        for key in keys:
            self.waiting.setdefault(key, []).append(len(self.unanswered) - 1)

    def answered(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.landed.add(key)
            for unit in self.waiting.pop(key, ()):
                self.unanswered[unit] -= 1
                self.settled += self.unanswered[unit] == 0


@dataclass(frozen=True)
class _Found:
    """A post whose edition is to be built, as found before its reading (`Translator._find`)."""

    post: Post
    output: Path
    relative: Path
    state_file: Path
    record: PostState | None
    result: PostResult


@dataclass(frozen=True)
class _Draft:
    """A post's English, before its rendering: the state's segment records, whether the post
    approved a translator's edit (the memory is saved with it), and the rendering's job."""

    records: tuple[SegmentRecord, ...]
    approved: bool
    rendering: Job[stages.Rendered]
    known: tuple[str, carry.Frame] | None  # the edition on disk as preparing read it: its hash and frame (`Translator._known`)
    added: Mapping[str, str | int]  # the keys the pipeline sets in the edition's front matter (`edition.added_keys`)


@dataclass(frozen=True)
class RunProgress:
    """How far a run is, sent to the caller at each step (the core never prints; the CLI
    draws a bar or writes plain lines from these). Segments are those of the posts read so
    far: the total grows window by window on a tree too big for one."""

    event: Literal["post", "batch", "window"]  # a post finished · an engine answer landed · a window was written
    posts_done: int
    posts_total: int | None  # None: the run was given an iterable of unknown length
    segments_done: int
    segments_total: int
    billed: int  # characters (or the engine's unit) billed so far
    requests: int
    elapsed: float  # seconds since the run started
    post: PostResult | None = None  # the post that just finished ("post")


ProgressCallback = Callable[[RunProgress], None]


class _WindowWritten:
    """Given to the writer after a window's posts: its "window" event comes once they are written."""


_WINDOW_WRITTEN = _WindowWritten()
_Written = Pair | PostResult | _WindowWritten  # what the writer hands back, in the order given (`_Progress.written`)


class _Progress:
    """The run's counts, turned into `RunProgress` events for the caller's callback."""

    def __init__(self, callback: ProgressCallback | None, report: RunReport, total: int | None) -> None:
        self.callback, self.report, self.total = callback, report, total
        self.started = time.perf_counter()
        self.flushed = 0  # segments of the windows already written
        self.window = _Window()

    def emit(self, event: Literal["post", "batch", "window"], post: PostResult | None = None) -> None:
        if self.callback is None:
            return
        usage, window, elapsed = self.report.usage, self.window, time.perf_counter() - self.started
        counts = (len(self.report.posts), self.total, self.flushed + window.settled, self.flushed + window.held)
        self.callback(RunProgress(event, *counts, usage.billed_characters, usage.requests, elapsed, post))

    def done(self, result: PostResult) -> None:
        """A post finished: into the report, in the order of the posts."""
        self.report.posts.append(result)
        self.emit("post", result)

    def written(self, item: _Written) -> None:
        """A post's write done (`Writer`): its units and answers dropped, its result reported;
        a post with nothing to write, reported in its turn; a window's end, once its posts are."""
        if isinstance(item, _WindowWritten):
            self.emit("window")
        elif isinstance(item, PostResult):
            self.done(item)
        else:
            item.release()
            self.done(item.result)

    def next_window(self) -> _Window:
        self.flushed += self.window.held
        self.window = _Window()
        return self.window


class Translator:
    """Holds what a run shares (settings, engine, cache, glossary); `run()` does one pass."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        cache: TranslationCache,
        glossary: Glossary | None = None,
        memory: TranslationMemory | None = None,
    ) -> None:
        self.settings, self.engine, self.cache = settings, engine, cache
        self.target = Target.of(settings)
        self.glossary = glossary or Glossary()
        self.memory = memory or self.target.load_memory()
        self._engine_settings = engine.settings()
        self._refuser = refuser(settings.engine, self._engine_settings)  # who refused an answer, in its record
        self._keep = self.glossary.keep_pattern
        self._reader = EditionReader(settings.dialect, settings.translate_keys, settings.translate_attributes, settings.translate_comments)
        self._by_characters = engine_spec(settings.engine).billing_unit == "characters"  # else no per-post character counts
        policy = context_policy(engine)  # what the engine reads around each text (an LLM): part of the cache keys
        keys = CacheKeys(self._engine_settings, self.glossary.terms)
        units = UnitMaker(keys, engine.limits.text_bytes, self._keep, self.glossary.taxonomy, tuple(settings.translate_keys), policy)
        self._reading = stages.Reading.of(settings, units)  # what the CPU stages read of the settings (`stages`)
        self.fingerprint = settings_fingerprint(settings, self.glossary)
        self._sources: Tree | None = None  # resolved once per run: resolving walks the disk
        self._output_root: Path | None = None
        self._outputs = Resolver(strict=False)  # the editions' folders, resolved once per run
        self._progress = _Progress(None, RunReport(), None)  # the run's, set by run()
        self._adopt = self._merged = False
        self._orphans: dict[str, tuple[PostState, Path]] | None = None  # renamed posts' old records (`_edited`)

    def relative(self, source: Path) -> Path:
        if self._sources is None:
            return self.settings.relative(source)
        try:
            return self._sources.locate(source)[0]
        except InputError:  # outside the tree, a loop, an alias: named by its file name
            return Path(source.name)

    def output_path(self, source: Path) -> Path:
        return self.target.edition_path(self.relative(source))

    @collecting_less()  # a run holds many objects, few of them cyclic garbage (`heap`)
    @switching_often()  # the request threads get the GIL back soon after their answers land (`switching`)
    def run(
        self,
        paths: Iterable[Path],
        *,
        dry_run: bool = False,
        fail_fast: bool = False,
        force: bool = False,
        retry_flagged: bool = False,
        adopt: bool = False,
        merged: bool = False,
        progress: ProgressCallback | None = None,
        pool: Pool | None = None,
    ) -> RunReport:
        """`adopt`: take an edition the state knows nothing of as a translator's work
        (without it, such an edition is reported and left alone); `merged`: where the Japanese
        changed under a translator's edit outside the translated text, keep the edition's
        lines as they are (merged by hand); `pool`: the worker processes to use, left
        running (one per run otherwise)."""
        started = time.perf_counter()
        self.target.check_state_folder()
        self._adopt, self._merged, self._orphans = adopt, merged, None
        report = RunReport(dry_run=dry_run, dialect=self.settings.dialect)
        self._sources = Tree.at(self.settings.path(self.settings.source_dir))
        self._output_root, self._outputs = self.target.output_dir.resolve(), Resolver(strict=False)
        self._progress = tally = _Progress(progress, report, len(paths) if isinstance(paths, Sized) else None)
        given, pool = pool, pool or Pool(self.settings.workers)  # a pool given (the CLI's, started early) is the caller's to close
        done, writer, cpu_before = tally.done, Writer(tally.written), pool.cpu_seconds
        window = self._opened(tally.window, pool, report, dry_run)
        try:
            for prepared in self._prepared(paths, force, dry_run, pool):
                if isinstance(prepared, PostResult):
                    writer.add(prepared, None)  # reported after the writes before it: the report keeps the posts' order
                    if fail_fast and prepared.status in ("failed", "needs-merge"):
                        break
                    continue
                window.posts.append(prepared)
                window.held += len(prepared.units)
                self._look_up(prepared, window, retry_flagged)
                if window.full(self.settings.window_texts):
                    self._flush(window, report, dry_run, pool, writer)
                    window = self._opened(tally.next_window(), pool, report, dry_run)
            self._flush(window, report, dry_run, pool, writer)
            writer.wait()
        except EngineError as exc:
            writer.wait()  # the windows before it are written
            self._abort(window, exc, report, done)
        except KeyboardInterrupt:
            window.close(interrupted=True)  # the requests in flight abandoned, not waited for
            raise
        finally:
            window.close()
            writer.close()
            if given is None:
                pool.close()
            if not dry_run:
                report.spend = spend_of(self.engine)  # tokens an engine billed by tokens spent, an aborted run's included
        report.workers, report.worker_cpu = pool.ran, pool.cpu_seconds - cpu_before
        report.cache_error = self.cache.write_error
        report.elapsed = time.perf_counter() - started
        return report

    def _abort(self, window: _Window, exc: EngineError, report: RunReport, done: Callable[[PostResult], None]) -> None:
        """The engine gave up: the window's posts are not written, and one error says so."""
        names = [p.post.path.name for p in window.posts]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        report.aborted = type(exc)(f"{exc.message}; not written: {shown}" if names else exc.message)
        for prepared in window.posts:
            prepared.result.status = "failed"
            prepared.result.error = report.aborted  # one error, printed once
            done(prepared.result)

    # preparing --------------------------------------------------------------------------

    def _prepared(self, paths: Iterable[Path], force: bool, dry_run: bool, pool: Pool) -> Iterator[Pair | PostResult]:
        """Each post ready for the engine, or its result (up to date, skipped, failed), in the
        order given; the readings (`stages.prepare`) in the pool's workers once enough of them
        wait, the rest of each post's preparing here, when the run reaches it."""
        found = ((path, self._find_or_fail(path, force, dry_run)) for path in paths)
        jobs = (
            ((path, f), Job(stages.prepare, (f.post, self._reading), len(f.post.text)) if isinstance(f, _Found) else None)
            for path, f in found
        )
        for (path, f), reading in pool.ordered(jobs, READ_AHEAD):
            yield f if isinstance(f, PostResult) else self._prepare_or_fail(path, f, reading)

    def _prepare_or_fail(self, path: Path, found: _Found, reading: Callable[[], stages.Prepared] | None) -> Pair | PostResult:
        try:
            return self._prepare(found, reading() if reading is not None else stages.prepare(found.post, self._reading))
        except Exception as exc:  # one post's failure, a bug included, must not cost the others theirs
            return self._failed(path, exc)

    def _find_or_fail(self, path: Path, force: bool, dry_run: bool) -> _Found | PostResult:
        """The post and its edition's whereabouts when its edition is to be built, or its
        result: up to date, skipped, or failed."""
        try:
            return self._find(path, force, dry_run)
        except Alias as exc:  # not a failure: the post itself is translated
            return PostResult(path, status="skipped", flags=[Flag(1, "alias", exc.message)])
        except Exception as exc:  # one post's failure, a bug included, must not cost the others theirs
            return self._failed(path, exc)

    def _failed(self, path: Path, exc: Exception) -> PostResult:
        status, error = _failure(exc, path)
        return PostResult(path, self.output_path(path), status=status, error=error)

    def _find(self, path: Path, force: bool, dry_run: bool) -> _Found | PostResult:
        sources = self._sources or Tree.at(self.settings.path(self.settings.source_dir))
        relative, raw = sources.read(path)  # regular files inside the tree only
        output = self.target.checked_edition_path(path, relative, self._output_root, self._outputs)
        post = parse_post(path, raw)
        state_file = self.target.state_path(relative)
        record = load_state(state_file)
        if record is not None and not self.target.describes(record.edition, relative):
            raise InputError(
                f"its state {state_file} describes {record.edition}, not {self.target.recorded_edition(relative)}; "
                "left alone: a run into another output folder needs a state folder of its own ([paths] state)"
            )
        state, _ = classify(post.source_hash, output, record, self.fingerprint)
        result = PostResult(path, output)
        if record is not None and record.engine and record.engine != self.settings.engine:
            result.previous_engine = record.engine
        if state == "up-to-date" and not force:
            if record is not None and not dry_run:
                edition.finish_pending(state_file, record)
            result.status, result.missing_terms = "up-to-date", glossary_misses(record)
            return result
        return _Found(post, output, relative, state_file, record, result)

    def _prepare(self, found: _Found, read: stages.Prepared) -> Pair:
        """The post `found`, its reading done: its units, each with the English known without the engine."""
        post, output, relative, result = found.post, found.output, found.relative, found.result
        state_file, record = found.state_file, found.record
        result.lint_findings, result.leftover.source = read.lint_findings, read.leftover
        edition_sha = source_hash(output.read_bytes()) if output.is_file() else None
        built_from = on_disk_record(record, edition_sha)
        base, theirs, theirs_sha = self._edited(built_from, output, edition_sha, post.source_hash)
        previous = previous_english(self._reader, base, theirs or output, theirs_sha)
        units = read.units
        result.flags.extend(read.flags)
        if built_from == "adopted":
            previous, theirs = self._adopted(units, output), output  # a person's edition: `_carry` keeps its bytes
        result.flags.extend(reuse(units, previous, self.memory, post, self._refuser))
        result.segments = len(units)
        recorded_as = self.target.recorded_edition(relative)
        pair = Pair(post, output, relative, state_file, result, units, edition_sha, built_from, recorded_as=recorded_as)
        pair.base, pair.theirs, pair.theirs_texts = base, theirs, previous.edition
        pair.headings, pair.front_matter_shown = read.headings, read.shown  # the source's, compared with the edition's in `_finish`
        return pair

    def _edited(
        self, built_from: BuiltFrom, output: Path, edition_sha: str | None, source_sha: str
    ) -> tuple[PostState | None, Path | None, str | None]:
        """The edition a translator may have edited, the record it was built from (the base of
        `carry`'s merge) and its hash: the post's own; for a post with neither record nor
        edition, the edition of a post with the same source whose source is gone (renamed,
        `git mv`), so a rename keeps every edit (`--prune` removes the old one after the run)."""
        if isinstance(built_from, PostState):
            return built_from, output, edition_sha
        if built_from is not None or edition_sha is not None:
            return None, None, None
        if self._orphans is None:
            self._orphans = self._find_orphans()
        found = self._orphans.get(source_sha)
        if found is None:
            return None, None, None
        old_sha = source_hash(found[1].read_bytes())
        old = on_disk_record(found[0], old_sha)
        return (old, found[1], old_sha) if isinstance(old, PostState) else (None, None, None)

    def _find_orphans(self) -> dict[str, tuple[PostState, Path]]:
        """The records whose source is gone but whose edition is there, by source hash (read
        once per run, and only when a post has neither record nor edition)."""
        found: dict[str, tuple[PostState, Path]] = {}
        sources = self.settings.path(self.settings.source_dir)
        for path in state_files(self.target.state_dir):
            try:
                record = load_state(path)
            except InputError:
                continue
            if record is None or (sources / record.source).exists() or not self.target.describes(record.edition, Path(record.source)):
                continue
            old = self.target.edition_path(Path(record.source))
            if old.is_file():
                found.setdefault(record.source_sha256, (record, old))
        return found

    def _adopted(self, units: list[Unit], output: Path) -> Previous:
        """An edition no state record describes: a translator's work only when the user says
        so (`--adopt`); never taken as one behind their back (a preview's state, a lost one)."""
        if not self._adopt:
            raise NeedsMerge(
                f"the English edition {output} has no state record (written by hand, elsewhere, or its state file was "
                "deleted); left as it is: run `pipeline translate --adopt` to keep its English as a translator's work, "
                "or move it aside to have it translated afresh",
                path=output,
            )
        return adopt(self._reader, units, output)

    def _look_up(self, prepared: Pair, window: _Window, retry_flagged: bool) -> None:
        result = prepared.result
        for unit in prepared.units:
            if unit.kept and unit.fixed is None and not retry_flagged:
                unit.fixed = unit.segment.source  # refused before: not bought again silently
            if unit.fixed is not None:
                if unit.origin == "source":  # no Japanese in it (and nobody edited it)
                    result.as_is += 1
                else:
                    result.reused += 1
                window.wait([])
                continue
            waits = [key for key, segment in unit.requests() if self._resolve(prepared, window, key, segment, unit.context, retry_flagged)]
            window.wait(list(dict.fromkeys(waits)))

    def _resolve(
        self, prepared: Pair, window: _Window, key: str, segment: Segment, context: SegmentContext | None, retry_flagged: bool
    ) -> bool:
        """One text of a unit from this post, the cache or the window's requests; True when
        it waits for the engine's answer."""
        result, missing = prepared.result, window.missing
        if key in missing or key in prepared.translations:
            result.cached += 1
            return key in missing
        hit = self.cache.get(key)
        if hit is None or (retry_flagged and segment.kind != "piece" and not qa.acceptable(hit, segment.protected)):
            missing[key], window.contexts[key] = segment, context
            if window.sender is not None:
                window.sender.add(Request(key, segment.xml, context))
            result.sent += 1
            result.billed_characters += billable_length(segment.xml) if self._by_characters else 0
            return True
        prepared.translations[key] = hit
        result.cached += 1
        return False

    # finishing --------------------------------------------------------------------------

    def _opened(self, window: _Window, pool: Pool, report: RunReport, dry_run: bool) -> _Window:
        """`window` ready to send its missing texts as they are found, and to check each
        batch's answers as it lands (in a worker, once the pool runs): not in a dry run."""
        if dry_run:
            return window
        checks = window.checks = Checks(pool, window.missing)

        def landed(answers: Answers) -> None:
            checks.add(answers)
            window.answered(answers)
            self._progress.emit("batch")

        window.sender = Sender(self.engine, self.cache, self.settings.jobs, landed, usage=report.usage)
        return window

    def _flush(self, window: _Window, report: RunReport, dry_run: bool, pool: Pool, writer: Writer[_Written]) -> None:
        """The window's missing texts from the engine, then each post drafted here, rendered
        (in the pool's workers when it pays) and written by the writer's thread, in the window's order."""
        requests = [Request(key, segment.xml, window.contexts.get(key)) for key, segment in window.missing.items()]
        if dry_run or window.sender is None or window.checks is None:
            report.would_bill += sum(billable_length(r.text) for r in requests)
            report.add_spend(estimate(self.engine, requests))
            checked: dict[str, qa.Answer] = {}
        else:
            # Billed into the report as each batch lands: an aborted run still says what it cost.
            window.sender.finish()
            checked = window.checks.collect()
            # An answer that broke the structure or came back truncated is asked for once
            # more; whatever comes back is cached, so a re-run never pays for it again.
            refused = report.usage.refused  # the engine would not translate these even alone: not asked again
            again = [r for r in requests if (r.key not in checked or not checked[r.key].usable) and r.key not in refused]
            if again:
                translate_missing(again, self.engine, self.cache, self.settings.jobs, window.sender.on_batch, usage=report.usage)
                window.checks.collect()
                report.retried += len(again)
            window.close()  # its request threads, not kept idle for the rest of the run
        window.settled = window.held  # every segment's English is known now (a dry run's: as far as it goes)
        writer.wait()  # the window before it written (while this one was read): memory holds two windows at most
        drafts = ((p, None if dry_run else self._draft_or_fail(p, checked, report.usage.refused)) for p in window.posts)
        renderings = (((p, d), d.rendering if d else None) for p, d in drafts)
        for (prepared, draft), rendering in pool.ordered(renderings, urgent=True):
            commit = None
            if draft is not None and rendering is not None:
                try:
                    commit = self._write(prepared, draft, rendering())
                except Exception as exc:  # a bug in one post must not cost the others their editions
                    self._fail(prepared, exc)
            prepared.release()  # what waits for the writer is the edition's bytes and state, not the post's units
            if commit is not None and draft is not None and draft.approved:
                writer.wait()  # the memory is saved with this post: by this thread, which changes it while drafting
                commit()
                commit = None
            writer.add(prepared, commit)  # written while the run reads the next window's posts
        if window.posts:
            writer.add(_WINDOW_WRITTEN, None)  # the "window" event, once the writes before it are done

    def _english(
        self, prepared: Pair, unit: Unit, checked: dict[str, qa.Answer], refused: Mapping[str, str]
    ) -> tuple[str, str, tuple[str, ...]]:
        """A unit's English, why its Japanese was kept ("" when it was not: an unusable answer
        gives the source), and the glossary terms it lacks."""
        line, flags = unit.line(prepared.post), prepared.result.flags
        if unit.fixed is not None:
            if unit.kept and unit.fixed == unit.segment.source:  # refused before, not asked again
                flags.append(Flag(line, unit.kept, qa.kept_again(unit.kept)))
                return unit.fixed, unit.kept, ()
            # our own earlier English, reused: a term it lacks is still missing (--strict is sticky)
            english = prose_of_markdown(unit.fixed) if unit.origin == "machine" else None
            return unit.fixed, "", qa.term_check(self.glossary, unit.segment, english, flags, line)
        answers = [self._answer_text(prepared, checked, key) for key, _ in unit.requests()]
        translated, attached = unit.answers(answers)
        why = next((refused[key] for key, _ in unit.own_requests() if key in refused), None)
        if translated is None and why is not None:
            text, kept = qa.refused_text(unit.segment, why, flags, line)
            return text, kept, ()
        fills = qa.attached_english(unit.segment, attached, flags, line)
        known = checked.get(unit.key) if not unit.parts else None
        text, kept = qa.restored_text(unit.segment, translated, flags, line, known, fills)
        prose = qa.answer_prose(translated) if self.glossary.terms else None  # an XML parse: only when terms are checked
        return text, kept, qa.term_check(self.glossary, unit.segment, prose, flags, line, fills)

    def _draft_or_fail(self, prepared: Pair, checked: dict[str, qa.Answer], refused: Mapping[str, str]) -> _Draft | None:
        try:
            return self._draft(prepared, checked, refused)
        except Exception as exc:  # a bug in one post must not cost the others their editions
            self._fail(prepared, exc)
            return None

    @staticmethod
    def _fail(prepared: Pair, exc: Exception) -> None:
        prepared.result.status, prepared.result.error = _failure(exc, prepared.post.path)

    def _draft(self, prepared: Pair, checked: dict[str, qa.Answer], refused: Mapping[str, str]) -> _Draft:
        post, result = prepared.post, prepared.result
        draft, approvals = edition.Draft(), self.memory.approved_now
        english = [self._english(prepared, unit, checked, refused) for unit in prepared.units]
        texts = edition.with_heading_links(prepared.units, [text for text, _, _ in english], prepared.headings)
        # indexed once (reuse flagged them while preparing): looking through every flag for every unit was quadratic
        review_lines = {f.line for f in result.flags if f.code == "needs-review"}
        for unit, text, (_, kept, missed) in zip(prepared.units, texts, english):
            line = unit.line(post)
            if unit.origin == "human":
                self.memory.approve(unit.segment.protected.joined, text, prepared.relative.as_posix())
            draft.add(unit, text, kept, line in review_lines, missed, self._refuser)
        result.leftover.left = leftovers.after_edits(
            result.leftover.source, draft.body_changes, self.settings.dialect, self.target.han_script
        )
        result.leftover.kept = qa.kept_by_reason(result.flags)
        added = edition.added_keys(post, draft.body_english, self.settings, self.target, self.engine.translates)
        body = [unit.segment for unit in prepared.units if unit.fm_field is None]
        spans, kinds = [(segment.start, segment.end) for segment in body], [segment.kind for segment in body]
        known = self._known(prepared)
        merging = prepared.theirs is not None and (prepared.base is not None or prepared.built_from == "adopted")  # read by `_carry`
        args = (post, prepared.output, draft.body_edits, draft.field_edits, added, self._reading, spans, known, merging, kinds)
        return _Draft(draft.records, self.memory.approved_now != approvals, Job(stages.render, args, len(post.text)), known, added)

    def _write(self, prepared: Pair, draft: _Draft, rendered: stages.Rendered) -> Callable[[], None]:
        """The edition rendered, with a translator's bytes carried over: the call that
        writes it with its state (`Writer`; it records how the write went in the result)."""
        result = prepared.result
        if rendered.misread is not None:  # the English made kramdown read other blocks: said, not hidden
            misread = rendered.misread
            unit = [u for u in prepared.units if u.fm_field is None][misread.index]
            result.flags.append(qa.misread(unit.line(prepared.post), misread.source, misread.edition))
        data, carried = self._carry(prepared, rendered, draft)
        shown = rendered.shown if data == rendered.data else leftovers.in_front_matter(parse_post(prepared.output, data))
        result.leftover.left.front_matter = _front_matter_left(prepared.front_matter_shown, shown, result.flags, self.target.han_script)
        state = prepared.state(source_hash(data), draft.records, self.fingerprint, self.settings.engine, carried)
        memory = self.memory if draft.approved else None  # saved first, when this post approved anything

        def commit() -> None:
            try:
                result.status = prepared.commit(data, state, memory)
            except EditedDuringRun as exc:  # a translator's save wins: skipped, read by the next run
                result.status = "skipped"
                result.flags.append(Flag(1, "edited", exc.message))
            except Exception as exc:  # a bug in one post must not cost the others their editions
                self._fail(prepared, exc)

        return commit

    @staticmethod
    def _known(prepared: Pair) -> tuple[str, carry.Frame] | None:
        """The hash and frame of the edition on disk, when preparing read it (not parsed twice)."""
        read, sha = prepared.theirs_texts, prepared.previous_sha
        return (sha, carry.frame_of(read)) if read is not None and sha is not None and prepared.theirs == prepared.output else None

    def _carry(self, prepared: Pair, rendered: stages.Rendered, draft: _Draft) -> tuple[bytes, edition.Carried]:
        """The rendering with a translator's bytes outside the translated text carried over
        from the edition they edited (`carry`, `carry_over`), and what the state records of
        it. Frames come from a parse of each edition, ours too (a parse of an edition is what
        a translator's edition is compared with: `stages.render`)."""
        data, ours, frame, theirs_path = rendered.data, rendered.frame, rendered.keys, prepared.theirs
        if theirs_path is None or not theirs_path.is_file():
            return data, (frame, ())
        theirs_data = theirs_path.read_bytes()
        base = carry_over.base_keys(prepared, frame, theirs_data)
        if base is None:
            return data, (frame, ())
        theirs = carry_over.theirs_frame(prepared, theirs_path, theirs_data, draft.known, draft.added, self._reading)
        if ours is None:  # `_draft` asks for the frame wherever a merge can come (its `merging`)
            raise InternalError("the rendering's frame was not kept for a merge")
        merged = carry.merge(base, ours, theirs, self._merged)
        if merged.text is None:
            raise carry.needs_merge(theirs_path, prepared.post.path, merged.conflicts)
        return prepared.post.with_text(merged.text), (frame, merged.kept)

    def _answer_text(self, prepared: Pair, checked: dict[str, qa.Answer], key: str) -> str | None:
        """The English for one key: found before the flush, fresh from the engine (as the
        flush's check already read it from the cache), or from the cache."""
        found = prepared.translations.get(key)
        if found:
            return found
        fresh = checked.get(key)
        return fresh.translated if fresh is not None and fresh.translated else self.cache.get(key)


def _failure(exc: Exception, path: Path) -> tuple[Status, PipelineError]:
    """A post's failure, a bug included, as its result says it: a manual merge it needs, or
    a failure, located at the post."""
    error = internal_error(exc).located(path)
    return ("needs-merge" if isinstance(error, NeedsMerge) else "failed"), error


def _front_matter_left(
    sources: Sequence[frontmatter.Field], english: Sequence[frontmatter.Field], flags: list[Flag], han_script: bool = False
) -> int:
    """The Japanese characters the English edition's front matter still shows (a theme may show
    any value); each value no flag already speaks for is warned about, at its source line.
    `sources`, `english`: the source's and the edition's values holding Japanese
    (`leftovers.in_front_matter`). `han_script`: an edition written with Han characters
    (`leftovers.han_front_matter`)."""
    left = list(english)
    count = leftovers.front_matter_count(left)
    if han_script:
        left, count = leftovers.han_front_matter(sources, left)
    lines = {(f.key, f.index): f.line for f in sources}
    flagged = {f.line for f in flags}
    for fm_field in left:
        line = lines.get((fm_field.key, fm_field.index), fm_field.line)
        if line not in flagged:
            message = f"front matter {fm_field.key} {fm_field.value!r} stays Japanese on the English page"
            flags.append(
                Flag(line, "front-matter-left", f"{message}; translate it by hand, or list {fm_field.key!r} in [front_matter] translate")
            )
    return count
