"""`pipeline merge-shards` file by file, and `memory.union` entry by entry (pipeline/shards.py).

The whole CI job is run in tests/test_ci_shards.py; these are the rules it relies on, each
shown on a small tree of shard folders laid out like upload-artifact leaves them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers import run_cli

from pipeline.memory import MemoryEntry, TranslationMemory, union


def entry(ja: str, en: str, post: str) -> MemoryEntry:
    return MemoryEntry(ja, en, "human", post)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def shard(project: Path, name: str, files: dict[str, str], written: list[str], approved: Sequence[MemoryEntry] = ()) -> Path:
    """A shard's artifact: its snapshot of content/en and translations, and its report.json."""
    folder = project / "shards" / name
    write(folder, files)
    post = {"source": "", "edition": None, "segments": 1, "reused": 0, "cached": 0, "sent": 1, "billed_characters": 5,
            "kept_japanese": 0, "glossary_misses": 0, "error": None, "warnings": []}
    report = {"dry_run": False, "shards": 1, "elapsed_seconds": 1.0, "requests": 1, "billed_characters": 5 * len(written),
              "aborted": None, "approved_memory": [e.__dict__ for e in approved],
              "posts": [{**post, "post": p, "status": "written"} for p in written]}
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return folder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path, {"content/ja/a.md": "あ\n", "content/ja/b.md": "い\n", "content/en/a.md": "A0\n", "translations/a.md.json": "{}\n"})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_each_post_comes_from_the_shard_that_translated_it(project: Path) -> None:
    one = shard(project, "editions-1", {"content/en/a.md": "A1\n", "translations/a.md.json": "{1}\n"}, ["a.md"])
    two = shard(project, "editions-2", {"content/en/a.md": "A0\n", "translations/a.md.json": "{}\n",
                                         "content/en/b.md": "B1\n", "translations/b.md.json": "{2}\n"}, ["b.md"])
    result = run_cli("merge-shards", str(one), str(two), "--summary", "s.md")
    assert result.exit_code == 0, result.stderr
    assert (project / "content/en/a.md").read_text() == "A1\n" and (project / "translations/a.md.json").read_text() == "{1}\n"
    assert (project / "content/en/b.md").read_text() == "B1\n" and (project / "translations/b.md.json").read_text() == "{2}\n"
    assert "**2 edition(s) written** by 2 shard(s), 0 failed; 10 characters billed in 2 request(s)" in (project / "s.md").read_text()


def test_a_file_the_shards_disagree_on_and_none_owns_stops_the_merge_before_any_write(project: Path) -> None:
    one = shard(project, "editions-1", {"content/en/a.md": "A-from-a-push\n", "translations/a.md.json": "{}\n",
                                         "content/en/b.md": "B1\n"}, ["b.md"])
    two = shard(project, "editions-2", {"content/en/a.md": "A0\n", "translations/a.md.json": "{}\n"}, [])
    result = run_cli("merge-shards", str(one), str(two))
    assert result.exit_code == 1
    assert "content/en/a.md (differs in editions-2 from editions-1" in result.stderr and "nothing was written" in result.stderr
    assert (project / "content/en/a.md").read_text() == "A0\n" and not (project / "content/en/b.md").exists()


def test_a_post_two_shards_translated_differently_is_a_conflict(project: Path) -> None:
    """Two machines given the same post (a matrix without --shard): neither copy is dropped silently."""
    one = shard(project, "editions-1", {"content/en/a.md": "A1\n", "translations/a.md.json": "{}\n"}, ["a.md"])
    two = shard(project, "editions-2", {"content/en/a.md": "A2\n", "translations/a.md.json": "{}\n"}, ["a.md"])
    result = run_cli("merge-shards", str(one), str(two))
    assert result.exit_code == 1 and "content/en/a.md (differs in editions-2 from editions-1, and two shards translated its post)" in result.stderr
    assert (project / "content/en/a.md").read_text() == "A0\n"


