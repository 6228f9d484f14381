"""The language a run writes, and where everything of that language lives.

A `Target` gathers what used to be separate settings (`target_lang`, `output_dir`,
`state_dir`, `lang_value`) so that every place that needs "the English side" asks one
object: the edition of a post, its state file, the memory, the `lang` value written into
the front matter, and the language code the engine is asked for. English is the one
configured target today; a second one is a second `Target` built from configuration, and
nothing that takes a `Target` changes.

A target owns its output folder: `--to EN-GB` on a tree configured for EN-US writes to
folders of its own (`retarget`), never over the EN-US editions.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Settings, check_target
from pipeline.errors import ConfigError, InputError
from pipeline.japanese import HAN_SCRIPT_TARGETS
from pipeline.memory import MEMORY_FILE, TranslationMemory
from pipeline.post import Resolver
from pipeline.state import state_files


@dataclass(frozen=True)
class Target:
    code: str  # the edition's language, lower case ("en"): the memory's field for its text
    engine_code: str  # what the engine is asked for ("EN-US")
    output_dir: Path  # editions, at the same relative paths as the sources
    state_dir: Path  # per-post state records, the memory and the run lock
    lang_value: str  # the front matter `lang` value of an edition ("en")
    source_code: str = "ja"  # the sources' language, lower case: the memory's field for their text
    folder: str = ""  # the output folder as configured (project-relative): what a state record names its edition by

    @classmethod
    def of(cls, settings: Settings) -> Target:
        """The configured target."""
        return cls(
            code=settings.target_lang.split("-")[0].lower(),
            engine_code=settings.target_lang.upper(),
            output_dir=settings.path(settings.output_dir),
            state_dir=settings.path(settings.state_dir),
            lang_value=settings.lang_value,
            source_code=settings.source_lang.split("-")[0].lower(),
            folder=Path(os.path.normpath(settings.output_dir)).as_posix(),
        )

    @property
    def han_script(self) -> bool:
        """Written with Han characters (Chinese): Japanese left in it is counted otherwise
        (`pipeline.leftovers`)."""
        return self.engine_code.split("-")[0] in HAN_SCRIPT_TARGETS

    @property
    def languages(self) -> tuple[str, str]:
        """(source, target) language codes: the fields of a memory entry."""
        return (self.source_code, self.code)

    @property
    def memory_file(self) -> Path:
        return self.state_dir / MEMORY_FILE

    def load_memory(self) -> TranslationMemory:
        return TranslationMemory.load(self.memory_file, self.languages)

    def edition_path(self, relative: Path) -> Path:
        """The edition of the post at `relative` in the source tree."""
        return self.output_dir / relative

    def recorded_edition(self, relative: Path) -> str:
        """How a state record names the edition of the post at `relative`: the same from any
        working folder and any clone, so a run can tell whether a record describes its editions."""
        return f"{self.folder}/{relative.as_posix()}" if self.folder else relative.as_posix()

    def describes(self, recorded: str, relative: Path) -> bool:
        """Whether a record naming its edition `recorded` describes this target's edition of
        `relative` (an older record named it from the working folder: `../../content/en/x.md`)."""
        mine = self.recorded_edition(relative)
        return not recorded or recorded == mine or recorded.endswith("/" + mine)

    def check_state_folder(self) -> None:
        """Refuse a run whose output folder is not the one the state folder describes (a
        preview into `preview/en` with the real `translations/`): its states would then
        describe the preview, and the next real run would take every machine segment of the
        real editions for a translator's edit. One record decides: all of them name one folder."""
        record = next(iter(state_files(self.state_dir)), None) if self.state_dir.is_dir() else None
        if record is None:
            return
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            recorded, source = str(data["edition"]), str(data["source"])
        except (OSError, ValueError, KeyError, TypeError):
            return  # a damaged record is reported with its own post
        if not recorded.endswith("/" + source) or self.describes(recorded, Path(source)):
            return
        theirs = recorded[: -len(source) - 1]
        raise ConfigError(
            f"the state folder {self.state_dir} describes the editions in {theirs}, not {self.output_dir}: "
            f'a run into {self.output_dir} needs a state folder of its own ([paths] state = "{self.folder}-state" '
            "beside output in its config file), or the translators' edits of the real editions would be misread"
        )

    def state_path(self, relative: Path) -> Path:
        """The state record of the post at `relative` in the source tree."""
        return self.state_dir / relative.with_suffix(relative.suffix + ".json")

    def checked_edition_path(self, source: Path, relative: Path, root: Path | None = None, resolver: Resolver | None = None) -> Path:
        """The edition's path, refusing one that would land outside the output folder (a
        symlink in it): a post must never write over a file elsewhere. `root`: the output
        folder resolved once per run (resolving walks every path component on disk), and
        `resolver` the run's, which remembers the folders inside it."""
        output = self.edition_path(relative)
        try:
            landing = resolver.resolve(output) if resolver is not None else output.resolve()
            root = root or self.output_dir.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop in the output tree
            raise InputError(f"its edition {output} cannot be written: a symlink loop", path=source) from exc
        if not landing.is_relative_to(root):
            raise InputError(f"its edition {output} would be written outside {root} (a symlink?); refusing", path=source)
        return output


def target_settings(settings: Settings, code: str) -> Settings:
    """The settings of one target language: `retarget`'s folders, then what its
    `[targets.CODE]` table says (folders, `lang` value, engine). Every command that works
    on one language takes these, so a language is one more pass of the same code."""
    settings = retarget(settings, code)
    table = settings.target_tables.get(code.upper())
    if table is None:
        return settings
    return dataclasses.replace(
        settings,
        output_dir=table.output or settings.output_dir,
        state_dir=table.state or settings.state_dir,
        lang_value=table.lang_value or settings.lang_value,
        engine=table.engine or settings.engine,
    )


def target_codes(settings: Settings, to: str | None = None) -> list[str]:
    """The languages a command works on: `--to` (one code or several, `ZH-HANS,KO`), else
    the configured `targets`, else the one `target_lang` (today's single edition)."""
    if to:
        codes = [check_target(code, settings.source_lang) for code in to.split(",") if code.strip()]
        if not codes:
            raise ConfigError(f"--to names no language: {to!r}")
        return list(dict.fromkeys(codes))
    return list(settings.targets) or [settings.target_lang.upper()]


def all_target_settings(settings: Settings, to: str | None = None) -> list[Settings]:
    """One `Settings` per language the command works on (`target_codes`), each with its folders."""
    return [target_settings(settings, code) for code in target_codes(settings, to)]


def retarget(settings: Settings, to: str | None) -> Settings:
    """The settings for `--to`: the configured target's as they are; another target's with
    folders of its own, so its editions never replace the configured language's. For
    `--to EN-GB` on a tree configured for EN-US (`content/en`, `translations/`), that is
    `content/en-gb` and `translations/en-gb/` (its own state, memory and run lock), and
    `lang: en-gb` in its editions."""
    if to is None or to.upper() == settings.target_lang.upper():
        return settings
    code = to.lower()
    return dataclasses.replace(
        settings,
        target_lang=to.upper(),
        output_dir=settings.output_dir.parent / code,
        state_dir=settings.state_dir / code,
        lang_value=code,
        language_tag=code,
    )
