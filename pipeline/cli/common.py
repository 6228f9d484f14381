"""What every command shares: the two consoles, turning errors into exit codes, settings,
the term base, the posts named on the command line, and the run lock."""

from __future__ import annotations

import functools
import glob
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup
from filelock import FileLock, Timeout
from rich.console import Console
from rich.markup import escape

from pipeline.config import Settings, load_settings, replace
from pipeline.engines import ENGINES, engine_names
from pipeline.errors import ConfigError, OutputError, PipelineError
from pipeline.glossary import Glossary, load_glossary
from pipeline.target import all_target_settings, target_settings

LOCK_FILE = ".pipeline.lock"
CommandFunction = Callable[..., Any]


def _flags_without_type(params: list[Any]) -> list[Any]:
    """Typer shows every option's type (`<bool>`) in help, even a flag's that takes no value."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: click.Context) -> list[Any]:
        return _flags_without_type(super().get_params(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx: click.Context) -> list[Any]:
        return _flags_without_type(super().get_params(ctx))


class App(typer.Typer):
    """A Typer app whose help shows no type for flags (the root and each command group)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(cls=_Group, **options)

    def command(self, *args: Any, **options: Any) -> Callable[[CommandFunction], CommandFunction]:  # type: ignore[override]  # passes every option on, adding only cls
        return super().command(*args, cls=_Command, **options)


out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _known_engine(name: str | None) -> str | None:
    """`--engine` checked against the registry when the command runs (an engine registered
    after import, a plug-in or a test's, is accepted too)."""
    if name is not None and name not in engine_names():
        raise typer.BadParameter(f"unknown engine {name!r}: choose {', '.join(engine_names())}")
    return name


EngineOption = Annotated[
    Optional[str],
    typer.Option(
        "--engine",
        "-e",
        metavar="NAME",
        callback=_known_engine,
        help=" | ".join(f"{s.name} ({s.summary})" for s in ENGINES.values()) + ".",
        show_default="deepl",
    ),
]
TargetOption = Annotated[
    Optional[str],
    typer.Option(
        "--to",
        metavar="CODE[,CODE…]",
        help="Target language(s), DeepL's codes (EN-US, ZH-HANS, KO…); several with commas. Default: [translate] targets.",
        show_default="EN-US",
    ),
]
ConfigOption = Annotated[
    Optional[Path],
    typer.Option(
        "--config", help="Settings file (default: pipeline.toml at the project root); its paths are relative to the project root."
    ),
]
PathsArgument = Annotated[
    Optional[list[str]],
    typer.Argument(help="Posts, folders or globs (default: every post under the source folder).", show_default=False),
]


def edge(command: CommandFunction) -> CommandFunction:
    """The one place a pipeline error becomes output, wrapped around every command: one
    line on stderr and the exit code the error's class carries, so commands read as
    straight-line code. (A decorator rather than the command class, so the commands behave
    the same on any Typer app that registers them.)"""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PipelineError as exc:
            raise fail(exc) from exc

    return run


def fail(exc: PipelineError) -> typer.Exit:
    """Print the one-line error and return the exit to raise (its code says what kind)."""
    err.print(f"[red]error:[/red] {escape(str(exc))}")
    return typer.Exit(exc.exit_code)


def settings_from(config: Path | None, to: str | None = None, **overrides: object) -> Settings:
    """The settings of one language with the command line's overrides: `--to` (one code),
    else the configured `target_lang`; another language than that gets folders of its own
    (`pipeline.target.target_settings`). For the commands that work on one language."""
    settings = load_settings(config)
    if to is not None and "," in to:
        raise ConfigError(f"this command works on one language at a time, not {to!r}: run it once per language")
    return replace(target_settings(settings, to or settings.target_lang), **overrides)


def settings_for_targets(config: Path | None, to: str | None = None, **overrides: object) -> list[Settings]:
    """The settings of every language the command works on (`--to`, else `[translate] targets`,
    else `target_lang`), each with its own folders, then the command line's overrides."""
    return [replace(settings, **overrides) for settings in all_target_settings(load_settings(config), to)]


def load_term_base(settings: Settings) -> Glossary:
    """The term base of the settings' target language (`Glossary.in_language`)."""
    return load_glossary(settings.path(settings.glossary_dir)).in_language(settings.target_lang)


def expand_paths(settings: Settings, paths: list[str] | None, must_exist: bool = False) -> list[Path]:
    """Posts named on the command line (files, folders, globs), or every post of the source tree.

    `translate` lets a missing file through so the run reports it beside the posts that
    worked; commands that only read (`must_exist`) refuse it at once."""
    if not paths:
        source = settings.path(settings.source_dir)
        if not source.is_dir():
            raise ConfigError(f"source folder {source} does not exist (set paths.source in pipeline.toml)")
        return sorted(source.rglob("*.md"))
    found: list[Path] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.md")))
        elif any(c in arg for c in "*?["):
            found.extend(sorted(Path(p) for p in glob.glob(arg, recursive=True)))
        elif must_exist and not path.is_file():
            raise ConfigError(f"no such post: {arg}")
        else:
            found.append(path)
    return list(dict.fromkeys(found))


@contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """One writer of editions and state at a time: a second run waits, saying why.

    The lock sits in the state folder, with what it guards: two runs on one tree with
    different `--cache-dir` still take turns. (Its name is in .gitignore; the file stays.)"""
    folder = settings.path(settings.state_dir)
    lock = FileLock(folder / LOCK_FILE)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            err.print(f"another pipeline run holds {escape(str(lock.lock_file))}; waiting for it to finish…")
            lock.acquire()
    except OSError as exc:  # a read-only or full folder, a file in the way
        raise OutputError(f"cannot take the run lock {lock.lock_file}: {exc.strerror or exc}") from exc
    try:
        yield
    finally:
        lock.release()
