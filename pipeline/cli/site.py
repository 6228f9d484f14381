"""`pipeline site check` and `pipeline site build`: run the core in `pipeline.site`, print
its report as a per-post table."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.common import App
from pipeline.config import Settings, load_settings
from pipeline.target import all_target_settings
from pipeline.errors import PipelineError
from pipeline.glossary import load_glossary
from pipeline.site.build import build
from pipeline.site.checks import PostRow, SiteReport, check_site_editions, dialect_mismatch
from pipeline.site.pages import Intent
from pipeline.survey import translator_texts

site_app = App(help="Build the bilingual Jekyll site (site/) and check the English editions in it.")


def read_allow_file(path: Path | None) -> list[str]:
    """One allowed Japanese name per line; blank lines and # comments ignored."""
    if path is None:
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def make_console() -> Console:
    """A console for the report; CI logs are not terminals, and 80 columns fold the table."""
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 160)
    return console


def glossary_names(directory: Path) -> list[str]:
    """Names the term base says are never translated: they may stay Japanese in English text."""
    return list(load_glossary(directory).names)


def _mark(ok: bool) -> str:
    return "[green]ok[/green]" if ok else "[red]FAIL[/red]"


def _count(items: list[str]) -> str:
    return "[green]0[/green]" if not items else f"[red]{len(items)}[/red]"


def _render_stopped(stopped: str, report: SiteReport, console: Console) -> None:
    console.print(stopped, markup=False, highlight=False, soft_wrap=True)
    for line in [*(f"jekyll: {w}" for w in report.warnings), *(f"site: {p}" for p in report.problems)]:
        console.print(line, markup=False, highlight=False)
    console.print("[red]site check failed[/red]: the Jekyll build stopped at that post; fix it and check again")


