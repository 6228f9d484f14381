"""The HTTP client of the `openai` engine: a thin one over `requests` (already installed
with `deepl`) so that retries live in one loop.

429 and 5xx honour `Retry-After`, timeouts and dropped connections back off
exponentially, all within the run's attempts and seconds of waiting; a status no retry
can help is raised as `Refused` for the engine to learn from or to turn into the error
the user sees. Apart from the engine because it knows HTTP and nothing of translation.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import math
import random
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from pipeline.engines import deadline
from pipeline.engines.openai_config import OpenAIOptions
from pipeline.engines.openai_wire import short
from pipeline.errors import (
    AnswerError,
    AuthenticationError,
    ConfigError,
    EngineError,
    ModelNotFoundError,
    QuotaExceededError,
)
from pipeline.redact import public_url, scrub, url_secrets

BACKOFF_INITIAL = 1.0  # seconds before the first retry; doubled each time (tests shrink it)
BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 366 * 86400.0  # a Retry-After beyond the budget stops the run; this only keeps it printable
QUOTA_CODES = (
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
)


class Refused(Exception):
    """A status the retries cannot help (4xx but 408/409/429-for-rate, or a quota)."""

    def __init__(self, status: int, message: str, code: str, param: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param

    def names(self, parameter: str) -> bool:
        return self.param == parameter or (not self.param and f"'{parameter}'" in self.message)

    def names_response_format(self) -> bool:
        return self.status in (400, 422, 500) and ("json_schema" in self.message or "response_format" in self.message)

    def as_error(self, label: str, model: str) -> EngineError:
        said = f"HTTP {self.status}: {self.message}" if self.message else f"HTTP {self.status}"
        if self.code in QUOTA_CODES or self.status == 402:  # 402: OpenRouter's "Insufficient credits"
            return QuotaExceededError(f"{label} says the account's quota or credit is used up ({said}); add credit or raise the limit")
        if self.status == 401:
            return AuthenticationError(f"{label} refused the key in OPENAI_API_KEY ({said}); check the key and OPENAI_BASE_URL")
        if self.status == 403:  # not always the key: a region the server does not serve, a model the project may not use
            return AuthenticationError(f"{label} refused access ({said}); its reason says what to change (the key's permissions, …)")
        if self.status == 404:
            return ModelNotFoundError(f"{label} does not know model {model!r} ({said}); set [openai] model, or check OPENAI_BASE_URL")
        hint = "; if the request is too long for the model, lower [openai] batch_tokens" if self.status in (400, 413) else ""
        return EngineError(f"{label} refused the request ({said}){hint}")


class Client:
    """POST with retries, in one place: 429 (not a quota) and 5xx honour `Retry-After`
    (seconds or a date; `retry-after-ms` too) and `x-should-retry`, timeouts and dropped
    connections back off exponentially with jitter; all of it within `retries` attempts and
    `retry_seconds` of waiting. A wait beyond that stops at once, saying when to try again.
    One `requests.Session` per thread."""

    def __init__(self, base_url: str, api_key: str, headers: dict[str, str], options: OpenAIOptions) -> None:
        base = urlsplit(base_url)  # a query in the base URL stays after the path
        self.url = urlunsplit(base._replace(path=base.path.rstrip("/") + "/chat/completions"))
        self._params = {"api-version": options.api_version} if options.api_version else {}  # Azure's deployment URLs
        self._key = api_key
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json", **headers}
        self.timeout = options.timeout
        self.retries = options.retries
        self.budget = options.retry_seconds
        self._local = threading.local()

    def _scrub(self, message: str) -> str:
        """A server's or the HTTP library's words without the key or the URL's credentials."""
        return scrub(message, [self._key, *url_secrets(self.url)])

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = deadline.mount(requests.Session(), self.timeout)  # timeout: the whole request's
            session.trust_env = True
        return session

    def post(self, body: Mapping[str, Any]) -> dict[str, Any]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        started = time.monotonic()
        attempt = 0
        while True:
            wait: float | None = None
            try:
                response = self._session().post(self.url, params=self._params, data=data, headers=self._headers, timeout=self.timeout)
            except requests.Timeout:
                failure = f"gave no answer within {self.timeout:g} s"
            except requests.RequestException as exc:
                failure = f"cannot be reached ({self._scrub(type(exc).__name__ + ': ' + str(exc))[:300]})"
            else:
                if response.status_code == 200:
                    return self._json(response)
                message, code, param = _error_of(response)
                message = self._scrub(message)
                if not _retryable(response, code) or _refuses_format(response.status_code, message, body):
                    raise Refused(response.status_code, message, code, param)
                failure = f"answered HTTP {response.status_code}" + (f": {message}" if message else "")
                wait = _retry_after(response.headers)
            self._pause(attempt, time.monotonic() - started, wait, failure)
            attempt += 1

    def _pause(self, attempt: int, spent: float, wait: float | None, failure: str) -> None:
        """Sleep before the next attempt, or raise: no attempts left, or the wait would go
        beyond the time budget (the server's own Retry-After is never cut short)."""
        where = f"The OpenAI-compatible server at {public_url(self.url)} {failure}"
        if attempt >= self.retries:
            raise EngineError(f"{where} ({attempt + 1} attempt(s))")
        delay = wait if wait is not None else _backoff(attempt)
        if spent + delay <= self.budget:
            time.sleep(delay)
            return
        if wait is not None:
            when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=wait)
            raise EngineError(
                f"{where} and asks to wait {wait:.0f} s (Retry-After), beyond what [openai] retry_seconds = {self.budget:g} "
                f"leaves: try again after {when:%Y-%m-%d %H:%M:%S} UTC"
            )
        raise EngineError(f"{where} ({attempt + 1} attempt(s) in {spent:.0f} s; [openai] retry_seconds = {self.budget:g})")

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise AnswerError(f"The OpenAI-compatible server answered a body that is not JSON: {short(response.text)}") from None
        if not isinstance(data, dict):
            raise AnswerError(f"The OpenAI-compatible server answered JSON that is not an object: {short(response.text)}")
        return data


