"""Engines translate lists of XML strings, nothing more; `ENGINES` is their registry.

Batching, caching, glossary protection and checks live outside them, so every engine gets
them for free and a new engine is one small class. `settings()` names everything about
the engine that changes its output: it goes into the cache key.

To add an engine: a module here with a class following `Engine`, and one `register(
EngineSpec(...))` line below with a `build` function that imports it. Nothing outside
`engines/` changes: the commands read their choices from the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.config import Settings


# The engine text's vocabulary, shared by what writes it (pipeline.inline) and the engines
# that read it: <x> elements are kept as they are (DeepL: ignore_tags); the others carry
# emphasis, strikethrough, links, image alt text and hard breaks with the words.
KEEP_TAG = "x"
INLINE_TAGS = (KEEP_TAG, "b", "i", "s", "a", "img", "br")


@dataclass(frozen=True)
class EngineResult:
    text: str
    billed_characters: int


@dataclass(frozen=True)
class Limits:
    """What one request may carry, in the engine's own units (DeepL: 50 texts, 128 KiB
    request body, of which `overhead` bytes go to the JSON around the texts: languages,
    tag options, glossary id)."""

    max_texts: int = 50
    max_bytes: int = 128 * 1024
    overhead: int = 2048

    @property
    def text_bytes(self) -> int:
        """The most the texts of one request may take together."""
        return self.max_bytes - self.overhead


class Engine(Protocol):
    name: str
    limits: Limits
    bills: bool  # False for offline engines: nothing is paid
    translates: bool  # False for identity: the output is the source, so derived fields are not recomputed

    def settings(self) -> Mapping[str, object]: ...

    def translate(self, texts: Sequence[str]) -> list[EngineResult]: ...


@runtime_checkable
class GlossaryEngine(Protocol):
    """An engine that keeps a term base on its side (DeepL's glossaries)."""

    def use_glossary(self, name: str, terms: Mapping[str, str], prefix: str) -> str | None: ...


@dataclass(frozen=True)
class Setup:
    """What building an engine may use: the settings, the glossary's fixed terms, the
    environment (API keys live there, never in a file), and whether a key is needed now
    (a dry run calls no engine)."""

    settings: Settings
    terms: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)
    need_key: bool = True


def _no_options(settings: Settings) -> dict[str, object]:
    return {}


@dataclass(frozen=True)
class EngineSpec:
    """One engine as the rest of the pipeline knows it. Registering a spec is all it takes
    to add an engine: every command's `--engine` accepts it, `--help` lists it, and the
    settings fingerprint takes its options.

    `build` makes the engine (imports inside it, so offline runs never load a client
    library); `options` returns the settings that change its output, which go into the
    fingerprint of every edition it writes (change one and the editions read as stale);
    `glossary` says it implements `GlossaryEngine`; `billing_unit` names what its
    `billed_characters` count. Request limits are the engine's own (`Engine.limits`)."""

    name: str
    summary: str  # a few words for `--help`
    build: Callable[[Setup], Engine]
    options: Callable[[Settings], Mapping[str, object]] = _no_options
    glossary: bool = False
    billing_unit: str = "characters"


ENGINES: dict[str, EngineSpec] = {}


def register(spec: EngineSpec) -> EngineSpec:
    ENGINES[spec.name] = spec
    return spec


def engine_names() -> tuple[str, ...]:
    return tuple(ENGINES)


def engine_spec(name: str) -> EngineSpec:
    """The registered engine `name`, or a ConfigError naming the choices."""
    spec = ENGINES.get(name)
    if spec is None:
        raise ConfigError(f"unknown engine {name!r}: choose {', '.join(engine_names())}")
    return spec


def build_engine(setup: Setup) -> Engine:
    return engine_spec(setup.settings.engine).build(setup)


def create_engine(name: str, terms: Mapping[str, str] | None = None) -> Engine:
    """Build a registered engine by name with the default settings (tests, benchmarks)."""
    from pipeline.config import Settings

    return build_engine(Setup(Settings(engine=name), terms=terms or {}, need_key=False))


def _identity(setup: Setup) -> Engine:
    from pipeline.engines.identity import IdentityEngine

    return IdentityEngine()


def _pseudo(setup: Setup) -> Engine:
    from pipeline.engines.pseudo import PseudoEngine

    return PseudoEngine(terms=setup.terms)


def _deepl(setup: Setup) -> Engine:
    """DeepL, its key from `DEEPL_AUTH_KEY` only (a dry run needs none)."""
    key = setup.environ.get("DEEPL_AUTH_KEY", "").strip()
    if not key and setup.need_key:
        raise ConfigError("DEEPL_AUTH_KEY is not set: export your DeepL API key, or run with --engine pseudo for a keyless trial")
    return deepl_engine(setup.settings, auth_key=key or "dry-run", server_url=setup.environ.get("DEEPL_SERVER_URL") or None)


def _deepl_options(settings: Settings) -> dict[str, object]:
    return {"deepl": [settings.model_type, settings.formality, settings.tag_handling_version]}


register(EngineSpec("deepl", "DeepL API (key in DEEPL_AUTH_KEY)", _deepl, _deepl_options, glossary=True))
register(EngineSpec("pseudo", "offline, marks text", _pseudo))
register(EngineSpec("identity", "offline, copies", _identity))


def deepl_engine(settings: Settings, auth_key: str, server_url: str | None = None) -> Engine:
    """The DeepL engine with every option the settings give it (one place, so the CLI and
    the benchmarks cannot drift apart)."""
    from pipeline.engines.deepl import DeepLEngine

    return DeepLEngine(
        auth_key=auth_key,
        server_url=server_url,
        source_lang=settings.source_lang,
        target_lang=settings.target_lang,
        model_type=settings.model_type,
        formality=settings.formality,
        tag_handling_version=settings.tag_handling_version,
        retries=settings.retries,
        timeout=settings.timeout,
    )
