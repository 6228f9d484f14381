"""`pipeline review`, `export` and `import`: the translator's side of the pipeline.

The work is in `pipeline.review` (collect, render, XLIFF); these commands pick the posts,
write the files atomically and print the paths they wrote.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from pipeline.cli.common import (
    edge,
    ConfigOption,
    PathsArgument,
    TargetOption,
    err,
    expand_paths,
    load_term_base,
    out,
    run_lock,
    settings_for_targets,
    settings_from,
)
from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.glossary import Glossary
from pipeline.post import write_file
from pipeline.review import vcs
from pipeline.review.collect import changed_posts, collect, last_run, written_by
from pipeline.review.html import render_html
from pipeline.review.markdown import render_summary
from pipeline.review.xliff.export import export as export_xliff
from pipeline.review.xliff.export import needs_review
from pipeline.review.xliff.importing import import_file, target_language


def _setup(config: Path | None, to: str | None = None) -> list[tuple[Settings, Glossary]]:
    """Every language the command works on (`--to`, else the configured targets), with its term base."""
    return [(settings, load_term_base(settings)) for settings in settings_for_targets(config, to)]


def _named(settings: Settings, paths: list[str]) -> list[Path]:
    return expand_paths(settings, paths, must_exist=True)


@edge
def review(
    paths: PathsArgument = None,
    since: Annotated[
        Optional[str],
        typer.Option(
            "--since",
            metavar="GIT_REV",
            help="Review every post changed since this git revision (default: the posts the last run wrote, against HEAD).",
        ),
    ] = None,
    out_dir: Annotated[
        Optional[Path],
        typer.Option("--out", metavar="DIR", help="Where to write report.html and summary.md.", show_default="<cache>/review"),
    ] = None,
    to: TargetOption = None,
    config: ConfigOption = None,
) -> None:
    """Write a side-by-side HTML review report and a short Markdown summary of what changed.

    Per post and changed segment: the Japanese (changes marked), the previous and the new English (word differences marked), where the English came from, and flags (glossary misses, Japanese left, lost tags, odd length, segments needing review). The HTML file is self-contained: open it in any browser, offline. With several target languages, one report per language (report.ko.html beside report.html)."""
    languages = _setup(config, to)
    for settings, glossary in languages:
        try:
            _review(settings, glossary, paths, since, out_dir)
        except ConfigError as exc:
            if len(languages) == 1:
                raise
            err.print(f"[yellow]{escape(settings.target_lang)}:[/yellow] {escape(exc.message)}")  # the other languages still get theirs


def _review(settings: Settings, glossary: Glossary, paths: list[str] | None, since: str | None, out_dir: Path | None) -> None:
    """One language's review report and summary."""
    run = last_run(settings)
    if since is not None:
        base: str | None = vcs.verify(since, settings.root)
        posts = _named(settings, paths) if paths else changed_posts(settings, since)
        scope = f"{len(posts)} post(s) " + ("named on the command line" if paths else f"changed since {since}")
    else:
        base = "HEAD" if vcs.in_repository(settings.root) and vcs.has_commit("HEAD", settings.root) else None
        if paths:
            posts, scope = _named(settings, paths), "posts named on the command line"
        elif run is None:
            raise ConfigError(
                f"no last run to review ({settings.cache_dir}/last-run.json is missing): run `pipeline translate` "
                "first, or name posts, or pass --since GIT_REV"
            )
        else:
            posts, scope = written_by(run, settings), "posts written by the last run"
    report = collect(settings, glossary, posts, base, scope, run)
    folder = out_dir or settings.path(settings.cache_dir) / "review"
    html_path, summary_path = settings.language_file(folder / "report.html"), settings.language_file(folder / "summary.md")
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    write_file(html_path, render_html(report, generated).encode("utf-8"), "the review")
    write_file(summary_path, render_summary(report, html_path.as_posix()).encode("utf-8"), "the review's summary")
    flags = sum(report.flag_counts.values())
    out.print(f"reviewed {len(report.posts)} post(s): {report.rows} changed segment(s), {flags} flag(s)")
    out.print(f"report: {html_path}")
    out.print(f"summary: {summary_path}")


@edge
def export(
    paths: PathsArgument = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE.xlf", help="Where to write the XLIFF file.", show_default="<cache>/review/export.xlf"),
    ] = None,
    all_posts: Annotated[bool, typer.Option("--all", help="Every post, not only those needing review.")] = False,
    to: TargetOption = None,
    config: ConfigOption = None,
) -> None:
    """Export segments to XLIFF 1.2 for a CAT tool (OmegaT, Trados, memoQ).

    Default: the posts needing review (a segment flagged by the state or by the last run). The current English is pre-filled; machine translation is marked needs-review-translation, a translator's edit translated, approved text final. With several target languages, one file per language (its target-language set; export.ko.xlf beside export.xlf)."""
    codes = [_export(settings, glossary, paths, output, all_posts) for settings, glossary in _setup(config, to)]
    if any(codes):
        raise typer.Exit(max(codes))


def _export(settings: Settings, glossary: Glossary, paths: list[str] | None, output: Path | None, all_posts: bool) -> int:
    """One language's XLIFF file; the exit code it calls for."""
    run = last_run(settings)
    source_dir = settings.path(settings.source_dir)
    if paths:
        posts = _named(settings, paths)
    else:
        posts = sorted(source_dir.rglob("*.md")) if source_dir.is_dir() else []
        if not all_posts:
            posts = [p for p in posts if needs_review(p, settings, run)]
    if not posts:
        out.print(f"{settings.target_lang}: nothing needs review; name posts, or pass --all")
        return 0
    result = export_xliff(posts, settings, glossary, run)
    for why in result.skipped:
        err.print(f"[yellow]skipped:[/yellow] {escape(why)}")
    if not result.units:
        out.print(f"{settings.target_lang}: no segment to export")
        return 1 if result.skipped else 0
    path = settings.language_file(output or settings.path(settings.cache_dir) / "review" / "export.xlf")
    write_file(path, result.xml.encode("utf-8"), "the XLIFF file")
    out.print(f"exported {result.units} segment(s) of {result.posts} post(s) to {path}")
    return 0


@edge
def import_(
    file: Annotated[Path, typer.Argument(metavar="FILE.xlf", help="An XLIFF file written by `pipeline export` and edited in a CAT tool.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and list what would change; write nothing.")] = False,
    config: ConfigOption = None,
) -> None:
    """Apply the units an XLIFF file marks translated or final to the English editions (or the
    editions of the language its target-language names: `ko` writes the Korean ones).

    Each applied segment is recorded as approved in the state and the translation memory. Units whose Japanese changed since export are refused (with file and line), and then nothing is written."""
    settings = settings_from(config)
    language = target_language(file)
    if language is not None:
        settings = settings_from(config, to=language)
    glossary = load_term_base(settings)
    with run_lock(settings):  # the lock `translate` holds: never write editions at the same time
        result = import_file(file, settings, glossary, dry_run=dry_run)
    verb = "would apply" if dry_run else "applied"
    for change in result.edited:
        out.print(f"{verb}: {change.post} {change.label}", markup=False)
    for change in result.approved:
        out.print(f"{'would approve' if dry_run else 'approved'}: {change.post} {change.label} (text unchanged)", markup=False)
    out.print(
        f"{len(result.edited)} segment(s) {verb}, {len(result.approved)} approved as they were, "
        f"{result.unchanged} unchanged, {result.not_marked} not marked translated or final"
    )
