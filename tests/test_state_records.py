"""A state record reads back as it was written (`state.dump_state`, `state.load_state`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.state import PostState, SegmentRecord, dump_state, load_state


def _state(frame_lines: int) -> PostState:
    records = (
        SegmentRecord("k1", "s1", "e1", "machine"),
        SegmentRecord("k2", "s2", "e2", "human", f="title", review=True, g=("推論",), kept="structure", r="deepl:x"),
    )
    frame = tuple(f"{i:08d}" for i in range(frame_lines))
    return PostState("a.md", "en/a.md", "src", "ed", "fp", records, engine="deepl", frame=frame, carried=(3, 5))


@pytest.mark.parametrize("frame_lines", [0, 1, 8, 19])
def test_a_record_reads_back_as_written(frame_lines: int, tmp_path: Path) -> None:
    path = tmp_path / "a.md.json"
    path.write_text(dump_state(_state(frame_lines)), encoding="utf-8")
    assert load_state(path) == _state(frame_lines)


def test_a_frame_string_of_odd_length_is_cut_as_it_always_was(tmp_path: Path) -> None:
    """Hand-edited: keys of eight characters from each string's start, the rest short."""
    data = json.loads(dump_state(_state(0)))
    data["frame"], data["carried"] = ["aaaaaaaabb", "cccccccc"], []
    path = tmp_path / "a.md.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    record = load_state(path)
    assert record is not None and record.frame == ("aaaaaaaa", "bb", "cccccccc")


def test_a_record_with_an_unknown_field_is_a_damaged_state(tmp_path: Path) -> None:
    data = json.loads(dump_state(_state(0)))
    data["segments"][0]["x"] = 1
    path = tmp_path / "a.md.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match="damaged"):
        load_state(path)
