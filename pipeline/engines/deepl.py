"""DeepL through the official `deepl` library.

Retries with backoff for 429, 5xx and dropped connections are the library's own
(`deepl.http_client.max_network_retries`); we only set how many, and translate its
exceptions into ours with messages a user can act on. The key is never put in a message.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Required, TypedDict, TypeVar

import deepl

from pipeline.engines import INLINE_TAGS, KEEP_TAG, ContextPolicy, EngineResult, Limits, SegmentContext, deadline
from pipeline.errors import AnswerError, AuthenticationError, ConfigError, EngineError, QuotaExceededError
from pipeline.redact import scrub, url_secrets

_T = TypeVar("_T")
SHORT_CHARS = 40  # characters of plain text at most of a segment sent with `context`
# Our glossaries of another term base are deleted only once this old: a younger one may be
# in use by a run in another tree on the same account.
STALE_GLOSSARY_AGE = timedelta(hours=1)


class TranslateOptions(TypedDict, total=False):
    """The keyword arguments we pass to `deepl.Translator.translate_text`."""

    source_lang: Required[str]
    target_lang: Required[str]
    tag_handling: Required[str]
    ignore_tags: Required[list[str]]
    non_splitting_tags: Required[list[str]]
    # only sent when set
    context: str
    model_type: str
    formality: str
    tag_handling_version: str
    glossary: str


class DeepLEngine:
    name = "deepl"
    label = "DeepL"  # in messages
    limits = Limits(max_texts=50, max_bytes=128 * 1024, one_context=True)
    translates = True  # False: output is the source, derived fields stay as they are
    bills = True

    def __init__(
        self,
        auth_key: str,
        server_url: str | None = None,
        source_lang: str = "JA",
        target_lang: str = "EN-US",
        model_type: str | None = None,
        formality: str | None = None,
        tag_handling_version: str | None = None,
        glossary_id: str | None = None,
        retries: int = 5,
        timeout: float = 30.0,
        context: bool = True,
    ) -> None:
        _refuse_malformed_key(auth_key)
        self._auth_key = auth_key
        self._server_url = server_url or None
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.model_type = model_type
        self.formality = formality
        self.tag_handling_version = tag_handling_version
        self.glossary_id = glossary_id
        # DeepL's `context` (read, not translated, not billed) for short segments only: a heading,
        # a list item or a table cell alone is ambiguous; a paragraph carries its own context
        self.context_policy = ContextPolicy(paragraphs=1, title=True, max_chars=600, short_chars=SHORT_CHARS) if context else None
        deepl.http_client.max_network_retries = retries
        deepl.http_client.min_connection_timeout = timeout
        self._timeout = timeout  # also each request's whole deadline (see engines/deadline.py)
        self._local = threading.local()
        self._glossary: tuple[str, dict[str, str]] | None = None  # name and entries, to make it again
        self._glossary_lock = threading.Lock()

    def translator(self) -> deepl.Translator:
        """One client per thread: requests sessions are not documented as thread-safe."""
        translator = getattr(self._local, "translator", None)
        if translator is None:
            translator = deepl.Translator(self._auth_key, server_url=self._server_url, send_platform_info=False)
            deadline.mount(translator._client._session, self._timeout)
            self._local.translator = translator
        return translator

    def settings(self) -> Mapping[str, object]:
        # The glossary is not here: the cache key carries the entries each segment uses.
        return {
            "engine": self.name,
            "source_lang": self.source_lang,
            "target_lang": self.target_lang,
            "tag_handling": "xml",
            "tag_handling_version": self.tag_handling_version,
            "ignore_tags": [KEEP_TAG],
            "non_splitting_tags": list(INLINE_TAGS),
            "model_type": self.model_type,
            "formality": self.formality,
        }

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        return self._translate(texts, None)

    def translate_in_context(self, texts: Sequence[str], contexts: Sequence[SegmentContext | None]) -> list[EngineResult]:
        """One request per distinct context (DeepL's is per request): the batches come
        with one (`Limits.one_context`), so this is one request but for a caller that mixes
        them. A run of short segments shares one, the others have none."""
        groups: dict[str | None, list[int]] = {}
        for index, context in enumerate(contexts):
            groups.setdefault(deepl_context(context), []).append(index)
        results: list[EngineResult | None] = [None] * len(texts)
        for said, indices in groups.items():
            answers = self._translate([texts[i] for i in indices], said)
            if len(answers) != len(indices):
                billed = sum(r.billed_characters for r in answers)
                raise AnswerError(f"DeepL answered {len(answers)} translations for {len(indices)} texts", billed_characters=billed)
            for index, answer in zip(indices, answers):
                results[index] = answer
        return [r for r in results if r is not None]

    def _translate(self, texts: Sequence[str], context: str | None) -> list[EngineResult]:
        try:
            results = self._translate_text(texts, self._options(context))
        except deepl.AuthorizationException as exc:
            raise AuthenticationError(
                "DeepL refused the key in DEEPL_AUTH_KEY (HTTP 403): check the key and that it matches the server"
            ) from exc
        except deepl.QuotaExceededException as exc:
            raise QuotaExceededError(f"DeepL character quota exceeded (HTTP 456){self._usage()}") from exc
        except deepl.DeepLException as exc:
            raise EngineError(f"DeepL request failed after retries: {_clean(str(exc), self._auth_key, self._server_url)}") from exc
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            # deepl reads each translation of the body unchecked: `null` or a field missing
            raise AnswerError(f"DeepL answered a malformed translation for {len(texts)} texts ({type(exc).__name__}: {exc})") from exc
        if not isinstance(results, list):
            results = [results]
        return _checked(results, texts)

    def _options(self, context: str | None) -> TranslateOptions:
        options: TranslateOptions = {
            "source_lang": self.source_lang,
            "target_lang": self.target_lang,
            "tag_handling": "xml",
            "ignore_tags": [KEEP_TAG],
            # Our tags are all inline markup: a sentence never ends at one of them.
            "non_splitting_tags": list(INLINE_TAGS),
        }
        if self.model_type:
            options["model_type"] = self.model_type
        if self.formality:
            options["formality"] = self.formality
        if self.tag_handling_version:
            options["tag_handling_version"] = self.tag_handling_version
        if self.glossary_id:
            options["glossary"] = self.glossary_id
        if context:
            options["context"] = context  # read, not translated, not billed
        return options

    def _translate_text(self, texts: Sequence[str], options: TranslateOptions) -> deepl.TextResult | list[deepl.TextResult]:
        """The library's call; a glossary deleted meanwhile (by hand, or by an older version of
        us in another tree) is made again and the request asked once more."""
        try:
            return self.translator().translate_text(list(texts), **options)
        except deepl.DeepLException as exc:
            if "glossary" not in options or not _glossary_not_found(exc):
                raise
        options["glossary"] = self._glossary_again(options["glossary"])
        return self.translator().translate_text(list(texts), **options)

    def _glossary_again(self, gone: str) -> str:
        """The glossary in use after `gone` was found missing: re-created once, by one thread."""
        with self._glossary_lock:
            if self.glossary_id == gone and self._glossary is not None:
                name, terms = self._glossary
                found = next((info for info in self.list_glossaries() if info.name == name and self._ours(info)), None)
                self.glossary_id = (found or self.create_glossary(name, terms)).glossary_id
            return self.glossary_id or gone

    def _ours(self, info: deepl.GlossaryInfo) -> bool:
        """A glossary of this engine's language pair."""
        return info.source_lang.upper() == self.source_lang.upper() and info.target_lang.upper() == self.target_lang[:2].upper()

    def _usage(self) -> str:
        try:
            usage = self.translator().get_usage()
        except deepl.DeepLException:
            return ""
        if usage.character.valid:
            return f": {usage.character.count:,} of {usage.character.limit:,} characters used this period"
        return ""

    # Glossary --------------------------------------------------------------------------

    def use_glossary(self, name: str, terms: Mapping[str, str], prefix: str) -> str | None:
        """Find the glossary for this content by name, or create it; delete our stale ones.

        The name carries a hash of the entries, so an unchanged term base is found again on
        every later run and never re-created. Versions we made before for this language pair
        are removed once they are older than `STALE_GLOSSARY_AGE`: another tree on the same
        account (a second blog, a branch run beside CI) may be using its own right now, and no
        lock of ours spans two trees. Another pair's (another target language's) never: its
        own run keeps it. Called under the run lock.
        """
        if not terms:
            self.glossary_id = None
            return None
        self._glossary = (name, dict(terms))
        current = None
        stale_before = datetime.now(timezone.utc) - STALE_GLOSSARY_AGE
        for info in self.list_glossaries():
            if not self._ours(info):
                continue
            if info.name == name:
                current = current or info
            elif info.name.startswith(prefix) and _created(info) < stale_before:
                self.delete_glossary(info.glossary_id)
        if current is None:
            current = self.create_glossary(name, terms)
        self.glossary_id = current.glossary_id
        return self.glossary_id

    def list_glossaries(self) -> list[deepl.GlossaryInfo]:
        return self._call(lambda t: t.list_glossaries())

    def create_glossary(self, name: str, entries: Mapping[str, str]) -> deepl.GlossaryInfo:
        return self._call(lambda t: t.create_glossary(name, self.source_lang, self.target_lang[:2], dict(entries)))

    def delete_glossary(self, glossary_id: str) -> None:
        self._call(lambda t: t.delete_glossary(glossary_id))

    def _call(self, fn: Callable[[deepl.Translator], _T]) -> _T:
        try:
            return fn(self.translator())
        except deepl.AuthorizationException as exc:
            raise AuthenticationError("DeepL refused the key in DEEPL_AUTH_KEY (HTTP 403)") from exc
        except deepl.DeepLException as exc:
            raise EngineError(f"DeepL glossary request failed: {_clean(str(exc), self._auth_key, self._server_url)}") from exc


