"""Every command line and configuration example in README.md and docs/**/*.md works, checked
the way markdown-it-py runs its spec examples: one test per example, named `FILE:LINE`, so
the docs cannot rot.

Commands. In a shell-like code block (an indented block, or a fence whose info string is
empty or one of SHELL_BLOCKS), every `pipeline …` line — also `.venv/bin/pipeline …` and
`python -m pipeline …` — is parsed by the real command line: the click command built from the
Typer app (`typer.main.get_command`) resolves each subcommand and parses its arguments and
options (`make_context`/`resolve_command`) without running anything, so an unknown command or
option, a bad value or a missing argument fails with click's own error. The line is read as
a shell would: `\\` continuations joined, a `$ ` prompt, `NAME=value` assignments, a trailing
`# comment` and redirections (`>> "$GITHUB_OUTPUT"`) dropped, commands joined with `&&`, `||`,
`|` or `;` taken one by one. In a `console` block only the `$ ` lines are commands (the rest
is their output): show a transcript there, not in a `text` block, where a line of output that
begins with `pipeline` would be read as a command.

TOML. Every ```toml block is loaded by the real settings loader (`pipeline.config.
load_settings`) as a pipeline.toml of its own, so an unknown key, a mistyped value or a bad
combination fails as it would for a user. A block that shows only part of a file says so in
an HTML comment right before it:

    <!-- toml: fragment -->          checked as TOML syntax only (not a whole pipeline.toml)
    <!-- toml: in [translate] -->    its keys belong to that table: loaded under `[translate]`

The configuration reference, docs/configuration.md, must be what its generator makes now
(`pipeline config-reference docs/configuration.md`).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import typer
from helpers import REPO, run_cli
from markdown_it import MarkdownIt
from markdown_it.token import Token
from typer import _click as click
from typer.core import TyperGroup

from pipeline.cli import app
from pipeline.config import load_settings, reference_tables
from pipeline.config_reference import REFERENCE_FILE, REGENERATE, render
from pipeline.engines import ENGINES, EngineSpec, register
from pipeline.errors import ConfigError
from pipeline.keys import Key, Table, toml_value

DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
SHELL_BLOCKS = {"", "sh", "bash", "zsh", "shell", "console", "shell-session", "text", "txt"}
PROMPTED_BLOCKS = {"console", "shell-session"}  # only `$ ` lines are commands
_MENTIONS_PIPELINE = re.compile(r"(?:^|[\s;&|(])(?:\S*/)?(?:pipeline|python3?\s+-m\s+pipeline)(?:\s|$)")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_STARTS_WITH_PIPELINE = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:\S*/)?(?:pipeline|python[0-9.]*\s+-m\s+pipeline)(?:\s|$)")
_PREFIX_WORDS = {"do", "then", "else", "time", "exec", "env", "!"}  # what may come before a command's name
_MARKER = re.compile(r"<!--\s*toml:\s*(.*?)\s*-->")
_IN_TABLE = re.compile(r"in \[([A-Za-z0-9_.-]+)\]")


@dataclass(frozen=True)
class Example:
    where: str  # `docs/ci.md:12`
    text: str  # as written in the doc (a command line, or the TOML)
    args: tuple[str, ...] = ()  # a command's arguments after `pipeline`
    marker: str = ""  # a TOML block's `<!-- toml: … -->`
    problem: str = ""  # the line cannot be read as a shell command


@dataclass(frozen=True)
class Block:
    line: int  # of the block's first content line, 1-based
    info: str  # the fence's language, lower case; "" for an indented block
    content: str
    marker: str


def _blocks(path: Path) -> Iterator[Block]:
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    for index, token in enumerate(tokens):
        if token.type not in ("fence", "code_block") or token.map is None:
            continue
        line = token.map[0] + (2 if token.type == "fence" else 1)
        info = token.info.split()[0].lower() if token.info.strip() else ""
        yield Block(line, info, token.content, _marker(tokens[index - 1]) if index else "")


def _marker(token: Token) -> str:
    found = _MARKER.fullmatch(token.content.strip()) if token.type == "html_block" else None
    return found.group(1) if found else ""


def _logical_lines(content: str) -> Iterator[tuple[int, str]]:
    """Each line with its offset in the block, `\\` continuations joined."""
    lines = content.split("\n")
    index = 0
    while index < len(lines):
        start, text = index, lines[index]
        while text.rstrip().endswith("\\") and index + 1 < len(lines):
            index += 1
            text = text.rstrip()[:-1] + " " + lines[index].strip()
        index += 1
        yield start, text.strip()


def _simple_commands(line: str) -> Iterator[list[str]]:
    """The words of each simple command on a shell line, redirections dropped."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    tokens = iter(list(lexer))
    for token in tokens:
        if token and set(token) <= set("();<>|&"):
            if "<" in token or ">" in token:
                if words and words[-1].isdigit():  # `2>&1`: the descriptor (shlex does not keep the spacing)
                    words.pop()
                next(tokens, None)  # the redirection's target
                continue
            yield words
            words = []
        else:
            words.append(token)
    yield words


