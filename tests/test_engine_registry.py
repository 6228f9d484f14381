"""Engines are plug-ins: registering one `EngineSpec` is all a new engine needs.

The toy engine below is defined and registered here and nowhere else; every command then
accepts it, lists it, fingerprints its options and runs it end to end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from helpers import make_site, run_cli

from pipeline.config import Settings, replace
from pipeline.engines import ENGINES, Engine, EngineResult, EngineSpec, Limits, Setup, engine_names, register
from pipeline.glossary import Glossary
from pipeline.state import settings_fingerprint


class ShoutEngine:
    """Upper-cases the text outside tags: visible, deterministic, offline."""

    name = "shout"
    limits = Limits(max_texts=3, max_bytes=64 * 1024)
    translates = True
    bills = False

    def __init__(self, volume: str) -> None:
        self.volume = volume
        self.calls: list[int] = []

    def settings(self) -> Mapping[str, object]:
        return {"engine": self.name, "volume": self.volume}

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        self.calls.append(len(texts))
        return [EngineResult(f"[{self.volume}] " + text, 0) for text in texts]


BUILT: list[ShoutEngine] = []
VOLUME = {"level": "loud"}


def _build(setup: Setup) -> Engine:
    BUILT.append(ShoutEngine(VOLUME["level"]))
    return BUILT[-1]


@pytest.fixture
def shout() -> Iterator[None]:
    register(EngineSpec("shout", "a toy engine", _build, options=lambda settings: {"shout": VOLUME["level"]}, billing_unit="shouts"))
    BUILT.clear()
    try:
        yield
    finally:
        ENGINES.pop("shout", None)
        VOLUME["level"] = "loud"


def test_a_registered_engine_translates_through_the_cli(shout: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run_cli("translate", "--engine", "shout")
    assert result.exit_code == 0, result.stderr
    assert "2 written" in result.stdout and "0 shouts billed" in result.stdout, result.stdout
    edition = next((tmp_path / "content" / "en").glob("*.md")).read_text(encoding="utf-8")
    assert "[loud] " in edition
    assert BUILT and all(n <= 3 for n in BUILT[-1].calls), "the engine's own request limits are used"
    state = json.loads(next((tmp_path / "translations").glob("*.md.json")).read_text(encoding="utf-8"))
    assert state["engine"] == "shout"
    assert run_cli("check", "--engine", "shout").exit_code == 0
    assert run_cli("check", "--engine", "identity").exit_code == 1  # another engine's editions would differ


def test_an_engine_option_makes_its_editions_stale(shout: None) -> None:
    settings = replace(Settings(), engine="shout")
    before = settings_fingerprint(settings, Glossary())
    VOLUME["level"] = "quiet"
    assert settings_fingerprint(settings, Glossary()) != before


def test_every_command_takes_only_registered_engines_and_lists_them(shout: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "shout" in engine_names()
    for command in (["translate"], ["status"], ["check"]):
        result = run_cli(*command, "--engine", "nonesuch")
        assert result.exit_code == 2
        assert "unknown engine 'nonesuch'" in result.stderr and "shout" in result.stderr, result.stderr
    monkeypatch.setenv("COLUMNS", "200")
    help_text = run_cli("translate", "--help").stdout
    for name in ("deepl", "pseudo", "identity"):
        assert name in help_text
