"""Translators' edits in an English edition survive re-runs and become approved memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli

POST = "2025-09-30-aws-ai-revenue.md"
SOURCE_SENTENCE = "でもね、今回のAWSのケースは、ただのバズワードで終わる話ではない、と直感しました。"


@pytest.fixture
def site(translated_site: Path) -> Path:
    return translated_site


def edition(site: Path) -> Path:
    return site / "content" / "en" / POST


def human_edit(site: Path) -> str:
    """Replace the machine English of the paragraph with SOURCE_SENTENCE by a human's."""
    text = edition(site).read_text(encoding="utf-8")
    paragraph = next(p for p in text.split("\n\n") if SOURCE_SENTENCE in p)
    human = "But this time, I sensed, AWS is not just another buzzword story."
    edition(site).write_text(text.replace(paragraph, human), encoding="utf-8")
    return human


def test_hand_edit_survives_a_rerun_and_is_approved(site: Path, deepl_env) -> None:
    human = human_edit(site)
    status = json.loads(run_cli("status", "--json").stdout)
    assert {p["state"] for p in status["posts"]} == {"edited", "up-to-date"}
    deepl_env.reset_log()
    assert run_cli("translate").exit_code == 0
    assert human in edition(site).read_text(encoding="utf-8")
    assert deepl_env.translate_requests == []
    record = json.loads((site / "translations" / (POST + ".json")).read_text(encoding="utf-8"))
    assert [s["o"] for s in record["segments"]].count("human") == 1
    status = json.loads(run_cli("status", "--json").stdout)
    origins = {Path(p["source"]).name: p["origins"] for p in status["posts"]}
    assert origins[POST]["human"] == 1 and origins[POST]["machine"] > 30
    memory = [json.loads(line) for line in (site / "translations" / "memory.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(m["en"], m["origin"]) for m in memory] == [(human, "human")]
    # and it survives a forced rebuild too
    assert run_cli("translate", "--force").exit_code == 0
    assert human in edition(site).read_text(encoding="utf-8")


def test_approved_text_is_reused_for_the_same_source_elsewhere(site: Path, deepl_env) -> None:
    human = human_edit(site)
    assert run_cli("translate").exit_code == 0
    source = (site / "content" / "ja" / POST).read_text(encoding="utf-8")
    paragraph = next(p for p in source.split("\n\n") if SOURCE_SENTENCE in p)
    (site / "content" / "ja" / "2026-01-02-quote.md").write_text(f"---\ntitle: 引用\n---\n\n{paragraph}\n", encoding="utf-8")
    deepl_env.reset_log()
    assert run_cli("translate").exit_code == 0
    assert human in (site / "content" / "en" / "2026-01-02-quote.md").read_text(encoding="utf-8")
    assert all(SOURCE_SENTENCE not in t for t in deepl_env.texts_sent)


def test_changed_source_under_a_human_edit_is_retranslated_and_flagged(site: Path, deepl_env) -> None:
    human = human_edit(site)
    assert run_cli("translate").exit_code == 0
    src = site / "content" / "ja" / POST
    src.write_text(src.read_text(encoding="utf-8").replace(SOURCE_SENTENCE, SOURCE_SENTENCE.replace("直感", "確信")), encoding="utf-8")
    result = run_cli("translate", "--report", "r.json")
    assert result.exit_code == 0
    assert human not in edition(site).read_text(encoding="utf-8")
    flags = [w for p in json.loads((site / "r.json").read_text())["posts"] for w in p["warnings"]]
    review = [w for w in flags if w["code"] == "needs-review"]
    assert len(review) == 1 and review[0]["previous"] == human


def test_restructured_edition_needs_a_manual_merge(site: Path, deepl_env) -> None:
    text = edition(site).read_text(encoding="utf-8")
    paragraphs = text.split("\n\n")
    edition(site).write_text("\n\n".join(paragraphs[:5] + [paragraphs[5] + " " + paragraphs[6]] + paragraphs[7:]), encoding="utf-8")
    before = edition(site).read_bytes()
    src = site / "content" / "ja" / POST
    src.write_text(src.read_text(encoding="utf-8").replace(SOURCE_SENTENCE, SOURCE_SENTENCE + "本当に。"), encoding="utf-8")
    result = run_cli("translate")
    assert result.exit_code == 1
    assert "manual merge" in result.stdout and "split or merged" in result.stderr
    assert edition(site).read_bytes() == before


def merge_two_paragraphs(site: Path) -> bytes:
    paragraphs = edition(site).read_text(encoding="utf-8").split("\n\n")
    edition(site).write_text("\n\n".join(paragraphs[:5] + [paragraphs[5] + " " + paragraphs[6]] + paragraphs[7:]), encoding="utf-8")
    return edition(site).read_bytes()


def state_file(site: Path) -> Path:
    return site / "translations" / (POST + ".json")


def test_restructured_edition_is_never_overwritten_even_with_its_state_deleted(site: Path, deepl_env) -> None:
    """Deleting the state file must not turn a translator's edition into fair game."""
    before = merge_two_paragraphs(site)
    first = run_cli("translate")
    assert first.exit_code == 1 and "split or merged" in first.stderr
    state_file(site).unlink()
    second = run_cli("translate")
    assert second.exit_code == 1, second.stdout
    assert "no state record" in second.stderr and "left as it is" in second.stderr
    assert edition(site).read_bytes() == before
    assert not state_file(site).exists()


def test_edition_without_state_is_adopted_as_a_translators_work_only_with_adopt(site: Path, deepl_env) -> None:
    human = human_edit(site)
    state_file(site).unlink()  # an edition written by hand, or state lost: the pipeline never saw it
    before = edition(site).read_bytes()
    deepl_env.reset_log()
    refused = run_cli("translate")  # issue 23: never adopted behind the user's back
    assert refused.exit_code == 1 and "translate --adopt" in refused.stderr and "left as it is" in refused.stderr
    assert edition(site).read_bytes() == before and not state_file(site).exists()
    assert not (site / "translations" / "memory.jsonl").exists()
    status = json.loads(run_cli("status", "--json").stdout)
    assert [p["reason"] for p in status["posts"] if Path(p["source"]).name == POST] == [
        "edition has no state record; `translate --adopt` keeps it as a translator's work"
    ]
    plain = run_cli("status").stdout  # said on the line too, not only in the JSON: a new post's edition is someone's
    assert f"{POST}  (edition has no state record; `translate --adopt` keeps it" in plain, plain
    assert run_cli("translate", "--adopt").exit_code == 0
    assert human in edition(site).read_text(encoding="utf-8")
    assert deepl_env.translate_requests == []
    record = json.loads(state_file(site).read_text(encoding="utf-8"))
    origins = {s["o"] for s in record["segments"]}
    assert "machine" not in origins and "human" in origins
    # and from now on it is tracked: a source change re-translates and flags that segment only
    src = site / "content" / "ja" / POST
    src.write_text(src.read_text(encoding="utf-8").replace(SOURCE_SENTENCE, SOURCE_SENTENCE.replace("直感", "確信")), encoding="utf-8")
    result = run_cli("translate", "--report", "r.json")
    assert result.exit_code == 0
    flags = [w for p in json.loads((site / "r.json").read_text())["posts"] for w in p["warnings"]]
    assert [w["previous"] for w in flags if w["code"] == "needs-review"] == [human]
    assert len(deepl_env.translate_requests) == 1 and len(deepl_env.texts_sent) == 1


def test_a_translator_restoring_the_previous_edition_is_kept(site: Path, deepl_env) -> None:
    """`git checkout HEAD~1 -- edition` after a run: the older text is a choice, not a crash."""
    older = edition(site).read_bytes()
    src = site / "content" / "ja" / POST
    src.write_text(src.read_text(encoding="utf-8").replace(SOURCE_SENTENCE, SOURCE_SENTENCE + "本当に。"), encoding="utf-8")
    assert run_cli("translate").exit_code == 0
    assert edition(site).read_bytes() != older
    assert json.loads(state_file(site).read_text(encoding="utf-8"))["previous_edition_sha256"] is None
    edition(site).write_bytes(older)
    assert run_cli("translate").exit_code == 0
    assert edition(site).read_bytes() == older


REPEATED_POST = "2025-12-25-amazon-trillion-yen-ai-infrastructure.md"  # a paragraph pasted twice (lines 95, 99)


def test_an_edit_to_the_second_copy_of_a_repeated_paragraph_is_kept(site: Path, deepl_env) -> None:
    path = site / "content" / "en" / REPEATED_POST
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    copies = [i for i, p in enumerate(paragraphs) if paragraphs.count(p) > 1 and "END" not in p]
    assert len(copies) == 2
    human = "Nobody, me included, can predict the future perfectly."
    paragraphs[copies[1]] = human
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    assert run_cli("translate").exit_code == 0
    after = path.read_text(encoding="utf-8").split("\n\n")
    assert after[copies[1]] == human
    record = json.loads((site / "translations" / (REPEATED_POST + ".json")).read_text(encoding="utf-8"))
    assert [s["o"] for s in record["segments"]].count("human") == 1


def test_a_glossary_change_in_the_same_push_does_not_drop_an_edit(site: Path, deepl_env) -> None:
    """The edit is not in the memory yet and the segment's cache key moved with the term:
    the translator's text must still win over a fresh machine translation."""
    text = edition(site).read_text(encoding="utf-8")
    paragraph = next(p for p in text.split("\n\n") if "generative AI" in p or "生成AI" in p)
    human = "A translator's own wording of this paragraph about generative artificial intelligence."
    edition(site).write_text(text.replace(paragraph, human), encoding="utf-8")
    terms = site / "glossary" / "terms.tsv"
    terms.write_text(terms.read_text(encoding="utf-8").replace("\tgenerative AI", "\tgenerative artificial intelligence"), encoding="utf-8")
    assert run_cli("translate").exit_code == 0
    assert human in edition(site).read_text(encoding="utf-8")


def test_a_hand_edited_tag_is_overridden_by_the_taxonomy_with_a_warning(site: Path, deepl_env) -> None:
    """Tags map through glossary/taxonomy.tsv for every post alike; a change made in one
    edition cannot win, but it must not vanish without a word either."""
    text = edition(site).read_text(encoding="utf-8")
    assert '"Latest News"' in text
    edition(site).write_text(text.replace('"Latest News"', '"News"', 1), encoding="utf-8")
    result = run_cli("translate", "--force")
    assert result.exit_code == 0
    assert '"Latest News"' in edition(site).read_text(encoding="utf-8")
    assert "taxonomy-override: tags[1] was edited to 'News'" in result.stderr
    assert "change glossary/taxonomy.tsv to keep it" in result.stderr


def test_an_edit_survives_a_paragraph_inserted_above_it_in_the_source(site: Path, deepl_env) -> None:
    human = human_edit(site)
    src = site / "content" / "ja" / POST
    text = src.read_text(encoding="utf-8")
    paragraph = next(p for p in text.split("\n\n") if SOURCE_SENTENCE in p)
    src.write_text(text.replace(paragraph, "新しく足した段落です。\n\n" + paragraph), encoding="utf-8")
    deepl_env.reset_log()
    assert run_cli("translate").exit_code == 0
    english = edition(site).read_text(encoding="utf-8").split("\n\n")
    at = english.index(human)
    assert "新しく足した段落です。" in english[at - 1]  # the new paragraph, translated, just above
    assert deepl_env.texts_sent == ["新しく足した段落です。"]


def test_translate_says_it_recorded_translator_edits_and_created_the_memory(site: Path, deepl_env) -> None:
    human_edit(site)
    result = run_cli("translate")
    assert result.exit_code == 0
    assert "recorded 1 translator edit(s) as approved English" in result.stdout, result.stdout
    assert "created translations/memory.jsonl: commit it" in result.stdout, result.stdout
    again = run_cli("translate", "--force")
    assert "translator edit" not in again.stdout and "memory.jsonl" not in again.stdout, again.stdout


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".pipeline.lock"}


def test_a_preview_into_another_folder_never_touches_the_committed_record(site: Path, deepl_env) -> None:
    """Issue 23: a pseudo preview into `preview/en` rewrote `translations/*.json`, and the next
    real run took every machine segment of `content/en` for a translator's edit ("recorded 99
    translator edit(s)"). The state names its editions' folder: the preview is refused with
    both folders named, or runs with a state folder of its own, and the record stays as it was."""
    record, english = tree_bytes(site / "translations"), tree_bytes(site / "content" / "en")
    (site / "preview.toml").write_text('[paths]\noutput = "preview/en"\n', encoding="utf-8")
    preview = run_cli("translate", "--engine", "pseudo", "--config", "preview.toml")
    assert preview.exit_code == 2, preview.stdout + preview.stderr
    assert "describes the editions in content/en, not preview/en" in preview.stderr, preview.stderr
    assert tree_bytes(site / "translations") == record and not (site / "preview").exists()
    (site / "preview.toml").write_text('[paths]\noutput = "preview/en"\nstate = "preview/state"\n', encoding="utf-8")
    assert run_cli("translate", "--engine", "pseudo", "--config", "preview.toml").exit_code == 0
    assert (site / "preview" / "en" / POST).is_file() and (site / "preview" / "state" / (POST + ".json")).is_file()
    deepl_env.reset_log()
    real = run_cli("translate")
    assert real.exit_code == 0 and "translator edit" not in real.stdout, real.stdout
    assert tree_bytes(site / "translations") == record and tree_bytes(site / "content" / "en") == english
    assert deepl_env.translate_requests == []
    memory = site / "translations" / "memory.jsonl"
    assert not memory.exists() or '"human"' not in memory.read_text(encoding="utf-8")


def test_a_state_record_naming_another_folder_is_never_read_as_this_one(site: Path, deepl_env) -> None:
    """A record that describes another folder's edition (copied in by hand, a preview's) is
    never read as this one's: its post fails naming both (the others go on); when it is the
    record the run checks first, the run is refused (exit 2) before anything is written."""
    english = tree_bytes(site / "content" / "en")
    other = site / "translations" / (REPEATED_POST + ".json")
    data = json.loads(other.read_text(encoding="utf-8"))
    assert data["edition"] == f"content/en/{REPEATED_POST}"
    other.write_text(json.dumps({**data, "edition": f"preview/en/{REPEATED_POST}"}), encoding="utf-8")
    result = run_cli("translate", "--force")
    assert result.exit_code == 1, result.stderr
    assert f"describes preview/en/{REPEATED_POST}, not content/en/{REPEATED_POST}" in result.stderr
    assert tree_bytes(site / "content" / "en") == english
    state_file(site).unlink()
    refused = run_cli("translate", "--force")
    assert refused.exit_code == 2 and "describes the editions in preview/en, not content/en" in refused.stderr
    assert tree_bytes(site / "content" / "en") == english


ADOPTED_SOURCE = """---
title: "リリースのお知らせ"
date: 2017-12-14 16:00:00 +0000
author: "nagachika"
translator: "usa"
lang: ja
---

新しい版を公開しました。詳しくは[案内](/ja/news/)をご覧ください。

* Ruby 2.5.0-preview1
* 修正版
"""


def test_an_adopted_edition_keeps_every_byte_its_translator_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """www.ruby-lang.org's English news, adopted: `--adopt` took only the segments that hold
    Japanese as the translator's, and wrote the Japanese post's bytes everywhere else: their
    `* Ruby 2.5 series: 2.5.0-preview1` became the source's `* Ruby 2.5.0-preview1`, their
    empty `translator:` the Japanese post's `translator: "usa"`, their `/en/` link `/ja/`.
    An adopted edition is a person's work through and through; the run keeps all of it and
    only starts tracking it (its state record)."""
    from helpers import make_site

    make_site(tmp_path, [])
    monkeypatch.chdir(tmp_path)
    post = "2017-12-14-release.md"
    (tmp_path / "content" / "ja" / post).write_text(ADOPTED_SOURCE, encoding="utf-8")
    english = (
        '---\ntitle: "Release announcement"\ndate: 2017-12-14 16:00:00 +0000\nauthor: "nagachika"\ntranslator:\nlang: en\n'
        "ref: 2017-12-14-release\n---\n\nA new version is out. See [the announcement](/en/news/) for details.\n\n"
        "* Ruby 2.5 series: 2.5.0-preview1\n* A fixed release\n"
    )
    edition = tmp_path / "content" / "en" / post
    edition.parent.mkdir(parents=True, exist_ok=True)
    edition.write_text(english, encoding="utf-8")
    adopted = run_cli("translate", "--engine", "pseudo", "--adopt")
    assert adopted.exit_code == 0, adopted.stdout + adopted.stderr
    assert edition.read_text(encoding="utf-8") == english
    again = run_cli("translate", "--engine", "pseudo")
    assert again.exit_code == 0 and edition.read_text(encoding="utf-8") == english
    assert run_cli("check", "--engine", "pseudo").exit_code == 0
    # and it is tracked: a new Japanese paragraph is translated, the translator's bytes stay
    source = tmp_path / "content" / "ja" / post
    source.write_text(ADOPTED_SOURCE.replace("* 修正版\n", "* 修正版\n\n追加の段落です。\n"), encoding="utf-8")
    assert run_cli("translate", "--engine", "pseudo").exit_code == 0
    grown = edition.read_text(encoding="utf-8")
    assert grown.startswith(english) and "tsuika" in grown[len(english) :], grown


def test_an_edition_whose_segments_only_number_the_same_is_not_adopted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """www.ruby-lang.org's Ruby 3.0.0 announcement: the English has as many segments as the
    Japanese, but a heading where the Japanese has a paragraph, and so on. Adopted by count,
    each English text was taken for the Japanese at its index, and a code comment got a
    paragraph's words. It is another text: left as it is, and said so."""
    from helpers import make_site

    make_site(tmp_path, [])
    monkeypatch.chdir(tmp_path)
    post = "2020-12-25-release.md"
    (tmp_path / "content" / "ja" / post).write_text("---\ntitle: 公開\n---\n\n前書きです。\n\n## 性能\n\n速くなりました。\n", encoding="utf-8")
    english = "---\ntitle: Released\n---\n\n## Performance\n\nIt is faster.\n\nMore to come.\n"
    edition = tmp_path / "content" / "en" / post
    edition.parent.mkdir(parents=True, exist_ok=True)
    edition.write_text(english, encoding="utf-8")
    refused = run_cli("translate", "--engine", "pseudo", "--adopt")
    assert refused.exit_code == 1 and "do not line up" in refused.stderr and "from segment 1 on" in refused.stderr, refused.stderr
    assert edition.read_text(encoding="utf-8") == english
    # and `status` says so, rather than promise that `--adopt` keeps it
    status = json.loads(run_cli("status", "--engine", "pseudo", "--json").stdout)
    (mine,) = [p for p in status["posts"] if Path(p["source"]).name == post]
    assert mine["state"] == "needs-merge" and "do not line up" in mine["reason"] and "--adopt" not in mine["reason"], mine


def test_an_edit_made_as_the_source_changed_is_kept_and_flagged(site: Path, deepl_env) -> None:
    """www.ruby-lang.org, 2020-09-29: the Japanese paragraph was reworded and, in the same
    push, the English translator brought their paragraph up to date. The run re-translated
    the paragraph over their new English. Both sides changed since the last run: the
    translator's text is kept (flagged for a look), never replaced by the engine's."""
    human = human_edit(site)  # no run between the edit and the source's change
    src = site / "content" / "ja" / POST
    src.write_text(src.read_text(encoding="utf-8").replace(SOURCE_SENTENCE, SOURCE_SENTENCE.replace("直感", "確信")), encoding="utf-8")
    deepl_env.reset_log()
    result = run_cli("translate", "--report", "r.json")
    assert result.exit_code == 0, result.stderr
    assert human in edition(site).read_text(encoding="utf-8")
    assert deepl_env.translate_requests == []
    flags = [w for p in json.loads((site / "r.json").read_text())["posts"] for w in p["warnings"]]
    assert [(w["code"], w["previous"]) for w in flags if w["code"] == "needs-review"] == [("needs-review", human)]
    again = run_cli("translate", "--report", "r2.json")
    assert again.exit_code == 0 and human in edition(site).read_text(encoding="utf-8")
    assert deepl_env.translate_requests == []
