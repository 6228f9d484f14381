"""The command line: parse options, call the core, print. No translation logic lives here."""

from __future__ import annotations

import glob
import json
import os
import signal
from pathlib import Path
from typing import Annotated, Optional

import typer
from filelock import FileLock, Timeout
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.cache import TranslationCache
from pipeline.config import Settings, load_settings, replace
from pipeline.engines import Engine, create_engine
from pipeline.engines.deepl import DeepLEngine
from pipeline.errors import ConfigError, PipelineError
from pipeline.glossary import DEEPL_NAME_PREFIX, Glossary, load_glossary
from pipeline.lint import lint
from pipeline.post import write_atomic
from pipeline.site import site_app
from pipeline.report import LAST_RUN, report_dict, report_markdown
from pipeline.review.commands import export as export_command
from pipeline.review.commands import import_ as import_command
from pipeline.review.commands import review as review_command
from pipeline.run import PostResult, RunReport, Translator
from pipeline.state import TreeStatus
from pipeline.survey import glossary_usage, orphans, parse_shard, survey
from pipeline.survey import prune as prune_orphans
from pipeline.survey import shard as select_shard

app = typer.Typer(
    help="Translate Japanese Jekyll posts (content/ja) into English editions (content/en).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EngineOption = Annotated[
    Optional[str],
    typer.Option("--engine", "-e", help="deepl | pseudo (offline, marks text) | identity (offline, copies).", show_default="deepl"),
]
TargetOption = Annotated[Optional[str], typer.Option("--to", help="Target language: EN-US or EN-GB.", show_default="EN-US")]
ConfigOption = Annotated[
    Optional[Path], typer.Option("--config", help="Settings file (default: ./pipeline.toml if present).")
]


@app.callback()
def _root() -> None:
    """Translate Japanese Jekyll posts into English editions through DeepL, with a cache,
    a glossary and checks. Run `pipeline COMMAND --help` for each command."""


