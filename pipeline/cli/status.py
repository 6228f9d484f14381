"""`pipeline status` and `pipeline check`: where every post stands, for people and for CI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import (
    edge,
    ConfigOption,
    EngineOption,
    PathsArgument,
    TargetOption,
    expand_paths,
    load_term_base,
    out,
    settings_for_targets,
)
from pipeline.config import Settings
from pipeline.qa import kept_message
from pipeline.state import State, TreeStatus
from pipeline.survey import survey

# in the order they are counted in the summary
STATES: tuple[State, ...] = ("new", "stale", "up-to-date", "edited", "needs-merge", "orphaned", "failed", "skipped")


@edge
def status(
    paths: PathsArgument = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    engine: EngineOption = None,
    to: TargetOption = None,
    config: ConfigOption = None,
) -> None:
    """Show every post's state: new, stale, up-to-date, edited (by a translator), orphaned;
    per language when `[translate] targets` (or `--to A,B`) names several.

    Give the same --engine/--to as the translate run you compare against."""
    surveys = _surveys(config, paths, engine, to)
    if as_json:
        languages = {settings.lang_value: _status_json(tree) for settings, tree in surveys}
        out.print_json(data=next(iter(languages.values())) if len(surveys) == 1 else {"languages": languages})
        return
    for settings, tree in surveys:
        if len(surveys) > 1:
            out.print(f"{settings.target_lang} ({settings.path(settings.output_dir).as_posix()}):", markup=False)
        _print_status(tree)


def _status_json(tree: TreeStatus) -> dict[str, object]:
    return {
        "posts": [
            {
                "source": p.source.as_posix() if p.source else None,
                "edition": p.edition.as_posix(),
                "state": p.state,
                "reason": p.reason,
                "origins": p.origins,
                "needs_review": p.needs_review,
                "kept_japanese": p.kept,
                "glossary_misses": list(p.missing_terms),
            }
            for p in tree.posts
        ],
        "counts": {s: tree.count(s) for s in STATES},
    }


def _print_status(tree: TreeStatus) -> None:
    for p in tree.posts:
        out.print(
            f"{p.state:<11} {p.source or p.edition}"
            + (f"  ({p.reason})" if p.reason and (p.state != "new" or p.edition.is_file()) else "")  # a new post's edition: --adopt
            + (f"  ({kept_message(p.kept)})" if p.kept else ""),
            markup=False,
        )
    out.print(
        ", ".join(f"{tree.count(s)} {s}" for s in STATES if s not in ("needs-merge", "failed", "skipped") or tree.count(s)),
    )


@edge
def check(
    paths: PathsArgument = None,
    engine: EngineOption = None,
    to: TargetOption = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Also fail while an edition lacks a glossary term's English (as `translate --strict` found it)."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Exit 1 and list the posts whose English edition is missing, stale, orphaned or needs a
    manual merge, and posts that cannot be read; 0 when all are current.

    Made for CI gates and pre-commit hooks. Give the same --engine/--to as the translate run;
    with several target languages every one is checked (exit 1 if any needs attention)."""
    surveys = _surveys(config, paths, engine, to)
    failing = [_check_one(settings, tree, strict, len(surveys) > 1) for settings, tree in surveys]
    if any(failing):
        raise typer.Exit(1)


def _check_one(settings: Settings, tree: TreeStatus, strict: bool, several: bool) -> bool:
    """Print one language's findings; True when it needs attention."""
    if several:
        out.print(f"{settings.target_lang} ({settings.path(settings.output_dir).as_posix()}):", markup=False)
    todo = tree.needs_attention
    if strict:
        todo += [p for p in tree.posts if p.missing_terms and p not in todo]
    for p in todo:
        if p.state == "orphaned":
            out.print(f"orphaned: {p.edition} ({p.reason}; `pipeline translate --prune` deletes it)", markup=False)
        elif p.state in ("up-to-date", "edited") and p.kept:
            out.print(f"kept-japanese: {p.source} ({kept_message(p.kept)})", markup=False)
        elif p in tree.needs_attention:
            out.print(f"{p.state}: {p.source} ({p.reason})", markup=False)
        else:
            terms = ", ".join(dict.fromkeys(p.missing_terms))
            out.print(
                f"glossary: {p.source} (still missing from the English: {terms}; fix the English or the glossary, then translate)",
                markup=False,
            )
    if todo:
        out.print(
            f"{len(todo)} post(s) need attention: `pipeline translate` (--prune for orphans; "
            "--retry-flagged for segments kept in Japanese), or a fix by hand"
        )
        return True
    language = "English" if settings.target_lang.upper().startswith("EN") else settings.target_lang
    out.print(f"all {len(tree.posts) - tree.count('orphaned')} {language} edition(s) are up to date")
    return False


def _surveys(config: Path | None, paths: list[str] | None, engine: str | None, to: str | None) -> list[tuple[Settings, TreeStatus]]:
    """Where every post stands in each language the command looks at."""
    found = []
    for settings in settings_for_targets(config, to, engine=engine):
        glossary = load_term_base(settings)
        found.append((settings, survey(settings, glossary, expand_paths(settings, paths))))
    return found
