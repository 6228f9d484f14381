"""The configuration reference (docs/configuration.md), made from the settings' own
definitions: every table and key the loader reads (`config.reference_tables`), with its
type, its default and the description kept beside it. Generated, never edited by hand, so it
cannot drift from the loader; tests/test_docs.py fails when the committed file is stale.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.config import CONFIG_FILE, reference_tables
from pipeline.keys import TYPE_NAMES, Key, Table, default_text

REFERENCE_FILE = Path("docs/configuration.md")
REGENERATE = f"pipeline config-reference {REFERENCE_FILE}"

_INTRO = f"""\
# Configuration reference

<!-- Generated from the settings' own definitions (pipeline/config.py, pipeline/engines/) by
`{REGENERATE}`: do not edit by hand; tests/test_docs.py fails when it is stale. -->

Zero configuration works: the defaults describe this repository's layout. To change
anything, create `{CONFIG_FILE}` at the project root (or pass `--config FILE` to any
command). Every key is optional; an unknown key, or a value of the wrong type, is an error
naming the file (exit 2), never a silently ignored typo. Paths are relative to the project
root: the nearest folder from the current one up that holds `{CONFIG_FILE}`, else the
nearest that holds `content/ja/`, else the top of the git checkout — also when `--config`
names a file kept elsewhere.

Types are TOML's: a *path* is a string; a *number* takes an integer too. A default of
*none* means the key is unset.
"""


def render() -> str:
    """docs/configuration.md as it should read now."""
    return "\n".join([_INTRO, *(_table(table) for table in reference_tables())])


def _table(table: Table) -> str:
    lines = [f"## `[{table.name}]`", "", table.doc, ""]
    if table.keys:
        lines += ["| key | type | default | what it does |", "|---|---|---|---|"]
        lines += [_row(table, name, key) for name, key in table.keys.items()]
        lines.append("")
    return "\n".join(lines)


def _row(table: Table, name: str, key: Key) -> str:
    cells = (f"`{name}`", TYPE_NAMES[key.kind], default_text(table, key), key.doc)
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
