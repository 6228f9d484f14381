"""Settings: sane defaults for this repository, overridable in one file, `pipeline.toml`.

Zero configuration works: the defaults describe the layout of this repo. The file, when
present at the project root (or given with `--config`), may set any of the keys below;
an unknown key is an error rather than a silently ignored typo.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Mapping
from typing import Any

from pipeline.attributes import TRANSLATED
from pipeline.dialect import DIALECTS, site_dialect
from pipeline.engines import ENGINES, Engine, Setup, build_engine
from pipeline.errors import ConfigError
from pipeline.keys import Key, Table

CONFIG_FILE = "pipeline.toml"
# DeepL's target language codes (https://developers.deepl.com/docs/getting-started/supported-languages):
# what `[translate] targets`, `target_lang` and `--to` accept. The plain EN, PT and ZH that
# DeepL still takes are left out: an edition's English is American or British, its
# Chinese simplified or traditional.
TARGETS: tuple[str, ...] = (
    "AR", "BG", "CS", "DA", "DE", "EL", "EN-GB", "EN-US", "ES", "ES-419", "ET", "FI", "FR", "HE", "HU", "ID", "IT",
    "JA", "KO", "LT", "LV", "NB", "NL", "PL", "PT-BR", "PT-PT", "RO", "RU", "SK", "SL", "SV", "TH", "TR", "UK", "VI",
    "ZH-HANS", "ZH-HANT",
)  # fmt: skip


@dataclass(frozen=True)
class TargetTable:
    """A `[targets.KO]` table: what one target language does otherwise than the defaults
    (its folders, the front matter `lang` value of its editions, its engine). None: the
    default (`pipeline.target.target_settings`)."""

    output: Path | None = None
    state: Path | None = None
    lang_value: str | None = None
    engine: str | None = None


@dataclass(frozen=True)
class Settings:
    root: Path = Path(".")
    source_dir: Path = Path("content/ja")
    output_dir: Path = Path("content/en")
    cache_dir: Path = Path(".cache/pipeline")
    glossary_dir: Path = Path("glossary")
    state_dir: Path = Path("translations")
    site_dir: Path = Path("site")  # the Jekyll site: its _config.yml says which Markdown it renders
    dialect: str = "kramdown"  # the Markdown posts are read as: the site's renderer (pipeline.dialect)
    engine: str = "deepl"
    source_lang: str = "JA"
    target_lang: str = "EN-US"  # the language whose editions live in `output_dir` and `state_dir` themselves
    targets: tuple[str, ...] = ()  # every language a run writes; empty: `target_lang` alone (today's one edition)
    target_tables: Mapping[str, TargetTable] = field(default_factory=dict)  # `[targets.CODE]`, by upper-case code
    language_tag: str = ""  # "" for `target_lang`; another target's code ("ko"): names its run reports (`language_file`)
    jobs: int = 4
    # `category` and `tag`: Jekyll reads them as `categories` and `tags` (pluralized_array_from_hash);
    # `author`: themes show it by the title (minima's post header). Any other value left Japanese
    # is counted and warned (run._front_matter_left)
    translate_keys: tuple[str, ...] = ("title", "excerpt", "description", "summary", "categories", "category", "tags", "tag", "author")
    translate_attributes: tuple[str, ...] = TRANSLATED  # HTML attributes whose values are text a reader sees
    translate_comments: bool = True  # comments in code blocks (pipeline.code): a reader sees them too
    lang_key: str = "lang"
    lang_value: str = "en"
    ref_key: str = "ref"
    reading_time_key: str = "reading_time"  # recomputed from the English text when the source has it
    words_per_minute: int = 200  # English reading speed used for reading_time
    model_type: str | None = None
    formality: str | None = None
    deepl_context: bool = True  # DeepL's `context` (unbilled) with short segments' neighbours
    tag_handling_version: str | None = "v2"  # strict XML parsing, better tag placement
    retries: int = 5
    timeout: float = 30.0
    window_texts: int = 2000  # texts collected before a round of requests; bounds memory on big trees
    links: tuple[tuple[str, str], ...] = ()  # `[links]`: a Japanese link prefix → the English one editions use (site check)
    engine_tables: Mapping[str, object] = field(default_factory=dict)  # an engine's own `[name]` table, read by its registry entry

    def path(self, p: Path) -> Path:
        return p if p.is_absolute() else self.root / p

    def language_file(self, path: Path) -> Path:
        """A per-language file (run report, summary, last run): `path` itself for the
        configured `target_lang`, so a one-language project's files keep their names;
        `report.ko.json` beside it for another target."""
        return path.with_name(f"{path.stem}.{self.language_tag}{path.suffix}") if self.language_tag else path

    def relative(self, source: Path) -> Path:
        """A post's path inside the source tree; its edition and state use the same one."""
        try:
            return source.resolve().relative_to(self.path(self.source_dir).resolve())
        except (ValueError, OSError, RuntimeError):  # outside the tree, or a symlink loop
            return Path(source.name)


