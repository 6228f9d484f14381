"""The `[openai]` table of pipeline.toml, read into typed options.

Kept apart from the engine (which imports `requests`) so that reading the settings, and
`status`/`check` computing a fingerprint, never load an HTTP client. Every key is
optional; an unknown key or a value of the wrong type is an error naming the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import ConfigError
from pipeline.keys import Key, Table

if TYPE_CHECKING:
    from pipeline.engines import EngineSettings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_STYLE_GUIDE = Path("glossary/style.md")
CONTRACT_VERSION = 1  # the wire contract (README "OpenAI-compatible engine"): in every cache key
RESPONSE_FORMATS = ("json_schema", "json_object")


@dataclass(frozen=True)
class OpenAIOptions:
    model: str = "gpt-4o-mini"
    base_url: str = ""  # OPENAI_BASE_URL wins; empty: the OpenAI API
    temperature: float = 0.0
    seed: int | None = None
    batch_tokens: int = 3000  # estimated tokens of the segments in one request
    max_output_tokens: int | None = None  # sent as `max_tokens` when set (reasoning models: `max_completion_tokens`)
    context_tokens: int | None = None  # the server's context (a local server's): batches sized to fit it
    jobs: int | None = None  # at most this many requests in flight (a local server: 1)
    timeout: float = 120.0  # seconds per request
    retries: int = 5  # for 429, 5xx, timeouts and dropped connections
    retry_seconds: float = 300.0  # the most one request waits between its attempts, all told
    api_version: str = ""  # sent as `?api-version=` (Azure's deployment URLs; its v1 URL needs none)
    input_price: float | None = None  # money per million input tokens
    output_price: float | None = None  # money per million output tokens
    currency: str = "USD"
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. Azure's `api-key`
    style_guide: Path = DEFAULT_STYLE_GUIDE  # the system prompt translators edit
    response_format: str = "json_schema"  # or json_object; json_schema falls back to json_object once refused
    context_paragraphs: int = 1  # neighbouring paragraphs sent along (each side), not translated
    context_title: bool = True  # the post's title sent along, not translated
    output_ratio: float = 1.0  # dry-run estimate: output tokens per input token of the segments


# `[openai]`'s keys: the option each sets, the type it is read as (a float takes an integer
# too, a path is a string), and what it does (the configuration reference is made from these)
_KEYS: dict[str, Key] = {
    "model": Key("model", str, "The server's model name (Ollama: `qwen2.5:14b`; Azure: the deployment name)."),
    "base_url": Key("base_url", str, "The server; `OPENAI_BASE_URL` wins; empty: the OpenAI API (`https://api.openai.com/v1`)."),
    "temperature": Key("temperature", float, "Sampling temperature (not sent to reasoning models)."),
    "seed": Key("seed", int, "Sent as `seed` when set."),
    "batch_tokens": Key("batch_tokens", int, "Estimated tokens of the texts in one request."),
    "max_output_tokens": Key("max_output_tokens", int, "Sent as `max_tokens` when set (reasoning models: `max_completion_tokens`)."),
    "context_tokens": Key(
        "context_tokens", int, "The server's context (a local server's): batches sized so that prompt and answer fit it."
    ),
    "jobs": Key(
        "jobs", int, "At most this many requests in flight (a local server serving one at a time: 1); unset: `[translate] jobs` alone."
    ),
    "timeout": Key("timeout", float, "Seconds per request."),
    "retries": Key("retries", int, "Retries of a request after 429, 5xx, a timeout or a dropped connection."),
    "retry_seconds": Key("retry_seconds", float, "The most one request waits between its attempts, all told."),
    "api_version": Key("api_version", str, "Sent as `?api-version=` (Azure's deployment URLs; its v1 URL needs none)."),
    "input_price": Key("input_price", float, "Money per million input tokens, for the estimate and the summary; unset: cost unknown."),
    "output_price": Key("output_price", float, "Money per million output tokens."),
    "currency": Key("currency", str, "The currency the prices are in."),
    "headers": Key("headers", dict, "Extra request headers (Azure's `api-key`); no secrets in committed files."),
    "style_guide": Key(
        "style_guide",
        Path,
        "The system prompt translators edit; `style.<code>.md` beside it (`style.ko.md`, `style.zh.md`) wins for that language.",
    ),
    "response_format": Key(
        "response_format", str, "`json_schema` or `json_object`; `json_schema` falls back to `json_object` once a server refuses it."
    ),
    "context_paragraphs": Key("context_paragraphs", int, "Neighbouring paragraphs each side sent as context, not translated (0: none)."),
    "context_title": Key("context_title", bool, "Send the post's title as context, not translated."),
    "output_ratio": Key("output_ratio", float, "Dry-run estimate: output tokens per input token of the texts."),
}
assert set(_KEYS) == {f.name for f in fields(OpenAIOptions)}
TABLE = Table(
    "openai",
    "The `openai` engine: any OpenAI-compatible chat completions server. The key goes in `OPENAI_API_KEY`, never in a file. "
    "The model, temperature, seed, style guide and context settings are part of the editions' fingerprint.",
    _KEYS,
    OpenAIOptions,
)


def _accepted(kind: type) -> tuple[type, ...]:
    """What a key's value may be in the file: a number takes an integer, a path is a string."""
    return (float, int) if kind is float else (str,) if kind is Path else (kind,)


