"""Which posts need work: status of the whole tree, orphans, and shards for CI matrices.

Uses hashes of bytes only (see `state.classify`), so it is as cheap as reading the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import ConfigError, InputError
from pipeline.glossary import Glossary, prose_of
from pipeline import carry
from pipeline.edition import TAXONOMY_KEYS, Texts, lined_up, misaligned, read_texts, render
from pipeline.japanese import JAPANESE
from pipeline.post import Alias, Post, Tree, parse_post, read_post, source_hash
from pipeline.reuse import not_lined_up
from pipeline.segment import Segment, split_post
from pipeline.state import (
    state_files,
    PostState,
    PostStatus,
    State,
    TreeStatus,
    classify,
    glossary_misses,
    load_state,
    origins,
    settings_fingerprint,
    short_hash,
    state_path,
)


def survey(settings: Settings, glossary: Glossary, sources: Sequence[Path]) -> TreeStatus:
    fingerprint = settings_fingerprint(settings, glossary)
    output_dir = settings.path(settings.output_dir)
    sources_tree = Tree.at(settings.path(settings.source_dir))
    tree = TreeStatus()
    for source in sources:
        try:
            relative, raw = sources_tree.read(source)
        except InputError as exc:  # a trap in the tree: said per post, the others go on
            state: State = "skipped" if isinstance(exc, Alias) else "failed"
            tree.posts.append(PostStatus(source, output_dir / source.name, state, exc.message))
            continue
        edition = output_dir / relative
        record = load_state(state_path(settings, relative))
        state, reason = classify(source_hash(raw), edition, record, fingerprint, settings.engine)
        if record is not None and (state == "edited" or (state == "stale" and _edited_since(edition, record))):
            state, reason = _merge_needed(edition, record, settings) or (state, reason)
        elif record is None and edition.is_file():
            state, reason = _adoptable(source, edition, settings) or (state, reason)
        if state in ("edited", "stale", "up-to-date") and record is not None and edition.is_file():
            state, reason = _translator_edits(settings, source, edition, record, state) or (state, reason)
        review = sum(1 for s in record.segments if s.review) if record else 0
        kept = sum(1 for s in record.segments if s.kept) if record else 0
        missing = glossary_misses(record)
        tree.posts.append(PostStatus(source, edition, state, reason, origins(record), review, kept, missing))
    tree.posts.extend(orphans(settings))
    return tree


def _edited_since(edition: Path, record: PostState) -> bool:
    """Whether the edition on disk is no longer what the run recorded writing (a translator's
    edit), whatever else changed: a stale post's edition may need a merge too."""
    return edition.is_file() and source_hash(edition.read_bytes()) != record.edition_sha256


def _adoptable(source: Path, edition: Path, settings: Settings) -> tuple[State, str] | None:
    """An edition with no state record that `--adopt` would refuse (its segments do not line
    up with the Japanese): a manual merge, said as `translate --adopt` says it."""
    try:
        kinds = [[s.kind for s in _split(path, settings)] for path in (edition, source)]
    except InputError as exc:
        return "failed", exc.message
    at = misaligned(*kinds)
    return None if at is None else ("needs-merge", "edition " + not_lined_up(len(kinds[0]), len(kinds[1]), at))


def _split(path: Path, settings: Settings) -> tuple[Segment, ...]:
    return split_post(
        read_post(path), settings.dialect, attributes=settings.translate_attributes, comments=settings.translate_comments
    ).segments


def _merge_needed(edition: Path, record: PostState, settings: Settings) -> tuple[State, str] | None:
    """An edition a translator restructured (paragraphs split or merged): `translate`
    leaves it alone and fails, so `check` must fail too. Parses only edited editions."""
    try:
        segments = _split(edition, settings)
    except InputError as exc:
        return "failed", exc.message
    written, found = sum(1 for r in record.segments if r.f is None), len(segments)
    if lined_up([s.kind for s in segments], written) is not None:
        return None
    return "needs-merge", (
        f"edited by hand: {found} segments where {written} were written (paragraphs split or merged?); "
        "merge it by hand so its paragraphs line up with the Japanese again"
    )


