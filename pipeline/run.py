"""One translation run: posts in, English editions out, a report back. Never prints.

Posts stream through in windows: each window is prepared (read, checked against the
committed state, split, protected, resolved from the previous edition or the cache), its
missing texts are translated in full batches, then each post is restored, reassembled and
written atomically with its state record. Memory stays bounded by the window, and batches
stay full across post boundaries.

Where a segment's English comes from, first match wins:
1. the previous English edition, when the segment's source and settings are unchanged
   (a translator's edit there is kept and recorded as human);
2. the glossary taxonomy (categories, tags), or the source itself when there is nothing
   Japanese to translate;
3. the cache, then the engine.
"""

from __future__ import annotations

import difflib
import math
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, TypeGuard

from pipeline import frontmatter
from pipeline.cache import TranslationCache, cache_key
from pipeline.commit import commit_post, finish_pending
from pipeline.config import Settings
from pipeline.engines import Engine
from pipeline.errors import CacheError, EngineError, InputError, InternalError, PipelineError, StructureError
from pipeline.glossary import Glossary, prose_of, prose_of_markdown
from pipeline.inline import Protected, protect_plain, restore
from pipeline.lint import lint_text
from pipeline.memory import MEMORY_FILE, TranslationMemory
from pipeline.post import Alias, FrontMatterBlock, Post, Tree, parse_post, read_post, source_hash
from pipeline.segment import Segment, splice, split_post
from pipeline.state import (
    BuiltFrom,
    Origin,
    PostState,
    SegmentRecord,
    classify,
    glossary_misses,
    load_state,
    on_disk_record,
    settings_fingerprint,
    short_hash,
    state_path,
)
from pipeline.translate import (
    REQUEST_OVERHEAD,
    Answers,
    Request,
    Usage,
    billable_length,
    nesting_depth,
    split_sentences,
    translate_missing,
)

Status = Literal["written", "unchanged", "up-to-date", "needs-merge", "failed", "skipped", "planned"]
TAXONOMY_KEYS = ("categories", "category", "tags", "tag")
SPLIT_KEYS = ("categories", "tags")  # Jekyll reads a string value as a space-separated list
WORD = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")


@dataclass(frozen=True)
class Flag:
    """Something a reviewer should look at in one segment of one post."""

    line: int
    code: str  # structure | glossary | unmapped-taxonomy | taxonomy-override | needs-review | skipped | alias | no-front-matter
    message: str
    previous: str | None = None  # needs-review: the translator's earlier English


@dataclass
class PostResult:
    source: Path
    output: Path | None = None
    status: Status = "planned"
    segments: int = 0
    reused: int = 0  # English taken from the previous edition (or needing no engine)
    cached: int = 0  # served by the cache
    sent: int = 0  # texts this post sent to the engine
    billed_characters: int = 0
    lint_findings: int = 0  # editing accidents in the source (see `pipeline lint`)
    missing_terms: tuple[str, ...] = ()  # up to date, but its state records glossary misses (--strict fails)
    flags: list[Flag] = field(default_factory=list)
    error: PipelineError | None = None


@dataclass
class RunReport:
    posts: list[PostResult] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    would_bill: int = 0  # dry run: characters the missing texts would cost
    retried: int = 0  # texts asked for again because the first answer broke their structure
    elapsed: float = 0.0
    dry_run: bool = False
    aborted: EngineError | None = None
    dialect: str = ""  # the Markdown the posts were read as (the site's renderer)
    cache_error: CacheError | None = None  # answers could not be cached (the run went on)

    @property
    def failed(self) -> list[PostResult]:
        return [p for p in self.posts if p.status in ("failed", "needs-merge")]

    @property
    def segments(self) -> int:
        return sum(p.segments for p in self.posts)

    @property
    def cached(self) -> int:
        return sum(p.cached + p.reused for p in self.posts)


