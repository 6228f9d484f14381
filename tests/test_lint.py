"""`pipeline lint`: golden findings for crafted inputs, and the real sample posts' accidents."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli.lint import lint
from pipeline.lint import LintFinding, lint_paths, lint_text

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "lint"
AWS = ROOT / "content" / "ja" / "2025-09-30-aws-ai-revenue.md"
AMAZON = ROOT / "content" / "ja" / "2025-12-25-amazon-trillion-yen-ai-infrastructure.md"


def codes_at(findings: list[LintFinding]) -> set[tuple[int, str]]:
    return {(f.line, f.code) for f in findings}


@pytest.mark.parametrize("source", sorted(FIXTURES.glob("*.md")), ids=lambda p: p.stem)
def test_golden(source: Path) -> None:
    """Each fixture's findings, as `line: CODE message`, match its .expected file exactly."""
    findings = lint_text(Path(source.name), source.read_text(encoding="utf-8"))
    got = "".join(f"{f.line}: {f.code} {f.message}\n" for f in findings)
    assert got == source.with_suffix(".expected").read_text(encoding="utf-8")


def test_clean_post_has_no_findings() -> None:
    assert lint_paths([FIXTURES / "2025-01-01-clean.md"]) == []


def test_aws_sample_real_accidents() -> None:
    """Verified by reading the file: ---END--- on line 80; line 40 re-pastes two sentences of line 30."""
    found = codes_at(lint_paths([AWS]))
    assert (80, "M003") in found
    assert (40, "M002") in found
    assert (12, "M008") in found  # the body opens by repeating the title


def test_amazon_sample_real_accidents() -> None:
    """Verified by reading the file.

    Line 99 repeats paragraph 95; ---END--- on lines 97, 121 and 140 (140 glued to the paragraph
    on 139); line 119 stops at 「革新的な」 and line 123 resumes with 「...革新的な」; lines 109
    and 115 have **「…」**が bold that CommonMark does not close; line 61 repeats 59's last sentence.
    """
    findings = lint_paths([AMAZON])
    found = codes_at(findings)
    assert (99, "M001") in found
    assert {(97, "M003"), (121, "M003"), (140, "M003")} <= found
    assert {(109, "M004"), (115, "M004")} <= found
    assert {(119, "M005"), (123, "M005")} <= found
    assert (61, "M002") in found
    repeated = next(f for f in findings if f.code == "M001")
    assert "95" in repeated.message and "99" in repeated.message
    assert all(f.path == AMAZON for f in findings)


def test_samples_have_no_false_alarms() -> None:
    """Everything reported on the samples is one of the accidents listed above."""
    expected = {
        AWS: {(12, "M008"), (40, "M002"), (80, "M003")},
        AMAZON: {
            (12, "M008"), (61, "M002"), (97, "M003"), (99, "M001"), (109, "M004"), (115, "M004"),
            (119, "M005"), (121, "M003"), (123, "M005"), (140, "M003"),
        },
    }
    for path, wanted in expected.items():
        assert codes_at(lint_paths([path])) == wanted, path


def test_line_numbers_count_the_front_matter() -> None:
    text = "---\ntitle: x\ndate: 2025-01-01\nextra: 1\n---\n\n---END---\n"
    assert [(f.line, f.code) for f in lint_text(Path("2025-01-01-x.md"), text)] == [(7, "M003")]


def test_crlf_and_bom_are_tolerated() -> None:
    text = "\ufeff---\r\ntitle: x\r\ndate: 2025-01-01\r\n---\r\n\r\n本文です。\r\n\r\n---END---\r\n"
    assert [(f.line, f.code) for f in lint_text(Path("2025-01-01-x.md"), text)] == [(8, "M003")]


def test_not_utf8_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "2025-01-01-sjis.md"
    path.write_bytes("---\ntitle: 題\n---\n本文".encode("shift_jis"))
    assert [(f.line, f.code) for f in lint_paths([path])] == [(2, "F007")]
    assert "column 8" in lint_paths([path])[0].message and "re-save the file as UTF-8" in lint_paths([path])[0].message