def _texts(settings: Settings, post: Post) -> Texts:
    """A post or edition read as the run reads it (the same segments, so the same frame)."""
    keys, attributes, comments = settings.translate_keys, settings.translate_attributes, settings.translate_comments
    return read_texts(post, settings.dialect, keys, attributes=attributes, comments=comments)


def _translator_edits(settings: Settings, source: Path, edition: Path, record: PostState, state: State) -> tuple[State, str] | None:
    """What a run will do with a translator's edits: which it keeps (prose segments, and
    lines outside the translated text, by the edition's line), and where the Japanese
    changed under one (a manual merge, by line). Nothing is promised a run will not do."""
    if state == "up-to-date" and not record.carried:
        return None
    try:
        texts = _texts(settings, read_post(edition))
        post = read_post(source)
    except InputError as exc:
        return "failed", exc.message
    prose = _edited_texts(record, texts)
    theirs = carry.frame_of(texts)
    base = record.frame or (carry.keys(theirs) if state == "up-to-date" else ())
    if not base or base == carry.keys(theirs):
        return (state, f"{prose} translated text(s) edited by hand: kept") if prose else None
    if state == "stale":
        conflicts = _conflicts(settings, post, base, theirs)
        if conflicts:
            where = ", ".join(f"{edition}:{line}" for line in conflicts)
            return (
                "needs-merge",
                f"the Japanese changed under a translator's edit outside the translated text at {where}: merge by hand, then `translate --merged`",
            )
    where = ", ".join(f"{edition}:{line}" for line in carry.edited_lines(base, theirs))
    kept = f"{prose} translated text(s) edited by hand and " if prose else ""
    return state, f"{kept}a translator's edits outside the translated text at {where}: kept"


def _edited_texts(record: PostState, texts: Texts) -> int:
    """Translated texts (body segments, front matter values) edited by hand since the last run
    recorded them: the next run keeps them as a translator's."""
    body = [r for r in record.segments if r.f is None]
    edited = sum(1 for r, s in zip(body, texts.body) if short_hash(s.source) != r.e) if len(body) == len(texts.body) else 0
    fields = [(r, texts.fields.get(r.f)) for r in record.segments if r.f is not None]
    return edited + sum(1 for r, f in fields if f is not None and short_hash(f.value) != r.e)


def _conflicts(settings: Settings, post: Post, base: tuple[str, ...], theirs: carry.Frame) -> tuple[int, ...]:
    """Where a run would need a manual merge: the Japanese post rendered with nothing
    translated has the frame the run's rendering will have (holes stand for the texts)."""
    added = {settings.lang_key: settings.lang_value, settings.ref_key: post.path.stem} if post.front_matter else {}
    data = render(post, [], [], added)
    ours = carry.frame_of(_texts(settings, parse_post(post.path, data)))
    return carry.merge(base, ours, theirs).conflicts


def translator_texts(settings: Settings, edition: Path) -> tuple[str, str]:
    """What a translator wrote in `edition` on purpose, as its state knows it (a run recorded
    it): their segments' English (human or approved, as recorded) and their lines outside
    the translated text; and the Japanese of the segments they rewrote. `site check` does
    not fail on a difference these explain."""
    try:
        relative = edition.resolve().relative_to(settings.path(settings.output_dir).resolve())
        record = load_state(state_path(settings, relative))
        if record is None:
            return "", ""
        english = _texts(settings, read_post(edition))
        source = settings.path(settings.source_dir) / relative
        japanese = _texts(settings, read_post(source)).body if source.is_file() else ()
    except (InputError, ValueError, OSError):
        return "", ""
    body = [r for r in record.segments if r.f is None]
    # only what a run recorded as theirs: an edit made since (a slip, maybe) is not known yet
    theirs = [i for i, (r, s) in enumerate(zip(body, english.body)) if r.o in ("human", "approved") and short_hash(s.source) == r.e]
    lines = english.post.text.splitlines()
    written = [english.body[i].source for i in theirs] + [lines[n - 1] for n in record.carried if 0 < n <= len(lines)]
    rewritten = [japanese[i].source for i in theirs if len(japanese) == len(body)]
    return "\n".join(written), "\n".join(rewritten)


