"""What the figures run on: the corpus, the synthetic tree built from it, the settings of a
benchmark run, and the two summaries of a run's report every figure records."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.config import Settings, replace
from pipeline.post import parse_post
from pipeline.run import RunReport

REPO = Path(__file__).resolve().parent.parent


def find_corpus(explicit: Path | None) -> Path:
    """The vendored corpus (runs from a fresh clone), else the shared one next to the repo."""
    candidates = [explicit] if explicit else [REPO / "tests" / "fixtures" / "corpus" / "ja", REPO.parent / "shared" / "corpus" / "ja"]
    for candidate in candidates:
        if candidate is not None and candidate.is_dir() and any(candidate.rglob("*.md")):
            return candidate
    raise SystemExit(f"no corpus found (looked in {', '.join(str(c) for c in candidates)})")


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.md"))


def build_tree(files: Sequence[Path], count: int, dest: Path) -> list[Path]:
    """`count` Jekyll-named posts from the corpus, deterministically.

    Post i is corpus file i mod len(files). The first copy of each file is byte for byte the
    original; later copies get one extra lead paragraph naming the copy, so every post
    differs from every other while most of its paragraphs repeat an earlier post's (as an
    edited re-post would). Names are YYYY-MM-DD-NNNN-slug.md, one day apart.
    """
    dest.mkdir(parents=True, exist_ok=True)
    start = dt.date(2020, 1, 1)
    paths = []
    for i in range(count):
        source = files[i % len(files)]
        copy = i // len(files)
        raw = source.read_bytes()
        if copy:
            post = parse_post(source, raw)
            lead = f"この記事はベンチマーク用の複製（第{copy + 1}版、通し番号{i}）です。{post.newline}{post.newline}"
            text = post.text[: post.body_start] + lead + post.text[post.body_start :]
            raw = post.with_text(text)
        slug = re.sub(r"[^a-z0-9]+", "-", source.stem.split("__")[-1].lower()).strip("-") or "post"
        path = dest / f"{start + dt.timedelta(days=i)}-{i:04d}-{slug}.md"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def bench_settings(tmp: Path, source_dir: Path, engine: str) -> Settings:
    """Defaults, with every folder in `tmp` (the source may be elsewhere) and no glossary."""
    return replace(
        Settings(root=tmp),
        source_dir=source_dir,
        output_dir=tmp / "en",
        state_dir=tmp / "translations",
        cache_dir=tmp / "cache",
        glossary_dir=tmp / "glossary",
        engine=engine,
    )


def fresh_caches() -> None:
    """Every cache of the pipeline's that holds what a text gave (an HTML block's events, a
    text's size) emptied: a run timed after another in the same process would otherwise
    read the one before's, where a run of the CLI starts with none. The caches of what
    settings give (a parser, a lexer) stay: a run builds them once."""
    for name, module in list(sys.modules.items()):
        if name == "pipeline" or name.startswith("pipeline."):
            for value in list(vars(module).values()):
                parameters = getattr(value, "cache_parameters", None)
                if callable(parameters) and parameters().get("maxsize") is not None:
                    value.cache_clear()


def failures(report: RunReport) -> list[str]:
    return [f"{p.source.name}: {p.error}" for p in report.posts if p.status in ("failed", "needs-merge")]


def statuses(report: RunReport) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in report.posts:
        counts[p.status] = counts.get(p.status, 0) + 1
    return counts
