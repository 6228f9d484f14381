"""One post's translatable texts, source and edition side by side with their state
records: what a unit of the XLIFF file stands for.

Export walks these pairs to write units, import finds a unit's pair again by its `where`
and checks the hashes in its id; both need the same reading of a post, its edition and
its state, checked to line up, so it lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline import frontmatter
from pipeline.config import Settings
from pipeline.edition import read_texts
from pipeline.errors import InputError
from pipeline.glossary import Glossary
from pipeline.inline import Protected, markup_texts, protect_plain
from pipeline.post import Post, read_post
from pipeline.review.xliff.tokens import english_tokens
from pipeline.segment import Segment
from pipeline.state import PostState, SegmentRecord, load_state, short_hash, state_path

HASH = 12  # hex digits of the hashes in unit ids


@dataclass(frozen=True)
class Text:
    """One translatable text of a post, in the source or in the edition."""

    where: str  # "b3" for body segment 3, else the front matter field name
    label: str
    protected: Protected
    line: int
    segment: Segment | None = None  # body segments: their span in the body
    fm_field: frontmatter.Field | None = None
    parent: str = ""  # a title (`b3.t0`): the body segment whose markup holds it
    within: tuple[str, int, int] | None = None  # an English title: its element's markup, and its span in it


def _titles(src: Text, en: Text) -> list[tuple[Text, Text]]:
    """The texts inside a body segment's markup (link titles, inline alt and title values),
    paired with the English ones at the same place in the edition's matched element."""
    matched = english_tokens(src.protected, en.protected)[1]
    pairs: list[tuple[Text, Text]] = []
    for k, attached in enumerate(src.protected.attached):
        element = src.protected.elements[attached.element]
        english = matched.get(attached.element)
        spans = markup_texts(element.open if attached.side == "open" else element.close)
        markup = "" if english is None else english.open if attached.side == "open" else english.close
        found = markup_texts(markup)
        index = next((i for i, span in enumerate(spans) if span[:2] == (attached.start, attached.end)), -1)
        if english is None or index < 0 or len(found) != len(spans):
            continue  # the translator rewrote the element: its title goes with the paragraph
        start, end, _ = found[index]
        where, label = f"{src.where}.t{k}", f"{src.label}, title {k + 1}"
        pairs.append(
            (
                Text(where, label, attached.protected, src.line, parent=src.where),
                Text(where, label, protect_plain(markup[start:end]), en.line, parent=en.where, within=(markup, start, end)),
            )
        )
    return pairs


def texts_of(post: Post, settings: Settings, glossary: Glossary) -> tuple[list[Text], dict[str, Text]]:
    keep = glossary.keep_pattern
    texts = read_texts(post, settings.dialect, settings.translate_keys, keep, settings.translate_attributes, settings.translate_comments)
    body = [Text(f"b{i}", _body_label(i, s.protected), s.protected, texts.line(s), segment=s) for i, s in enumerate(texts.body)]
    fields = {name: Text(name, name, protect_plain(f.value, keep), f.line, fm_field=f) for name, f in texts.fields.items()}
    return body, fields


def _body_label(index: int, protected: Protected) -> str:
    """`¶ 4`; a code comment says so, for the translator (one line, inside the comment)."""
    comment = protected.comment
    return f"¶ {index + 1}" if comment is None else f"¶ {index + 1}, a comment in {comment.lexer} code (one line)"


@dataclass
class Loaded:
    """A post, its edition and its state, checked to line up with each other."""

    source: Path
    relative: Path
    edition_path: Path
    post: Post
    edition: Post
    record: PostState
    src_body: list[Text]
    src_fields: dict[str, Text]
    en_body: list[Text]
    en_fields: dict[str, Text]
    body_records: list[SegmentRecord]
    field_records: dict[str, SegmentRecord]
    titles: dict[str, list[tuple[Text, Text]]] = field(default_factory=dict)  # by body segment (`_titles`)

    def pairs(self) -> list[tuple[Text, Text, SegmentRecord]]:
        out: list[tuple[Text, Text, SegmentRecord]] = []
        for s, e, r in zip(self.src_body, self.en_body, self.body_records):
            out += [(s, e, r), *((st, et, r) for st, et in self.titles.get(s.where, []))]
        for name, source in self.src_fields.items():
            english, record = self.en_fields.get(name), self.field_records.get(name)
            if english is not None and record is not None:
                out.append((source, english, record))
        return out

    def fills(self, src: Text) -> list[str | None]:
        """The English of each attached text of the source text `src`, as the edition has it."""
        english = {s.where: e.protected.joined for s, e in self.titles.get(src.where, [])}
        return [english.get(f"{src.where}.t{k}") for k in range(len(src.protected.attached))]

    def find(self, where: str) -> tuple[Text, Text, SegmentRecord] | None:
        for s, e, r in self.pairs():
            if s.where == where:
                return s, e, r
        return None


def load(source: Path, settings: Settings, glossary: Glossary) -> Loaded:
    """The post with its edition and state, or an InputError saying what to run first."""
    if not source.resolve().is_relative_to(settings.path(settings.source_dir).resolve()):
        raise InputError(f"not a post of {settings.source_dir}", path=source)
    relative = settings.relative(source)
    edition_path = settings.path(settings.output_dir) / relative
    post = read_post(source)
    if not edition_path.is_file():
        raise InputError("has no English edition yet; run `pipeline translate` first", path=source)
    record = load_state(state_path(settings, relative))
    if record is None or record.source_sha256 != post.source_hash:
        raise InputError("its edition is missing or out of date; run `pipeline translate` first", path=source)
    edition = read_post(edition_path)
    src_body, src_fields = texts_of(post, settings, glossary)
    en_body, en_fields = texts_of(edition, settings, glossary)
    body_records = [r for r in record.segments if r.f is None]
    if not len(src_body) == len(en_body) == len(body_records):
        raise InputError(
            f"the edition has {len(en_body)} segments where the source has {len(src_body)} (paragraphs split or merged "
            "by hand?); run `pipeline translate` and merge by hand first",
            path=edition_path,
        )
    field_records = {r.f: r for r in record.segments if r.f is not None}
    titles = {s.where: _titles(s, e) for s, e in zip(src_body, en_body) if s.protected.attached}
    return Loaded(
        source, relative, edition_path, post, edition, record, src_body, src_fields, en_body, en_fields, body_records, field_records, titles
    )


def unit_id(src: Text, en: Text) -> str:
    return f"{src.where}.{short_hash(src.protected.xml)[:HASH]}.{short_hash(en.protected.joined)[:HASH]}"


def exported_state(record: SegmentRecord, flagged: bool) -> str:
    if flagged or record.review or record.o == "machine":
        return "needs-review-translation"
    return "final" if record.o == "approved" else "translated"
