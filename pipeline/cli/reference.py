"""`pipeline config-reference`: every pipeline.toml key with its type, default and what it
does, made from the settings' own definitions (`pipeline.config_reference`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeline.cli.common import edge, out
from pipeline.config_reference import REFERENCE_FILE, render
from pipeline.errors import OutputError
from pipeline.post import write_atomic


@edge
def config_reference(
    file: Annotated[
        Optional[Path],
        typer.Argument(
            help=f"Write the reference to FILE (the repository's copy: {REFERENCE_FILE}); default: print it.", show_default=False
        ),
    ] = None,
) -> None:
    """Print the configuration reference (Markdown): every key of pipeline.toml, its type,
    default and what it does, as this version of the pipeline reads them."""
    text = render()
    if file is None:
        out.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True, end="")
        return
    try:
        write_atomic(file, text.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write the configuration reference: {exc.strerror or exc}", path=file) from exc
    out.print(f"wrote {file}", markup=False, highlight=False)
