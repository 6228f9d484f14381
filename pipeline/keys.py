"""A key of pipeline.toml as its reader knows it: the attribute it sets, the type its value
is read as, and what it does.

The description lives beside the key, in the table the loader reads (`config._KEYS`, the
engines' own tables), so the configuration reference made from these records
(`pipeline config-reference`, docs/configuration.md) cannot describe a key the loader does
not know, nor miss one it does. Below the configuration and the engine registry, so both can
use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import tomlkit
import tomlkit.items


@dataclass(frozen=True)
class Key:
    """`attribute`: the dataclass field the value goes to (Settings, TargetTable, an
    engine's options). `kind`: what the file's value is read as — `Path` (a string naming a
    path), `str`, `int`, `float` (an integer is taken too), `bool`, `tuple` (a list of
    strings), `dict` (a table of strings). `doc`: the reference's description.
    `default`: how the reference shows a default worked out elsewhere (the dialect from the
    site's `_config.yml`) or that depends on the machine (a CPU count: the reference would
    differ from one machine to the next); empty: the field's own default."""

    attribute: str
    kind: type
    doc: str
    default: str = ""


@dataclass(frozen=True)
class Table:
    """One table of pipeline.toml as the reference shows it: its name as written in the
    file (`paths`, `targets.CODE`, `openai`), what it is for, its keys by their name in
    the table, and the dataclass whose fields give their defaults (made with no arguments)."""

    name: str
    doc: str
    keys: Mapping[str, Key]
    owner: type


TYPE_NAMES: dict[type, str] = {
    Path: "path",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    tuple: "list of strings",
    dict: "table of strings",
}


def default_text(table: Table, key: Key) -> str:
    """The default as the reference shows it (Markdown): the key's own wording when it has
    one, else the field's default as a TOML value (`` `"content/ja"` ``, `` `4` ``), or
    *none* (unset)."""
    if key.default:
        return key.default
    value = getattr(table.owner(), key.attribute)  # every field of the settings has a default
    return "*none*" if value is None else f"`{toml_value(value)}`"


def toml_value(value: object) -> str:
    """`value` written as TOML writes it (tomlkit): a path as its string, a tuple as an
    array, a mapping as an inline table."""
    return _item(value).as_string()


def _item(value: object) -> tomlkit.items.Item:
    if isinstance(value, Path):
        return tomlkit.item(value.as_posix())
    if isinstance(value, tuple | list):
        array = tomlkit.array()
        array.extend(_item(v) for v in value)
        return array
    if isinstance(value, Mapping):
        table = tomlkit.inline_table()
        table.update({str(k): _item(v) for k, v in value.items()})
        return table
    return tomlkit.item(value)
