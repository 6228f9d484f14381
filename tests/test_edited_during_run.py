"""An edition a translator saves while `translate` runs is never overwritten (issue 25):
`edition.commit` replaces only the file the run read; the post is skipped with "edited
during the run", and the next run takes the edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from deepl_server import DeepLTestServer
from helpers import SAMPLES, make_site, run_cli

POST = SAMPLES[0].name
TRANSLATOR = "A translator saved this sentence while the run was translating."


def _translator_version(edition: Path) -> str:
    text = edition.read_text(encoding="utf-8")
    first = next(line for line in text.split("\n") if line.startswith("EN: ") and len(line) > 20)
    return text.replace(first, TRANSLATOR, 1)


def test_a_save_during_the_request_phase_survives_and_the_next_run_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer
) -> None:
    make_site(tmp_path, [SAMPLES[0]])
    monkeypatch.chdir(tmp_path)
    assert run_cli("translate").exit_code == 0
    source, edition = tmp_path / "content" / "ja" / POST, tmp_path / "content" / "en" / POST
    state_file = tmp_path / "translations" / f"{POST}.json"
    state_before = state_file.read_bytes()
    source.write_text(source.read_text(encoding="utf-8") + "\n著者が追加した段落です。\n", encoding="utf-8")
    saved = _translator_version(edition)

    def save_while_answering(text: str, params: dict[str, Any]) -> str:
        if edition.read_text(encoding="utf-8") != saved:
            edition.write_text(saved, encoding="utf-8")  # the translator's editor saves mid-request
        return "EN: " + text

    deepl_env.set_translator(save_while_answering)
    result = run_cli("translate")
    output = result.stdout + result.stderr
    assert result.exit_code == 0, output
    assert "edited during the run" in output and "1 skipped" in output, output
    assert edition.read_text(encoding="utf-8") == saved  # the save survived, byte for byte
    assert state_file.read_bytes() == state_before  # the state still describes the edition read before
    deepl_env.set_translator(None)
    again = run_cli("translate")
    assert again.exit_code == 0, again.stdout + again.stderr
    english = edition.read_text(encoding="utf-8")
    assert TRANSLATOR in english and "著者が追加した段落です。" in english  # the edit kept, the new paragraph translated
    assert json.loads(state_file.read_text(encoding="utf-8"))["edition_sha256"] != json.loads(state_before)["edition_sha256"]