def _glossary_not_found(exc: deepl.DeepLException) -> bool:
    """DeepL's answer to a request naming a glossary that no longer exists."""
    if isinstance(exc, deepl.GlossaryNotFoundException):
        return True
    return getattr(exc, "http_status_code", None) in (400, 404) and "glossary not found" in str(exc).lower()


def _created(info: deepl.GlossaryInfo) -> datetime:
    """When a glossary was made (aware, UTC); one without a time counts as new."""
    made = info.creation_time
    if not isinstance(made, datetime):
        return datetime.now(timezone.utc)
    return made if made.tzinfo is not None else made.replace(tzinfo=timezone.utc)


def deepl_context(context: SegmentContext | None) -> str | None:
    """The `context` DeepL reads with a request: the title and the neighbouring paragraphs."""
    if context is None:
        return None
    return "\n\n".join(part for part in (context.title, context.before, context.after) if part) or None


def _checked(results: list[deepl.TextResult], texts: Sequence[str]) -> list[EngineResult]:
    """DeepL's answers as ours, refusing what the library lets through: it reads an empty or
    unparsable body as no translations at all, and a `null` text as None. The count itself
    is checked where every engine's is (`translate.answers_for`)."""
    billed = [r.billed_characters if r.billed_characters is not None else len(t) for r, t in zip(results, texts)]
    billed += [r.billed_characters or 0 for r in results[len(texts) :]]
    if texts and not results:
        raise AnswerError(f"DeepL answered an empty or malformed body for {len(texts)} texts")
    for number, result in enumerate(results, 1):
        if not isinstance(result.text, str):
            raise AnswerError(f"DeepL answered {json.dumps(result.text)} for text {number} of {len(texts)}", billed_characters=sum(billed))
    return [EngineResult(r.text, n) for r, n in zip(results, billed)]


_NAMES = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", " ": "a space"}


def _refuse_malformed_key(key: str) -> None:
    """A DeepL key has no whitespace or control characters; one that does (a line pasted
    with the next, a zero-width space) would fail in the HTTP library, whose error quotes
    the whole header, key included. Refused before any request, without showing the key."""
    for position, char in enumerate(key, 1):
        if char.isspace() or unicodedata.category(char).startswith("C"):
            what = _NAMES.get(char) or f"a {'space' if char.isspace() else 'control'} character (U+{ord(char):04X})"
            raise ConfigError(
                f"DEEPL_AUTH_KEY contains {what} at character {position} of {len(key)}; a DeepL key has no whitespace "
                "or control characters: copy it again (the key is not shown)"
            )


def _clean(message: str, key: str, server_url: str | None = None) -> str:
    """`message` without the key or the server URL's credentials, its URLs shown public."""
    return scrub(message, [key, *url_secrets(server_url or "")])
