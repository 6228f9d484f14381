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
from pipeline.edition import TAXONOMY_KEYS, lined_up, read_texts
from pipeline.japanese import JAPANESE
from pipeline.post import Alias, Tree, read_post, source_hash
from pipeline.segment import split_post
from pipeline.state import (
    PostState,
    PostStatus,
    State,
    TreeStatus,
    classify,
    glossary_misses,
    load_state,
    origins,
    settings_fingerprint,
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
        if state == "edited" and record is not None:
            state, reason = _merge_needed(edition, record, settings) or (state, reason)
        review = sum(1 for s in record.segments if s.review) if record else 0
        kept = sum(1 for s in record.segments if s.kept) if record else 0
        missing = glossary_misses(record)
        tree.posts.append(PostStatus(source, edition, state, reason, origins(record), review, kept, missing))
    tree.posts.extend(orphans(settings))
    return tree


def _merge_needed(edition: Path, record: PostState, settings: Settings) -> tuple[State, str] | None:
    """An edition a translator restructured (paragraphs split or merged): `translate`
    leaves it alone and fails, so `check` must fail too. Parses only edited editions."""
    try:
        segments = split_post(
            read_post(edition), settings.dialect, attributes=settings.translate_attributes, comments=settings.translate_comments
        ).segments
    except InputError as exc:
        return "failed", exc.message
    written, found = sum(1 for r in record.segments if r.f is None), len(segments)
    if lined_up([s.kind for s in segments], written) is not None:
        return None
    return "needs-merge", (
        f"edited by hand: {found} segments where {written} were written (paragraphs split or merged?); "
        "merge it by hand so its paragraphs line up with the Japanese again"
    )


def orphans(settings: Settings) -> list[PostStatus]:
    """English editions whose Japanese source is gone."""
    source_dir = settings.path(settings.source_dir)
    output_dir = settings.path(settings.output_dir)
    if not output_dir.is_dir():
        return []
    found = []
    for edition in sorted(output_dir.rglob("*.md")):
        relative = edition.relative_to(output_dir)
        if not (source_dir / relative).exists():
            found.append(PostStatus(None, edition, "orphaned", "its Japanese source is gone"))
    return found


def prune(settings: Settings, orphaned: Sequence[PostStatus], dry_run: bool = False) -> list[Path]:
    """Delete orphaned editions and their state files; returns what was (or, in a dry
    run, would be) removed."""
    output_dir = settings.path(settings.output_dir)
    removed = []
    for status in orphaned:
        relative = status.edition.relative_to(output_dir)
        for path in (status.edition, state_path(settings, relative)):
            if path.is_file():
                if not dry_run:
                    path.unlink()
                removed.append(path)
    return removed


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
