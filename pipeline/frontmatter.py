"""Front matter values: read them, and edit only the ones we translate, in place.

Re-dumping YAML would re-sort keys, drop quotes and reflow lines; instead we locate each
translated scalar's exact span with PyYAML's composer (its marks are character offsets) and
splice a new scalar of the same quoting style into the original text. TOML goes through
tomlkit, whose documents round-trip byte for byte. Values are read with python-frontmatter's
YAML handler (a SafeLoader), so `!!python/object` tags are refused, never constructed.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
import yaml
from frontmatter.default_handlers import YAMLHandler

from pipeline.errors import InputError
from pipeline.post import FrontMatterBlock


@dataclass(frozen=True)
class Field:
    """One translatable string in the front matter: `key`, or item `index` of list `key`."""

    key: str
    index: int | None
    value: str
    line: int  # 1-based file line
    start: int = 0  # span in the front matter text (YAML only)
    end: int = 0
    style: str = ""  # YAML scalar style: '"', "'", '' (plain), '|' or '>'


def read_values(block: FrontMatterBlock, path: Path) -> dict[str, Any]:
    if block.format == "toml":
        try:
            return tomllib.loads(block.text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None)
            raise InputError(
                f"malformed TOML front matter: {exc.args[0] if exc.args else exc}",
                path=path,
                line=block.first_line + line - 1 if line else block.first_line,
            ) from exc
    try:
        values = YAMLHandler().load(block.text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = block.first_line + mark.line if mark is not None else block.first_line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "python/" in str(exc):
            problem = "refused a Python-specific YAML tag (only plain YAML is allowed in front matter)"
        raise InputError(f"malformed YAML front matter: {problem}", path=path, line=line) from exc
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise InputError("front matter is not a mapping of keys to values", path=path, line=block.first_line)
    return values


def translatable_fields(block: FrontMatterBlock, keys: tuple[str, ...], path: Path) -> list[Field]:
    """The string values (or string list items) of `keys`, in document order."""
    read_values(block, path)  # validate first, with a located error
    if block.format == "toml":
        return _toml_fields(block, keys)
    return _yaml_fields(block, keys)


def _yaml_fields(block: FrontMatterBlock, keys: tuple[str, ...]) -> list[Field]:
    root = yaml.compose(block.text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return []
    fields: list[Field] = []
    for key_node, value_node in root.value:
        key = key_node.value
        if key not in keys:
            continue
        if isinstance(value_node, yaml.ScalarNode):
            items = [(None, value_node)]
        elif isinstance(value_node, yaml.SequenceNode):
            items = [(i, n) for i, n in enumerate(value_node.value) if isinstance(n, yaml.ScalarNode)]
        else:
            continue
        for index, node in items:
            if node.tag != "tag:yaml.org,2002:str" or not node.value.strip():
                continue
            fields.append(
                Field(
                    key,
                    index,
                    node.value,
                    line=block.first_line + node.start_mark.line,
                    start=node.start_mark.index,
                    end=node.end_mark.index,
                    style=node.style or "",
                )
            )
    return fields


def _toml_fields(block: FrontMatterBlock, keys: tuple[str, ...]) -> list[Field]:
    values = tomllib.loads(block.text)
    fields: list[Field] = []
    for key in keys:
        value = values.get(key)
        line = _toml_line(block, key)
        if isinstance(value, str) and value.strip():
            fields.append(Field(key, None, value, line))
        elif isinstance(value, list):
            fields.extend(Field(key, i, v, line) for i, v in enumerate(value) if isinstance(v, str) and v.strip())
    return fields


def _toml_line(block: FrontMatterBlock, key: str) -> int:
    for number, line in enumerate(block.text.splitlines()):
        if line.lstrip().startswith(key):
            return block.first_line + number
    return block.first_line


def edit(block: FrontMatterBlock, fields: list[tuple[Field, str]], added: dict[str, str], newline: str) -> str:
    """The front matter text with each field's value replaced and `added` keys set."""
    if block.format == "toml":
        return _edit_toml(block, fields, added)
    return _edit_yaml(block, fields, added, newline)


def _edit_yaml(block: FrontMatterBlock, fields: list[tuple[Field, str]], added: dict[str, str], newline: str) -> str:
    text = block.text
    spans = [(f.start, f.end, _yaml_scalar(new, f.style, text[f.start : f.end], in_flow=f.index is not None)) for f, new in fields]
    root = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    existing: dict[str, yaml.Node] = {}
    if isinstance(root, yaml.MappingNode):
        existing = {k.value: v for k, v in root.value}
    appended = []
    for key, value in added.items():
        node = existing.get(key)
        if isinstance(node, yaml.ScalarNode):
            old = text[node.start_mark.index : node.end_mark.index]
            spans.append((node.start_mark.index, node.end_mark.index, _yaml_scalar(value, node.style or "", old, False)))
        else:
            appended.append(f"{key}: {_yaml_scalar(value, '', '', False)}{newline}")
    out, pos = [], 0
    for start, end, replacement in sorted(spans):
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    result = "".join(out)
    if appended:
        if result and not result.endswith(("\n", "\r")):
            result += newline
        result += "".join(appended)
    return result


def _yaml_scalar(value: str, style: str, original: str, in_flow: bool) -> str:
    """Render `value` in the quoting style the author used, falling back to double quotes."""
    trailing = original[len(original.rstrip()) :] if style in ("|", ">") else ""
    if "\n" not in value and "\r" not in value:
        if style == "'":
            return "'" + value.replace("'", "''") + "'"
        if style == "" and _plain_is_safe(value, in_flow):
            return value
    return json.dumps(value, ensure_ascii=False) + trailing


def _plain_is_safe(value: str, in_flow: bool) -> bool:
    if value != value.strip() or (in_flow and any(c in value for c in ",[]{}")):
        return False
    try:
        return yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        return False


def _edit_toml(block: FrontMatterBlock, fields: list[tuple[Field, str]], added: dict[str, str]) -> str:
    doc = tomlkit.parse(block.text)
    for field, new in fields:
        if field.index is None:
            doc[field.key] = new
        else:
            doc[field.key][field.index] = new
    for key, value in added.items():
        doc[key] = value
    return tomlkit.dumps(doc)
