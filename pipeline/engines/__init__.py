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
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pipeline.errors import ConfigError
from pipeline.keys import Table


# The engine text's vocabulary, shared by what writes it (pipeline.inline) and the engines
# that read it: <x> elements are kept as they are (DeepL: ignore_tags); the others carry
# emphasis, strikethrough, links, image alt text and hard breaks with the words.
KEEP_TAG = "x"
INLINE_TAGS = (KEEP_TAG, "b", "i", "s", "a", "img", "br")


@dataclass(frozen=True)
class EngineResult:
    """One text's answer. `refused`: why the server would not translate this text even
    alone (its content filter, its context): `text` is then empty, the segment keeps its
    Japanese with that reason, and the run goes on."""

    text: str
    billed_characters: int
    refused: str = ""


@dataclass(frozen=True)
class Limits:
    """What one request may carry, in the engine's own units (DeepL: 50 texts, 128 KiB
    request body, of which `overhead` bytes go to the JSON around the texts: languages,
    tag options, glossary id). An engine billed by tokens also caps the estimated tokens
    of a request's texts (`max_tokens`, counted by its `count_tokens`), and one whose
    server serves few requests at a time caps the requests in flight."""

    max_texts: int = 50
    max_bytes: int = 128 * 1024
    overhead: int = 2048
    max_tokens: int | None = None
    count_tokens: Callable[[str], int] | None = None  # the engine's estimate for one text
    max_in_flight: int | None = None
    one_context: bool = False  # a request carries one context for all its texts (DeepL's `context`)

    @property
    def text_bytes(self) -> int:
        """The most the texts of one request may take together."""
        return self.max_bytes - self.overhead


@dataclass(frozen=True)
class SegmentContext:
    """What an engine may read around a segment but must not translate: the post's title
    and the neighbouring paragraphs. Part of the segment's cache key when sent."""

    title: str = ""
    before: str = ""
    after: str = ""

    def as_key(self) -> dict[str, str]:
        return {"title": self.title, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ContextPolicy:
    """How much context an engine wants: neighbouring paragraphs each side, the title."""

    paragraphs: int = 1
    title: bool = True
    max_chars: int = 600  # of each neighbour: enough to set the tone, bounded in tokens
    # only short segments get context (0: every one): those whose text is this many characters
    # at most, and every heading, table cell and term; their neighbours are the nearest longer
    # paragraphs, so a run of short ones (a list, a table) shares one (DeepL: one request)
    short_chars: int = 0


@dataclass
class Spend:
    """Tokens an engine billed by tokens used (or, in a dry run, would use), and the
    money they cost at the configured prices (None: no price configured)."""

    input_tokens: int = 0
    output_tokens: int = 0
    input_price: float | None = None  # per million tokens
    output_price: float | None = None
    currency: str = "USD"
    estimated: bool = False  # a dry run's estimate, or some answers came without the server's count (`usage`)
    cached_tokens: int = 0  # of the input, read from the server's prompt cache (as it says)
    reasoning_tokens: int = 0  # of the output, spent on a reasoning model's thinking (as it says)

    def add(self, other: Spend) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cached_tokens += other.cached_tokens
        self.reasoning_tokens += other.reasoning_tokens
        self.input_price, self.output_price, self.currency = other.input_price, other.output_price, other.currency
        self.estimated = self.estimated or other.estimated

    @property
    def cost(self) -> float | None:
        if self.input_price is None or self.output_price is None:
            return None
        return (self.input_tokens * self.input_price + self.output_tokens * self.output_price) / 1_000_000


class Engine(Protocol):
    name: str
    limits: Limits
    bills: bool  # False for offline engines: nothing is paid
    translates: bool  # False for identity: the output is the source, so derived fields are not recomputed

    def settings(self) -> Mapping[str, object]: ...

    def translate(self, texts: Sequence[str]) -> list[EngineResult]: ...


@runtime_checkable
class Contextual(Protocol):
    """An engine that reads each text with its context (an LLM): `context_policy` says
    what to collect, `translate_in_context` receives it beside the texts."""

    context_policy: ContextPolicy | None  # None: none wanted after all (a setting turned it off)

    def translate_in_context(self, texts: Sequence[str], contexts: Sequence[SegmentContext | None]) -> list[EngineResult]: ...


@runtime_checkable
class Metered(Protocol):
    """An engine billed by tokens: what it has spent so far, and what batches would cost."""

    def spend(self) -> Spend: ...

    def estimate(self, batches: Sequence[Sequence[tuple[str, SegmentContext | None]]]) -> Spend: ...


def context_policy(engine: Engine) -> ContextPolicy | None:
    return engine.context_policy if isinstance(engine, Contextual) else None


def spend_of(engine: Engine) -> Spend | None:
    """What an engine billed by tokens has spent so far (None: it bills otherwise)."""
    return engine.spend() if isinstance(engine, Metered) else None


@runtime_checkable
class GlossaryEngine(Protocol):
    """An engine that keeps a term base on its side (DeepL's glossaries)."""

    def use_glossary(self, name: str, terms: Mapping[str, str], prefix: str) -> str | None: ...


class EngineSettings(Protocol):
    """The settings an engine reads. `pipeline.config.Settings` has them all; the registry
    names only what it reads, so it never imports the configuration (which imports the
    registry to read each engine's table: a circle)."""

    @property
    def engine(self) -> str: ...
    @property
    def root(self) -> Path: ...
    @property
    def source_lang(self) -> str: ...
    @property
    def target_lang(self) -> str: ...
    @property
    def model_type(self) -> str | None: ...
    @property
    def formality(self) -> str | None: ...
    @property
    def deepl_context(self) -> bool: ...
    @property
    def tag_handling_version(self) -> str | None: ...
    @property
    def retries(self) -> int: ...
    @property
    def timeout(self) -> float: ...
    @property
    def engine_tables(self) -> Mapping[str, object]: ...


@dataclass(frozen=True)
class Setup:
    """What building an engine may use: the settings, the glossary's fixed terms, the
    environment (API keys live there, never in a file), and whether a key is needed now
    (a dry run calls no engine)."""

    settings: EngineSettings
    terms: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)
    need_key: bool = True