# file key → the Settings field it sets, the type it is read as, and what it does (the
# configuration reference, docs/configuration.md, is generated from these: `pipeline config-reference`)
_KEYS: dict[str, Key] = {
    "paths.source": Key("source_dir", Path, "The Japanese posts (sub-folders are fine: `_posts/ja/2023/…`)."),
    "paths.output": Key(
        "output_dir",
        Path,
        "The editions of `target_lang`, at the same relative paths as their posts; never inside, equal to or "
        "around `source` (exit 2). Another target language writes `<output parent>/<code>` (`content/ko`).",
    ),
    "paths.cache": Key("cache_dir", Path, "The engine answers' disk cache (never paying twice); gitignore it."),
    "paths.glossary": Key("glossary_dir", Path, "The term base (`*.tsv`), the taxonomy and the `openai` engine's style guide."),
    "paths.state": Key(
        "state_dir",
        Path,
        "The committed per-post state, the translation memory and the run lock (`.pipeline.lock`: gitignore it); "
        "one per output folder. Another target language uses `<state>/<code>`.",
    ),
    "paths.site": Key("site_dir", Path, "The Jekyll site (`.` for the blog itself): its `_config.yml` says which Markdown it renders."),
    "markdown.dialect": Key(
        "dialect",
        str,
        "The Markdown the posts are read as: `kramdown` or `commonmark`.",
        default="what the site's `_config.yml` says (Jekyll's default: `\"kramdown\"`)",
    ),
    "translate.engine": Key(
        "engine", str, f"The engine, one of the registry's (`pipeline/engines/`): {', '.join(f'`{n}`' for n in ENGINES)}."
    ),
    "translate.source_lang": Key("source_lang", str, "The posts' language, DeepL's source code."),
    "translate.target_lang": Key(
        "target_lang", str, "DeepL's target code of the language whose editions live in `paths.output` and `paths.state` themselves."
    ),
    "translate.targets": Key(
        "targets",
        tuple,
        'Every language one run writes, DeepL\'s target codes (`["EN-US", "ZH-HANS", "KO"]`); empty: `target_lang` alone. '
        "`--to` runs some of them.",
    ),
    "translate.jobs": Key("jobs", int, "Requests in flight at once (`--jobs`)."),
    "translate.window_texts": Key("window_texts", int, "Texts collected before a round of requests: bounds memory on big trees."),
    "front_matter.translate": Key(
        "translate_keys",
        tuple,
        "The front matter values translated; any other value that holds Japanese is counted as left and warned (`front-matter-left`).",
    ),
    "html.translate_attributes": Key(
        "translate_attributes", tuple, "HTML attributes whose values are text a reader sees (lower-case names); the others are kept."
    ),
    "code.translate_comments": Key(
        "translate_comments", bool, "Translate the comments in fenced code blocks (Pygments finds them); `false`: kept as code."
    ),
    "front_matter.lang_key": Key("lang_key", str, "The front matter key an edition's language is written to."),
    "front_matter.lang_value": Key(
        "lang_value", str, "The language value of `target_lang`'s editions; another target writes its own code in lower case (`ko`)."
    ),
    "front_matter.ref_key": Key("ref_key", str, "The front matter key that names the Japanese post an edition comes from."),
    "front_matter.reading_time_key": Key(
        "reading_time_key", str, "A reading time recomputed from the translated text, when the source has this key."
    ),
    "front_matter.words_per_minute": Key("words_per_minute", int, "The reading speed `reading_time_key` is computed with."),
    "deepl.model_type": Key("model_type", str, "DeepL's `model_type` (`quality_optimized`, `latency_optimized`…); unset: DeepL's choice."),
    "deepl.formality": Key(
        "formality",
        str,
        "DeepL's `formality`: `default`, `more`, `less`, `prefer_more` or `prefer_less`; `more` and `less` only for targets "
        "with formality (not English: exit 2 before any request).",
    ),
    "deepl.context": Key(
        "deepl_context", bool, "Send short segments (headings, cells, terms) with DeepL's unbilled `context`: the title and neighbours."
    ),
    "deepl.tag_handling_version": Key(
        "tag_handling_version", str, "DeepL's tag handling version (`v2`: strict XML, better tag placement)."
    ),
    "deepl.retries": Key("retries", int, "The deepl library's own retries with backoff (429, 5xx, network)."),
    "deepl.timeout": Key("timeout", float, "Seconds for a whole request, its answer read to the end (a dripping server is cut off)."),
}


