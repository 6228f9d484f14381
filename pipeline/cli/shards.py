"""`pipeline merge-shards`: the pull-request job of a CI run gathers its translate shards.

The decisions are `pipeline.shards`' (why a per-file, per-entry merge and not "the last
artifact wins"); this module reads the folders, holds the run lock, writes the combined
report and summary, and prints what changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from pipeline.cli.common import edge, ConfigOption, err, out, run_lock, settings_for_targets
from pipeline.config import Settings
from pipeline.markdown_text import code_span
from pipeline.post import remove_stale_temp_files, write_file
from pipeline.report import LAST_RUN, summary_markdown
from pipeline.shards import REPORT_FILE, apply, load_shard, other_languages, plan, rooted

SHOWN = 30  # changed files listed by name; a first run over a big tree writes thousands


@edge
def merge_shards(
    folders: Annotated[
        list[Path],
        typer.Argument(
            help=f"One folder per shard: its artifact, laid out like the project root, with its {REPORT_FILE}.", show_default=False
        ),
    ],
    summary_file: Annotated[
        Optional[Path],
        typer.Option("--summary", metavar="FILE.md", help="Write the shards' reports added up, as Markdown for the pull request."),
    ] = None,
    report_file: Annotated[
        Optional[Path], typer.Option("--report", metavar="FILE.json", help="Write the shards' reports added up, as JSON.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Gather the editions, state and translation memory the shards of a CI run wrote into this tree.

    Per file: what every shard holds, else what the shard that translated the post wrote;
    the translation memory entry by entry (every shard's approvals kept). Files the shards
    disagree about that no shard owns stop the merge before anything is written (exit 1).
    The combined report is also kept as the last run, for `pipeline review`."""
    targets = settings_for_targets(config)
    for settings in targets:
        if len(targets) > 1:
            out.print(f"{settings.target_lang} ({settings.path(settings.output_dir).as_posix()}):", markup=False)
        others = [t for t in targets if t is not settings]
        _merge_language(settings, folders, other_languages(settings, others), summary_file, report_file, len(targets) > 1)


def _merge_language(
    settings: Settings, folders: list[Path], exclude: tuple[str, ...], summary_file: Path | None, report_file: Path | None, several: bool
) -> None:
    """One language's files and report from every shard (its report: `report.ko.json`)."""
    report_name = settings.language_file(Path(REPORT_FILE)).name
    reported = [folder for folder in folders if (folder / report_name).is_file()] or folders  # none: load_shard says why
    left_out = [folder for folder in folders if folder not in reported]
    for folder in left_out:
        err.print(
            f"[yellow]warning:[/yellow] {escape(str(folder))}: no {report_name} (its translate step stopped before the end); "
            "its files are left out, the other shards' are merged"
        )
    with run_lock(settings):
        for temp in remove_stale_temp_files(*(settings.path(f) for f in (settings.output_dir, settings.state_dir, settings.cache_dir))):
            err.print(f"removed {escape(str(temp))}, left by a run that was killed")
        shards = [load_shard(folder, settings, exclude, report_name) for folder in reported]
        merge = plan(settings, shards, exclude)
        apply(merge)
    report = rooted(merge.report, settings)
    as_json = (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    write_file(settings.language_file(settings.path(settings.cache_dir) / LAST_RUN), as_json, "the run's record")
    if report_file is not None:
        write_file(settings.language_file(report_file), as_json, "the report")
    if summary_file is not None:
        heading = f"{settings.target_lang} ({settings.output_dir.as_posix()})" if several else None
        names = ", ".join(code_span(folder.name) for folder in left_out)
        note = f"\n{len(left_out)} shard(s) left out, their run stopped before it reported (see their logs): {names}\n" if left_out else ""
        write_file(settings.language_file(summary_file), (summary_markdown(report, heading) + note).encode("utf-8"), "the summary")
    out.print(
        f"merged {merge.shards} shard(s): {len(merge.write)} file(s) written, {len(merge.delete)} removed; "
        f"translation memory: {merge.memory_entries} entries, {merge.approved} approved in this run"
    )
    changed = [*merge.write, *(f"{path} (removed)" for path in merge.delete)]
    for path in changed[:SHOWN]:
        out.print(f"  {escape(path)}")
    if len(changed) > SHOWN:
        out.print(f"  … and {len(changed) - SHOWN} more")
