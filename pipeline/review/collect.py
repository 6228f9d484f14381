"""Gather, per post, the segments that changed since a git revision, with flags and origins.

Each post is read four times: the Japanese source and the English edition, as they are in
the working tree and as they were at the base revision (`git show`). Both bodies are split
with the same segmenter the run uses, so segment *i* of a source lines up with segment *i*
of its edition; old and new segments line up by their source text (difflib, as the run
aligns state records), front matter values by field name. What a reviewer needs per
changed segment comes from three places: the last run's report (its warnings, including
the translator's text a re-translation replaced), the committed state (each segment's
origin and review flag), and checks made here on the English as it is now.
"""

from __future__ import annotations

import difflib
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.config import Settings
from pipeline.edition import read_texts
from pipeline.errors import InputError, PipelineError
from pipeline.glossary import Glossary
from pipeline.inline import Protected, protect_plain
from pipeline.post import parse_post, source_hash
from pipeline.report import LAST_RUN
from pipeline.review import checks, vcs
from pipeline.target import Target
from pipeline.qa import kept_message
from pipeline.state import PostState, SegmentRecord, load_state, state_path

RowKind = Literal["added", "removed", "changed", "flagged"]
FlagSource = Literal["run", "state", "review"]
_KIND_LABELS = {
    "paragraph": "paragraph",
    "heading": "heading",
    "table_cell": "table cell",
    "html": "HTML text",
    "html_attribute": "HTML attribute",
}


@dataclass(frozen=True)
class Piece:
    """One translatable text of one version of a post: a body segment or a front matter value."""

    key: str  # "body:3" or the field name ("title", "tags[2]"), as in the state records
    label: str  # for people: "¶ 4", "title"
    what: str  # "paragraph", "heading", "table cell", "front matter"
    text: str  # Markdown with soft line breaks joined (or the plain front matter value)
    protected: Protected
    line: int  # 1-based line in its file


@dataclass(frozen=True)
class Version:
    body: tuple[Piece, ...]
    fields: dict[str, Piece]
    title: str | None


@dataclass(frozen=True)
class Flag:
    code: str  # glossary | japanese-left | placeholder | length | needs-review | structure | truncated | ...
    message: str
    source: FlagSource  # who raised it: the last run, the committed state, or review-time checks
    previous: str | None = None  # needs-review: the translator's English the run replaced


@dataclass
class Row:
    anchor: str
    label: str  # "¶ 4", "title"
    what: str  # "paragraph", "heading", "front matter", ...
    line: int | None  # line in the Japanese source (new version; old for a removed segment)
    kind: RowKind
    ja_old: str | None
    ja_new: str | None
    en_old: str | None
    en_new: str | None
    origin: str | None  # machine | human | approved | source; None when the state does not describe it
    flags: list[Flag] = field(default_factory=list)


@dataclass
class PostReview:
    source: Path
    edition: Path
    anchor: str
    title: str | None
    english_title: str | None
    base: str | None  # the revision compared with; None when there was no previous version
    status: str | None  # the last run's status for this post, when it was in that run
    segments: int  # translatable texts in the post (body segments and front matter values)
    rows: list[Row] = field(default_factory=list)
    notes: list[Flag] = field(default_factory=list)  # about the whole post, not one segment
    origins: Counter[str] = field(default_factory=Counter)

    @property
    def flags(self) -> list[Flag]:
        return [f for r in self.rows for f in r.flags] + self.notes

    @property
    def flag_counts(self) -> Counter[str]:
        return Counter(f.code for f in self.flags)

    @property
    def is_new(self) -> bool:
        """No previous version to compare with: every segment shows as added."""
        return self.base is None


@dataclass
class Review:
    posts: list[PostReview]
    scope: str  # what was reviewed, for people ("posts written by the last run")
    base: str | None
    run: dict[str, Any] | None = None  # the last run's report, when read

    @property
    def rows(self) -> int:
        return sum(len(p.rows) for p in self.posts)

    @property
    def flag_counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for post in self.posts:
            total.update(post.flag_counts)
        return total

    @property
    def origin_counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for post in self.posts:
            total.update(r.origin for r in post.rows if r.origin)
        return total


# --- scope ------------------------------------------------------------------------------


def last_run(settings: Settings) -> dict[str, Any] | None:
    """The report `pipeline translate` keeps in the cache folder, or None."""
    path = settings.language_file(settings.path(settings.cache_dir) / LAST_RUN)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the last run's report is damaged ({exc}); run `pipeline translate` again", path=path) from exc
    return data if isinstance(data, dict) else None