# What each table is for, as the reference introduces it; its keys are described in `_KEYS`
_SECTIONS: dict[str, str] = {
    "paths": "Where things are, relative to the project root (the folder of `pipeline.toml`), wherever the file itself is kept.",
    "markdown": "How the posts' Markdown is read: as the site renders it.",
    "translate": "The engine and the languages of a run.",
    "front_matter": "Which front matter values are translated, and what an edition adds to its front matter.",
    "html": "Text inside HTML blocks and inline HTML.",
    "code": "Code blocks: kept byte for byte, except, if asked, their comments.",
    "deepl": "Options sent to DeepL (the `deepl` engine); each one sent is part of the cache key and the editions' fingerprint.",
    "targets.CODE": "A table per target language (`[targets.KO]`, DeepL's code) that does otherwise than the defaults; every key is optional.",
    "links": (
        'A Japanese link prefix → the one the editions use (`"/ja/docs/" = "/docs/"`), a line per prefix, longest first: '
        "`pipeline site check` compares the two pages through the map, so a link localised by hand or on purpose is not a failure."
    ),
}


def project_root(start: Path | None = None) -> Path:
    """The folder the paths in the settings are relative to, found the way git finds its
    checkout, so a command run from `content/ja/` works like one run at the top: the
    nearest folder from `start` up that holds `pipeline.toml`, else the nearest that holds
    the default source folder (`content/ja`: zero configuration, the site may sit inside a
    larger repository), else the top of the git checkout, else `start`. Returned relative
    to the current folder (short messages)."""
    start = (start or Path.cwd()).resolve()
    here = Path.cwd().resolve()
    folders = [start, *start.parents]
    marks_list: list[Callable[[Path], bool]] = [
        lambda f: (f / CONFIG_FILE).is_file(),
        lambda f: (f / Settings.source_dir).is_dir(),
        lambda f: (f / ".git").exists(),
    ]
    for marks in marks_list:
        found = next((f for f in folders if marks(f)), None)
        if found is not None:
            break
    else:
        found = start
    try:
        return Path(os.path.relpath(found, here))
    except ValueError:  # another drive (Windows)
        return found


def load_settings(config: Path | None = None, root: Path | None = None) -> Settings:
    """Defaults, then the config file (explicit, or `pipeline.toml` in the project root).

    Paths in it are relative to the project root even when `--config` names a file
    elsewhere (`ci/english.toml`): the README's rule, so one file means the same tree
    wherever it is kept."""
    root = root or project_root()
    path = config if config is not None else root / CONFIG_FILE
    if config is not None and not path.is_file():
        raise ConfigError("config file not found", path=path)
    values: dict[str, Any] = {"root": root, **(_file_values(path) if path.is_file() else {})}
    settings = Settings(**values)
    if "dialect" not in values:
        settings = dataclasses.replace(settings, dialect=site_dialect(settings.path(settings.site_dir)))
    try:
        validate(settings)
    except ConfigError as exc:  # the defaults are valid: the file's values are not
        raise exc.located(path) if path.is_file() else exc
    return settings


