"""4. Billing: the characters billed after editing one paragraph, against its length."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from benchmarks.figure import Context, Figure, Results
from benchmarks.figures.requests import cold_run
from benchmarks.inputs import bench_settings, failures, statuses
from benchmarks.server import CountingEngine, Server, deepl_engine
from benchmarks.table import Row
from pipeline.cache import TranslationCache
from pipeline.japanese import JAPANESE
from pipeline.post import read_post
from pipeline.run import Translator
from pipeline.segment import split
from pipeline.translate import billable_length

EDIT = "この一文はベンチマークで追加しました。"  # appended to one paragraph for the billing figure


def pick_paragraph(files: list[Path]) -> tuple[Path, int, int, str] | None:
    """The first single-line, markup-free Japanese paragraph of at least 40 characters."""
    for path in files:
        post = read_post(path)
        for segment in split(post.body).segments:
            text = segment.source
            if (
                segment.kind == "paragraph"
                and not segment.protected.elements
                and "\n" not in text
                and "\r" not in text
                and len(text) >= 40
                and JAPANESE.search(text)
                and not re.search(r"[`*_<>\[\]!&{}$\\|~#]", text)
            ):
                return path, post.body_start + segment.start, post.body_start + segment.end, text
    return None


def billing(server: Server, tree: Path, files: list[Path], tmp: Path) -> dict[str, Any]:
    """After the cold run in `tmp`: drop the cache (a fresh clone), edit one paragraph, run again."""
    settings = bench_settings(tmp, tree, "deepl")
    picked = pick_paragraph(files)
    if picked is None:
        return {"error": "no plain single-line Japanese paragraph found in the tree"}
    path, start, end, old = picked
    new = old + EDIT
    post = read_post(path)
    path.write_bytes(post.with_text(post.text[:start] + new + post.text[end:]))
    shutil.rmtree(settings.path(settings.cache_dir))
    engine = CountingEngine(deepl_engine(server.url, settings))
    before = server.billed()
    with TranslationCache(settings.path(settings.cache_dir)) as cache:
        report = Translator(settings, engine, cache).run(files)
    billed = server.billed() - before
    length = len(new)
    return {
        "post": path.name,
        "paragraph": new,
        "paragraph_characters": length,
        "paragraph_billable": billable_length(new),
        "billed_characters": billed,
        "client_billed_characters": report.usage.billed_characters,
        "requests": len(engine.calls),
        "texts_sent": [t for _, _, texts in engine.calls for t in texts],
        "statuses": statuses(report),
        "failures": failures(report),
        "ratio": billed / length,
    }


def measure(ctx: Context) -> Results:
    cold = cold_run(ctx)
    ctx.step("4. billing: edit one paragraph, drop the cache, run again")
    return {"billing": billing(cold.server, cold.tree, cold.files, cold.folder)}


def rows(results: Results) -> list[Row]:
    b = results["billing"]
    if "error" in b:
        return [{"figure": "4. Billing", "measured": b["error"], "baseline": "", "ratio": "", "target": "1.0", "met": False}]
    return [
        {
            "figure": "4. Billing: characters billed after editing one paragraph (cache deleted) vs its length",
            "measured": f"{b['billed_characters']} chars",
            "baseline": f"{b['paragraph_characters']} chars",
            "ratio": f"{b['ratio']:.3f}",
            "target": "exactly 1.0",
            "met": b["billed_characters"] == b["paragraph_characters"],
        }
    ]


FIGURE = Figure(4, "billing", measure, rows)