def _retryable(response: requests.Response, code: str) -> bool:
    """Whether another attempt may help: never for a quota; as the server's `x-should-retry`
    says when it says (OpenAI's, honoured by its own clients); else 408, 409, 429 and 5xx."""
    if code in QUOTA_CODES:
        return False
    should = response.headers.get("x-should-retry", "").strip().lower()
    if should in ("true", "false"):
        return should == "true"
    return response.status_code in (408, 409, 429) or response.status_code >= 500


def _refuses_format(status: int, message: str, body: Mapping[str, Any]) -> bool:
    """A server error that is a refusal of the response format (old llama.cpp builds
    answer json_schema with 500): no retry helps, the engine falls back instead."""
    return Refused(status, message, "").names_response_format() and (body.get("response_format") or {}).get("type") == "json_schema"


def _error_of(response: requests.Response) -> tuple[str, str, str]:
    """The message, code and parameter of an error answer: OpenAI's `{"error": {"message",
    "type", "param", "code"}}`, or whatever text a proxy sent."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:300], "", ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        # a quota reads `type: insufficient_quota` with a code naming which one, or the code alone
        marks = [str(error.get(k)) for k in ("code", "type") if isinstance(error.get(k), str)]
        code = next((m for m in marks if m in QUOTA_CODES), marks[0] if marks else "")
        param = error.get("param")
        return str(error.get("message") or "")[:500], code, param if isinstance(param, str) else ""
    if isinstance(error, str):
        return error[:500], "", ""
    return response.text.strip()[:300], "", ""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait (`retry-after-ms`, or `Retry-After` in seconds or
    as a date); None when it asks nothing or says something unreadable (`60s`): our backoff."""
    milliseconds = _seconds(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = headers.get("retry-after")
    seconds = _seconds(value)
    if seconds is not None or not value:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return _bounded(when.timestamp() - time.time())


def _seconds(value: str | None) -> float | None:
    try:
        return _bounded(float(value)) if value else None
    except ValueError:
        return None


def _bounded(seconds: float) -> float | None:
    """A wait as a number we can sleep and print: none below 0, a year at most (an endless
    one is beyond any budget all the same); NaN is no wait at all."""
    if math.isnan(seconds):
        return None
    return min(RETRY_AFTER_MAX, max(0.0, seconds))


def _backoff(attempt: int) -> float:
    return min(BACKOFF_MAX, BACKOFF_INITIAL * 2.0**attempt) * (0.75 + random.random() / 2)


def refuse_malformed_key(key: str) -> None:
    """A key with whitespace or control characters inside (two lines pasted together)
    would fail in the HTTP library, whose error may quote the header: refused first."""
    for position, char in enumerate(key, 1):
        if char.isspace() or not char.isprintable():
            raise ConfigError(
                f"OPENAI_API_KEY contains a space or control character (U+{ord(char):04X}) at character {position} of "
                f"{len(key)}: copy it again (the key is not shown)"
            )
