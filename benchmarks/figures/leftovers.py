"""6. Japanese left outside code after the pseudo engine, against the source's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.figure import Context, Figure, Results
from benchmarks.inputs import REPO
from benchmarks.table import Row
from pipeline.cache import MemoryCache
from pipeline.config import Settings, create_engine
from pipeline.run import Translator


def leftovers(files: list[Path], tmp: Path) -> dict[str, Any]:
    """6. What stays Japanese (issue 14): the corpus and the sample posts through the pseudo
    engine; Japanese characters outside code left in the English, against the source's.
    Props of MDX-style components (`<Diagram alt="…">`) are the stated exception: reported,
    not counted against the target."""
    samples = sorted((REPO / "content" / "ja").glob("*.md"))
    everything = [*files, *samples]
    source = left = components = kept = 0
    for folder in sorted({f.parent for f in everything}):
        # a state folder per output folder: a state describes the editions of one folder
        output, state = tmp / "en" / folder.name, tmp / "state" / folder.name
        settings = Settings(root=tmp, source_dir=folder, output_dir=output, state_dir=state, dialect="kramdown")
        report = Translator(settings, create_engine("pseudo"), MemoryCache()).run([f for f in everything if f.parent == folder])
        for post in report.posts:
            source += post.leftover.source.total
            left += post.leftover.left.counted
            components += post.leftover.left.components
            kept += post.leftover.kept_segments
    return {
        "posts": len(everything),
        "source_characters": source,
        "left_characters": left,
        "component_characters": components,
        "kept_segments": kept,
        "ratio": left / source if source else 0.0,
    }


def measure(ctx: Context) -> Results:
    ctx.step("6. leftovers: the corpus and the samples through the pseudo engine")
    return {"leftovers": leftovers(ctx.files, ctx.tmp / "leftovers")}


def rows(results: Results) -> list[Row]:
    lo = results["leftovers"]
    return [
        {
            "figure": (
                f"6. Japanese left outside code, pseudo engine, {lo['posts']} corpus and sample posts "
                f"(component props excepted: {lo['component_characters']:,} chars; {lo['kept_segments']} segments kept)"
            ),
            "measured": f"{lo['left_characters']:,} chars",
            "baseline": f"{lo['source_characters']:,} chars",
            "ratio": f"{lo['ratio']:.4%}",
            "target": "≤ 0.1%",
            "met": lo["ratio"] <= 0.001,
        }
    ]


FIGURE = Figure(6, "leftovers", measure, rows)
