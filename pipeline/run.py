"""One translation run: posts in, English editions out, a report back. Never prints.

Posts stream through in windows: each window is prepared (read, split, protected, looked
up in the cache), its missing texts are translated in full batches, then each post is
restored, reassembled and written atomically. Memory stays bounded by the window, and
batches stay full across post boundaries.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline import frontmatter
from pipeline.cache import TranslationCache, cache_key
from pipeline.config import Settings
from pipeline.engines import Engine
from pipeline.errors import EngineError, InputError, PipelineError, StructureError
from pipeline.glossary import Glossary, prose_of
from pipeline.inline import Protected, protect_plain, restore
from pipeline.post import Post, read_post, write_atomic
from pipeline.segment import Segment, Skeleton, split, splice
from pipeline.translate import Request, Usage, translate_missing

Status = Literal["written", "unchanged", "failed", "planned"]
TAXONOMY_KEYS = ("categories", "category", "tags", "tag")


@dataclass(frozen=True)
class Flag:
    """Something a reviewer should look at in one segment of one post."""

    line: int
    code: str  # structure | leftover | skipped | no-front-matter
    message: str


@dataclass
class PostResult:
    source: Path
    output: Path | None = None
    status: Status = "planned"
    segments: int = 0
    cached: int = 0
    sent: int = 0
    billed_characters: int = 0
    flags: list[Flag] = field(default_factory=list)
    error: PipelineError | None = None


@dataclass
class RunReport:
    posts: list[PostResult] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    would_bill: int = 0  # dry run: characters the missing texts would cost
    elapsed: float = 0.0
    dry_run: bool = False
    aborted: EngineError | None = None

    @property
    def failed(self) -> list[PostResult]:
        return [p for p in self.posts if p.status == "failed"]

    @property
    def segments(self) -> int:
        return sum(p.segments for p in self.posts)

    @property
    def cached(self) -> int:
        return sum(p.cached for p in self.posts)


@dataclass
class _Unit:
    segment: Segment
    key: str
    field: frontmatter.Field | None = None  # set for front matter values
    fixed: str | None = None  # a translation known without any engine (taxonomy)


@dataclass
class _Prepared:
    post: Post
    output: Path
    result: PostResult
    skeleton: Skeleton
    units: list[_Unit]
    translations: dict[str, str] = field(default_factory=dict)


ProgressCallback = Callable[[PostResult], None]


class Translator:
    """Holds what a run shares (settings, engine, cache); `run()` does one pass over posts."""

    def __init__(
        self, settings: Settings, engine: Engine, cache: TranslationCache, glossary: Glossary | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.cache = cache
        self.glossary = glossary or Glossary()
        self._engine_settings = engine.settings()
        self._keep = self.glossary.keep_pattern

    def output_path(self, source: Path) -> Path:
        source_dir = self.settings.path(self.settings.source_dir)
        output_dir = self.settings.path(self.settings.output_dir)
        try:
            relative = source.resolve().relative_to(source_dir.resolve())
        except ValueError:
            relative = Path(source.name)
        return output_dir / relative

    def run(
        self,
        paths: Iterable[Path],
        *,
        dry_run: bool = False,
        fail_fast: bool = False,
        progress: ProgressCallback | None = None,
    ) -> RunReport:
        started = time.perf_counter()
        report = RunReport(dry_run=dry_run)
        window: list[_Prepared] = []
        missing: dict[str, str] = {}
        try:
            for path in paths:
                try:
                    prepared = self._prepare(path)
                except PipelineError as exc:
                    result = PostResult(path, status="failed", error=exc.located(path))
                    report.posts.append(result)
                    if progress:
                        progress(result)
                    if fail_fast:
                        break
                    continue
                for unit in prepared.units:
                    if not unit.key or unit.key in missing or unit.key in prepared.translations:
                        continue
                    hit = self.cache.get(unit.key)
                    if hit is None:
                        missing[unit.key] = unit.segment.xml
                        prepared.result.sent += 1
                    else:
                        prepared.translations[unit.key] = hit
                window.append(prepared)
                if len(missing) >= self.settings.window_texts:
                    self._flush(window, missing, report, progress, dry_run)
                    window, missing = [], {}
            self._flush(window, missing, report, progress, dry_run)
        except EngineError as exc:
            report.aborted = exc
            for prepared in window:
                prepared.result.status = "failed"
                prepared.result.error = exc
                report.posts.append(prepared.result)
        report.elapsed = time.perf_counter() - started
        return report

    def _prepare(self, path: Path) -> _Prepared:
        post = read_post(path)
        output = self.output_path(path)
        result = PostResult(path, output)
        skeleton = split(post.body, keep=self._keep)
        units: list[_Unit] = []
        for segment in skeleton.segments:
            if segment.protected.has_prose:
                units.append(_Unit(segment, self._key(segment.protected)))
        for skipped in skeleton.skipped:
            result.flags.append(Flag(post.body_first_line + skipped.line - 1, "skipped", skipped.reason))
        if post.front_matter is None:
            result.flags.append(Flag(1, "no-front-matter", "post has no front matter; translated the body only"))
        else:
            for fm_field in frontmatter.translatable_fields(post.front_matter, self.settings.translate_keys, path):
                units.extend(self._field_unit(fm_field, result))
        result.segments = len(units)
        return _Prepared(post, output, result, skeleton, units)

    def _field_unit(self, fm_field: frontmatter.Field, result: PostResult) -> list[_Unit]:
        """A front matter value to translate; categories and tags map through the taxonomy."""
        protected = protect_plain(fm_field.value, self._keep)
        taxonomy = fm_field.key in TAXONOMY_KEYS
        if taxonomy and fm_field.value in self.glossary.taxonomy:
            segment = Segment("taxonomy", fm_field.start, fm_field.end, fm_field.line, fm_field.value, protected)
            return [_Unit(segment, "", fm_field, fixed=self.glossary.taxonomy[fm_field.value])]
        if not protected.has_prose:
            return []
        if taxonomy:
            result.flags.append(
                Flag(fm_field.line, "unmapped-taxonomy", f"{fm_field.key} {fm_field.value!r} has no taxonomy entry; translated by the engine (add it to glossary/taxonomy.tsv)")
            )
        segment = Segment("front_matter", fm_field.start, fm_field.end, fm_field.line, fm_field.value, protected)
        return [_Unit(segment, self._key(protected), fm_field)]

    def _key(self, protected: Protected) -> str:
        return cache_key(self._engine_settings, self.glossary.terms_in(prose_of(protected.xml)), protected.xml)

    def _flush(
        self,
        window: list[_Prepared],
        missing: dict[str, str],
        report: RunReport,
        progress: ProgressCallback | None,
        dry_run: bool,
    ) -> None:
        requests = [Request(key, text) for key, text in missing.items()]
        if dry_run:
            report.would_bill += sum(len(r.text) for r in requests)
        else:
            report.usage.add(translate_missing(requests, self.engine, self.cache, self.settings.jobs))
        for prepared in window:
            result = prepared.result
            result.cached = result.segments - result.sent
            if not dry_run:
                try:
                    self._finish(prepared, missing)
                except PipelineError as exc:
                    result.status, result.error = "failed", exc.located(prepared.post.path)
            report.posts.append(result)
            if progress:
                progress(result)

    def _finish(self, prepared: _Prepared, missing: dict[str, str]) -> None:
        post, result = prepared.post, prepared.result
        body_edits: list[tuple[int, int, str]] = []
        field_edits: list[tuple[frontmatter.Field, str]] = []
        for unit in prepared.units:
            if unit.fixed is not None and unit.field is not None:
                field_edits.append((unit.field, unit.fixed))
                continue
            translated = prepared.translations.get(unit.key)
            if translated is None:
                translated = self.cache.get(unit.key)
            if unit.key in missing:
                result.billed_characters += len(missing[unit.key])
            line = unit.segment.line if unit.field else post.body_first_line + unit.segment.line - 1
            text = self._restore(unit.segment, translated, result, line)
            self._check_terms(unit.segment, translated, result, line)
            if unit.field is not None:
                field_edits.append((unit.field, text))
            else:
                body_edits.append((unit.segment.start, unit.segment.end, text))
        body = splice(post.body, body_edits)
        head = post.text[: post.body_start]
        if post.front_matter is not None:
            fm = post.front_matter
            added = {self.settings.lang_key: self.settings.lang_value, self.settings.ref_key: post.path.stem}
            new_fm = frontmatter.edit(fm, field_edits, added, post.newline)
            head = post.text[: fm.start] + new_fm + post.text[fm.end : post.body_start]
        data = post.with_text(head + body)
        if prepared.output.exists() and prepared.output.read_bytes() == data:
            result.status = "unchanged"
            return
        write_atomic(prepared.output, data)
        result.status = "written"

    def _check_terms(self, segment: Segment, translated: str | None, result: PostResult, line: int) -> None:
        if not self.glossary.terms or translated is None:
            return
        try:
            english = prose_of(translated)
        except ET.ParseError:  # a malformed answer is flagged by _restore already
            return
        for source, target in self.glossary.misses(prose_of(segment.xml), english):
            result.flags.append(Flag(line, "glossary", f"term {source!r} should be translated as {target!r}"))

    def _restore(self, segment: Segment, translated: str | None, result: PostResult, line: int) -> str:
        """The Markdown for one segment; the source itself if the engine broke its structure."""
        if translated is None:
            raise InputError("translation missing from the cache after the engine call", line=line)
        try:
            text = restore(translated, segment.protected)
        except StructureError as exc:
            result.flags.append(Flag(line, "structure", f"{exc.message}; kept the Japanese source"))
            return segment.source
        # A translation identical to the source keeps the source's own line layout.
        return segment.source if text == segment.protected.joined else text
