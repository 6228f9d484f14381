"""What a new user reads first: `--help` and the command reference (docs/cli.md)."""

from __future__ import annotations

import re

import pytest
import typer
from helpers import REPO, run_cli

from pipeline.cli import app

COMMANDS = [["translate"], ["status"], ["check"], ["lint"], ["review"], ["export"], ["import"], ["glossary", "check"], ["site", "check"], ["config-reference"], []]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "pipeline")
def test_help_shows_no_type_for_flags_and_choices_for_the_target(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert "<bool>" not in result.stdout, result.stdout
    assert "<str>" not in result.stdout, result.stdout
    if command in (["translate"], ["status"], ["check"]):
        assert re.search(r"--to\s+CODE\[,CODE…\]\s+Target language\(s\), DeepL's codes", result.stdout), result.stdout


def test_command_reference_documents_every_translate_option() -> None:
    reference = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    command = typer.main.get_command(app).commands["translate"]  # type: ignore[attr-defined]
    options = [o for p in command.params for o in p.opts if o.startswith("--")]
    assert "--retry-flagged" in options and "--summary" in options
    assert [o for o in options if f"`{o}" not in reference] == []