def _pipeline_args(words: list[str]) -> tuple[str, ...] | None:
    """The arguments after `pipeline` (or `python -m pipeline`), None for another command."""
    while words and (_ASSIGNMENT.match(words[0]) or words[0] in _PREFIX_WORDS):
        words = words[1:]
    if words and Path(words[0]).name == "pipeline":
        return tuple(words[1:])
    if len(words) > 2 and re.fullmatch(r"python[0-9.]*", Path(words[0]).name) and words[1:3] == ["-m", "pipeline"]:
        return tuple(words[3:])
    return None


def _commands_in(block: Block, where: str) -> Iterator[Example]:
    for offset, text in _logical_lines(block.content):
        prompted = text.startswith("$ ")
        text = text[2:] if prompted else text
        if (block.info in PROMPTED_BLOCKS and not prompted) or not _MENTIONS_PIPELINE.search(text):
            continue
        at = f"{where}:{block.line + offset}"
        try:
            commands = [args for words in _simple_commands(text) if (args := _pipeline_args(words)) is not None]
        except ValueError as exc:  # an unclosed quote: a command's error, or prose that mentions pipeline
            if _STARTS_WITH_PIPELINE.match(text):
                yield Example(at, text, problem=f"not a shell command line ({exc})")
            continue
        yield from (Example(at, text, args) for args in commands)


def _examples() -> tuple[list[Example], list[Example]]:
    commands: list[Example] = []
    tomls: list[Example] = []
    for path in DOCS:
        name = path.relative_to(REPO).as_posix()
        for block in _blocks(path):
            if block.info == "toml":
                tomls.append(Example(f"{name}:{block.line}", block.content, marker=block.marker))
            elif block.info in SHELL_BLOCKS:
                commands.extend(_commands_in(block, name))
    return commands, tomls


COMMANDS, TOMLS = _examples()


def _ids(examples: list[Example]) -> list[str]:
    """`FILE:LINE`, with `#2`… for a second command on one line."""
    ids: list[str] = []
    for example in examples:
        ids.append(example.where if example.where not in ids else f"{example.where}#{ids.count(example.where) + 1}")
    return ids


@cache
def _cli() -> click.Command:
    return typer.main.get_command(app)


def _parse(args: tuple[str, ...]) -> None:
    """Resolve `pipeline ARGS` down to its command and parse its options, running nothing
    (click's UsageError when they do not parse)."""
    command = _cli()
    context = command.make_context("pipeline", list(args))
    while isinstance(command, TyperGroup):
        rest = [*context._protected_args, *context.args]  # as TyperGroup.invoke reads them
        name, found, rest = command.resolve_command(context, rest)
        assert found is not None and name is not None
        command = found
        context = command.make_context(name, rest, parent=context)


def _click_error(args: tuple[str, ...]) -> str | None:
    try:
        _parse(args)
    except click.exceptions.NoArgsIsHelpError:  # shows the help: fine
        return None
    except typer.Exit as exc:  # --help
        return None if exc.exit_code == 0 else f"exits {exc.exit_code}"
    except click.ClickException as exc:
        return exc.format_message()
    return None


@pytest.mark.parametrize("example", COMMANDS, ids=_ids(COMMANDS))
def test_a_documented_command_line_parses(example: Example) -> None:
    assert not example.problem, f"{example.where}: `{example.text}`: {example.problem}"
    error = _click_error(example.args)
    assert error is None, f"{example.where}: `{example.text}`: `pipeline {shlex.join(example.args)}` does not parse: {error}"


def _toml_text(example: Example) -> str | None:
    """The pipeline.toml to load for a block, None for a fragment (syntax only)."""
    if example.marker == "fragment":
        return None
    if not example.marker:
        return example.text
    table = _IN_TABLE.fullmatch(example.marker)
    assert table, f"{example.where}: unknown marker <!-- toml: {example.marker} -->: write `fragment` or `in [TABLE]`"
    return f"[{table.group(1)}]\n{example.text}"


@pytest.mark.parametrize("example", TOMLS, ids=_ids(TOMLS))
def test_a_documented_toml_example_loads(example: Example, tmp_path: Path) -> None:
    try:
        tomllib.loads(example.text)
    except tomllib.TOMLDecodeError as exc:
        pytest.fail(f"{example.where}: not TOML: {exc}")
    text = _toml_text(example)
    if text is None:
        return
    (tmp_path / "pipeline.toml").write_text(text, encoding="utf-8")
    try:
        load_settings(tmp_path / "pipeline.toml", root=tmp_path)
    except ConfigError as exc:
        pytest.fail(f"{example.where}: this pipeline.toml example does not load: {exc}")


def test_the_docs_have_examples_to_check() -> None:
    """The collection above found what it looks for (a parser change cannot empty it)."""
    assert any(e.where.startswith("README.md:") for e in COMMANDS), [e.where for e in COMMANDS]
    assert any(e.where.startswith("README.md:") for e in TOMLS), [e.where for e in TOMLS]


