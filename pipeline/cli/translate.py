"""`pipeline translate`: options in, a RunReport out, a summary printed; the progress bar.

The run itself is `pipeline.run.Translator`; this module only builds its inputs (settings,
engine, glossary, the posts), holds the run lock, and prints what the report says.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.markup import escape

from pipeline.cache import TranslationCache
from pipeline.cli.common import (
    edge,
    ConfigOption,
    EngineOption,
    PathsArgument,
    TargetOption,
    err,
    expand_paths,
    fail,
    load_term_base,
    out,
    run_lock,
    settings_for_targets,
)
from pipeline.cli.progress import ProgressView
from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.engines import Engine, GlossaryEngine, Setup, Spend, build_engine, engine_spec
from pipeline.glossary import DEEPL_NAME_PREFIX, Glossary
from pipeline.leftovers import summary as leftover_summary
from pipeline.post import remove_stale_temp_files, write_file
from pipeline.memory import MemoryEntry
from pipeline.report import LAST_RUN, report_dict, summary_markdown, token_counts
from pipeline.report import RunReport
from pipeline.run import ProgressCallback, RunProgress, Translator
from pipeline.survey import orphans, parse_shard
from pipeline.survey import prune as prune_orphans
from pipeline.survey import shard as select_shard
from pipeline.workers import Pool


def make_engine(settings: Settings, need_key: bool, glossary: Glossary) -> Engine:
    """The engine the settings name, built by its registry entry (keys from the environment only)."""
    return build_engine(Setup(settings, glossary.terms, os.environ, need_key))


_Jobs = Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Requests in flight at once.", show_default="4")]
_Workers = Annotated[
    Optional[int],
    typer.Option("--workers", "-w", min=1, help="Processes reading and rendering posts (1: none).", show_default="the number of cores"),
]
_CacheDir = Annotated[Optional[Path], typer.Option("--cache-dir", help="Translation cache folder.", show_default=".cache/pipeline")]
_DryRun = Annotated[bool, typer.Option("--dry-run", help="Do everything but call the engine and write files; print what would be billed.")]
_Strict = Annotated[bool, typer.Option("--strict", help="Fail (exit 1) when a glossary term is missing from a translation.")]
_RetryFlagged = Annotated[
    bool, typer.Option("--retry-flagged", help="Ask the engine again for segments whose cached answer broke tags or was truncated.")
]
_Force = Annotated[
    bool, typer.Option("--force", help="Rebuild every edition even if its source is unchanged (translators' edits are still kept).")
]
_Prune = Annotated[bool, typer.Option("--prune", help="Delete English editions whose Japanese source is gone.")]
_Shard = Annotated[
    Optional[str], typer.Option("--shard", metavar="K/N", help="Only the K-th of N deterministic shares of the posts (CI matrices).")
]
_ReportFile = Annotated[Optional[Path], typer.Option("--report", metavar="FILE.json", help="Write a machine-readable run report.")]
_SummaryFile = Annotated[Optional[Path], typer.Option("--summary", metavar="FILE.md", help="Write a Markdown summary for a pull request.")]
_Adopt = Annotated[
    bool,
    typer.Option("--adopt", help="Keep an English edition that has no state record (written by hand or elsewhere) as a translator's work."),
]
_Merged = Annotated[
    bool,
    typer.Option(
        "--merged",
        help="Where the Japanese changed under a translator's edit outside the translated text, keep the edition's lines as they are (merged by hand).",
    ),
]
_FailFast = Annotated[bool, typer.Option("--fail-fast", help="Stop at the first post that fails.")]


@edge
def translate(
    paths: PathsArgument = None,
    engine: EngineOption = None,
    to: TargetOption = None,
    jobs: _Jobs = None,
    workers: _Workers = None,
    cache_dir: _CacheDir = None,
    dry_run: _DryRun = False,
    strict: _Strict = False,
    retry_flagged: _RetryFlagged = False,
    force: _Force = False,
    prune: _Prune = False,
    shard: _Shard = None,
    report_file: _ReportFile = None,
    summary_file: _SummaryFile = None,
    fail_fast: _FailFast = False,
    adopt: _Adopt = False,
    merged: _Merged = False,
    config: ConfigOption = None,
) -> None:
    """Translate posts into English editions (same relative path under the output folder),
    or into every language of `[translate] targets` (`--to ZH-HANS,KO`: some of them), one
    pass and one summary per language, each with its own folders, state and memory.

    Only new and changed posts are sent; unchanged text comes from the previous edition, the
    translation memory or the cache, so nothing is paid for twice.

    Examples: `pipeline translate` (DeepL, key in DEEPL_AUTH_KEY) · `pipeline translate --engine pseudo`
    (offline trial) · `pipeline translate content/ja/2025-09-30-aws-ai-revenue.md --dry-run` (what it would bill).

    Progress goes to stderr: a bar on a terminal; otherwise a line per window and at least
    every 10 s (PIPELINE_PROGRESS_INTERVAL).

    Exit codes: 0 done · 1 some posts failed or need a manual merge (the others are written) ·
    2 configuration, glossary, key or unknown model · 3 quota exceeded · 4 engine unreachable · 130 interrupted."""
    targets = settings_for_targets(config, to, engine=engine, jobs=jobs, workers=workers, cache_dir=cache_dir)
    options = _Options(dry_run, strict, retry_flagged, force, prune, shard, report_file, summary_file, fail_fast, adopt, merged)
    codes = []
    for settings in targets:
        if len(targets) > 1:
            out.print(f"[bold]{escape(settings.target_lang)}[/bold] → {escape(settings.path(settings.output_dir).as_posix())}")
        codes.append(_exit_code(lambda: _translate_target(settings, paths, options)))
    worst = next((code for code in codes if code), 0)
    if worst:
        raise typer.Exit(worst)


@dataclass(frozen=True)
class _Options:
    """The command line's choices that every language's pass shares."""

    dry_run: bool
    strict: bool
    retry_flagged: bool
    force: bool
    prune: bool
    shard: str | None
    report_file: Path | None
    summary_file: Path | None
    fail_fast: bool
    adopt: bool
    merged: bool


def _exit_code(run: Callable[[], None]) -> int:
    """One language's pass, its error printed and turned into its exit code, so the other
    languages still run (a missing key for one engine costs none of the others). An
    interrupt stops the whole run."""
    try:
        run()
    except PipelineError as exc:
        return fail(exc).exit_code
    except typer.Exit as exc:
        if exc.exit_code == 130:
            raise
        return exc.exit_code
    return 0


def _translate_target(settings: Settings, paths: list[str] | None, o: _Options) -> None:
    """Every post into one language: its engine, glossary, folders, lock and report."""
    report_file = settings.language_file(o.report_file) if o.report_file is not None else None
    summary_file = settings.language_file(o.summary_file) if o.summary_file is not None else None
    glossary = load_term_base(settings)
    the_engine = make_engine(settings, need_key=not o.dry_run, glossary=glossary)
    posts = _posts(settings, paths, o.shard)
    if not posts:
        _prune(settings, o.prune, o.dry_run)
        err.print("nothing to translate: no posts found")
        _write_reports(
            RunReport(dry_run=o.dry_run), settings, report_file, summary_file, last_run=False
        )  # a CI shard with no posts still reports
        return
    with run_lock(settings):
        if not o.dry_run:
            _under_the_lock(settings, the_engine, glossary)
        _TERMINATED.clear()
        previous_handler = signal.signal(signal.SIGTERM, _interrupt)
        try:
            report, approved, notes = _run(
                settings, the_engine, glossary, posts, o.dry_run, o.fail_fast, o.force, o.retry_flagged, (o.adopt, o.merged)
            )
            notes += [] if o.prune else _orphans_note(settings)
        except KeyboardInterrupt:
            err.print("interrupted: every file is either untouched or complete; run again to finish (nothing is billed twice)")
            _exit_abandoning_requests(130)
        finally:
            signal.signal(signal.SIGTERM, previous_handler)
    _prune(settings, o.prune, o.dry_run, report)
    _finish_run(report, settings, o.strict, report_file, summary_file, o.dry_run, approved, notes)


def _under_the_lock(settings: Settings, the_engine: Engine, glossary: Glossary) -> None:
    """What only the run holding the lock may do: delete stale glossaries (another tree's run
    may use a younger one) and remove the temp files a killed run left."""
    if engine_spec(settings.engine).glossary and isinstance(the_engine, GlossaryEngine):
        the_engine.use_glossary(glossary.deepl_name, glossary.terms, DEEPL_NAME_PREFIX)
    for temp in remove_stale_temp_files(settings.path(settings.output_dir), settings.path(settings.state_dir)):
        err.print(f"removed {escape(str(temp))}, left by a run that was killed")


def _posts(settings: Settings, paths: list[str] | None, shard: str | None) -> list[Path]:
    """The posts this run takes (its shard of them)."""
    posts = expand_paths(settings, paths)
    if shard:
        posts = select_shard(posts, *parse_shard(shard))
    return posts


def _prune(settings: Settings, prune: bool, dry_run: bool, report: RunReport | None = None) -> None:
    """Orphaned editions go after the run: a renamed post's old edition is read first, so its
    translator's edits carry over. A run with a failed post prunes nothing (its old edition
    may be the only copy of a translator's work)."""
    if not prune:
        return
    if report is not None and report.failed:
        err.print("not pruned: some posts failed or need a manual merge; run again with --prune once they are done")
        return
    for path in prune_orphans(settings, orphans(settings), dry_run=dry_run):
        out.print(f"{'would prune' if dry_run else 'pruned'} {escape(str(path))}")


