"""Engines translate lists of XML strings, nothing more.

Batching, caching, glossary protection and checks live outside them, so every engine gets
them for free and a new engine is one small class. `settings()` names everything about
the engine that changes its output: it goes into the cache key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pipeline.config import Settings
    from pipeline.glossary import Glossary


@dataclass(frozen=True)
class EngineResult:
    text: str
    billed_characters: int


@dataclass(frozen=True)
class Limits:
    """What one request may carry (DeepL: 50 texts, 128 KiB request body); an engine
    billed by tokens also caps the estimated tokens of a request's texts, and a server
    that serves one request at a time caps the requests in flight."""

    max_texts: int = 50
    max_bytes: int = 128 * 1024
    max_tokens: int | None = None
    count_tokens: Callable[[str], int] | None = None  # the engine's estimate for one text
    max_in_flight: int | None = None


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


@dataclass
class Spend:
    """Tokens an engine billed by tokens used (or, in a dry run, would use), and the
    money they cost at the configured prices (None: no price configured)."""

    input_tokens: int = 0
    output_tokens: int = 0
    input_price: float | None = None  # per million tokens
    output_price: float | None = None
    currency: str = "USD"
    estimated: bool = False  # a dry run's estimate, not the server's count

    def add(self, other: "Spend") -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
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

    context_policy: ContextPolicy

    def translate_in_context(self, texts: Sequence[str], contexts: Sequence[SegmentContext | None]) -> list[EngineResult]: ...


@runtime_checkable
class Metered(Protocol):
    """An engine billed by tokens: what it has spent so far, and what batches would cost."""

    def spend(self) -> Spend: ...

    def estimate(self, batches: Sequence[Sequence[tuple[str, SegmentContext | None]]]) -> Spend: ...


def context_policy(engine: Engine) -> ContextPolicy | None:
    return engine.context_policy if isinstance(engine, Contextual) else None


def fingerprint_contribution(settings: Settings) -> Mapping[str, object] | None:
    """What an engine's own options add to the settings fingerprint (None: nothing, so the
    fingerprints of the engines that predate this stay as they were)."""
    if settings.engine == "openai":
        from pipeline.engines.openai_config import fingerprint

        return fingerprint(settings.root, settings.openai)
    return None


def create_engine(name: str, **options: object) -> Engine:
    """Build an engine by its CLI name; imports are local so offline runs never load `deepl`."""
    if name == "identity":
        from pipeline.engines.identity import IdentityEngine

        return IdentityEngine()
    if name == "pseudo":
        from pipeline.engines.pseudo import PseudoEngine

        return PseudoEngine(terms=options.get("terms") or {})  # type: ignore[arg-type]
    if name == "deepl":
        from pipeline.engines.deepl import DeepLEngine

        return DeepLEngine(**options)  # type: ignore[arg-type]
    if name == "openai":
        from pipeline.engines.openai import OpenAIEngine

        return OpenAIEngine(**options)  # type: ignore[arg-type]
    raise ValueError(f"unknown engine {name!r} (choose deepl, openai, pseudo or identity)")


def deepl_engine(settings: Settings, auth_key: str, server_url: str | None = None) -> Engine:
    """The DeepL engine with every option the settings give it (one place, so the CLI and
    the benchmarks cannot drift apart)."""
    return create_engine(
        "deepl",
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


def openai_engine(settings: Settings, glossary: Glossary, api_key: str, base_url: str | None = None) -> Engine:
    """The OpenAI-compatible engine with the `[openai]` options and the style guide they
    name (missing or empty: ConfigError naming it)."""
    from pipeline.engines.openai_config import style_guide_text

    return create_engine(
        "openai",
        api_key=api_key,
        options=settings.openai,
        style_guide=style_guide_text(settings.root, settings.openai),
        glossary=glossary,
        base_url=base_url,
        target_lang=settings.target_lang,
    )
