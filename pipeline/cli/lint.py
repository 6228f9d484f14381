"""`pipeline lint`: editing accidents in the Japanese sources, one `file:line: CODE message` each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeline.cli.common import edge, ConfigOption, err, out, settings_from
from pipeline.lint import lint_paths


@edge
def lint(
    paths: Annotated[
        Optional[list[Path]], typer.Argument(help="Posts or folders to check (default: the source folder, content/ja).", show_default=False)
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when anything is found (for CI).")] = False,
    config: ConfigOption = None,
) -> None:
    """Report editing accidents in the Japanese sources (repeated paragraphs, END markers, ...)."""
    settings = settings_from(config)  # the dialect: lint reads posts as the site renders them
    if not paths:
        paths = [settings.path(settings.source_dir)]
    targets = paths
    missing = [p for p in targets if not p.exists()]
    if missing:
        err.print(f"error: no such file or directory: {', '.join(map(str, missing))}", markup=False)
        raise typer.Exit(2)
    findings = lint_paths(targets, settings.dialect, settings.source_lang.lower())
    for finding in findings:
        out.print(str(finding), markup=False, highlight=False)  # `[vite.config.js]` is text, not a style
    files = len({f.path for f in findings})
    out.print(f"{len(findings)} finding{'s' * (len(findings) != 1)} in {files} file{'s' * (files != 1)}")
    raise typer.Exit(1 if strict and findings else 0)