@dataclass
class _Unit:
    segment: Segment
    source_hash: str
    key: str = ""  # cache key; empty when the English is known without the engine
    fm_field: frontmatter.Field | None = None  # set for front matter values
    fixed: str | None = None  # English known without the engine
    origin: Origin = "machine"
    parts: list[tuple[str, Segment]] = field(default_factory=list)  # (key, piece) of a text too big for one request
    items: list[str] | None = None  # categories/tags given as one spaced string, written as a list (names with spaces)

    def requests(self) -> list[tuple[str, Segment]]:
        return self.parts or [(self.key, self.segment)]

    @property
    def reuse_key(self) -> str:
        return self.key or "src:" + self.source_hash

    @property
    def field_name(self) -> str | None:
        if self.fm_field is None:
            return None
        return self.fm_field.key if self.fm_field.index is None else f"{self.fm_field.key}[{self.fm_field.index}]"


MAX_NESTING = 100  # elements inside elements in one segment; real prose stays far below


def _refuse_deep_nesting(segment: Segment, first_line: int) -> None:
    """Refuse emphasis or links nested thousands deep (`*****…日本語…*****`) up front: the
    glossary scan, engines and XML walkers recurse once per level and would fail with a
    RecursionError deep inside, for this post or (in an engine) the whole run."""
    if segment.xml.count("<") <= 2 * MAX_NESTING:
        return
    depth = nesting_depth(segment.xml)
    if depth > MAX_NESTING:
        raise InputError(
            f"emphasis or links nested {depth} levels deep (at most {MAX_NESTING} can be translated); simplify the Markdown",
            line=first_line + segment.line - 1,
        )


def _alignment(previous: _Previous, units: list[_Unit]) -> Sequence[tuple[str, int, int, int, int]]:
    """difflib opcodes lining up the recorded segments with this run's, by source hash."""
    if not previous.records:
        return []
    matcher = difflib.SequenceMatcher(a=[r.s for r in previous.records], b=[u.source_hash for u in units], autojunk=False)
    return matcher.get_opcodes()


@dataclass
class _Previous:
    """The English of the last edition, aligned with its state record."""

    by_key: dict[str, tuple[str, Origin]] = field(default_factory=dict)
    records: tuple[SegmentRecord, ...] = ()
    entries: list[tuple[str, Origin] | None] = field(default_factory=list)  # per record; None: field gone

    def add(self, key: str, text: str, origin: Origin) -> None:
        """By reuse key, for segments that moved. A person's text wins over ours: of two
        copies of a repeated paragraph, the one a translator edited is the one to keep."""
        known = self.by_key.get(key)
        if known is None or (known[1] not in _PEOPLE and origin in _PEOPLE):
            self.by_key[key] = (text, origin)


_PEOPLE: tuple[Origin, ...] = ("human", "approved")


HELD_FACTOR = 2  # a window also flushes once it holds this many times `window_texts` segments
MIN_RATIO = 0.5  # English characters per Japanese character below which an answer looks cut off
MIN_CHECKED = 20  # shorter sources vary too much to judge


def truncated(translated: str, protected: Protected) -> bool:
    source = billable_length(protected.xml)
    return source >= MIN_CHECKED and billable_length(translated) < MIN_RATIO * source


@dataclass(frozen=True)
class _Answer:
    """An engine answer restored to Markdown and checked, once.

    The retry decision in `_flush` needs the restore, and so does `_finish`; keeping the
    outcome saves restoring every fresh answer twice.
    """

    protected: Protected
    translated: str
    restored: str | StructureError | None  # the Markdown, why the tags do not restore, or None: not tried
    truncated: bool = False  # only judged when the answer restores

    @property
    def usable(self) -> bool:
        return not isinstance(self.restored, StructureError) and not self.truncated


def check_answer(translated: str, protected: Protected) -> _Answer:
    try:
        restored: str | StructureError = restore(translated, protected)
    except StructureError as exc:
        return _Answer(protected, translated, exc)
    return _Answer(protected, translated, restored, truncated(translated, protected))


def _is_restored(known: _Answer | None, segment: Segment, translated: str) -> TypeGuard[_Answer]:
    """Whether `known` already holds this very answer restored for this very segment."""
    return (
        known is not None
        and known.restored is not None
        and known.protected is segment.protected
        and known.translated == translated
    )