def _resolve(path: str | Path, settings: Settings) -> Path:
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    rooted = settings.path(candidate)
    return rooted if rooted.exists() else candidate


def written_by(run: dict[str, Any] | None, settings: Settings) -> list[Path]:
    if not run:
        return []
    return [_resolve(p["source"], settings) for p in run.get("posts", []) if p.get("status") == "written"]


def changed_posts(settings: Settings, rev: str) -> list[Path]:
    """Japanese posts whose source or English edition differs from `rev`."""
    source_dir, output_dir = settings.path(settings.source_dir), settings.path(settings.output_dir)
    root = settings.root
    found: list[Path] = []
    for name in vcs.changed_since(rev, [settings.source_dir, settings.output_dir], root):
        path = root / name
        if path.suffix != ".md":
            continue
        for tree in (source_dir, output_dir):
            try:
                relative = path.resolve().relative_to(tree.resolve())
            except ValueError:
                continue
            post = source_dir / relative
            if post.is_file():
                found.append(post)
    return sorted(dict.fromkeys(found), key=lambda p: p.as_posix())


# --- reading one version ----------------------------------------------------------------


def read_version(raw: bytes | None, path: Path, settings: Settings, glossary: Glossary) -> Version | None:
    """The translatable texts of one version of a post (None when there is no such version)."""
    if raw is None:
        return None
    keep = glossary.keep_pattern
    texts = read_texts(
        parse_post(path, raw), settings.dialect, settings.translate_keys, keep, settings.translate_attributes, settings.translate_comments
    )
    body = tuple(
        Piece(f"body:{i}", f"¶ {i + 1}", _KIND_LABELS.get(s.kind, s.kind), s.protected.joined, s.protected, texts.line(s))
        for i, s in enumerate(texts.body)
    )
    fields = {name: Piece(name, name, "front matter", f.value, protect_plain(f.value, keep), f.line) for name, f in texts.fields.items()}
    title = fields["title"].text if "title" in fields else None
    return Version(body, fields, title)


def _display(path: Path) -> Path:
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd().resolve()))
    except ValueError:
        return path