def test_a_broken_command_or_unknown_key_would_be_caught(tmp_path: Path) -> None:
    """The checks above can fail: a misspelt option, an unknown command, a missing argument."""
    assert _click_error(("translate", "--force")) is None
    assert _click_error(("site", "check", "--help")) is None
    assert "No such option" in (_click_error(("translate", "--forse")) or "")
    assert "No such command" in (_click_error(("transalte",)) or "")
    assert "Missing argument" in (_click_error(("import",)) or "")
    block = Block(3, "console", "$ FOO=1 .venv/bin/pipeline status --json | jq . # all\nnot pipeline output\n", "")
    assert [(e.where, e.args) for e in _commands_in(block, "x.md")] == [("x.md:3", ("status", "--json"))]
    block = Block(7, "sh", "git mv a b && \\\n  pipeline translate --prune >> log 2>&1\nit's a pipeline run\npipeline lint 'x\n", "")
    found = [(e.where, e.args, e.problem[:24]) for e in _commands_in(block, "y.md")]
    assert found == [("y.md:7", ("translate", "--prune"), ""), ("y.md:10", (), "not a shell command line")], found
    (tmp_path / "pipeline.toml").write_text("[translate]\nengnie = 'pseudo'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'translate.engnie'"):
        load_settings(tmp_path / "pipeline.toml", root=tmp_path)


def test_the_configuration_reference_is_up_to_date() -> None:
    path = REPO / REFERENCE_FILE
    assert path.is_file(), f"{REFERENCE_FILE} is missing: run `{REGENERATE}` at the repository root"
    assert path.read_text(encoding="utf-8") == render(), (
        f"{REFERENCE_FILE} is stale (a setting was added, removed or redescribed): run `{REGENERATE}` at the repository root"
    )


def test_every_key_of_the_reference_is_one_the_loader_reads(tmp_path: Path) -> None:
    """Each key the reference lists, set to its default in a pipeline.toml, loads: the
    reference names the keys as the file spells them."""
    checked = []
    for table in reference_tables():
        name = table.name.replace("CODE", "KO")
        for key_name, key in table.keys.items():
            value = getattr(table.owner(), key.attribute)
            if value is None or key.default:  # no value to write
                continue
            (tmp_path / "pipeline.toml").write_text(f"[{name}]\n{key_name} = {toml_value(value)}\n", encoding="utf-8")
            load_settings(tmp_path / "pipeline.toml", root=tmp_path)
            checked.append(f"{name}.{key_name}")
    assert {"paths.source", "translate.jobs", "deepl.timeout", "openai.model", "openai.headers"} <= set(checked), checked


def test_an_engine_s_own_table_appears_in_the_reference() -> None:
    """The reference lists what the registry holds: an engine registered with a table of its
    own gets a section, with no change to the generator."""
    toy = Table("toy", "A toy engine's own options.", {"level": Key("level", int, "How loud it is.")}, _ToyOptions)
    register(EngineSpec("toy", "a toy", lambda setup: ENGINES["identity"].build(setup), reference=lambda: toy))
    try:
        text = render()
    finally:
        del ENGINES["toy"]
    assert "## `[toy]`\n\nA toy engine's own options." in text
    assert "| `level` | integer | `3` | How loud it is. |" in text


@dataclass(frozen=True)
class _ToyOptions:
    level: int = 3


def test_the_reference_command_prints_or_writes_the_reference(tmp_path: Path) -> None:
    printed = run_cli("config-reference")
    assert printed.exit_code == 0, printed.stderr
    assert printed.stdout == render()
    written = run_cli("config-reference", str(tmp_path / "docs" / "configuration.md"))
    assert written.exit_code == 0, written.stderr
    assert (tmp_path / "docs" / "configuration.md").read_text(encoding="utf-8") == render()
    (tmp_path / "taken").mkdir()
    refused = run_cli("config-reference", str(tmp_path / "taken"))
    assert refused.exit_code == 1 and "cannot write the configuration reference" in refused.stderr, refused


def test_a_marker_before_a_toml_block_says_how_it_is_loaded(tmp_path: Path) -> None:
    doc = tmp_path / "guide.md"
    doc.write_text(
        "Text.\n\n<!-- toml: in [translate] -->\n```toml\njobs = 2\n```\n\n<!-- toml: fragment -->\n```toml\nx = 1\n```\n\n```toml\n[code]\n```\n",
        encoding="utf-8",
    )
    blocks = list(_blocks(doc))
    assert [(b.line, b.marker) for b in blocks] == [(5, "in [translate]"), (10, "fragment"), (14, "")]
    texts = [_toml_text(Example(f"guide.md:{b.line}", b.content, marker=b.marker)) for b in blocks]
    assert texts == ["[translate]\njobs = 2\n", None, "[code]\n"]
    (tmp_path / "pipeline.toml").write_text(texts[0] or "", encoding="utf-8")
    assert load_settings(tmp_path / "pipeline.toml", root=tmp_path).jobs == 2
