"""Front matter values: read them, and edit only the ones we translate, in place.

One `Format` per front matter format (`FORMATS`: YAML and TOML), each reading values,
finding the translatable strings and editing them; translate, lint and site read front
matter through it.

Re-dumping YAML would re-sort keys, drop quotes and reflow lines; instead we locate each
translated scalar's exact span with PyYAML's composer (its marks are character offsets) and
splice a new scalar of the same quoting style into the original text. TOML goes through
tomlkit, whose documents round-trip byte for byte. Values are read with python-frontmatter's
YAML handler (a SafeLoader), so `!!python/object` tags are refused, never constructed.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from collections.abc import Callable
from typing import Any

import tomlkit
import yaml
from frontmatter.default_handlers import YAMLHandler

from pipeline.errors import InputError
from pipeline.japanese import JAPANESE
from pipeline.post import BOM, LINE_BREAK, FrontMatterBlock


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
    """The front matter's values, or an error naming the file and line."""
    values = _values(block, path)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise InputError("front matter is not a mapping of keys to values", path=path, line=block.first_line)
    return dict(values)  # a caller's change never reaches the next caller


@lru_cache(maxsize=8)
def _values(block: FrontMatterBlock, path: Path) -> Any:
    """The front matter's values, remembered while a post is read: its fields, the values a
    theme shows, the reading time and the context each read them (an error is not kept)."""
    return FORMATS[block.format].read(block, path)


def translatable_fields(block: FrontMatterBlock, keys: tuple[str, ...], path: Path) -> list[Field]:
    """The string values (or string list items) of `keys`, in document order."""
    read_values(block, path)  # validate first, with a located error
    return FORMATS[block.format].fields(block, keys)


def shown_fields(block: FrontMatterBlock, path: Path) -> list[Field]:
    """Every top-level string value (or string list item), whatever its key: what a theme may
    show a reader (`title`, `category`, `author`…); none when the block cannot be read."""
    try:
        keys = tuple(str(key) for key in read_values(block, path))
        return FORMATS[block.format].fields(block, keys)
    except (InputError, ValueError, yaml.YAMLError):
        return []