def test_an_edition_every_shard_pruned_is_removed(project: Path) -> None:
    write(project, {"content/en/gone.md": "G\n", "translations/gone.md.json": "{}\n", "translations/.keep": ""})
    folders = [shard(project, f"editions-{k}", {"content/en/a.md": "A0\n", "translations/a.md.json": "{}\n"}, []) for k in (1, 2)]
    assert run_cli("merge-shards", *map(str, folders)).exit_code == 0
    assert not (project / "content/en/gone.md").exists() and not (project / "translations/gone.md.json").exists()
    assert (project / "content/en/a.md").exists() and (project / "translations/.keep").exists()  # hidden: never uploaded, never removed


def test_the_memory_keeps_every_shards_approvals(project: Path) -> None:
    old, edit_a, edit_b = entry("あ", "old A", "a.md"), entry("あ", "new A", "a.md"), entry("い", "B", "b.md")
    base = TranslationMemory(project / "translations/memory.jsonl", {"あ": old})
    base.changed = True
    base.save()
    common = {"content/en/a.md": "A0\n", "translations/a.md.json": "{}\n"}
    one = shard(project, "editions-1", {**common, "translations/memory.jsonl": TranslationMemory(Path(), {"あ": edit_a}).dump().decode()},
                ["a.md"], [edit_a])
    two = shard(project, "editions-2", {**common, "content/en/b.md": "B\n", "translations/memory.jsonl": TranslationMemory(Path(), {"あ": old, "い": edit_b}).dump().decode()},
                ["b.md"], [edit_b])
    for order in ([one, two], [two, one]):  # whichever artifact comes last
        assert run_cli("merge-shards", *map(str, order), "--summary", "s.md").exit_code == 0
        assert TranslationMemory.load(project / "translations/memory.jsonl").entries == {"あ": edit_a, "い": edit_b}
    assert "2 translator's translation(s) added to the translation memory" in (project / "s.md").read_text()


def test_union_of_memories() -> None:
    carried, mine, theirs = entry("あ", "old", "a.md"), entry("あ", "mine", "a.md"), entry("あ", "theirs", "c.md")
    # an approval beats a copy that carried the old entry
    assert union([{"あ": carried}, {"あ": mine}], [mine]) == ({"あ": mine}, [])
    # two approvals of the same source: the later post wins, as in one run over every post
    assert union([{"あ": mine}, {"あ": theirs}], [theirs, mine]) == ({"あ": theirs}, [])
    # copies that disagree with no approval did not start equal: reported, not guessed silently
    merged, unsettled = union([{"あ": carried}, {"あ": mine}], [])
    assert unsettled == ["あ"] and merged["あ"] in (carried, mine)
    # an entry only one copy has is kept
    assert union([{"い": entry("い", "x", "b.md")}, {}], [])[0] == {"い": entry("い", "x", "b.md")}


def test_a_folder_without_a_run_report_is_refused(project: Path) -> None:
    (project / "shards" / "editions-1").mkdir(parents=True)
    result = run_cli("merge-shards", str(project / "shards" / "editions-1"))
    assert result.exit_code == 1 and "editions-1: no report.json" in result.stderr
    assert (project / "content/en/a.md").read_text() == "A0\n"


def test_a_shard_that_stopped_before_its_report_is_left_out_and_said_so(project: Path) -> None:
    """A translate step that crashed leaves no report.json (its job is red already): the other
    shards' editions still reach the pull request, whose summary names the shard left out."""
    one = shard(project, "editions-1", {"content/en/a.md": "A1\n", "translations/a.md.json": "{1}\n"}, ["a.md"])
    crashed = project / "shards" / "editions-2"
    write(crashed, {"content/en/b.md": "half a run\n"})
    result = run_cli("merge-shards", str(one), str(crashed), "--summary", "s.md")
    assert result.exit_code == 0, result.stderr
    assert "editions-2: no report.json" in result.stderr and "left out" in result.stderr
    assert (project / "content/en/a.md").read_text() == "A1\n" and not (project / "content/en/b.md").exists()
    summary = (project / "s.md").read_text()
    assert "**1 edition(s) written**" in summary and "`editions-2`" in summary.split("left out", 1)[1], summary