def _align(old: Sequence[str], new: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Pairs (old index, new index) in document order; a replaced block pairs up index-wise."""
    pairs: list[tuple[int | None, int | None]] = []
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        common = min(i2 - i1, j2 - j1) if tag in ("equal", "replace") else 0
        pairs += [(i1 + k, j1 + k) for k in range(common)]
        pairs += [(i, None) for i in range(i1 + common, i2)]
        pairs += [(None, j) for j in range(j1 + common, j2)]
    return pairs


# --- one post ----------------------------------------------------------------------------


@dataclass
class _Post:
    """Everything read for one post, before rows are built."""

    source: Path
    edition: Path
    new_src: Version | None
    old_src: Version | None
    new_en: Version | None
    old_en: Version | None
    record: PostState | None
    run: dict[str, Any] | None
    notes: list[Flag]


def _read(path: Path, raw: bytes | None, settings: Settings, glossary: Glossary, what: str, notes: list[Flag]) -> Version | None:
    try:
        return read_version(raw, path, settings, glossary)
    except PipelineError as exc:
        notes.append(Flag("unreadable", f"{what} cannot be read: {exc.message}", "review"))
        return None


def _source_of_old_edition(settings: Settings, relative: Path, source: Path, base: str, at_base: bytes) -> bytes:
    """The Japanese the edition at `base` was translated from: the source at `base`, or, if
    the state committed at `base` names another source hash, that older version from git.
    Without it, a source change committed before the run would show no difference at all."""
    state_raw = vcs.show(state_path(settings, relative), base)
    try:
        built_from = json.loads(state_raw)["source_sha256"] if state_raw else None
    except (ValueError, KeyError, TypeError):
        return at_base
    if not isinstance(built_from, str) or source_hash(at_base) == built_from:
        return at_base
    return vcs.find_version(source, base, lambda raw: source_hash(raw) == built_from) or at_base


def _load(source: Path, settings: Settings, glossary: Glossary, base: str | None, run_posts: dict[Path, dict[str, Any]]) -> _Post:
    relative = settings.relative(source)
    edition = settings.path(settings.output_dir) / relative
    notes: list[Flag] = []
    src_raw = source.read_bytes() if source.is_file() else None
    en_raw = edition.read_bytes() if edition.is_file() else None
    old_src_raw = vcs.show(source, base) if base else None
    if base and old_src_raw is not None:
        old_src_raw = _source_of_old_edition(settings, relative, source, base, old_src_raw)
    old_en_raw = vcs.show(edition, base) if base else None
    record = None
    try:
        record = load_state(state_path(settings, relative))
    except PipelineError as exc:
        notes.append(Flag("unreadable", str(exc), "review"))
    if record is not None and (src_raw is None or record.source_sha256 != source_hash(src_raw)):
        notes.append(Flag("stale", "the source changed since its edition was built; run `pipeline translate`", "review"))
        record = None
    if src_raw is None:
        notes.append(Flag("removed", "the Japanese source is gone", "review"))
    if en_raw is None and src_raw is not None:
        notes.append(Flag("no-edition", "there is no English edition yet", "review"))
    run = run_posts.get(source.resolve())
    return _Post(
        source,
        edition,
        _read(source, src_raw, settings, glossary, "the Japanese source", notes),
        _read(source, old_src_raw, settings, glossary, f"the Japanese source at {base}", notes),
        _read(edition, en_raw, settings, glossary, "the English edition", notes),
        _read(edition, old_en_raw, settings, glossary, f"the English edition at {base}", notes),
        record,
        run,
        notes,
    )


def _lined_up(src: Version | None, en: Version | None, what: str, notes: list[Flag]) -> bool:
    if src is None or en is None:
        return False
    if len(src.body) == len(en.body):
        return True
    notes.append(
        Flag(
            "alignment",
            f"{what}: the English has {len(en.body)} segments where the Japanese has {len(src.body)}; English not shown",
            "review",
        )
    )
    return False


_Candidate = tuple["Piece | None", "Piece | None", "Piece | None", "Piece | None", "SegmentRecord | None"]  # ja old/new, en old/new, record
_Warnings = dict[int, list[dict[str, Any]]]


def review_post(
    source: Path,
    settings: Settings,
    glossary: Glossary,
    base: str | None,
    run_posts: dict[Path, dict[str, Any]] | None = None,
    number: int = 1,
) -> PostReview:
    """The changed segments of one post, compared with `base` (a git revision, or None)."""
    p = _load(source, settings, glossary, base, run_posts or {})
    new_ok = _lined_up(p.new_src, p.new_en, "now", p.notes)
    old_ok = _lined_up(p.old_src, p.old_en, f"at {base}", [])  # an old mismatch only hides the old English
    review = _header(p, source, base, number)
    warnings: _Warnings = {}
    for w in (p.run or {}).get("warnings", []):
        warnings.setdefault(int(w.get("line", 0)), []).append(w)
    used_lines: set[int] = set()
    median = _median_ratio(p, new_ok)
    for candidate in _candidates(p, old_ok, new_ok):
        run_flags = _run_flags(candidate, warnings, used_lines)
        row = _row(candidate, run_flags, f"{review.anchor}-{len(review.rows) + 1}")
        if row is None:
            continue
        ja_new, en_new = candidate[1], candidate[3]
        if ja_new is not None and en_new is not None:
            seen = {(f.code, f.message) for f in row.flags}
            for finding in checks.check(glossary, ja_new.protected, en_new.protected, median, Target.of(settings).han_script):
                if (finding.code, finding.message) not in seen:
                    row.flags.append(Flag(finding.code, finding.message, "review"))
        review.rows.append(row)
    for line, ws in sorted(warnings.items()):
        if line not in used_lines:
            review.notes += [Flag(str(w.get("code")), f"line {line}: {w.get('message')}", "run", w.get("previous")) for w in ws]
    return review


def _header(p: _Post, source: Path, base: str | None, number: int) -> PostReview:
    """The post's entry in the report, before its rows."""
    review = PostReview(
        source=_display(source),
        edition=_display(p.edition),
        anchor=f"post-{number}",
        title=p.new_src.title if p.new_src else (p.old_src.title if p.old_src else None),
        english_title=p.new_en.title if p.new_en else None,
        base=base if p.old_src is not None else None,
        status=p.run.get("status") if p.run else None,
        segments=(len(p.new_src.body) + len(p.new_src.fields)) if p.new_src else 0,
        notes=p.notes,
    )
    if p.run and p.run.get("error"):
        review.notes.append(Flag("error", str(p.run["error"]), "run"))
    if p.record is not None:
        review.origins = Counter(r.o for r in p.record.segments)
    if p.record is not None and p.record.carried:  # issue 23: said, so nothing is promised a run will not do
        lines = ", ".join(str(line) for line in p.record.carried)
        message = f"a translator's edits outside the translated text are kept in every later run: {review.edition} line(s) {lines}"
        review.notes.append(Flag("translator-kept", message, "state"))
    return review


def _median_ratio(p: _Post, new_ok: bool) -> float | None:
    """The post's usual length ratio, from every segment with an English counterpart."""
    ratios = []
    if new_ok and p.new_src and p.new_en:
        ratios = [checks.length_ratio(s.protected, e.protected) for s, e in zip(p.new_src.body, p.new_en.body)]
    return checks.median_ratio(ratios)


def _candidates(p: _Post, old_ok: bool, new_ok: bool) -> list[_Candidate]:
    """Every segment and front matter value, old and new, lined up with its English and record."""
    body_records = [r for r in p.record.segments if r.f is None] if p.record is not None else []
    field_records = {r.f: r for r in p.record.segments if r.f is not None} if p.record is not None else {}
    new_body = p.new_src.body if p.new_src else ()
    old_body = p.old_src.body if p.old_src else ()
    if len(body_records) != len(new_body):
        body_records = []
    candidates: list[_Candidate] = []
    for oi, ni in _align([s.text for s in old_body], [s.text for s in new_body]):
        candidates.append(
            (
                old_body[oi] if oi is not None else None,
                new_body[ni] if ni is not None else None,
                p.old_en.body[oi] if oi is not None and old_ok and p.old_en else None,
                p.new_en.body[ni] if ni is not None and new_ok and p.new_en else None,
                body_records[ni] if ni is not None and body_records else None,
            )
        )
    old_fields = p.old_src.fields if p.old_src else {}
    new_fields = p.new_src.fields if p.new_src else {}
    for key in list(new_fields) + [k for k in old_fields if k not in new_fields]:
        candidates.append(
            (
                old_fields.get(key),
                new_fields.get(key),
                p.old_en.fields.get(key) if p.old_en and old_fields.get(key) else None,
                p.new_en.fields.get(key) if p.new_en and new_fields.get(key) else None,
                field_records.get(key),
            )
        )
    return candidates


def _run_flags(candidate: _Candidate, warnings: _Warnings, used_lines: set[int]) -> list[Flag]:
    """What the run and the state say of a segment: the run's warnings on its line, and a
    needs-review or a kept reason the state recorded."""
    ja_new, record = candidate[1], candidate[4]
    run_flags = []
    if ja_new is not None:
        for w in warnings.get(ja_new.line, []):
            run_flags.append(Flag(str(w.get("code")), str(w.get("message")), "run", w.get("previous")))
        used_lines.add(ja_new.line)
    if record is not None and record.review and not any(f.code == "needs-review" for f in run_flags):
        run_flags.append(
            Flag("needs-review", "the source changed under a translator's English, which was re-translated; check it", "state")
        )
    if record is not None and record.kept and not any(f.code == record.kept for f in run_flags):
        run_flags.append(Flag(record.kept, kept_message(1), "state"))  # recorded in the state (issue 14)
    return run_flags


def _row_kind(candidate: _Candidate, run_flags: list[Flag]) -> RowKind | None:
    """How a segment changed, or None: unchanged and unflagged, not shown."""
    ja_old, ja_new, en_old, en_new, _ = candidate
    if ja_new is None:
        return "removed"
    if ja_old is None:
        return "added"
    if ja_old.text != ja_new.text or (en_old.text if en_old else None) != (en_new.text if en_new else None):
        return "changed"
    return "flagged" if run_flags else None


def _row(candidate: _Candidate, run_flags: list[Flag], anchor: str) -> Row | None:
    kind = _row_kind(candidate, run_flags)
    if kind is None:
        return None
    ja_old, ja_new, en_old, en_new, record = candidate
    piece = ja_new or ja_old
    assert piece is not None
    return Row(
        anchor=anchor,
        label=piece.label,
        what=piece.what,
        line=piece.line,
        kind=kind,
        ja_old=ja_old.text if ja_old else None,
        ja_new=ja_new.text if ja_new else None,
        en_old=en_old.text if en_old else None,
        en_new=en_new.text if en_new else None,
        origin=record.o if record is not None else None,
        flags=run_flags,
    )


def collect(
    settings: Settings,
    glossary: Glossary,
    sources: Sequence[Path],
    base: str | None,
    scope: str,
    run: dict[str, Any] | None = None,
) -> Review:
    """Review every post of `sources` against `base`; `run` is the last run's report."""
    run_posts = {_resolve(p["source"], settings).resolve(): p for p in (run or {}).get("posts", [])}
    posts = [review_post(s, settings, glossary, base, run_posts, n) for n, s in enumerate(sources, start=1)]
    return Review(posts, scope, base, run)