def _read_toml(block: FrontMatterBlock, path: Path) -> Any:
    try:
        return tomllib.loads(block.text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(
            f"malformed TOML front matter: {exc.args[0] if exc.args else exc}",
            path=path,
            line=block.first_line + line - 1 if line else block.first_line,
        ) from exc


def _read_yaml(block: FrontMatterBlock, path: Path) -> Any:
    try:
        return YAMLHandler().load(block.text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if "end of stream" in problem and getattr(exc, "context_mark", None) is not None:
            # an unclosed quote or bracket: where it opened is what the author must fix
            mark = exc.context_mark  # type: ignore[attr-defined]  # checked with getattr just above
            problem = f"{context} that is never closed" if context else problem
        line = block.first_line + mark.line if mark is not None else block.first_line
        if "python/" in str(exc):
            problem = "refused a Python-specific YAML tag (only plain YAML is allowed in front matter)"
        raise InputError(f"malformed YAML front matter: {problem}", path=path, line=line) from exc
    except RecursionError as exc:  # the parser recurses once per level of nesting
        raise InputError("malformed YAML front matter: nested too deep to read", path=path, line=block.first_line) from exc
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise InputError(f"malformed YAML front matter: {exc}", path=path, line=block.first_line) from exc


def _loader(text: str) -> type[yaml.SafeLoader] | type[yaml.CSafeLoader]:
    """libyaml's parser where PyYAML was built with it, as python-frontmatter reads (a run
    reads each front matter several times: in pure Python, a twentieth of its CPU), and
    PyYAML's own for a text holding a byte order mark, where their marks disagree."""
    return yaml.CSafeLoader if yaml.__with_libyaml__ and BOM not in text else yaml.SafeLoader


def _read(read: Callable[..., Any], text: str) -> Any:
    """`read(text, Loader=…)` (`yaml.compose`, `yaml.load`) with libyaml's parser
    (`_loader`); on an error, PyYAML's own reading: its error, whose wording and line the
    messages quote (or its result, for a text only libyaml refuses)."""
    try:
        return read(text, Loader=_loader(text))
    except yaml.YAMLError:
        return read(text, Loader=yaml.SafeLoader)


@lru_cache(maxsize=8)
def _composed(text: str) -> yaml.Node | None:
    """The YAML nodes of a front matter (read only), remembered while a post is read: its
    translated fields and the values a theme shows are found in the same nodes."""
    node: yaml.Node | None = _read(yaml.compose, text)
    return node


def yaml_values(text: str) -> Any:
    """`yaml.safe_load` (no Python tags), with libyaml's parser (`_read`)."""
    return _read(yaml.load, text)


def _yaml_fields(block: FrontMatterBlock, keys: tuple[str, ...]) -> list[Field]:
    root = _composed(block.text)
    if not isinstance(root, yaml.MappingNode):
        return []
    fields: list[Field] = []
    for key_node, value_node in root.value:
        key = key_node.value
        if key not in keys:
            continue
        items: list[tuple[int | None, yaml.ScalarNode]]
        if isinstance(value_node, yaml.ScalarNode):
            items = [(None, value_node)]
        elif isinstance(value_node, yaml.SequenceNode):
            items = [(i, n) for i, n in enumerate(value_node.value) if isinstance(n, yaml.ScalarNode)]
        else:
            continue
        for index, node in items:
            if node.tag != "tag:yaml.org,2002:str" or not node.value.strip():
                continue
            if node.start_mark.index < key_node.start_mark.index:  # an alias: its span is the anchor's, elsewhere
                if JAPANESE.search(node.value) and not any(
                    f.start >= node.start_mark.index and f.end == node.end_mark.index for f in fields
                ):
                    # anchored on a key that is not translated: it would stay Japanese in the English edition
                    raise _alias_error(block, key_node, node)
                continue
            fields.append(
                Field(
                    key,
                    index,
                    node.value,
                    line=block.first_line + node.start_mark.line,
                    start=_past_properties(block.text, node.start_mark.index, node.end_mark.index),
                    end=node.end_mark.index,
                    style=node.style or "",
                )
            )
    return fields


def _alias_error(block: FrontMatterBlock, key_node: yaml.Node, node: yaml.Node) -> InputError:
    """A translated key whose value is an alias (`title: *a`) of Japanese anchored elsewhere:
    the value is written once, at the anchor, so it cannot be replaced here alone."""
    tokens = list(yaml.scan(block.text, Loader=yaml.SafeLoader))
    name = next(
        (t.value for t in tokens if isinstance(t, yaml.AnchorToken) and node.start_mark.index <= t.start_mark.index < node.end_mark.index),
        "?",
    )
    alias = next(
        (t for t in tokens if isinstance(t, yaml.AliasToken) and t.value == name and t.start_mark.index > key_node.start_mark.index),
        None,
    )
    line = block.first_line + (alias.start_mark.line if alias is not None else key_node.start_mark.line)
    return InputError(
        f"{key_node.value}: *{name} stands for the value anchored as &{name} on line {block.first_line + node.start_mark.line}, "
        "which cannot be translated here; write the value out in this key",
        line=line,
    )


_PROPERTY = re.compile(r"[&!][^\s]*\s+")


def _past_properties(text: str, start: int, end: int) -> int:
    """Where a scalar's value starts: past its anchor (`&t`) and tag (`!!str`), which the
    composer counts in the node's span. Replaced with the value, an anchor would be lost
    and every alias of it (`*t`) left dangling."""
    while start < end:
        found = _PROPERTY.match(text, start, end)
        if found is None:
            break
        start = found.end()
    return start


def _toml_fields(block: FrontMatterBlock, keys: tuple[str, ...]) -> list[Field]:
    values = tomllib.loads(block.text)
    try:
        spans = dict(_toml_root_values(block.text))
    except ValueError:
        spans = {}
    fields: list[Field] = []
    for key in keys:
        value = values.get(key)
        located = spans.get(key)
        if isinstance(value, str) and value.strip():
            start, end = located[0] if located else (0, 0)
            line = _toml_line(block, key, start if located else None)
            fields.append(Field(key, None, value, line, start, end, _toml_style(block.text[start:end])))
        elif isinstance(value, list):
            elements = located[1] if located else []
            for i, item in enumerate(value):
                if not isinstance(item, str) or not item.strip():
                    continue
                start, end = elements[i] if i < len(elements) else (0, 0)
                line = _toml_line(block, key, start if i < len(elements) else None)
                fields.append(Field(key, i, item, line, start, end, _toml_style(block.text[start:end])))
    return fields


def _toml_line(block: FrontMatterBlock, key: str, offset: int | None) -> int:
    if offset is not None:
        return block.first_line + len(LINE_BREAK.findall(block.text, 0, offset))
    for number, line in enumerate(block.text.splitlines()):
        if line.lstrip().startswith(key):
            return block.first_line + number
    return block.first_line


Value = str | list[str]  # a list: a spaced taxonomy string written as a flow list (see edition.UnitMaker.field)


def edit(block: FrontMatterBlock, fields: Sequence[tuple[Field, Value]], added: dict[str, str | int], newline: str) -> str:
    """The front matter text with each field's value replaced and `added` keys set.

    A field whose new value equals its old one keeps its original bytes (quoting, escapes,
    block style), so an unchanged translation leaves the front matter byte-identical.
    """
    handler = FORMATS[block.format]
    changed = [(f, new) for f, new in ((f, handler.written(f, new)) for f, new in fields) if new != f.value]
    return handler.edit(block, changed, added, newline)


def _yaml_ends_as(field: Field, new: Value) -> Value:
    """A YAML block scalar's translation ends with the line breaks its Japanese ended with, so
    the author's chomping (`>` or `|`, not `>-`) is kept: the English is written stripped."""
    if field.style not in ("|", ">") or isinstance(new, list):
        return new
    body = new.rstrip("\n")
    return body + field.value[len(field.value.rstrip("\n")) :]


def _refuse_collections(block: FrontMatterBlock, root: yaml.MappingNode, added: dict[str, str | int]) -> None:
    """A list or mapping under a key the edition gets one value for (`lang:`, `ref:`) is
    refused with its line: an appended key would duplicate it."""
    for key_node, node in root.value:
        if key_node.value in added and not isinstance(node, yaml.ScalarNode):
            kind = "list" if isinstance(node, yaml.SequenceNode) else "mapping"
            raise InputError(
                f"{key_node.value}: is a {kind} in the Japanese front matter, where the English edition gets a single "
                f"value ({key_node.value}: {added[key_node.value]}); make it one value, or remove it",
                line=block.first_line + key_node.start_mark.line,
            )


def _edit_yaml(block: FrontMatterBlock, fields: list[tuple[Field, Value]], added: dict[str, str | int], newline: str) -> str:
    text = block.text
    root = _composed(text) if text.strip() else None
    existing: dict[str, yaml.Node] = {}
    if isinstance(root, yaml.MappingNode):
        existing = {k.value: v for k, v in root.value}
        _refuse_collections(block, root, added)
    for quoted in (False, True):  # the author's styles first; double quotes if that fails
        spans = [(f.start, f.end, _yaml_scalar(new, f.style, text[f.start : f.end], f.index is not None, quoted)) for f, new in fields]
        appended = []
        for key, value in added.items():
            node = existing.get(key)
            if isinstance(node, yaml.ScalarNode):
                if node.value == value and node.tag == "tag:yaml.org,2002:str":
                    continue
                start, end = node.start_mark.index, node.end_mark.index
                spans.append((start, end, _yaml_scalar(value, node.style or "", text[start:end], False, quoted)))
            else:
                appended.append(f"{key}: {_yaml_scalar(value, '', '', False, quoted)}{newline}")
        result = _splice(text, spans)
        if appended:
            if result and not result.endswith(("\n", "\r")):
                result += newline
            result += "".join(appended)
        if _parses_to(yaml_load(result), fields, added):
            return result
    raise InputError(
        "could not edit the YAML front matter in place; write it as a block mapping (one `key: value` per line)",
        line=block.first_line,
    )


def yaml_load(text: str) -> Any:
    """Safe load (no Python tags), None when it does not parse."""
    try:
        return yaml_values(text)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _parses_to(values: Any, fields: list[tuple[Field, Value]], added: dict[str, str | int]) -> bool:
    """Whether edited front matter reads back as the values we meant to write."""
    if not isinstance(values, dict):
        return False
    for f, new in fields:
        got = values.get(f.key)
        if f.index is not None:
            got = got[f.index] if isinstance(got, list) and f.index < len(got) else None
        if got != new:
            return False
    return all(values.get(k) == v for k, v in added.items())


def _splice(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, replacement in sorted(spans):
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _yaml_scalar(value: str | int | list[str], style: str, original: str, in_flow: bool, quoted: bool = False) -> str:
    """Render `value` in the quoting style the author used, falling back to double quotes.

    With `quoted`, always the double-quoted form (valid in any context): used when the
    in-place rendering did not read back as the value.
    """
    if isinstance(value, int):  # derived numbers such as reading_time
        return str(value)
    if isinstance(value, list):  # a flow list of double-quoted strings (JSON is YAML)
        return json.dumps(value, ensure_ascii=False)
    trailing = original[len(original.rstrip()) :] if style in ("|", ">") else ""
    if not quoted:
        if style in ("|", ">"):
            block = _yaml_block(value, original)
            if block is not None:
                return block
        elif "\n" not in value and "\r" not in value:
            if style == "'":
                return "'" + value.replace("'", "''") + "'"
            if style == "" and _plain_is_safe(value, in_flow):
                return value
    return json.dumps(value, ensure_ascii=False) + trailing


_BLOCK_HEADER = re.compile(r"([|>])([1-9]?)([+-]?)([1-9]?)([^\r\n]*)(\r\n|\r|\n)")


def _yaml_block(value: str, original: str) -> str | None:
    """`value` as a literal (`|`) or folded (`>`) block with the original's indentation.

    None when the value cannot be written that way safely (leading spaces, line-end
    spaces, a newline in a folded block); the caller then uses double quotes.
    """
    header = _BLOCK_HEADER.match(original)
    if header is None:
        return None
    content = next((ln for ln in original[header.end() :].splitlines() if ln.strip()), None)
    if content is None:
        return None
    indent = content[: len(content) - len(content.lstrip(" "))]
    kind, explicit, comment, eol = header.group(1), header.group(2) or header.group(4), header.group(5), header.group(6)
    text = value.rstrip("\n")
    newlines = len(value) - len(text)
    lines = text.split("\n")
    if not text or text[0] in " \t" or re.search(r"[\r\x85\u2028\u2029]", text) or newlines > 1:
        return None
    if (kind == ">" and len(lines) > 1) or any(ln != ln.rstrip(" \t") for ln in lines):
        return None
    chomp = "-" if newlines == 0 else ""
    rendered = kind + explicit + chomp + comment + eol + eol.join(indent + ln if ln else "" for ln in lines)
    rest = original[len(original.rstrip()) :]  # what followed the original block: its line break(s)
    return rendered + (rest if rest else "" if newlines == 0 else eol)


@lru_cache(maxsize=256)
def _plain_is_safe(value: str, in_flow: bool) -> bool:
    """Whether `value` reads back as itself unquoted; remembered, as the values we add
    (`lang: en`) are the same in every post. Read as the edited front matter is read back
    (`_parses_to`) and as Jekyll reads it: with libyaml (`yaml_values`)."""
    if value != value.strip() or (in_flow and any(c in value for c in ",[]{}")):
        return False
    try:
        return bool(yaml_values(f"k: {value}") == {"k": value})
    except (yaml.YAMLError, RecursionError, ValueError):
        return False


# --- TOML: the root table's values located by a small scanner, edited in place ----------
# tomlkit keeps comments, but re-renders replaced strings in its own quoting and can
# re-space tables, so it is only the fallback for documents the scanner does not follow.

_TOML_KEY = re.compile(r"""[ \t]*([A-Za-z0-9_-]+|"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*')[ \t]*=[ \t]*""")
_TOML_SCALAR = re.compile(r"[^,\]}\s#]*(?:[ \t][0-9][^,\]}\s#]*)?")  # numbers, booleans, dates (a space before the time)
_TOML_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
Located = tuple[tuple[int, int], list[tuple[int, int]]]


def _toml_root_values(text: str) -> list[tuple[str, Located]]:
    """(key, (value span, element spans when an array)) of every simple key of the root
    table, which ends at the first table header. ValueError on what it does not follow."""
    found: list[tuple[str, Located]] = []
    pos = _toml_skip_blank(text, 0)
    while pos < len(text) and text[pos] != "[":
        m = _TOML_KEY.match(text, pos)
        if m is None:
            raise ValueError(f"unexpected TOML at offset {pos}")
        key = m.group(1)
        if key[0] in "\"'":
            key = next(iter(tomllib.loads(f"{key} = 0")))
        end, elements = _toml_value(text, m.end())
        found.append((key, ((m.end(), end), elements)))
        pos = _toml_skip_blank(text, _toml_line_end(text, end))
    return found


def _toml_root_end(text: str) -> int:
    """Offset just after the last line of the root table that holds a value (0 if none)."""
    last = 0
    pos = _toml_skip_blank(text, 0)
    while pos < len(text) and text[pos] != "[":
        m = _TOML_KEY.match(text, pos)
        if m is None:
            raise ValueError(f"unexpected TOML at offset {pos}")
        end, _ = _toml_value(text, m.end())
        last = _toml_line_end(text, end)
        pos = _toml_skip_blank(text, last)
    return last


def _toml_skip_blank(text: str, pos: int) -> int:
    """Past whitespace, line breaks and comments."""
    while pos < len(text):
        if text[pos] in " \t\r\n":
            pos += 1
        elif text[pos] == "#":
            m = LINE_BREAK.search(text, pos)
            pos = m.end() if m else len(text)
        else:
            break
    return pos


def _toml_line_end(text: str, pos: int) -> int:
    m = re.compile(r"[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n|$)").match(text, pos)
    if m is None:
        raise ValueError(f"unexpected TOML after a value at offset {pos}")
    return m.end()


_Span = tuple[int, list[tuple[int, int]]]  # a value's end, and its elements' spans (arrays)


def _toml_multiline(text: str, pos: int) -> _Span:
    quote = text[pos : pos + 3]
    i = pos + 3
    while True:
        j = text.find(quote, i)
        if j < 0:
            raise ValueError("unclosed multi-line string")
        if quote == '"""' and _escaped(text, j):
            i = j + 1
            continue
        end = j + 3
        while end < len(text) and text[end] == quote[0] and end - j < 5:
            end += 1  # up to two quotes may end the content right before the delimiter
        return end, []


def _toml_basic_end(text: str, pos: int) -> _Span:
    i = pos + 1
    while i < len(text) and text[i] not in '"\r\n':
        i += 2 if text[i] == "\\" else 1
    if i >= len(text) or text[i] != '"':
        raise ValueError("unclosed string")
    return i + 1, []


def _toml_literal_end(text: str, pos: int) -> _Span:
    end = text.find("'", pos + 1)
    if end < 0:
        raise ValueError("unclosed string")
    return end + 1, []


def _toml_container(text: str, pos: int) -> _Span:
    """An array or inline table: its elements' spans (an inline table's values)."""
    closer = "]" if text[pos] == "[" else "}"
    elements: list[tuple[int, int]] = []
    i = _toml_skip_blank(text, pos + 1)
    while i < len(text) and text[i] != closer:
        if closer == "}":
            m = _TOML_KEY.match(text, i)
            if m is None:
                raise ValueError("inline table key not followed")
            i = m.end()
        end, _ = _toml_value(text, i)
        elements.append((i, end))
        i = _toml_skip_blank(text, end)
        if i < len(text) and text[i] == ",":
            i = _toml_skip_blank(text, i + 1)
    if i >= len(text):
        raise ValueError("unclosed array or inline table")
    return i + 1, elements


def _toml_scalar(text: str, pos: int) -> _Span:
    m = _TOML_SCALAR.match(text, pos)
    if m is None or m.end() == pos:
        raise ValueError(f"value not followed at offset {pos}")
    return m.end(), []


# How a TOML value starts → where it ends; longest opening first.
_TOML_VALUES: tuple[tuple[str, Callable[[str, int], _Span]], ...] = (
    ('"""', _toml_multiline),
    ("'''", _toml_multiline),
    ('"', _toml_basic_end),
    ("'", _toml_literal_end),
    ("[", _toml_container),
    ("{", _toml_container),
)


def _toml_value(text: str, pos: int) -> _Span:
    """End of the TOML value at `pos`, and the spans of its elements when it is an array."""
    for opening, handler in _TOML_VALUES:
        if text.startswith(opening, pos):
            return handler(text, pos)
    return _toml_scalar(text, pos)


def _escaped(text: str, pos: int) -> bool:
    """Whether the character at `pos` is preceded by an odd number of backslashes."""
    run = pos
    while run > 0 and text[run - 1] == "\\":
        run -= 1
    return (pos - run) % 2 == 1


def _toml_style(source: str) -> str:
    for quote in ('"""', "'''", '"', "'"):
        if source.startswith(quote):
            return quote
    return ""


def _toml_string(value: str | int, style: str, original: str) -> str:
    """`value` as a TOML string in the author's quoting style where it can be written so."""
    if isinstance(value, int):  # derived numbers such as reading_time
        return str(value)
    lead = ""
    if style in ('"""', "'''"):
        lead = re.match(r"(?:'''|\"\"\")(\r\n|\n)?", original).group(1) or ""  # type: ignore[union-attr]  # style says the value opens with the quotes
    if style == "'" and not re.search(r"['\r\n]", value) and not _TOML_CONTROL.search(value):
        return f"'{value}'"
    if style == "'''" and "'''" not in value and not value.endswith("'") and not _TOML_CONTROL.search(value):
        return f"'''{lead}{value}'''"
    if style == '"""':
        body = value.replace("\\", "\\\\").replace('"', '\\"')
        body = _TOML_CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", body)
        return f'"""{lead}{body}"""'
    return _toml_basic(value)


def _toml_basic(value: str) -> str:
    escapes = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    return '"' + "".join(escapes.get(c, f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c) for c in value) + '"'


def _edit_toml(block: FrontMatterBlock, fields: list[tuple[Field, Value]], added: dict[str, str | int], newline: str) -> str:
    text = block.text
    try:
        located = dict(_toml_root_values(text))
        root_end = _toml_root_end(text)
    except ValueError:
        return _edit_toml_by_tomlkit(block, fields, added)
    current = tomllib.loads(text)
    spans: list[tuple[int, int, str]] = []
    for f, new in fields:
        if f.end <= f.start:
            return _edit_toml_by_tomlkit(block, fields, added)
        rendered = (
            "[" + ", ".join(_toml_basic(v) for v in new) + "]"
            if isinstance(new, list)
            else _toml_string(new, f.style, text[f.start : f.end])
        )
        spans.append((f.start, f.end, rendered))
    appended: list[str] = []
    for key, value in added.items():
        if current.get(key) == value:
            continue
        if key in located and isinstance(current.get(key), str):
            (start, end), _ = located[key]
            spans.append((start, end, _toml_string(value, _toml_style(text[start:end]), text[start:end])))
        elif key in current:
            return _edit_toml_by_tomlkit(block, fields, added)
        else:
            rendered = _toml_basic(value) if isinstance(value, str) else str(value)
            appended.append(f"{key} = {rendered}{newline}")
    if appended:
        at = root_end
        prefix = newline if at > 0 and not text[:at].endswith(("\n", "\r")) else ""
        spans.append((at, at, prefix + "".join(appended)))
    result = _splice(text, spans)
    try:
        values = tomllib.loads(result)
    except tomllib.TOMLDecodeError:
        return _edit_toml_by_tomlkit(block, fields, added)
    return result if _parses_to(values, fields, added) else _edit_toml_by_tomlkit(block, fields, added)


def _edit_toml_by_tomlkit(block: FrontMatterBlock, fields: list[tuple[Field, Value]], added: dict[str, str | int]) -> str:
    """Fallback for TOML the scanner does not follow: tomlkit keeps most of the layout."""
    doc = tomlkit.parse(block.text)
    for field, new in fields:
        if field.index is None:
            doc[field.key] = new
        else:
            doc[field.key][field.index] = new
    for key, value in added.items():
        if doc.get(key) != value:
            doc[key] = value
    return tomlkit.dumps(doc)


_Edits = list[tuple[Field, Value]]


def _as_given(field: Field, new: Value) -> Value:
    return new


@dataclass(frozen=True)
class Format:
    """One front matter format, in the spirit of python-frontmatter's handlers: how its
    values are read (with a located error), where its translatable strings are, and how
    they are replaced in place. `load` is the bare parser (raising `syntax_error`), for
    readers that word their own messages (lint)."""

    name: str
    load: Callable[[str], Any]
    syntax_error: type[Exception]
    read: Callable[[FrontMatterBlock, Path], Any]
    fields: Callable[[FrontMatterBlock, tuple[str, ...]], list[Field]]
    edit: Callable[[FrontMatterBlock, _Edits, dict[str, str | int], str], str]
    assigns: str  # what follows a top-level key: ":" or "="
    written: Callable[[Field, Value], Value] = _as_given  # a translation as this format writes it
    # Whether a post's file name (2025-01-11-title.md) dates it when the front matter has no
    # date: Jekyll's reading of its YAML posts. `+++` TOML is Hugo's, which by default does not.
    name_dates: bool = False


FORMATS: dict[str, Format] = {
    "yaml": Format("yaml", yaml_values, yaml.YAMLError, _read_yaml, _yaml_fields, _edit_yaml, ":", _yaml_ends_as, True),
    "toml": Format("toml", tomllib.loads, tomllib.TOMLDecodeError, _read_toml, _toml_fields, _edit_toml, "="),
}