def acceptable(translated: str | None, protected: Protected) -> bool:
    """Whether an engine answer can be used: its tags restore and it is not cut short."""
    return translated is not None and check_answer(translated, protected).usable


class NeedsMerge(PipelineError):
    """A translator restructured the edition; we will not guess how segments align."""


@dataclass
class _Prepared:
    post: Post
    output: Path
    relative: Path  # the post's path inside the source tree (as the state records it)
    state_file: Path
    result: PostResult
    units: list[_Unit]
    previous_sha: str | None
    built_from: BuiltFrom = None  # the record the edition on disk was built from
    translations: dict[str, str] = field(default_factory=dict)

    def release(self) -> None:
        """Drop the segments and answers once the post is written: only its result is kept,
        so a window's memory does not linger while the rest of the window is finished."""
        self.units = []
        self.translations = {}


ProgressCallback = Callable[[PostResult], None]


def _prose(translated: str | None) -> str | None:
    """The words of an engine answer; None when there is none, or it is not even XML (the
    restore flags that already)."""
    if translated is None:
        return None
    try:
        return prose_of(translated)
    except ET.ParseError:
        return None


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
        self.settings = settings
        self.engine = engine
        self.cache = cache
        self.glossary = glossary or Glossary()
        self.memory = memory or TranslationMemory.load(settings.path(settings.state_dir) / MEMORY_FILE)
        self._engine_settings = engine.settings()
        self._keep = self.glossary.keep_pattern
        self.fingerprint = settings_fingerprint(settings, self.glossary)
        self._sources: Tree | None = None  # resolved once per run (see `_resolve_roots`)
        self._output_root: Path | None = None

    def relative(self, source: Path) -> Path:
        if self._sources is None:
            return self.settings.relative(source)
        try:
            return self._sources.locate(source)[0]
        except InputError:  # outside the tree, a loop, an alias: named by its file name
            return Path(source.name)

    def output_path(self, source: Path) -> Path:
        return self.settings.path(self.settings.output_dir) / self.relative(source)

    def run(
        self,
        paths: Iterable[Path],
        *,
        dry_run: bool = False,
        fail_fast: bool = False,
        force: bool = False,
        retry_flagged: bool = False,
        progress: ProgressCallback | None = None,
    ) -> RunReport:
        started = time.perf_counter()
        report = RunReport(dry_run=dry_run, dialect=self.settings.dialect)
        self._resolve_roots()
        window: list[_Prepared] = []
        missing: dict[str, Segment] = {}
        held = 0  # segments the window holds, translated or not

        def done(result: PostResult) -> None:
            report.posts.append(result)
            if progress:
                progress(result)

        try:
            for path in paths:
                try:
                    prepared = self._prepare(path, force, dry_run)
                except (PipelineError, Exception) as exc:
                    if not isinstance(exc, PipelineError):
                        exc = InternalError(f"internal error ({type(exc).__name__}: {exc}); please report it")
                    if isinstance(exc, Alias):  # not a failure: the post itself is translated
                        done(PostResult(path, status="skipped", flags=[Flag(1, "alias", exc.message)]))
                        continue
                    status: Status = "needs-merge" if isinstance(exc, NeedsMerge) else "failed"
                    done(PostResult(path, self.output_path(path), status=status, error=exc.located(path)))
                    if fail_fast:
                        break
                    continue
                if isinstance(prepared, PostResult):
                    done(prepared)
                    continue
                self._look_up(prepared, missing, retry_flagged)
                window.append(prepared)
                held += len(prepared.units)
                if self._window_full(len(missing), held):
                    self._flush(window, missing, report, done, dry_run)
                    window, missing, held = [], {}, 0
            self._flush(window, missing, report, done, dry_run)
        except EngineError as exc:
            names = [p.post.path.name for p in window]
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            report.aborted = type(exc)(f"{exc.message}; not written: {shown}" if names else exc.message)
            for prepared in window:
                prepared.result.status = "failed"
                prepared.result.error = report.aborted  # one error, printed once
                done(prepared.result)
        report.cache_error = self.cache.write_error
        report.elapsed = time.perf_counter() - started
        return report

    def _resolve_roots(self) -> None:
        """Resolve the source and output folders once per run, not for every post:
        resolving walks each path component on disk (a no-op run does little else)."""
        self._sources = Tree.at(self.settings.path(self.settings.source_dir))
        self._output_root = self.settings.path(self.settings.output_dir).resolve()

    def _window_full(self, missing: int, held: int) -> bool:
        """Time to translate and write the window: enough texts for full batches, or enough
        segments held that memory would grow with the tree (a tree whose paragraphs are
        mostly cached or repeated finds few missing texts per post)."""
        limit = self.settings.window_texts
        return missing >= limit or held >= HELD_FACTOR * limit

    # preparing --------------------------------------------------------------------------

    def _prepare(self, path: Path, force: bool, dry_run: bool = False) -> _Prepared | PostResult:
        sources = self._sources or Tree.at(self.settings.path(self.settings.source_dir))
        relative, raw = sources.read(path)  # regular files inside the tree only
        output = self._edition_path(path, relative)
        post = parse_post(path, raw)
        state_file = state_path(self.settings, relative)
        record = load_state(state_file)
        state, _ = classify(post.source_hash, output, record, self.fingerprint)
        result = PostResult(path, output)
        if state == "up-to-date" and not force:
            if record is not None and not dry_run:
                finish_pending(state_file, record)
            result.status = "up-to-date"
            result.missing_terms = glossary_misses(record)
            return result
        skeleton = split_post(post, self.settings.dialect, self._keep)
        result.lint_findings = len(lint_text(path, post.text, parsed=(post.body, skeleton.tokens), dialect=self.settings.dialect))
        edition_sha = source_hash(output.read_bytes()) if output.is_file() else None
        built_from = on_disk_record(record, edition_sha)
        previous = self._previous(built_from if isinstance(built_from, PostState) else None, output, edition_sha)
        units: list[_Unit] = []
        for segment in skeleton.segments:
            _refuse_deep_nesting(segment, post.body_first_line)
            units.append(self._body_unit(segment))
        for skipped in skeleton.skipped:
            result.flags.append(Flag(post.body_first_line + skipped.line - 1, "skipped", skipped.reason))
        if post.front_matter is None:
            result.flags.append(Flag(1, "no-front-matter", "post has no front matter; translated the body only"))
        else:
            for fm_field in frontmatter.translatable_fields(post.front_matter, self.settings.translate_keys, path):
                units.append(self._field_unit(fm_field, result))
        if built_from == "adopted":
            previous = self._adopt(units, output)
        self._reuse(units, previous, result, post)
        result.segments = len(units)
        return _Prepared(post, output, relative, state_file, result, units, edition_sha, built_from)

    def _edition_path(self, path: Path, relative: Path) -> Path:
        """The edition's path for the post at `relative` in the source tree, refusing one
        that would land outside the output tree (a symlink in it)."""
        output_root = self._output_root or self.settings.path(self.settings.output_dir).resolve()
        output = self.settings.path(self.settings.output_dir) / relative
        try:
            landing = output.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop in the output tree
            raise InputError(f"its edition {output} cannot be written: a symlink loop", path=path) from exc
        if not landing.is_relative_to(output_root):
            raise InputError(f"its edition {output} would be written outside {output_root} (a symlink?); refusing", path=path)
        return output

    def _body_unit(self, segment: Segment) -> _Unit:
        unit = _Unit(segment, short_hash(segment.protected.joined))
        if not segment.protected.has_prose:
            unit.fixed, unit.origin = segment.source, "source"
            return unit
        unit.key = self._key(segment.protected)
        pieces = split_sentences(segment.xml, self.engine.limits.max_bytes - REQUEST_OVERHEAD)
        if len(pieces) > 1:
            for piece in pieces:
                protected = Protected(piece, {}, piece)
                unit.parts.append((self._key(protected), replace(segment, protected=protected)))
        return unit

    def _field_unit(self, fm_field: frontmatter.Field, result: PostResult) -> _Unit:
        """A front matter value; categories and tags map through the taxonomy."""
        protected = protect_plain(fm_field.value, self._keep)
        segment = Segment("front_matter", fm_field.start, fm_field.end, fm_field.line, fm_field.value, protected)
        unit = _Unit(segment, short_hash(fm_field.value), fm_field=fm_field)
        taxonomy = fm_field.key in TAXONOMY_KEYS
        # Jekyll splits a `categories:` or `tags:` string on spaces: each item is a name
        items = fm_field.value.split() if fm_field.key in SPLIT_KEYS and fm_field.index is None else [fm_field.value]
        if taxonomy and fm_field.value in self.glossary.taxonomy:
            unit.fixed, unit.origin = self.glossary.taxonomy[fm_field.value], "approved"
        elif taxonomy and len(items) > 1 and all(item in self.glossary.taxonomy for item in items):
            english = [self.glossary.taxonomy[item] for item in items]
            unit.fixed, unit.origin = " ".join(english), "approved"
            if any(len(name.split()) != 1 for name in english):  # a spaced string would split them apart
                unit.items = english
        elif not protected.has_prose:
            unit.fixed, unit.origin = fm_field.value, "source"
        else:
            unit.key = self._key(protected)
            if taxonomy:
                result.flags.append(
                    Flag(
                        fm_field.line,
                        "unmapped-taxonomy",
                        f"{fm_field.key} {' '.join(i for i in items if i not in self.glossary.taxonomy)!r} has no "
                        "taxonomy entry; translated by the engine "
                        "(add it to glossary/taxonomy.tsv)",
                    )
                )
        return unit

    def _key(self, protected: Protected) -> str:
        """The cache key; the glossary scan (an XML parse) only when there are terms to find."""
        terms = self.glossary.terms_in(prose_of(protected.xml)) if self.glossary.terms else []
        return cache_key(self._engine_settings, terms, protected.xml)

    def _previous(self, record: PostState | None, output: Path, edition_sha: str | None) -> _Previous:
        """Align the existing edition with its state record, so its English can be reused.

        If the edition is exactly what we wrote, every text in it is ours. If a translator
        changed it, segments whose hash differs are theirs. If the segments no longer line
        up with the record (paragraphs split or merged by hand), we refuse to guess.
        """
        if record is None or edition_sha is None:
            return _Previous()
        edited = edition_sha != record.edition_sha256
        if edited and edition_sha == record.previous_edition_sha256:
            return _Previous()  # our last write never landed: the edition predates the record
        texts, values = self._edition_texts(output)
        body_records = [r for r in record.segments if r.f is None]
        if len(texts) != len(body_records):
            if edited:
                raise NeedsMerge(
                    f"the English edition {output} was edited by hand and now has {len(texts)} segments where "
                    f"{len(body_records)} were written (paragraphs split or merged?); left as it is: merge it by "
                    "hand so its paragraphs line up with the Japanese again",
                    path=output,
                )
            return _Previous()
        previous = _Previous(records=record.segments)
        body = iter(texts)
        for rec in record.segments:
            text = values.get(rec.f) if rec.f is not None else next(body)
            if text is None:
                previous.entries.append(None)
                continue
            origin: Origin = "human" if edited and short_hash(text) != rec.e else rec.o
            previous.entries.append((text, origin))
            previous.add(rec.k, text, origin)
        return previous

    def _adopt(self, units: list[_Unit], output: Path) -> _Previous:
        """An edition the state knows nothing of (written by a translator, or its state file
        deleted) is a person's work: every segment of it is taken as a human translation of
        the source segment at the same place. If its segments do not line up with the
        source's, there is no safe way to tell which English belongs where: refuse, and
        leave the file alone."""
        texts, values = self._edition_texts(output)
        body = [u for u in units if u.fm_field is None]
        if len(texts) != len(body):
            raise NeedsMerge(
                f"the English edition {output} has no state record (written by hand, or its state file was deleted) "
                f"and its {len(texts)} segments do not line up with the {len(body)} of the Japanese; left as it is: "
                "merge it so its paragraphs line up, or move it aside to have it translated afresh",
                path=output,
            )
        previous = _Previous()
        for unit, text in zip(body, texts):
            if unit.origin != "source":
                previous.add(unit.reuse_key, text, "human")
        for unit in units:
            name = unit.field_name
            if name is not None and name in values and unit.origin != "approved":
                previous.add(unit.reuse_key, values[name], "human")
        return previous

    def _edition_texts(self, output: Path) -> tuple[list[str], dict[str, str]]:
        """The English of an existing edition: its body segments in order, and its
        translatable front matter values by field name ("title", "tags[2]")."""
        edition = read_post(output)
        texts = [s.source for s in split_post(edition, self.settings.dialect).segments]
        if edition.front_matter is None:
            return texts, {}
        values: dict[str, str] = {}
        for f in frontmatter.translatable_fields(edition.front_matter, self.settings.translate_keys, output):
            values[f.key if f.index is None else f"{f.key}[{f.index}]"] = f.value
        return texts, values

    def _reuse(self, units: list[_Unit], previous: _Previous, result: PostResult, post: Post) -> None:
        """Take English from the previous edition or the translation memory.

        Precedence: a translator's text in this edition, then an approved translation of the
        same source from the memory, then our own earlier machine output.
        """
        alignment = _alignment(previous, units)
        in_place = self._in_place(units, previous, alignment)
        for j, unit in enumerate(units):
            if unit.origin == "approved":  # taxonomy: the glossary decides, but says so
                was = in_place.get(j)
                if was is not None and was[1] == "human" and was[0] != unit.fixed:
                    result.flags.append(
                        Flag(
                            unit.segment.line,
                            "taxonomy-override",
                            f"{unit.field_name} was edited to {was[0]!r} in the English edition, but the taxonomy maps "
                            f"{unit.segment.source!r} to {unit.fixed!r}; change glossary/taxonomy.tsv to keep it",
                            was[0],
                        )
                    )
                continue
            hit = in_place.get(j) or previous.by_key.get(unit.reuse_key)
            if hit is not None and hit[1] in _PEOPLE:
                unit.fixed, unit.origin = hit
                continue
            if unit.origin == "source":  # nothing to translate, and nobody edited it
                continue
            entry = self.memory.get(unit.segment.protected.joined)
            if entry is not None:
                unit.fixed, unit.origin = entry.en, "approved"
            elif hit is not None:
                unit.fixed, unit.origin = hit
        if not previous.records:
            return
        # Sources that changed under a human translation: re-translate, flag, show the old text.
        for tag, i1, i2, j1, j2 in alignment:
            if tag != "replace" or i2 - i1 != j2 - j1:
                continue
            for i, j in zip(range(i1, i2), range(j1, j2)):
                rec, unit, was = previous.records[i], units[j], previous.entries[i]
                if rec.o in _PEOPLE or (was is not None and was[1] in _PEOPLE):
                    text = was[0] if was is not None else ""
                    line = unit.segment.line if unit.fm_field else post.body_first_line + unit.segment.line - 1
                    result.flags.append(
                        Flag(line, "needs-review", "the source changed under a human translation; re-translated", text)
                    )

    @staticmethod
    def _in_place(
        units: list[_Unit], previous: _Previous, alignment: Sequence[tuple[str, int, int, int, int]]
    ) -> dict[int, tuple[str, Origin]]:
        """The previous English of each unit whose source segment is unchanged at its place.

        By position first, not by key: two copies of a repeated paragraph share a key but
        may carry different English (a translator fixed one), and a person's text for an
        unchanged source stays even when the key moved (glossary or engine settings changed:
        only our own output is then out of date).
        """
        found: dict[int, tuple[str, Origin]] = {}
        for tag, i1, i2, j1, j2 in alignment:
            if tag != "equal":
                continue
            for i, j in zip(range(i1, i2), range(j1, j2)):
                entry, rec = previous.entries[i], previous.records[i]
                if entry is not None and rec.f == units[j].field_name and (entry[1] in _PEOPLE or rec.k == units[j].reuse_key):
                    found[j] = entry
        return found

    def _look_up(self, prepared: _Prepared, missing: dict[str, Segment], retry_flagged: bool) -> None:
        for unit in prepared.units:
            if unit.fixed is not None:
                prepared.result.reused += 1
                continue
            for key, segment in unit.requests():
                if key in missing or key in prepared.translations:
                    prepared.result.cached += 1
                    continue
                hit = self.cache.get(key)
                if hit is None or (retry_flagged and not unit.parts and not acceptable(hit, segment.protected)):
                    missing[key] = segment
                    prepared.result.sent += 1
                    prepared.result.billed_characters += billable_length(segment.xml)
                else:
                    prepared.translations[key] = hit
                    prepared.result.cached += 1

    # finishing --------------------------------------------------------------------------

    def _flush(
        self,
        window: list[_Prepared],
        missing: dict[str, Segment],
        report: RunReport,
        done: ProgressCallback,
        dry_run: bool,
    ) -> None:
        requests = [Request(key, segment.xml) for key, segment in missing.items()]
        checked: dict[str, _Answer] = {}
        if dry_run:
            report.would_bill += sum(billable_length(r.text) for r in requests)
        else:
            # Each batch is checked as it lands, while the next ones are in flight.
            def check(answers: Answers) -> None:
                checked.update(self._check_fresh(answers, missing))

            # Billed into the report as each batch lands: an aborted run still says what it cost.
            translate_missing(requests, self.engine, self.cache, self.settings.jobs, check, usage=report.usage)
            # An answer that broke the structure or came back truncated is asked for once
            # more; whatever comes back is cached, so a re-run never pays for it again.
            again = [r for r in requests if r.key not in checked or not checked[r.key].usable]
            if again:
                translate_missing(again, self.engine, self.cache, self.settings.jobs, check, usage=report.usage)
                report.retried += len(again)
        for prepared in window:
            if not dry_run:
                try:
                    self._finish(prepared, checked)
                except PipelineError as exc:
                    prepared.result.status, prepared.result.error = "failed", exc.located(prepared.post.path)
                except Exception as exc:  # a bug in one post must not cost the others their editions
                    error = InternalError(f"internal error ({type(exc).__name__}: {exc}); please report it")
                    prepared.result.status, prepared.result.error = "failed", error.located(prepared.post.path)
            prepared.release()
            done(prepared.result)

    def _check_fresh(self, answers: Answers, missing: dict[str, Segment]) -> dict[str, _Answer]:
        """The engine's `answers` for segments of `missing`, checked.

        A segment without elements cannot break on restore, so only its presence counts.
        """
        checked: dict[str, _Answer] = {}
        for key, answer in answers.items():
            segment = missing[key]
            if segment.protected.elements:
                checked[key] = check_answer(answer, segment.protected)
            else:
                checked[key] = _Answer(segment.protected, answer, None)  # restored once, in _finish
        return checked

    def _finish(self, prepared: _Prepared, checked: dict[str, _Answer] | None = None) -> None:
        post, result = prepared.post, prepared.result
        body_edits: list[tuple[int, int, str]] = []
        field_edits: list[tuple[frontmatter.Field, str | list[str]]] = []
        records: list[SegmentRecord] = []
        field_records: list[SegmentRecord] = []
        approvals = self.memory.approved_now
        for unit in prepared.units:
            line = unit.segment.line if unit.fm_field else post.body_first_line + unit.segment.line - 1
            usable = True
            if unit.fixed is not None:
                text = unit.fixed
                # our own earlier English, reused: a term it lacks is still missing (--strict is sticky)
                missed = self._check_terms(unit.segment, prose_of_markdown(text), result, line) if unit.origin == "machine" else ()
            else:
                answers = [self._answer_text(prepared, checked, key) for key, _ in unit.requests()]
                translated = None if None in answers else " ".join(a for a in answers if a is not None)
                known = checked.get(unit.key) if checked and not unit.parts else None
                text, usable = self._restore(unit.segment, translated, result, line, known)
                missed = self._check_terms(unit.segment, _prose(translated), result, line)
            review = any(f.code == "needs-review" and f.line == line for f in result.flags)
            if unit.origin == "human":
                self.memory.approve(unit.segment.protected.joined, text, prepared.relative.as_posix())
            # A segment that kept its source because the answer was unusable has no reuse key:
            # later runs go back to the cache (no charge) or, with --retry-flagged, the engine.
            key = unit.reuse_key if usable else ""
            record = SegmentRecord(key, unit.source_hash, short_hash(text), unit.origin, unit.field_name, review, missed)
            if unit.fm_field is not None:
                field_edits.append((unit.fm_field, unit.items if unit.items is not None else text))
                field_records.append(record)
            else:
                body_edits.append((unit.segment.start, unit.segment.end, text))
                records.append(record)
        body = splice(post.body, body_edits)
        head = post.text[: post.body_start]
        if post.front_matter is not None:
            fm = post.front_matter
            added: dict[str, str | int] = {self.settings.lang_key: self.settings.lang_value, self.settings.ref_key: post.path.stem}
            minutes = self._reading_time(fm, post.path, [text for _, _, text in body_edits])
            if minutes is not None:
                added[self.settings.reading_time_key] = minutes
            new_fm = frontmatter.edit(fm, field_edits, added, post.newline)
            head = post.text[: fm.start] + new_fm + post.text[fm.end : post.body_start]
        data = post.with_text(head + body)
        state = PostState(
            source=prepared.relative.as_posix(),
            edition=prepared.output.as_posix(),
            source_sha256=post.source_hash,
            edition_sha256=source_hash(data),
            settings=self.fingerprint,
            segments=tuple(records + field_records),
            engine=self.settings.engine,
        )
        memory = self.memory if self.memory.approved_now != approvals else None
        result.status = commit_post(
            prepared.output, data, prepared.state_file, state, prepared.previous_sha, prepared.built_from, memory
        )

    def _answer_text(self, prepared: _Prepared, checked: dict[str, _Answer] | None, key: str) -> str | None:
        """The English for one key: found before the flush, fresh from the engine (as
        `_check_fresh` already read it from the cache), or from the cache."""
        found = prepared.translations.get(key)
        if found:
            return found
        fresh = checked.get(key) if checked else None
        return fresh.translated if fresh is not None and fresh.translated else self.cache.get(key)

    def _reading_time(self, fm: FrontMatterBlock, path: Path, english: list[str]) -> int | None:
        """Minutes to read the English edition, when the source declares a reading time.

        Derived from the English word count at `words_per_minute`, not copied: Japanese
        reading time says nothing about the English text's length.
        """
        if not self.engine.translates:
            return None
        if not isinstance(frontmatter.read_values(fm, path).get(self.settings.reading_time_key), (int, float)):
            return None
        words = sum(len(WORD.findall(text)) for text in english)
        return max(1, math.ceil(words / self.settings.words_per_minute))

    def _check_terms(self, segment: Segment, english: str | None, result: PostResult, line: int) -> tuple[str, ...]:
        """Flag each glossary term of the segment whose English is missing; the terms."""
        if not self.glossary.terms or english is None:
            return ()
        misses = self.glossary.misses(prose_of(segment.xml), english)
        for source, target in misses:
            result.flags.append(Flag(line, "glossary", f"term {source!r} should be translated as {target!r}"))
        return tuple(source for source, _ in misses)

    def _restore(
        self, segment: Segment, translated: str | None, result: PostResult, line: int, known: _Answer | None = None
    ) -> tuple[str, bool]:
        """The Markdown for one segment, and whether the engine's answer was usable.

        An answer that broke the structure or was cut short gives the source itself.
        `known`: this answer as `_flush` already checked it, used when it is the very same."""
        if translated is None:
            raise InputError("translation missing from the cache after the engine call", line=line)
        answer = known if _is_restored(known, segment, translated) else check_answer(translated, segment.protected)
        text = answer.restored
        if isinstance(text, StructureError):
            result.flags.append(Flag(line, "structure", f"{text.message}; kept the Japanese source"))
            return segment.source, False
        assert text is not None  # check_answer always restores
        if answer.truncated:
            result.flags.append(
                Flag(line, "truncated", "the translation is far shorter than the source; kept the Japanese source")
            )
            return segment.source, False
        # A translation identical to the source keeps the source's own line layout.
        return (segment.source if text == segment.protected.joined else text.strip()), True