def test_directories_expand_to_markdown_files(tmp_path: Path) -> None:
    (tmp_path / "2025-01-01-a.md").write_text("---\ntitle: a\ndate: 2025-01-01\n---\n\n本文です。\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("---END---\n", encoding="utf-8")
    assert lint_paths([tmp_path]) == []


# --------------------------------------------------------------------------------------
# Command line


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("lint")(lint)

    @app.callback()
    def main() -> None:
        """Stand-in for pipeline.cli's app."""

    return app


def test_cli_prints_file_line_code_and_count() -> None:
    result = CliRunner().invoke(cli(), ["lint", str(FIXTURES / "2025-01-03-markers.md")])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0] == f"{FIXTURES / '2025-01-03-markers.md'}:8: M003 stray end marker '---END---'; delete it"
    assert lines[-1] == "6 findings in 1 file"


def test_cli_strict_exits_1_on_findings_and_0_when_clean() -> None:
    assert CliRunner().invoke(cli(), ["lint", "--strict", str(FIXTURES / "2025-01-03-markers.md")]).exit_code == 1
    clean = CliRunner().invoke(cli(), ["lint", "--strict", str(FIXTURES / "2025-01-01-clean.md")])
    assert clean.exit_code == 0 and clean.output.strip() == "0 findings in 0 files"


def test_cli_defaults_to_content_ja(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli(), ["lint"])
    assert result.exit_code == 0
    assert "content/ja/2025-12-25-amazon-trillion-yen-ai-infrastructure.md:99: M001" in result.output


def test_cli_missing_path_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli(), ["lint", str(tmp_path / "nope.md")])
    assert result.exit_code == 2


def test_under_kramdown_the_bold_kramdown_renders_is_no_finding() -> None:
    """Lines 109 and 115 are bold on the Jekyll page (kramdown closes `**` after `」`):
    the lint reads posts as the site renders them, so they are no accident there."""
    commonmark = codes_at(lint_paths([AMAZON]))
    kramdown = codes_at(lint_paths([AMAZON], dialect="kramdown"))
    assert {(109, "M004"), (115, "M004")} <= commonmark
    assert not {c for c in kramdown if c[1] == "M004"}
    assert commonmark - kramdown == {(109, "M004"), (115, "M004")}


def test_under_kramdown_asterisks_the_reader_sees_are_still_reported() -> None:
    found = lint_text(Path("2025-01-01-a.md"), "---\ntitle: a\ndate: 2025-01-01\n---\n\n**強調が閉じない文です。\n", dialect="kramdown")
    assert [(f.line, f.code) for f in found] == [(6, "M004")]


FENCE_WORDS = "---\ntitle: a\ndate: 2025-01-01\n---\n\n本文です。\n\n```js {1,4}\nconst a = 1;\n```\n\nここは散文です。\n\n```js\nx\n```\n"


def test_under_kramdown_a_fence_with_a_spaced_info_string_is_reported() -> None:
    """kramdown-parser-gfm takes no fence with a two-word info string: its code and the prose
    after it change places on the page. Under CommonMark the same fence is fine."""
    found = lint_text(Path("2025-01-01-a.md"), FENCE_WORDS, dialect="kramdown")
    assert [(f.line, f.code) for f in found] == [(8, "M009")]
    assert "write ```js" in found[0].message
    assert lint_text(Path("2025-01-01-a.md"), FENCE_WORDS) == []


def test_cli_prints_brackets_in_a_message_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "content" / "ja").mkdir(parents=True)
    (tmp_path / "content" / "ja" / "2025-01-01-a.md").write_text(FENCE_WORDS.replace("{1,4}", "[vite.config.js]"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli(), ["lint"])
    assert "'```js [vite.config.js]'" in result.output, result.output
