"""The CPU stages (`pipeline.stages`): picklable, and the frame of our own rendering built
from the spans we put in is the frame a parse of the rendering gives (the state records it)."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from pipeline import carry, stages
from pipeline.cache import CacheKeys
from pipeline.config import Settings
from pipeline.edition import UnitMaker
from pipeline.post import Post, read_post
from pipeline.segment import Segment

CORPUS = Path(__file__).parent / "fixtures" / "corpus" / "ja"
POSTS = sorted(CORPUS.rglob("*.md"))
KEEP = re.compile(r"React|JavaScript|Jekyll|API")  # names kept as written change engine texts, never spans


def _reading(keep: re.Pattern[str] | None = KEEP, dialect: str = "kramdown") -> stages.Reading:
    settings = Settings(dialect=dialect)
    units = UnitMaker(CacheKeys({"engine": "identity"}, {"推論": "inference"}), 120_000, keep, {}, tuple(settings.translate_keys))
    return stages.Reading.of(settings, units)


def _segments(prepared: stages.Prepared) -> list[Segment]:
    return [unit.segment for unit in prepared.units if unit.fm_field is None]


def _identity(post: Post, prepared: stages.Prepared, reading: stages.Reading, tmp: Path, english: str | None = None) -> stages.Rendered:
    """`prepared` rendered with each body segment's English its own source (or `english`)."""
    segments = _segments(prepared)
    edits = [(s.start, s.end, s.source if english is None else english) for s in segments]
    return stages.render(post, tmp / "en.md", edits, [], {"lang": "en"}, reading, [(s.start, s.end) for s in segments])


def test_prepared_and_rendered_pickle() -> None:
    """What crosses to and from a worker process, and not much more than the post: the
    Liquid-masked body its parse read is not carried by every segment (`restore_env`)."""
    reading = _reading()
    post = read_post(POSTS[0])
    prepared = stages.prepare(post, reading)
    assert _segments(prepared) and all(unit.key or unit.fixed is not None for unit in prepared.units)
    data = pickle.dumps(prepared)
    again = pickle.loads(data)
    assert again.units == prepared.units and again.leftover == prepared.leftover
    assert again.headings == prepared.headings and again.lint_findings == prepared.lint_findings
    assert all("liquid" not in unit.segment.protected.env for unit in prepared.units)
    rendered = _identity(post, prepared, reading, Path("/tmp"))
    assert pickle.loads(pickle.dumps(rendered)) == rendered
    # with no translator's edition to merge, the frame's keys come back, not the frame
    segments = _segments(prepared)
    edits = [(s.start, s.end, s.source) for s in segments]
    spans = [(s.start, s.end) for s in segments]
    alone = stages.render(post, Path("/tmp/en.md"), edits, [], {"lang": "en"}, reading, spans, merging=False)
    assert alone.frame is None and alone.keys == rendered.keys and alone.data == rendered.data
    assert pickle.loads(pickle.dumps(reading)) == reading


@pytest.mark.parametrize(("dialect", "step"), [("kramdown", 1), ("commonmark", 5)])
def test_frame_of_an_unchanged_body_is_the_frame_of_its_parse(dialect: str, step: int, tmp_path: Path) -> None:
    """Every corpus post (a fifth of them in the other dialect)."""
    reading = _reading(dialect=dialect)
    parse_reading = _reading(keep=None, dialect=dialect)  # as `carry` reads an edition: no names
    for path in POSTS[::step]:
        post = read_post(path)
        rendered = _identity(post, stages.prepare(post, reading), reading, tmp_path)
        parsed = carry.frame_of(stages.read_texts(_parsed(rendered, tmp_path), parse_reading))
        assert rendered.frame == parsed and parsed.holes, path.name


def test_frame_of_a_changed_body_comes_from_a_parse(tmp_path: Path) -> None:
    reading = _reading()
    post = read_post(POSTS[0])
    prepared = stages.prepare(post, reading)
    rendered = _identity(post, prepared, reading, tmp_path, english="Some *English* text.")
    assert rendered.frame == carry.frame_of(stages.read_texts(_parsed(rendered, tmp_path), _reading(keep=None)))
    assert rendered.frame.holes.count("Some *English* text.") == len(_segments(prepared))


def _parsed(rendered: stages.Rendered, tmp: Path) -> Post:
    out = tmp / "en.md"
    out.write_bytes(rendered.data)
    return read_post(out)