def _no_options(settings: EngineSettings) -> dict[str, object]:
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
    `billed_characters` count; `table` reads the engine's own `[name]` table of
    pipeline.toml into its options (`Settings.engine_tables`; errors name the file), and
    `reference` describes that table's keys for the configuration reference.
    Request limits are the engine's own (`Engine.limits`)."""

    name: str
    summary: str  # a few words for `--help`
    build: Callable[[Setup], Engine]
    options: Callable[[EngineSettings], Mapping[str, object]] = _no_options
    glossary: bool = False
    billing_unit: str = "characters"
    table: Callable[[Mapping[str, Any], Path], object] | None = None
    reference: Callable[[], Table] | None = None


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


def _identity(setup: Setup) -> Engine:
    from pipeline.engines.identity import IdentityEngine

    return IdentityEngine()


def _pseudo(setup: Setup) -> Engine:
    from pipeline.engines.pseudo import PseudoEngine

    return PseudoEngine(terms=setup.terms, target_lang=setup.settings.target_lang)


def _deepl(setup: Setup) -> Engine:
    """DeepL, its key from `DEEPL_AUTH_KEY` only (a dry run needs none)."""
    key = setup.environ.get("DEEPL_AUTH_KEY", "").strip()
    if not key and setup.need_key:
        raise ConfigError("DEEPL_AUTH_KEY is not set: export your DeepL API key, or run with --engine pseudo for a keyless trial")
    return deepl_engine(setup.settings, auth_key=key or "dry-run", server_url=setup.environ.get("DEEPL_SERVER_URL") or None)


def _deepl_options(settings: EngineSettings) -> dict[str, object]:
    context = ["context"] if settings.deepl_context else []  # short segments translated with their neighbours
    return {"deepl": [settings.model_type, settings.formality, settings.tag_handling_version, *context]}


def _openai_table(table: Mapping[str, Any], path: Path) -> object:
    from pipeline.engines.openai_config import read_table

    return read_table(table, path)


def _openai_reference() -> Table:
    from pipeline.engines.openai_config import TABLE

    return TABLE


def _openai(setup: Setup) -> Engine:
    """An OpenAI-compatible server: key and server from the environment (OPENAI_API_KEY,
    OPENAI_BASE_URL), the rest from the `[openai]` table and the style guide it names
    (missing or empty: ConfigError naming it). The glossary's terms go into each prompt,
    only those of its batch: nothing is kept on the server's side."""
    from pipeline.engines.openai import OpenAIEngine
    from pipeline.engines.openai_config import options_of, style_guide_text

    key = setup.environ.get("OPENAI_API_KEY", "").strip()
    if not key and setup.need_key:
        raise ConfigError(
            "OPENAI_API_KEY is not set: export your API key; a local server (Ollama, llama.cpp, vLLM) accepts any value, "
            "e.g. OPENAI_API_KEY=local"
        )
    settings, options = setup.settings, options_of(setup.settings)
    return OpenAIEngine(
        api_key=key or "dry-run",
        options=options,
        style_guide=style_guide_text(settings.root, options, settings.target_lang),
        terms=setup.terms,
        base_url=setup.environ.get("OPENAI_BASE_URL") or None,
        target_lang=settings.target_lang,
    )


def _openai_options(settings: EngineSettings) -> dict[str, object]:
    """The model, sampling, style guide and context sent: a change makes its editions stale."""
    from pipeline.engines.openai_config import fingerprint, options_of

    return {"openai": fingerprint(settings.root, options_of(settings), settings.target_lang)}


register(EngineSpec("deepl", "DeepL API (key in DEEPL_AUTH_KEY)", _deepl, _deepl_options, glossary=True))
register(
    EngineSpec(
        "openai",
        "any OpenAI-compatible server (key in OPENAI_API_KEY)",
        _openai,
        _openai_options,
        billing_unit="tokens",
        table=_openai_table,
        reference=_openai_reference,
    )
)
register(EngineSpec("pseudo", "offline, marks text", _pseudo))
register(EngineSpec("identity", "offline, copies", _identity))


def deepl_engine(settings: EngineSettings, auth_key: str, server_url: str | None = None) -> Engine:
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
        context=settings.deepl_context,
    )
