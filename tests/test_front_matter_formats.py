"""One front matter reader for every command: a TOML post (`+++`) is read by lint and by the
site check as a YAML one is, not as a post without front matter."""

from __future__ import annotations

from pathlib import Path

from pipeline.frontmatter import FORMATS
from pipeline.lint import lint_text
from pipeline.site.checks import front_matter

TOML_POST = '+++\ntitle = "東京の話"\ndate = 2025-01-05\nlang = "ja"\n+++\n\n東京についての段落です。\n'


def test_lint_reads_toml_front_matter() -> None:
    assert [(f.line, f.code) for f in lint_text(Path("2025-01-05-toml.md"), TOML_POST)] == []


def test_lint_names_a_missing_toml_field_and_a_broken_toml_line() -> None:
    no_date = TOML_POST.replace("date = 2025-01-05\n", "")
    assert [(f.code, f.message) for f in lint_text(Path("2025-01-05-toml.md"), no_date)] == [("F003", "front matter date is missing")]
    broken = TOML_POST.replace('title = "東京の話"', 'title = "東京の話')
    found = [(f.line, f.code) for f in lint_text(Path("2025-01-05-toml.md"), broken)]
    assert found == [(2, "F002")], found


def test_lint_holds_a_toml_source_to_the_source_language() -> None:
    english = TOML_POST.replace('lang = "ja"', 'lang = "en"')
    assert [(f.line, f.code) for f in lint_text(Path("2025-01-05-toml.md"), english)] == [(4, "F005")]
    assert lint_text(Path("2025-01-05-toml.md"), english, lang="en") == []


def test_the_site_check_reads_toml_front_matter(tmp_path: Path) -> None:
    post = tmp_path / "2025-01-05-toml.md"
    post.write_text(TOML_POST, encoding="utf-8")
    assert front_matter(post) == {"title": "東京の話", "date": FORMATS["toml"].load('d = 2025-01-05')["d"], "lang": "ja"}
    post.write_text("+++\ntitle = \n+++\n", encoding="utf-8")
    assert front_matter(post) is None
