"""Engines translate lists of XML strings, nothing more.

Batching, caching, glossary protection and checks live outside them, so every engine gets
them for free and a new engine is one small class. `settings()` names everything about
the engine that changes its output: it goes into the cache key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pipeline.config import Settings


@dataclass(frozen=True)
class EngineResult:
    text: str
    billed_characters: int


@dataclass(frozen=True)
class Limits:
    """What one request may carry (DeepL: 50 texts, 128 KiB request body)."""

    max_texts: int = 50
    max_bytes: int = 128 * 1024


class Engine(Protocol):
    name: str
    limits: Limits
    bills: bool  # False for offline engines: nothing is paid
    translates: bool  # False for identity: the output is the source, so derived fields are not recomputed

    def settings(self) -> Mapping[str, object]: ...

    def translate(self, texts: Sequence[str]) -> list[EngineResult]: ...


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
    raise ValueError(f"unknown engine {name!r} (choose deepl, pseudo or identity)")


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
