"""Bad input: each file gets its clear one-line error naming file and line; the rest translate."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import REPO, SAMPLES, make_site, run_cli

BAD = REPO / "tests" / "fixtures" / "bad"


def expectations() -> list[tuple[str, str, str]]:
    rows = []
    for line in (BAD / "expected.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, number, message = line.split("\t")
            rows.append((name, number, message))
    return rows


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_site(tmp_path)
    for name, _, _ in expectations():
        shutil.copy(BAD / name, tmp_path / "content" / "ja" / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_each_bad_file_gets_its_error_and_the_good_posts_are_translated(site: Path) -> None:
    result = run_cli("translate", "--engine", "pseudo")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    editions = site / "content" / "en"
    for name, line, message in expectations():
        path = f"content/ja/{name}"
        if message == "ok":
            assert (editions / name).is_file(), name
            assert not any(path in e for e in errors), name
        elif message.startswith("warning: "):
            assert (editions / name).is_file(), name
            assert f"{path}:{line}: " in result.stderr and message[len("warning: "):] in result.stderr
        else:
            matching = [e for e in errors if f"{path}:" in e or e.startswith(f"error: {path}")]
            assert len(matching) == 1, (name, errors)
            where = f"{path}:{line}: " if line != "-" else f"{path}: "
            assert where in matching[0] and message in matching[0], matching[0]
            assert not (editions / name).exists(), f"{name} must not get an edition"
    for sample in SAMPLES:
        assert (editions / sample.name).is_file()
    assert not (site / "PWNED").exists(), "a YAML tag was executed"


def test_bom_and_crlf_are_preserved(site: Path) -> None:
    assert run_cli("translate", "--engine", "pseudo", "content/ja/bom-crlf.md").exit_code == 0
    data = (site / "content" / "en" / "bom-crlf.md").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf---\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"lang: en\r\nref: bom-crlf\r\n---\r\n" in data


def test_unicode_edge_cases_survive_identity_byte_for_byte(site: Path) -> None:
    for name in ("unicode.md", "deep-nesting.md"):
        assert run_cli("translate", "--engine", "identity", f"content/ja/{name}").exit_code == 0
        source = (BAD / name).read_bytes()
        edition = (site / "content" / "en" / name).read_bytes()
        head = b"lang: en\nref: " + name[:-3].encode() + b"\n"
        assert edition == source.replace(b"\n---\n", b"\n" + head + b"---\n", 1)


def test_fail_fast_stops_at_the_first_failure(site: Path) -> None:
    result = run_cli("translate", "--engine", "pseudo", "--fail-fast")
    assert result.exit_code == 1
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
