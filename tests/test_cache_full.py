"""A cache folder that cannot take more (`database or disk is full`): one warning naming the
folder, the run goes on with the answers it holds, and nothing is bought twice."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import diskcache
import pytest
from helpers import NO_DEEPL_CONTEXT, editions, make_site, run_cli

try:
    from deepl_server import DeepLTestServer
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.deepl_server import DeepLTestServer

SHARED = "どの記事にも出てくる共通の段落です。"


def _site(root: Path) -> Path:
    make_site(root)
    (root / "content" / "ja" / "2025-01-01-a.md").write_text(f"---\ntitle: 最初\n---\n\n{SHARED}\n", encoding="utf-8")
    (root / "content" / "ja" / "2026-12-31-z.md").write_text(f"---\ntitle: 最後\n---\n\n{SHARED}\n\n別の段落です。\n", encoding="utf-8")
    # small windows: the shared paragraph is asked for in the first, and needed again in the last
    (root / "pipeline.toml").write_text("[translate]\nwindow_texts = 5\n" + NO_DEEPL_CONTEXT, encoding="utf-8")
    return root


def _fill_up(cache_dir: Path) -> None:
    """A real sqlite limit, kept by diskcache in its Settings table and applied on every
    connection: the database cannot grow by a single page, as on a full disk."""
    with diskcache.Cache(str(cache_dir)) as cache:
        pages = cache._sql("PRAGMA page_count").fetchone()[0]  # noqa: SLF001 - read-only look
    diskcache.Cache(str(cache_dir), sqlite_max_page_count=pages).close()


def test_a_full_cache_warns_once_keeps_going_and_buys_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env: DeepLTestServer
) -> None:
    reference = _site(tmp_path / "reference")
    monkeypatch.chdir(reference)
    assert run_cli("translate").exit_code == 0
    expected = editions(reference)
    deepl_env.reset_log()

    site = _site(tmp_path / "site")
    cache_dir = site / ".cache" / "pipeline"
    _fill_up(cache_dir)
    monkeypatch.chdir(site)
    result = run_cli("translate")
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "full" in line]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: {cache_dir.relative_to(site)}: "), result.stderr
    assert editions(site) == expected, "the run went on with the answers it held"
    sent = Counter(deepl_env.texts_sent)
    assert sent and max(sent.values()) == 1, "a text was bought twice within the run"
    with diskcache.Cache(str(cache_dir)) as cache:
        assert len(cache) < len(sent), "the limit really held"

    for again in (("translate",), ("translate", "--force")):
        assert run_cli(*again).exit_code == 0
    assert max(Counter(deepl_env.texts_sent).values()) == 1, "a later run bought again what this one paid for"
    shutil.rmtree(cache_dir)