def _file_values(path: Path) -> dict[str, Any]:
    """The Settings fields the config file sets, and the engines' own tables."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"malformed config: {exc}", path=path) from exc
    values: dict[str, Any] = {}
    tables: dict[str, object] = {}
    for section, table in data.items():
        if section == "links":
            values["links"] = _links(path, table)
            continue
        if section == "targets" and isinstance(table, dict):
            values["target_tables"] = _target_tables(table, path)
            continue
        spec = ENGINES.get(section)
        if spec is not None and spec.table is not None and isinstance(table, dict):  # the engine's own options
            tables[section] = spec.table(table, path)
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"'{section}' must be a [section]; known keys: {', '.join(sorted(_KEYS))}", path=path)
        for key, value in table.items():
            name = f"{section}.{key}"
            if name not in _KEYS:
                raise ConfigError(f"unknown setting '{name}'; known: {', '.join(sorted(_KEYS))}", path=path)
            key_spec = _KEYS[name]
            values[key_spec.attribute] = _coerce(path, name, value, key_spec.kind)
    values["engine_tables"] = tables
    if "targets" in values:
        values["targets"] = tuple(dict.fromkeys(code.upper() for code in values["targets"]))
    return values


def _links(path: Path, table: Any) -> tuple[tuple[str, str], ...]:
    """`[links]`: `"/ja/docs/" = "/docs/"`, a localised link prefix per line, longest first."""
    if not isinstance(table, dict) or not all(isinstance(k, str) and k and isinstance(v, str) for k, v in table.items()):
        raise ConfigError('[links] maps a Japanese link prefix to the English one: "/ja/docs/" = "/docs/"', path=path)
    return tuple(sorted(table.items(), key=lambda item: -len(item[0])))


_TARGET_KEYS: dict[str, Key] = {
    "output": Key("output", Path, "Its editions.", default="`<output parent>/<code>` (`content/ko`); `paths.output` for `target_lang`"),
    "state": Key(
        "state", Path, "Its state, memory and run lock.", default="`<state>/<code>` (`translations/ko`); `paths.state` for `target_lang`"
    ),
    "lang_value": Key(
        "lang_value",
        str,
        "The front matter `lang` of its editions.",
        default="the code in lower case (`ko`); `front_matter.lang_value` for `target_lang`",
    ),
    "engine": Key(
        "engine",
        str,
        "Its engine (DeepL for the others, an LLM for this one); `--engine` still applies to every language.",
        default="`translate.engine`",
    ),
}


def reference_tables() -> tuple[Table, ...]:
    """Every table of pipeline.toml with its keys, in the order the reference shows them:
    the settings' own, `[targets.CODE]`, `[links]`, then each registered engine's table."""
    sections: dict[str, dict[str, Key]] = {}
    for name, key in _KEYS.items():
        section, _, short = name.partition(".")
        sections.setdefault(section, {})[short] = key
    tables = [Table(section, _SECTIONS[section], keys, Settings) for section, keys in sections.items()]
    tables.append(Table("targets.CODE", _SECTIONS["targets.CODE"], _TARGET_KEYS, TargetTable))
    tables.append(Table("links", _SECTIONS["links"], {}, Settings))
    tables.extend(spec.reference() for spec in ENGINES.values() if spec.reference is not None)
    return tuple(tables)


def _target_tables(tables: dict[str, Any], path: Path) -> dict[str, TargetTable]:
    """The `[targets.CODE]` tables, each key checked (an unknown key is a typo, not a no-op)."""
    found: dict[str, TargetTable] = {}
    for code, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"'targets.{code}' must be a [targets.{code}] table with keys {', '.join(_TARGET_KEYS)}", path=path)
        for key in table:
            if key not in _TARGET_KEYS:
                raise ConfigError(f"unknown setting 'targets.{code}.{key}'; known: {', '.join(_TARGET_KEYS)}", path=path)
        options = {key: _coerce(path, f"targets.{code}.{key}", value, _TARGET_KEYS[key].kind) for key, value in table.items()}
        if options.get("engine") is not None and options["engine"] not in ENGINES:
            raise ConfigError(f"'targets.{code}.engine': unknown engine {options['engine']!r}: choose {', '.join(ENGINES)}", path=path)
        found[code.upper()] = TargetTable(**options)
    return found


def _coerce(path: Path, name: str, value: Any, kind: type) -> Any:
    if kind is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"'{name}' must be a list of strings", path=path)
        return tuple(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"'{name}' must be true or false, not {value!r}", path=path)
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is Path and isinstance(value, str):
        return Path(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(f"'{name}' must be a {kind.__name__}, not {value!r}", path=path)
    return value


FORMALITIES = ("default", "more", "less", "prefer_more", "prefer_less")
# DeepL's target languages that take `formality` (`supports_formality` in its language list);
# the prefer_ values fall back to the default elsewhere, more and less are refused
FORMALITY_TARGETS = ("DE", "ES", "ES-419", "FR", "IT", "JA", "NL", "PL", "PT-BR", "PT-PT", "RU")


def validate(settings: Settings) -> None:
    for code in (settings.target_lang, *settings.targets, *settings.target_tables):
        check_target(code, settings.source_lang)
    if settings.engine == "deepl":  # each target's own settings are checked too (`cli.common.settings_for_targets`)
        _check_formality(settings.formality, settings.target_lang.upper())
    if settings.dialect not in DIALECTS:
        raise ConfigError(f"markdown dialect must be one of {', '.join(DIALECTS)}, not {settings.dialect!r}")
    if any(not re.fullmatch(r"[a-z][a-z0-9:_.-]*", name) for name in settings.translate_attributes):
        raise ConfigError(f"html.translate_attributes must be lower-case attribute names, not {list(settings.translate_attributes)!r}")
    if settings.jobs < 1:
        raise ConfigError(f"jobs must be at least 1, not {settings.jobs}")
    _check_folders(settings)


def _check_folders(settings: Settings) -> None:
    """Editions inside the sources would be read as sources (each run nesting `en/en/…`
    deeper), and sources inside the editions would be pruned or overwritten: the two
    folders must be apart."""
    source, output = settings.path(settings.source_dir), settings.path(settings.output_dir)
    a, b = source.resolve(), output.resolve()
    how = "is" if a == b else "is inside" if b.is_relative_to(a) else "contains" if a.is_relative_to(b) else ""
    if how:
        raise ConfigError(
            f"paths.output ({output}) {how} paths.source ({source}): editions would be read as posts; "
            'put them in a folder of their own (e.g. output = "content/en" beside source = "content/ja")'
        )


def check_target(code: str, source_lang: str = "JA") -> str:
    """`code` as DeepL spells it (upper case), or a ConfigError naming the codes it could be."""
    upper = code.strip().upper()
    if upper not in TARGETS:
        raise ConfigError(f"unknown target language {code!r}: DeepL's target codes are {', '.join(TARGETS)}")
    if upper.split("-")[0] == source_lang.upper().split("-")[0]:
        raise ConfigError(f"target language {code!r} is the sources' own language ({source_lang})")
    return upper


def _check_formality(formality: str | None, target: str) -> None:
    """Refused before any request: DeepL refuses `more` and `less` for a language without
    formality (English among them) at the first request, after the run began."""
    if formality is None:
        return
    if formality not in FORMALITIES:
        raise ConfigError(f"deepl.formality must be one of {', '.join(FORMALITIES)}, not {formality!r}")
    if formality in ("more", "less") and target not in FORMALITY_TARGETS:
        raise ConfigError(
            f"deepl.formality = {formality!r} is not available for {target}: DeepL has formality for "
            f"{', '.join(FORMALITY_TARGETS)} only; use 'prefer_{formality}' (the default where there is none) or remove it"
        )


def replace(settings: Settings, **changes: Any) -> Settings:
    """Settings with command-line overrides applied (None means 'not given')."""
    changed = dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
    validate(changed)
    return changed


def create_engine(name: str, terms: Mapping[str, str] | None = None) -> Engine:
    """Build a registered engine by name with the default settings (tests, benchmarks).
    Here, not in the registry: the registry never needs `Settings` (`EngineSettings`)."""
    return build_engine(Setup(Settings(engine=name), terms=terms or {}, need_key=False))