def render_report(report: SiteReport, console: Console, language: str = "en") -> None:
    """The per-post table, then the details of every failure; or, when a post stopped the
    build, that post and line first, as nothing else was built to check. What left posts
    unbuilt (a missing layout) comes before all of it. `language`: the edition language the
    report is about."""
    for cause in report.causes:
        console.print(f"site: {cause}", markup=False, highlight=False)
    if report.stopped is not None:
        _render_stopped(report.stopped, report, console)
        return
    table = Table(title="Site check" + ("" if language == "en" else f": {language}"), show_lines=False)
    columns = (
        "post",
        "ja page",
        f"{language} page",
        "lang",
        "hreflang",
        "structure",
        "Japanese left",
        "broken links",
        "warnings",
        "result",
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in report.rows:
        table.add_row(
            row.post,
            row.ja_page or "[red]missing[/red]",
            row.en_page or "[red]missing[/red]",
            _mark(row.lang_ok),
            _mark(row.hreflang_ok),
            _mark(row.structure is None),
            _count(row.leftover_japanese),
            _count(row.broken_links),
            _count(row.warnings),
            _mark(row.ok),
        )
    console.print(table)
    for row in report.rows:
        for detail in _details(row):
            console.print(f"{row.post}: {detail}", markup=False, highlight=False)
    for warning in report.warnings:
        console.print(f"jekyll: {warning}", markup=False, highlight=False)
    for problem in report.problems:
        console.print(f"site: {problem}", markup=False, highlight=False)
    failed = sum(not r.ok for r in report.rows)
    verdict = "[green]site check passed[/green]" if report.ok else "[red]site check failed[/red]"
    verdict += "" if language == "en" else f" for {language}"
    console.print(
        f"{verdict}: {len(report.rows)} posts, {failed} failing, "
        f"{len(report.warnings)} other Jekyll warnings, {len(report.problems)} site problems; "
        f"jekyll build took {report.build_seconds:.1f}s"
    )


def _details(row: PostRow) -> list[str]:
    """What to say of a post: the differences a translator made on purpose, then its failures."""
    meant = [f"changed by a translator (not a failure): {m}" for m in row.by_translator]
    if row.ok:
        return meant
    details = [*row.problems, *(f"Japanese left: {s}" for s in row.leftover_japanese)]
    if row.structure is not None:
        details.insert(0, f"English page's structure differs from the Japanese page's at {row.structure}")
    return meant + details + [f"broken link: {h}" for h in row.broken_links] + [f"jekyll: {w}" for w in row.warnings]


def _posts(settings: Settings) -> dict[str, Path]:
    """The posts' folders by language code, as the settings name them: the sources' language
    first, then every target language's editions (by their `lang` value)."""
    folders = {settings.source_lang.lower(): settings.path(settings.source_dir)}
    for target in all_target_settings(settings):
        folders[target.lang_value] = target.path(target.output_dir)
    return folders


def _content(settings: Settings, content_dir: Path | None) -> dict[str, Path]:
    """`--content DIR` (a folder holding a sub-folder per language), or the settings' folders."""
    folders = _posts(settings)
    return {lang: content_dir / lang for lang in folders} if content_dir is not None else folders


def _warn_dialect(settings: Settings, site_dir: Path | None, console: Console) -> None:
    mismatch = dialect_mismatch(settings.dialect, site_dir or settings.path(settings.site_dir))
    if mismatch is not None:
        console.print(f"warning: {mismatch}", markup=False, highlight=False)


@site_app.command("check")
def check_command(
    site_dir: Optional[Path] = typer.Option(None, "--site", help="The Jekyll site directory.", show_default="<project>/site"),
    content_dir: Optional[Path] = typer.Option(
        None,
        "--content",
        help="Directory holding ja/, en/ and a folder per other target language.",
        show_default="paths.source and every target's output folder",
    ),
    allow: list[str] = typer.Option([], "--allow", help="Japanese name allowed in English text (repeatable)."),
    allow_file: Path | None = typer.Option(None, "--allow-file", help="File of allowed Japanese names, one per line."),
    glossary_dir: Optional[Path] = typer.Option(
        None, "--glossary", help="Term base; its names are allowed too.", show_default="<project>/glossary"
    ),
    keep: Path | None = typer.Option(None, "--keep", help="Build into this directory and keep it."),
) -> None:
    """Build the site with Jekyll (every target language's editions) and check each post's
    page in every language against its Japanese page; exit 1 on any failure."""
    console = make_console()
    try:
        settings = load_settings()
        _warn_dialect(settings, site_dir, console)
        glossary = glossary_dir or settings.path(settings.glossary_dir)
        names = [*allow, *read_allow_file(allow_file), *glossary_names(glossary)]
        reports = check_site_editions(
            site_dir or settings.path(settings.site_dir),
            _content(settings, content_dir),
            allow=names,
            dest=keep,
            text_attributes=settings.translate_attributes,
            intents=lambda edition: Intent(settings.links, *translator_texts(settings, edition)),
        )
    except PipelineError as exc:
        console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(exc.exit_code) from exc
    for language, report in reports.items():
        render_report(report, console, language)
    raise typer.Exit(0 if all(report.ok for report in reports.values()) else 1)


@site_app.command("build")
def build_command(
    dest: Path = typer.Argument(..., help="Where to write the built site."),
    site_dir: Optional[Path] = typer.Option(None, "--site", help="The Jekyll site directory.", show_default="<project>/site"),
    content_dir: Optional[Path] = typer.Option(
        None,
        "--content",
        help="Directory holding ja/, en/ and a folder per other target language.",
        show_default="paths.source and every target's output folder",
    ),
) -> None:
    """Build the site, every target language's editions in it, into DEST (for a look in a
    browser); exit 1 if Jekyll failed or warned."""
    console = make_console()
    try:
        settings = load_settings()
        _warn_dialect(settings, site_dir, console)
        result = build(site_dir or settings.path(settings.site_dir), _content(settings, content_dir), dest)
    except PipelineError as exc:
        console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(exc.exit_code) from exc
    for diagnostic in result.diagnostics:
        console.print(f"jekyll: {diagnostic.text}", markup=False, highlight=False)
    console.print(f"built {dest} in {result.seconds:.1f}s (exit status {result.returncode})", markup=False)
    raise typer.Exit(0 if result.returncode == 0 and not result.diagnostics else 1)