def _exit_abandoning_requests(code: int) -> NoReturn:
    """Exit now, even while request threads still wait on the network.

    Python joins every pool thread at exit, and a hung request sits inside the deepl
    library's retries for minutes; CI kills the job a few seconds after SIGTERM. Every file
    is already untouched or complete (the main thread writes them, atomically), so the
    threads can be dropped: flush what was printed and leave without joining them."""
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise typer.Exit(code)


_TERMINATED = threading.Event()  # SIGTERM arrived during this language's pass (`_interrupt`)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so temp files are cleaned up. Raised
    wherever the main thread is: inside a weakref callback (a request thread's object
    collected) Python prints the exception and goes on, so the run's next step raises it
    again (`_stopping`), and the run never finishes as if nothing had been asked."""
    _TERMINATED.set()
    raise KeyboardInterrupt


def _stopping(progress: ProgressCallback) -> ProgressCallback:
    """`progress`, then the interrupt again if SIGTERM came and its exception was swallowed.
    Every step of a run reports from the main thread: raising here unwinds the run."""

    def step(event: RunProgress) -> None:
        progress(event)
        if _TERMINATED.is_set():
            raise KeyboardInterrupt

    return step


def _run(
    settings: Settings,
    engine: Engine,
    glossary: Glossary,
    posts: list[Path],
    dry_run: bool,
    fail_fast: bool,
    force: bool,
    retry_flagged: bool,
    accept: tuple[bool, bool] = (False, False),
) -> tuple[RunReport, list[MemoryEntry], list[str]]:
    """The run's report, the translation memory entries it approved (saved unless a dry run),
    and what it did besides the editions that a person should know. `accept`: `--adopt`, `--merged`."""
    with Pool(settings.workers) as pool, TranslationCache(settings.path(settings.cache_dir)) as cache:
        if pool.worth(len(posts), sum(_size(post) for post in posts)):
            pool.start_now()  # before the progress view's thread and the cache's connection: forked in milliseconds
        translator = Translator(settings, engine, cache, glossary)
        existed = translator.memory.path.is_file()
        with ProgressView(err, len(posts), engine_spec(settings.engine).billing_unit) as progress:
            report = translator.run(
                posts,
                dry_run=dry_run,
                fail_fast=fail_fast,
                force=force or retry_flagged,
                retry_flagged=retry_flagged,
                adopt=accept[0],
                merged=accept[1],
                progress=_stopping(progress),
                pool=pool,
            )
    notes = []
    if translator.memory.approved_now and not dry_run:
        notes.append(
            f"recorded {translator.memory.approved_now} translator edit(s) as approved English (kept in later runs, "
            "reused for the same Japanese in every post)"
        )
    if not existed and translator.memory.path.is_file():
        notes.append(f"created {translator.memory.path}: commit it with the editions (the translators' approved English)")
    return report, [] if dry_run else list(translator.memory.approved.values()), notes


def _size(post: Path) -> int:
    """A post's size on disk, as far as the pool's start is concerned (`Pool.worth`): 0 when it cannot be read (the run says why)."""
    try:
        return post.stat().st_size
    except OSError:
        return 0


def _write_reports(
    report: RunReport,
    settings: Settings,
    report_file: Path | None,
    summary_file: Path | None,
    last_run: bool,
    approved: Sequence[MemoryEntry] = (),
) -> None:
    data = report_dict(report, settings, approved)
    as_json = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if last_run:  # `pipeline review` reads the last run's report from here
        write_file(settings.language_file(settings.path(settings.cache_dir) / LAST_RUN), as_json, "the run's record")
    if report_file is not None:
        write_file(report_file, as_json, "the report")
    if summary_file is not None:
        several = len(settings.targets) > 1
        heading = f"{settings.target_lang} ({settings.output_dir.as_posix()})" if several else None
        write_file(summary_file, summary_markdown(data, heading).encode("utf-8"), "the summary")


def _finish_run(
    report: RunReport,
    settings: Settings,
    strict: bool,
    report_file: Path | None,
    summary_file: Path | None,
    dry_run: bool,
    approved: list[MemoryEntry],
    notes: list[str],
) -> None:
    _print_report(report, settings)
    for note in notes:
        out.print(escape(note))
    _write_reports(report, settings, report_file, summary_file, not dry_run, approved)
    if report.aborted is not None:
        raise fail(report.aborted)
    if report.failed:
        raise typer.Exit(1)
    if strict:
        _strict(report)


def _strict(report: RunReport) -> None:
    """--strict fails on every glossary miss still in the editions (found by this run, warned
    above, or recorded in the state of an edition that is up to date) and on any Japanese left."""
    for p in report.posts:
        if p.missing_terms:
            terms = ", ".join(dict.fromkeys(p.missing_terms))
            err.print(f"[yellow]warning:[/yellow] {escape(f'{p.source}: glossary: still missing from the English: {terms}')}")
    if any(f.code == "glossary" for p in report.posts for f in p.flags) or any(p.missing_terms for p in report.posts):
        err.print("error: --strict: glossary terms are missing from translations (see warnings above; fix the English or the glossary)")
        raise typer.Exit(1)
    if any(p.leftover.kept_segments or p.leftover.left.total for p in report.posts):
        err.print("error: --strict: Japanese is left in the English (see the summary line; --retry-flagged asks again for kept segments)")
        raise typer.Exit(1)


def _print_report(report: RunReport, settings: Settings) -> None:
    if report.cache_error is not None:
        err.print(f"[yellow]warning:[/yellow] {escape(str(report.cache_error))}")
    for result in report.posts:
        if result.error is not None and result.error is not report.aborted:
            err.print(f"[red]error:[/red] {escape(str(result.error))}")
        for flag in result.flags:
            err.print(f"[yellow]warning:[/yellow] {escape(f'{result.source}:{flag.line}: {flag.code}: {flag.message}')}")
    written = sum(1 for p in report.posts if p.status == "written")
    same = sum(1 for p in report.posts if p.status == "unchanged" and p.sent)  # sent again, came back the same
    unchanged = sum(1 for p in report.posts if p.status in ("unchanged", "up-to-date")) - same
    merge = [p for p in report.posts if p.status == "needs-merge"]
    skipped = sum(1 for p in report.posts if p.status == "skipped")
    billed = _billed(report, settings)
    as_is = sum(p.as_is for p in report.posts)
    if report.dry_run:
        out.print(
            f"dry run: {len(report.posts) - len(report.failed)} post(s), {report.segments} segments, "
            f"{as_is} with nothing to translate, {report.cached} from cache; {billed} to {settings.engine}; "
            f"Markdown read as {report.dialect}",
            markup=False,
        )
        return
    out.print(
        f"{written} written"
        + (f", {same} re-translated to the same English" if same else "")
        + f", {unchanged} up to date, {len(report.failed) - len(merge)} failed"
        + (f", {len(merge)} need a manual merge" if merge else "")
        + (f", {skipped} skipped (see the warnings)" if skipped else "")
        + f"; {report.segments} segments, {as_is} with nothing to translate, {report.cached} reused or from cache; "
        f"{billed} in {report.usage.requests} request(s) "
        f"to {settings.engine}; Markdown read as {report.dialect}; {report.elapsed:.1f}s; "
        + leftover_summary(p.leftover for p in report.posts),
        markup=False,
    )
    _print_engine_switch(report, settings)
    findings = sum(p.lint_findings for p in report.posts)
    if findings:
        out.print(f"{findings} lint warning(s) in the Japanese sources translated as they are (see `pipeline lint`)")


def _print_engine_switch(report: RunReport, settings: Settings) -> None:
    """Posts rebuilt because another engine built them: the count above says they were
    written, not why every one of them was sent again."""
    switched: dict[str, int] = {}
    for p in report.posts:
        if p.previous_engine and p.status in ("written", "unchanged"):
            switched[p.previous_engine] = switched.get(p.previous_engine, 0) + 1
    for engine, count in sorted(switched.items()):
        out.print(f"re-translated {count} post(s) built with the {engine} engine (now {settings.engine})", markup=False)


def _orphans_note(settings: Settings) -> list[str]:
    """Editions whose Japanese source is gone, left in place (without --prune): said after
    every run, not only by `status` and `check`."""
    left = orphans(settings)
    if not left:
        return []
    names = ", ".join(str(p.edition) for p in left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    return [f"{len(left)} orphaned edition(s) whose Japanese source is gone: {names}; `pipeline translate --prune` removes them"]


def _billed(report: RunReport, settings: Settings) -> str:
    """What the run billed (a dry run: would bill), in the engine's billing unit; an engine
    billed by tokens reports what it spent (`RunReport.spend`) with its cost."""
    if report.spend is not None:
        if report.dry_run:
            return f"would send about {_tokens(report.spend, settings)}"
        return f"{_tokens(report.spend, settings, counted_by_us=report.spend.estimated)} sent"
    unit = engine_spec(settings.engine).billing_unit
    if report.dry_run:
        return f"would bill {report.would_bill:,} {unit}"
    return f"{report.usage.billed_characters:,} {unit} billed"


def _tokens(spend: Spend, settings: Settings, counted_by_us: bool = False) -> str:
    """`1,234 input + 567 output tokens (estimated cost 0.0012 USD)`, for an engine billed by tokens."""
    cost = spend.cost
    money = (
        f"estimated cost {cost:.4f} {spend.currency}"
        if cost is not None
        else f"cost unknown: set [{settings.engine}] input_price and output_price"
    )
    counted = token_counts(spend.input_tokens, spend.output_tokens, spend.cached_tokens, spend.reasoning_tokens)
    # a server that sends no `usage` (some local ones): its answers counted by our estimate
    estimated = "; token counts estimated: the server did not count every answer" if counted_by_us else ""
    return f"{counted} ({money}{estimated})"