def options_of(settings: EngineSettings) -> OpenAIOptions:
    """The `[openai]` table as read when the settings were loaded; the defaults without one."""
    options = settings.engine_tables.get("openai")
    return options if isinstance(options, OpenAIOptions) else OpenAIOptions()


def read_table(table: Mapping[str, Any], path: Path) -> OpenAIOptions:
    """`[openai]` as options; errors name pipeline.toml and the key."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = f"openai.{key}"
        if key not in _KEYS:
            raise ConfigError(f"unknown setting '{name}'; known: {', '.join('openai.' + k for k in sorted(_KEYS))}", path=path)
        kinds = _accepted(_KEYS[key].kind)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            raise ConfigError(f"'{name}' must be a {kinds[0].__name__}, not {value!r}", path=path)
        values[key] = value
    headers = values.get("headers", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise ConfigError("'openai.headers' must be a table of strings", path=path)
    for key in ("temperature", "timeout", "retry_seconds", "input_price", "output_price", "output_ratio"):
        if key in values:
            values[key] = float(values[key])
    if "style_guide" in values:
        values["style_guide"] = Path(values["style_guide"])
    options = OpenAIOptions(**values)
    _validate(options, path)
    return options


def _validate(options: OpenAIOptions, path: Path) -> None:
    problems = []
    if options.response_format not in RESPONSE_FORMATS:
        problems.append(f"'openai.response_format' must be one of {', '.join(RESPONSE_FORMATS)}")
    if options.batch_tokens < 1 or options.retries < 0 or options.timeout <= 0 or (options.jobs is not None and options.jobs < 1):
        problems.append("'openai.batch_tokens', 'openai.jobs' and 'openai.timeout' must be positive, 'openai.retries' at least 0")
    if options.retry_seconds < 0 or (options.context_tokens is not None and options.context_tokens < 1):
        problems.append("'openai.retry_seconds' must be at least 0, 'openai.context_tokens' positive")
    if options.context_paragraphs < 0:
        problems.append("'openai.context_paragraphs' must be at least 0")
    if not options.model:
        problems.append("'openai.model' must not be empty")
    if problems:
        raise ConfigError("; ".join(problems), path=path)


def style_guide_path(root: Path, options: OpenAIOptions, target_lang: str = "EN-US") -> Path:
    """The style guide of a target language: `style.<code>.md` beside the configured one
    (`glossary/style.zh-hans.md`, else `glossary/style.zh.md`) when there is one, else the
    configured guide itself (`glossary/style.md`)."""
    path = options.style_guide if options.style_guide.is_absolute() else root / options.style_guide
    code = target_lang.lower()
    for language in dict.fromkeys((code, code.split("-")[0])):
        own = path.with_name(f"{path.stem}.{language}{path.suffix}")
        if own.is_file():
            return own
    return path


def style_guide_text(root: Path, options: OpenAIOptions, target_lang: str = "EN-US") -> str:
    """The style guide the system prompt is made of (the target language's own, if it has
    one: `style_guide_path`); missing or empty is a config error naming the file (a prompt
    of nothing would translate without the team's rules)."""
    path = style_guide_path(root, options, target_lang)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            "the OpenAI engine's style guide is missing: restore it (git checkout) or set [openai] style_guide", path=path
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the OpenAI engine's style guide cannot be read ({exc})", path=path) from exc
    if not text.strip():
        raise ConfigError("the OpenAI engine's style guide is empty: write the translation rules in it", path=path)
    return text


def fingerprint(root: Path, options: OpenAIOptions, target_lang: str = "EN-US") -> dict[str, object]:
    """What of the options changes an edition: it goes into the settings fingerprint, so a
    changed style guide or model makes every post stale (`status` shows it, `translate`
    re-translates). A style guide that cannot be read counts as such (the run refuses it)."""
    try:
        guide = hashlib.sha256(style_guide_text(root, options, target_lang).encode("utf-8")).hexdigest()[:16]
    except ConfigError:
        guide = "unreadable"
    return {
        "contract": CONTRACT_VERSION,
        "model": options.model,
        "temperature": options.temperature,
        "seed": options.seed,
        "style_guide": guide,
        "context": [options.context_paragraphs, options.context_title],
    }
