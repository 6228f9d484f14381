"""`pipeline glossary check`: validate the term base and show which terms each post uses."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from pipeline.cli.common import edge, App, ConfigOption, err, expand_paths, load_term_base, out, settings_for_targets, settings_from
from rich.markup import escape

from pipeline.errors import InputError
from pipeline.post import Alias
from pipeline.survey import glossary_usage

glossary_app = App(help="The term base in glossary/*.tsv: names, fixed terms, taxonomy.", no_args_is_help=True)


@glossary_app.command("check")
@edge
def glossary_check(
    paths: Annotated[
        Optional[list[str]], typer.Argument(help="Posts to list terms for (default: the whole source tree).", show_default=False)
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Validate the term base (exit 2 with file:line on an error) and list the terms each post uses.

    Categories and tags with no taxonomy entry are listed as warnings."""
    settings = settings_from(config)
    glossary = load_term_base(settings)
    out.print(
        f"glossary OK: {len(glossary.names)} names, {len(glossary.terms)} terms, {len(glossary.taxonomy)} taxonomy entries "
        f"in {len(glossary.files)} file(s)",
    )
    targets = settings_for_targets(config)
    if len(targets) > 1:  # what each language's run uses: the terms with a text in its column
        counts = ((t.target_lang, load_term_base(t)) for t in targets)
        out.print("per language: " + ", ".join(f"{code} {len(g.terms)} terms, {len(g.taxonomy)} taxonomy" for code, g in counts))
    usages = glossary_usage(settings, glossary, expand_paths(settings, paths))
    unreadable = 0
    for usage in usages:
        if isinstance(usage, InputError):  # a second path to a post is skipped, not an error
            alias = isinstance(usage, Alias)
            unreadable += not alias
            label = "[yellow]warning:[/yellow]" if alias else "[red]error:[/red]"
            err.print(f"{label} {escape(str(usage))}")
            continue
        terms = ", ".join(f"{s} → {glossary.terms[s]} ×{n}" for s, n in usage.terms.items()) or "none"
        names = ", ".join(f"{s} ×{n}" for s, n in sorted(usage.names.items())) or "none"
        out.print(f"{usage.source}:\n  terms: {terms}\n  names: {names}", markup=False)
        for value in usage.unmapped_taxonomy:
            err.print(f"[yellow]warning:[/yellow] {escape(f'{usage.source}: {value!r} has no taxonomy entry in {settings.glossary_dir}/')}")
    if unreadable:
        raise typer.Exit(1)
