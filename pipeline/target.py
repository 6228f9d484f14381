"""The language a run writes, and where everything of that language lives.

A `Target` gathers what used to be separate settings (`target_lang`, `output_dir`,
`state_dir`, `lang_value`) so that every place that needs "the English side" asks one
object: the edition of a post, its state file, the memory, the `lang` value written into
the front matter, and the language code the engine is asked for. English is the one
configured target today; a second one is a second `Target` built from configuration, and
nothing that takes a `Target` changes.

A target owns its output folder: `--to EN-GB` on a tree configured for EN-US would
rewrite the EN-US editions in place, so `check_override` refuses it (see the README).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import ConfigError, InputError
from pipeline.memory import MEMORY_FILE, TranslationMemory


@dataclass(frozen=True)
class Target:
    code: str  # the edition's language, lower case ("en"): the memory's field for its text
    engine_code: str  # what the engine is asked for ("EN-US")
    output_dir: Path  # editions, at the same relative paths as the sources
    state_dir: Path  # per-post state records, the memory and the run lock
    lang_value: str  # the front matter `lang` value of an edition ("en")

    @classmethod
    def of(cls, settings: Settings) -> Target:
        """The configured target."""
        return cls(
            code=settings.target_lang.split("-")[0].lower(),
            engine_code=settings.target_lang.upper(),
            output_dir=settings.path(settings.output_dir),
            state_dir=settings.path(settings.state_dir),
            lang_value=settings.lang_value,
        )

    @property
    def memory_file(self) -> Path:
        return self.state_dir / MEMORY_FILE

    def load_memory(self) -> TranslationMemory:
        return TranslationMemory.load(self.memory_file)

    def edition_path(self, relative: Path) -> Path:
        """The edition of the post at `relative` in the source tree."""
        return self.output_dir / relative

    def state_path(self, relative: Path) -> Path:
        """The state record of the post at `relative` in the source tree."""
        return self.state_dir / relative.with_suffix(relative.suffix + ".json")

    def checked_edition_path(self, source: Path, relative: Path, root: Path | None = None) -> Path:
        """The edition's path, refusing one that would land outside the output folder (a
        symlink in it): a post must never write over a file elsewhere. `root`: the output
        folder resolved once per run (resolving walks every path component on disk)."""
        output = self.edition_path(relative)
        try:
            landing, root = output.resolve(), root or self.output_dir.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop in the output tree
            raise InputError(f"its edition {output} cannot be written: a symlink loop", path=source) from exc
        if not landing.is_relative_to(root):
            raise InputError(f"its edition {output} would be written outside {root} (a symlink?); refusing", path=source)
        return output


def check_override(settings: Settings, to: str | None) -> None:
    """Refuse a `--to` that differs from the configured target: its editions would replace
    the configured language's in the same output folder, silently."""
    if to is None or to.upper() == settings.target_lang.upper():
        return
    raise ConfigError(
        f"--to {to.upper()}: {settings.output_dir.as_posix()} holds the {settings.target_lang.upper()} editions "
        f"(translate.target_lang); writing {to.upper()} there would replace them. Set translate.target_lang = "
        f'"{to.upper()}" in pipeline.toml to switch the editions to it'
    )