def fail(exc: PipelineError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(exc.exit_code)


def settings_from(config: Path | None, **overrides: object) -> Settings:
    try:
        return replace(load_settings(config), **overrides)
    except PipelineError as exc:
        raise fail(exc) from exc


def expand_paths(settings: Settings, paths: list[str] | None) -> list[Path]:
    """Posts named on the command line (files, folders, globs), or every post of the source tree."""
    if not paths:
        source = settings.path(settings.source_dir)
        if not source.is_dir():
            raise fail(ConfigError(f"source folder {source} does not exist (set paths.source in pipeline.toml)"))
        return sorted(source.rglob("*.md"))
    found: list[Path] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.md")))
        elif any(c in arg for c in "*?["):
            found.extend(sorted(Path(p) for p in glob.glob(arg, recursive=True)))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def load_term_base(settings: Settings) -> Glossary:
    try:
        return load_glossary(settings.path(settings.glossary_dir))
    except PipelineError as exc:
        raise fail(exc) from exc


def make_engine(settings: Settings, need_key: bool, glossary: Glossary) -> Engine:
    if settings.engine == "pseudo":
        return create_engine("pseudo", terms=glossary.terms)
    if settings.engine != "deepl":
        return create_engine(settings.engine)
    key = os.environ.get("DEEPL_AUTH_KEY", "").strip()
    if not key and need_key:
        raise fail(
            ConfigError(
                "DEEPL_AUTH_KEY is not set: export your DeepL API key, or run with --engine pseudo for a keyless trial"
            )
        )
    return create_engine(
        "deepl",
        auth_key=key or "dry-run",
        server_url=os.environ.get("DEEPL_SERVER_URL") or None,
        source_lang=settings.source_lang,
        target_lang=settings.target_lang,
        model_type=settings.model_type,
        formality=settings.formality,
        tag_handling_version=settings.tag_handling_version,
        retries=settings.retries,
        timeout=settings.timeout,
    )


@app.command()
def translate(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Posts, folders or globs (default: every post under the source folder).", show_default=False)] = None,
    engine: EngineOption = None,
    to: TargetOption = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Requests in flight at once.", show_default="4")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="Translation cache folder.", show_default=".cache/pipeline")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Do everything but call the engine and write files; print what would be billed.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 1) when a glossary term is missing from a translation.")] = False,
    retry_flagged: Annotated[bool, typer.Option("--retry-flagged", help="Ask the engine again for segments whose cached answer broke tags or was truncated.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebuild every edition even if its source is unchanged (translators' edits are still kept).")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Delete English editions whose Japanese source is gone.")] = False,
    shard: Annotated[Optional[str], typer.Option("--shard", metavar="K/N", help="Only the K-th of N deterministic shares of the posts (CI matrices).")] = None,
    report_file: Annotated[Optional[Path], typer.Option("--report", metavar="FILE.json", help="Write a machine-readable run report.")] = None,
    summary_file: Annotated[Optional[Path], typer.Option("--summary", metavar="FILE.md", help="Write a Markdown summary for a pull request.")] = None,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first post that fails.")] = False,
    config: ConfigOption = None,
) -> None:
    """Translate posts into English editions (same relative path under the output folder)."""
    settings = settings_from(
        config, engine=engine, target_lang=to.upper() if to else None, jobs=jobs, cache_dir=cache_dir
    )
    if settings.engine not in ("deepl", "pseudo", "identity"):
        raise fail(ConfigError(f"unknown engine {settings.engine!r}: choose deepl, pseudo or identity"))
    glossary = load_term_base(settings)
    the_engine = make_engine(settings, need_key=not dry_run, glossary=glossary)
    posts = expand_paths(settings, paths)
    if shard:
        try:
            posts = select_shard(posts, *parse_shard(shard))
        except PipelineError as exc:
            raise fail(exc) from exc
    if prune and not dry_run:
        for path in prune_orphans(settings, orphans(settings)):
            out.print(f"pruned {path}", highlight=False)
    if not posts:
        err.print("nothing to translate: no posts found")
        raise typer.Exit(0)
    if isinstance(the_engine, DeepLEngine) and not dry_run:
        try:
            the_engine.use_glossary(glossary.deepl_name, glossary.terms, DEEPL_NAME_PREFIX)
        except PipelineError as exc:
            raise fail(exc) from exc
    cache_folder = settings.path(settings.cache_dir)
    cache_folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(cache_folder / "run.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        err.print(f"another pipeline run holds {lock.lock_file}; waiting for it to finish…")
        lock.acquire()
    previous_handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        report = _run(settings, the_engine, glossary, posts, dry_run, fail_fast, force, retry_flagged)
    except KeyboardInterrupt:
        err.print("interrupted: every file is either untouched or complete; run again to finish (nothing is billed twice)")
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        lock.release()
    _finish_run(report, settings, strict, report_file, summary_file, dry_run)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so temp files are cleaned up."""
    raise KeyboardInterrupt


def _run(
    settings: Settings, engine: Engine, glossary: Glossary, posts: list[Path], dry_run: bool, fail_fast: bool, force: bool, retry_flagged: bool
) -> RunReport:
    with TranslationCache(settings.path(settings.cache_dir)) as cache:
        translator = Translator(settings, engine, cache, glossary)
        with _progress(len(posts)) as advance:
            return translator.run(
                posts, dry_run=dry_run, fail_fast=fail_fast, force=force or retry_flagged, retry_flagged=retry_flagged, progress=advance
            )


def _finish_run(
    report: RunReport, settings: Settings, strict: bool, report_file: Path | None, summary_file: Path | None, dry_run: bool
) -> None:
    _print_report(report, settings)
    if not dry_run:  # `pipeline review` reads the last run's report from here
        last = settings.path(settings.cache_dir) / LAST_RUN
        write_atomic(last, (json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    if report_file is not None:
        write_atomic(report_file, (json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    if summary_file is not None:
        write_atomic(summary_file, report_markdown(report).encode("utf-8"))
    if report.aborted is not None:
        raise fail(report.aborted)
    if report.failed:
        raise typer.Exit(1)
    if strict and any(f.code == "glossary" for p in report.posts for f in p.flags):
        err.print("error: --strict: glossary terms are missing from translations (see warnings above)")
        raise typer.Exit(1)


class _progress:
    """A progress bar on stderr for runs of more than one post; a no-op otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Progress | None = None

    def __enter__(self):  # type: ignore[no-untyped-def]
        if self.total < 2:
            return lambda result: None
        self.bar = Progress(
            TextColumn("translating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"), console=err, transient=True,
        )
        self.bar.start()
        task = self.bar.add_task("", total=self.total)

        def advance(result: PostResult) -> None:
            assert self.bar is not None
            self.bar.update(task, advance=1, description=result.source.name)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_report(report: RunReport, settings: Settings) -> None:
    for result in report.posts:
        if result.error is not None and result.error is not report.aborted:
            err.print(f"[red]error:[/red] {result.error}", highlight=False, soft_wrap=True)
        for flag in result.flags:
            err.print(f"[yellow]warning:[/yellow] {result.source}:{flag.line}: {flag.code}: {flag.message}", highlight=False, soft_wrap=True)
    written = sum(1 for p in report.posts if p.status == "written")
    unchanged = sum(1 for p in report.posts if p.status in ("unchanged", "up-to-date"))
    merge = [p for p in report.posts if p.status == "needs-merge"]
    if report.dry_run:
        out.print(
            f"dry run: {len(report.posts) - len(report.failed)} post(s), {report.segments} segments, "
            f"{report.cached} from cache; would bill {report.would_bill:,} characters to {settings.engine}",
            highlight=False,
        )
        return
    out.print(
        f"{written} written, {unchanged} up to date, {len(report.failed) - len(merge)} failed"
        + (f", {len(merge)} need a manual merge" if merge else "")
        + f"; {report.segments} segments, {report.cached} reused or from cache; "
        f"{report.usage.billed_characters:,} characters billed in {report.usage.requests} request(s) "
        f"to {settings.engine}; {report.elapsed:.1f}s",
        highlight=False,
    )
    findings = sum(p.lint_findings for p in report.posts)
    if findings:
        out.print(f"{findings} lint warning(s) in the Japanese sources translated as they are (see `pipeline lint`)", highlight=False)


@app.command()
def status(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Posts, folders or globs (default: the whole source tree).", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    engine: EngineOption = None,
    to: TargetOption = None,
    config: ConfigOption = None,
) -> None:
    """Show every post's state: new, stale, up-to-date, edited (by a translator), orphaned.

    Give the same --engine/--to as the translate run you compare against."""
    tree = _survey(config, paths, engine, to)
    if as_json:
        data = {
            "posts": [
                {
                    "source": p.source.as_posix() if p.source else None,
                    "edition": p.edition.as_posix(),
                    "state": p.state,
                    "reason": p.reason,
                    "origins": p.origins,
                    "needs_review": p.needs_review,
                }
                for p in tree.posts
            ],
            "counts": {s: tree.count(s) for s in ("new", "stale", "up-to-date", "edited", "orphaned")},
        }
        out.print_json(data=data)
        return
    for p in tree.posts:
        out.print(f"{p.state:<11} {p.source or p.edition}" + (f"  ({p.reason})" if p.reason and p.state != "new" else ""), highlight=False)
    out.print(
        ", ".join(f"{tree.count(s)} {s}" for s in ("new", "stale", "up-to-date", "edited", "orphaned")), highlight=False
    )


@app.command()
def check(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Posts, folders or globs (default: the whole source tree).", show_default=False)] = None,
    engine: EngineOption = None,
    to: TargetOption = None,
    config: ConfigOption = None,
) -> None:
    """Exit 1 and list the posts whose English edition is missing or stale; 0 when all are current.

    Made for CI gates and pre-commit hooks. Give the same --engine/--to as the translate run."""
    tree = _survey(config, paths, engine, to)
    todo = tree.needs_translation
    for p in todo:
        out.print(f"{p.state}: {p.source} ({p.reason})", highlight=False)
    if todo:
        out.print(f"{len(todo)} post(s) need `pipeline translate`", highlight=False)
        raise typer.Exit(1)
    out.print(f"all {len(tree.posts) - tree.count('orphaned')} English edition(s) are up to date", highlight=False)


def _survey(config: Path | None, paths: list[str] | None, engine: str | None, to: str | None) -> TreeStatus:
    settings = settings_from(config, engine=engine, target_lang=to.upper() if to else None)
    glossary = load_term_base(settings)
    try:
        return survey(settings, glossary, expand_paths(settings, paths))
    except PipelineError as exc:
        raise fail(exc) from exc


app.command("lint")(lint)
app.command("review")(review_command)
app.command("export")(export_command)
app.command("import")(import_command)
app.add_typer(site_app, name="site")

glossary_app = typer.Typer(help="The term base in glossary/*.tsv: names, fixed terms, taxonomy.", no_args_is_help=True)
app.add_typer(glossary_app, name="glossary")


@glossary_app.command("check")
def glossary_check(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Posts to list terms for (default: the whole source tree).", show_default=False)] = None,
    config: ConfigOption = None,
) -> None:
    """Validate the term base (exit 2 with file:line on an error) and list the terms each post uses.

    Categories and tags with no taxonomy entry are listed as warnings."""
    settings = settings_from(config)
    glossary = load_term_base(settings)
    out.print(
        f"glossary OK: {len(glossary.names)} names, {len(glossary.terms)} terms, {len(glossary.taxonomy)} taxonomy entries "
        f"in {len(glossary.files)} file(s)",
        highlight=False,
    )
    try:
        usages = glossary_usage(settings, glossary, expand_paths(settings, paths))
    except PipelineError as exc:
        raise fail(exc) from exc
    for usage in usages:
        terms = ", ".join(f"{s} → {glossary.terms[s]} ×{n}" for s, n in usage.terms.items()) or "none"
        names = ", ".join(f"{s} ×{n}" for s, n in sorted(usage.names.items())) or "none"
        out.print(f"{usage.source}:\n  terms: {terms}\n  names: {names}", highlight=False)
        for value in usage.unmapped_taxonomy:
            err.print(f"[yellow]warning:[/yellow] {usage.source}: {value!r} has no taxonomy entry in {settings.glossary_dir}/", highlight=False)


def main() -> None:
    app()