def orphans(settings: Settings) -> list[PostStatus]:
    """English editions the pipeline wrote (their state record is there) whose Japanese
    source is gone. An English post with neither source nor record was written by someone
    else (a site's English-only news): no orphan, never pruned."""
    source_dir = settings.path(settings.source_dir)
    output_dir = settings.path(settings.output_dir)
    if not output_dir.is_dir():
        return []
    found = []
    for edition in sorted(output_dir.rglob("*.md")):
        relative = edition.relative_to(output_dir)
        if not (source_dir / relative).exists() and state_path(settings, relative).is_file():
            found.append(PostStatus(None, edition, "orphaned", "its Japanese source is gone"))
    return found


def prune(settings: Settings, orphaned: Sequence[PostStatus], dry_run: bool = False) -> list[Path]:
    """Delete orphaned editions and their state files; returns what was (or, in a dry
    run, would be) removed."""
    output_dir = settings.path(settings.output_dir)
    removed = []
    for status in orphaned:
        relative = status.edition.relative_to(output_dir)
        # the state first: a run killed between the two leaves an orphaned edition, which the
        # next --prune finds, never a state file with neither source nor edition
        for path in (state_path(settings, relative), status.edition):
            if path.is_file():
                if not dry_run:
                    path.unlink()
                removed.append(path)
    for path in _orphaned_states(settings):  # left by a run killed the other way round
        if not dry_run:
            path.unlink()
        removed.append(path)
    return removed


def _orphaned_states(settings: Settings) -> list[Path]:
    """State files whose post has neither its Japanese source nor its English edition."""
    state_dir, source_dir, output_dir = (settings.path(d) for d in (settings.state_dir, settings.source_dir, settings.output_dir))
    if not state_dir.is_dir():
        return []
    found = []
    for state in state_files(state_dir):
        relative = state.relative_to(state_dir).with_suffix("")
        if relative.suffix in (".md", ".markdown") and not (source_dir / relative).exists() and not (output_dir / relative).exists():
            found.append(state)
    return found


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard takes K/N (for example 2/4), not {text!r}") from None
    if not 1 <= k <= n:
        raise ConfigError(f"--shard {text}: K must be between 1 and N")
    return k, n


def shard(paths: Sequence[Path], k: int, n: int) -> list[Path]:
    """The K-th of N deterministic shares: every N-th post of the sorted list.

    Sorted by path, so every machine of a matrix computes the same split without talking
    to the others; counts differ by at most one post.
    """
    ordered = sorted(paths, key=lambda p: p.as_posix())
    return [p for i, p in enumerate(ordered) if i % n == k - 1]


@dataclass(frozen=True)
class TermUsage:
    """Which glossary entries a post uses, and which of its taxonomy values have no entry."""

    source: Path
    terms: dict[str, int]  # ja term → occurrences in translatable text
    names: dict[str, int]
    unmapped_taxonomy: list[str]


def glossary_usage(settings: Settings, glossary: Glossary, sources: Sequence[Path]) -> list[TermUsage | InputError]:
    """Per post, the terms it uses, or why it cannot be read (the other posts go on)."""
    usages: list[TermUsage | InputError] = []
    sources_tree = Tree.at(settings.path(settings.source_dir))
    for source in sources:
        try:
            post = read_post(source, sources_tree)
        except InputError as exc:
            usages.append(exc)
            continue
        texts = read_texts(
            post, settings.dialect, settings.translate_keys, attributes=settings.translate_attributes, comments=settings.translate_comments
        )
        prose = [prose_of(s.xml) for s in texts.body]
        unmapped: list[str] = []
        for f in texts.fields.values():
            prose.append(f.value)
            if f.key in TAXONOMY_KEYS and JAPANESE.search(f.value) and f.value not in glossary.taxonomy:
                unmapped.append(f.value)
        text = "\n".join(prose)
        terms = glossary.occurrences(text)
        names: dict[str, int] = {}
        if glossary.keep_pattern is not None:
            for m in glossary.keep_pattern.finditer(text):
                names[m.group(0)] = names.get(m.group(0), 0) + 1
        usages.append(TermUsage(source, terms, names, unmapped))
    return usages
