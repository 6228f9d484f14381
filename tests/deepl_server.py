"""A DeepL-compatible HTTP test server (stdlib only).

Why: the pipeline talks to DeepL through the official ``deepl`` library, and
the test suite has neither network nor a key. This server speaks the parts of
DeepL's HTTP API that ``deepl`` 1.32 uses (``/v2/translate``, ``/v2/usage``,
``/v2/languages``, ``/v2/glossary-language-pairs``, ``/v2/glossaries`` and a
minimal ``/v3/glossaries``) on 127.0.0.1 with a deterministic "translation"
that keeps XML tags, so tests exercise the real client: its JSON shapes,
headers, error mapping and retry loop. Faults (429, 5xx, 456, dropped
connections, slow responses, requests left hanging, wrong key) and lying
answers (fewer or more translations than texts, an empty or malformed body,
``null`` texts) are injected with count-down verbs in the style of
deepl-python's own test fixtures.

Library use::

    with DeepLTestServer() as server:
        translator = deepl.Translator(server.auth_key, server_url=server.url)
        server.respond_with_429(2)
        translator.translate_text("猫", target_lang="EN-US")  # "EN: 猫"

Script use (benchmarks, subprocess tests): ``python tests/deepl_server.py
--port 0 [--latency 0.05]`` prints the URL as its first stdout line and serves
until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import csv
import io
import html
import json
import re
import select
import signal
import socket
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fake_server import DRIP_PADDING, RequestLog, drip, take_fault

DEFAULT_AUTH_KEY = "test-key"
#: Effectively unlimited, but reported so ``Usage.character.valid`` is True.
DEFAULT_CHARACTER_LIMIT = 1_000_000_000
MARK_PREFIX = "EN: "
FIXED_TRANSLATION = "proton beam"
#: DeepL's message for XML that strict (v2) tag handling cannot parse.
XML_PARSE_ERROR = "Tag handling parsing failed, please check input."
AUTH_ERROR = "Wrong endpoint or invalid authentication key"
QUOTA_ERROR = "Quota for this billing period has been exceeded."
MODES = ("mark", "fixed", "custom")

#: fn(text, params) -> translated text; params is the request's parameters.
TranslatorHook = Callable[[str, dict[str, Any]], str]

_ROOT_TAG = "deepl-test-root"
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_GLOSSARY_LANGS = ("de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "zh")
_FORMALITIES = ("default", "more", "less", "prefer_more", "prefer_less")
_MODEL_TYPES = {
    "quality_optimized": "quality_optimized",
    "prefer_quality_optimized": "quality_optimized",
    "latency_optimized": "latency_optimized",
}
_LIST_PARAMS = ("ignore_tags", "non_splitting_tags", "splitting_tags")
_HTML_VOID = frozenset(
    "area base br col embed hr img input link meta source track wbr".split()
)
_JA_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")


class ServerError(Exception):
    """Raise from a translator hook to answer with a chosen status/message.

    Why: lets a test provoke e.g. a 400 for one specific text without a new
    fault verb.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class RecordedRequest:
    """One request as the server saw it, so tests can assert on the wire.

    ``status`` is None while the request is still being handled and stays None
    when no response was sent (dropped connection, a hang, or the client gave up
    during an injected delay). ``fault`` names the injected behaviour, if any:
    "429", "5xx", "drop", "slow", "hang", "abandoned", "auth", "quota", or one
    of the lying answers "fewer", "more", "empty", "malformed", "null" (those
    are translated and billed as usual; only the answer is wrong).
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    time: float
    status: int | None = None
    fault: str | None = None
    duration: float | None = None
    auth_ok: bool | None = None

    @property
    def context(self) -> str | None:
        """The ``context`` parameter (read by DeepL, not translated, not billed)."""
        value = self.body.get("context") if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else None

    @property
    def texts(self) -> list[str]:
        """The ``text`` parameter as a list (empty for non-translate calls)."""
        if not isinstance(self.body, dict):
            return []
        value = self.body.get("text", [])
        return [value] if isinstance(value, str) else list(value)


@dataclass
class GlossaryDictionary:
    """One language pair of a glossary (v2 glossaries have exactly one)."""

    source_lang: str
    target_lang: str
    entries: dict[str, str]

    def info_json(self) -> dict[str, Any]:
        return {
            "source_lang": self.source_lang,
            "target_lang": self.target_lang,
            "entry_count": len(self.entries),
        }

    def tsv(self) -> str:
        return "\n".join(f"{s}\t{t}" for s, t in self.entries.items())


@dataclass
class Glossary:
    """A stored glossary; serialised in the v2 or v3 JSON shape on demand."""

    glossary_id: str
    name: str
    creation_time: str
    dictionaries: list[GlossaryDictionary]

    @property
    def entries(self) -> dict[str, str]:
        """Entries of the first dictionary (the only one for v2 glossaries)."""
        return dict(self.dictionaries[0].entries) if self.dictionaries else {}

    def v2_json(self) -> dict[str, Any]:
        d = self.dictionaries[0]
        return {
            "glossary_id": self.glossary_id,
            "name": self.name,
            "ready": True,
            "source_lang": d.source_lang,
            "target_lang": d.target_lang,
            "creation_time": self.creation_time,
            "entry_count": len(d.entries),
        }

    def v3_json(self) -> dict[str, Any]:
        return {
            "glossary_id": self.glossary_id,
            "name": self.name,
            "dictionaries": [d.info_json() for d in self.dictionaries],
            "creation_time": self.creation_time,
        }

    def dictionary_for(self, source: str, target: str) -> GlossaryDictionary | None:
        for d in self.dictionaries:
            if d.source_lang == source and d.target_lang == target:
                return d
        return None


@dataclass
class _Fault:
    """A count-down fault; consumed once per matching request."""

    kind: str  # "429" | "5xx" | "drop" | "slow" | "drip" | "hang" | one of _ANSWER_FAULTS
    remaining: int
    paths: tuple[str, ...] | None
    status: int = 0
    seconds: float = 0.0
    texts: int = 1  # "fewer" / "more" / "null": how many translations to drop, add or null
    suffix: str = ""  # "append": what every translation gets at its end

    def matches(self, path: str) -> bool:
        if self.paths is None:
            return True
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.paths)


#: Faults that let a translate request be processed and billed, then corrupt its answer.
_ANSWER_FAULTS = ("fewer", "more", "empty", "malformed", "null", "break_tags", "append", "surrogate")
_MALFORMED_BODY = '{"translations": [{"detected_source_language": "JA", "text": "EN'


@dataclass
class _Response:
    status: int
    body: Any = None  # dict/list -> JSON, str -> text, None -> empty
    content_type: str = "application/json"


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _now_iso() -> str:
    """Timestamp in the shape deepl's ``parse_timestamp`` accepts."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _escape_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(s: str) -> str:
    return (
        _escape_text(s)
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def billable(text: str, tag_handling: str | None) -> int:
    """Characters DeepL bills: with tag handling, the tags themselves are free.

    "If the parameter tag_handling is set to either xml or html, the characters of the
    HTML or XML tags (including all their attributes and values) are not counted towards
    billing." (DeepL support: Usage count and billing in DeepL API)
    """
    if tag_handling not in ("xml", "html"):
        return len(text)
    return len(html.unescape(re.sub(r"<[^>]*>", "", text)))


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _as_tag_list(value: Any) -> list[str]:
    """DeepL accepts tag lists as JSON arrays or comma-separated strings."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [t.strip() for item in items for t in str(item).split(",") if t.strip()]


def _detect_language(text: str) -> str:
    return "JA" if _JA_RE.search(text) else "EN"


def _glossary_replacer(entries: Mapping[str, str]) -> Callable[[str], str]:
    """Replace source terms by targets in one pass, longest source first.

    One regex alternation means a replaced target is never re-matched.
    """
    terms = sorted((t for t in entries if t), key=len, reverse=True)
    if not terms:
        return lambda s: s
    pattern = re.compile("|".join(re.escape(t) for t in terms))
    return lambda s: pattern.sub(lambda m: entries[m.group(0)], s)


def _parse_entries(entries: Any, entries_format: Any) -> dict[str, str]:
    """Parse glossary entries like DeepL does (TSV or CSV, unique sources)."""
    if not isinstance(entries, str) or not entries.strip():
        raise _HttpError(400, "Missing or invalid argument: entries")
    fmt = str(entries_format or "").lower()
    rows: list[tuple[str, str]] = []
    if fmt == "tsv":
        for index, line in enumerate(entries.splitlines(), 1):
            if not line.strip():
                continue
            if "\t" not in line:
                raise _HttpError(400, f"Invalid glossary entries provided: entry {index} misses tab separator")
            source, target = line.split("\t", 1)
            rows.append((source.strip(), target.strip()))
    elif fmt == "csv":
        for index, row in enumerate(csv.reader(io.StringIO(entries)), 1):
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) < 2:
                raise _HttpError(400, f"Invalid glossary entries provided: entry {index} has fewer than 2 columns")
            rows.append((row[0].strip(), row[1].strip()))
    else:
        raise _HttpError(400, "Value for 'entries_format' not supported.")
    result: dict[str, str] = {}
    for source, target in rows:
        if not source or not target:
            raise _HttpError(400, "Invalid glossary entries provided: empty term")
        if source in result:
            raise _HttpError(400, f"Invalid glossary entries provided: duplicate source term {source!r}")
        result[source] = target
    if not result:
        raise _HttpError(400, "Missing or invalid argument: entries")
    return result


def _glossary_pair(source: Any, target: Any) -> tuple[str, str]:
    s, t = str(source or "").lower(), str(target or "").lower()
    if s not in _GLOSSARY_LANGS or t not in _GLOSSARY_LANGS or s == t:
        raise _HttpError(400, "Unsupported glossary source and target language pair")
    return s, t


# --------------------------------------------------------------------------
# Tag-preserving transformation
# --------------------------------------------------------------------------


def transform_xml(text: str, fn: Callable[[str], str], ignore_tags: Iterable[str] = ()) -> str:
    """Apply ``fn`` to translatable text nodes of an XML fragment.

    Why strict: DeepL's v2 tag handling rejects malformed XML, and the pipeline
    must be built to send well-formed markup. Tags, attributes (in order),
    comments and processing instructions are re-emitted; text inside elements
    named in ``ignore_tags`` is left alone. Raises ``_HttpError(400)``.
    """
    ignored = frozenset(ignore_tags)
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
    try:
        parser.feed(f"<{_ROOT_TAG}>{text}</{_ROOT_TAG}>")
        root = parser.close()
    except ET.ParseError as exc:
        raise _HttpError(400, f"{XML_PARSE_ERROR} ({exc})") from exc
    out: list[str] = []
    if root.text:
        out.append(_escape_text(fn(root.text)))
    for child in root:
        _serialize(child, out, fn, ignored, inside_ignored=False)
    return "".join(out)


def _serialize(
    elem: ET.Element,
    out: list[str],
    fn: Callable[[str], str],
    ignored: frozenset[str],
    inside_ignored: bool,
) -> None:
    tag = elem.tag
    if tag is ET.Comment:  # type: ignore[comparison-overlap]
        out.append(f"<!--{elem.text or ''}-->")
    elif tag is ET.ProcessingInstruction:  # type: ignore[comparison-overlap]
        out.append(f"<?{elem.text or ''}?>")
    else:
        if tag.startswith("{"):
            raise _HttpError(400, "XML namespaces are not supported by the DeepL test server")
        skip = inside_ignored or tag in ignored
        attrs = "".join(
            f' {k.replace(_XML_NS, "xml:")}="{_escape_attr(v)}"' for k, v in elem.attrib.items()
        )
        if elem.text is None and len(elem) == 0:
            out.append(f"<{tag}{attrs}/>")
        else:
            out.append(f"<{tag}{attrs}>")
            if elem.text:
                out.append(_escape_text(elem.text if skip else fn(elem.text)))
            for child in elem:
                _serialize(child, out, fn, ignored, skip)
            out.append(f"</{tag}>")
    if elem.tail:
        out.append(_escape_text(elem.tail if inside_ignored else fn(elem.tail)))


_HTML_TOKEN = re.compile(r"""(<!--.*?-->|<(?:[^>"']|"[^"]*"|'[^']*')*>)""", re.DOTALL)
_HTML_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w:.-]*)")


def transform_html(text: str, fn: Callable[[str], str], ignore_tags: Iterable[str] = ()) -> str:
    """Lenient counterpart of :func:`transform_xml` for tag_handling=html.

    DeepL does not parse HTML strictly, so neither do we: tags are kept
    byte-for-byte and only text between them (outside ignored elements) goes
    through ``fn``.
    """
    ignored = frozenset(t.lower() for t in ignore_tags)
    stack: list[str] = []
    out: list[str] = []
    for token in _HTML_TOKEN.split(text):
        if not token:
            continue
        m = _HTML_TAG.match(token) if token.startswith("<") else None
        if token.startswith("<!--") or (token.startswith("<") and m is None):
            out.append(token)  # comments, doctype, stray "<"
            continue
        if m is not None:
            closing, name = m.group(1), m.group(2).lower()
            self_closing = token[:-1].rstrip().endswith("/")
            if closing:
                if name in stack:
                    while stack and stack.pop() != name:
                        pass
            elif not self_closing and name not in _HTML_VOID:
                stack.append(name)
            out.append(token)
            continue
        out.append(token if ignored.intersection(stack) else fn(token))
    return "".join(out)


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 drops SYNs under concurrent clients, which then
    # stall for a 1 s TCP retransmit: fatal for benchmarks.
    request_queue_size = 128
    app: DeepLTestServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hung up; print anything else."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "DeepLTestServer/1.0"

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.app.verbose:
            super().log_message(format, *args)

    def _dispatch(self) -> None:
        app = self.server.app
        started = time.time()
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        body, body_error = _parse_body(raw, self.headers.get("Content-Type", ""))
        headers = {k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in self.headers.items()}
        record = RecordedRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query),
            headers=headers,
            body=body,
            time=started,
        )
        app._record(record)
        faults = app._take_faults(split.path)

        if "hang" in faults:
            # Never answer: hold the request until the client hangs up or the server stops.
            record.fault = "hang"
            while not app._stopping.wait(0.05) and not _peer_closed(self.connection):
                pass
            record.duration = time.time() - started
            self.close_connection = True
            return
        delay = app.latency + (faults["slow"].seconds if "slow" in faults else 0.0)
        if "slow" in faults:
            record.fault = "slow"
        if delay > 0:
            app._stopping.wait(delay)
            if app._stopping.is_set() or _peer_closed(self.connection):
                # The client gave up (timeout): do not process or bill.
                record.fault = record.fault or "abandoned"
                record.duration = time.time() - started
                self.close_connection = True
                return
        if "drop" in faults:
            record.fault = "drop"
            record.duration = time.time() - started
            self.close_connection = True
            return  # socketserver closes the socket: the client sees no response
        if "429" in faults:
            record.fault = "429"
            response = _Response(429, {"message": "Too many requests (injected by test server)"})
        elif "5xx" in faults:
            record.fault = "5xx"
            response = _Response(faults["5xx"].status, {"message": "Internal server error (injected by test server)"})
        else:
            response = app._handle(self.command, record, self.headers.get("Authorization"), body_error)
            answer_fault = app._take_answer_fault(split.path) if response.status == 200 else None
            if answer_fault is not None:
                record.fault = answer_fault.kind
                response = _corrupt(response, answer_fault)
        self._send(response, record, faults.get("drip"))

    def _send(self, response: _Response, record: RecordedRequest, dripping: _Fault | None = None) -> None:
        if response.body is None or response.status == 204:
            payload = b""
        elif isinstance(response.body, str):
            payload = response.body.encode("utf-8")
        else:
            try:
                payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8: it goes as JSON's `\ud800` escape
                payload = json.dumps(response.body).encode("utf-8")
        if dripping is not None:
            record.fault = "drip"
            payload = b" " * DRIP_PADDING + payload
        # Record before writing: the client may look at the log the moment it
        # has the response.
        record.status = response.status
        record.duration = time.time() - record.time
        try:
            self.send_response(response.status)
            if payload:
                self.send_header("Content-Type", f"{response.content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if dripping is not None:
                self.wfile.flush()
                if not drip(self.wfile, payload, dripping.seconds, self.server.app._stopping):
                    record.status, self.close_connection = None, True
            elif payload:
                self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            record.status, record.fault = None, "abandoned"
            self.close_connection = True


def _corrupt(response: _Response, fault: _Fault) -> _Response:
    """The answer a lying server gives instead of ``response`` (a translate 200)."""
    if fault.kind == "empty":
        return _Response(200, None)
    if fault.kind == "malformed":
        return _Response(200, _MALFORMED_BODY)
    translations = [dict(t) for t in response.body["translations"]]
    n = fault.texts
    if fault.kind == "fewer":
        translations = translations[: max(0, len(translations) - n)]
    elif fault.kind == "more":
        translations += [dict(translations[-1], text=f"EN: extra {i + 1}") for i in range(n)]
    elif fault.kind == "break_tags":  # every text of the answer loses its tags, as a careless engine does
        for item in translations:
            item["text"] = re.sub(r"<[^>]*>", "", item["text"]) if isinstance(item.get("text"), str) else item.get("text")
    elif fault.kind in ("append", "surrogate"):  # text a steered engine or a proxy adds; a lone surrogate
        for item in translations:
            item["text"] += fault.suffix if fault.kind == "append" else "\ud800"
    else:  # "null": the last n texts
        for item in translations[max(0, len(translations) - n) :]:
            item["text"] = None
    return _Response(200, {"translations": translations})


def _parse_body(raw: bytes, content_type: str) -> tuple[Any, str | None]:
    """JSON for JSON requests, a flat dict for forms, text otherwise."""
    if not raw:
        return None, None
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text), None
        except json.JSONDecodeError as exc:
            return text, f"Invalid JSON body: {exc}"
    if "x-www-form-urlencoded" in content_type:
        form = parse_qs(text, keep_blank_values=True)
        return {k: (v if k == "text" or len(v) > 1 else v[0]) for k, v in form.items()}, None
    return text, None


def _peer_closed(sock: socket.socket) -> bool:
    """True if the client hung up (e.g. after its read timeout)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class DeepLTestServer:
    """DeepL API look-alike on 127.0.0.1 with deterministic output and faults.

    Translation modes: "mark" (default: glossary applied to text nodes, then
    ``prefix`` prepended to the whole output), "fixed" (every text becomes
    "proton beam", tags dropped, like DeepL's mock server) and "custom" (a
    hook set with :meth:`set_translator`).
    """

    def __init__(
        self,
        auth_key: str = DEFAULT_AUTH_KEY,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        character_limit: int = DEFAULT_CHARACTER_LIMIT,
        mode: str = "mark",
        prefix: str = MARK_PREFIX,
        verbose: bool = False,
    ) -> None:
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._auth_key = auth_key
        self._host = host
        self._port = port
        self.latency = latency
        self.prefix = prefix
        self.verbose = verbose
        self._mode = "mark"
        self._hook: TranslatorHook | None = None
        self.set_mode(mode)
        self._character_count = 0
        self._character_limit = character_limit
        self._faults: list[_Fault] = []
        self._log: RequestLog[RecordedRequest] = RequestLog()
        self._glossaries: dict[str, Glossary] = {}
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> DeepLTestServer:
        """Bind (port 0 = random free port) and serve in a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("server already started")
        httpd = _HTTPServer((self._host, self._port), _Handler)
        httpd.app = self
        self._httpd = httpd
        self._port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="deepl-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes handlers sleeping in injected delays."""
        self._stopping.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DeepLTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for ``deepl.Translator(server_url=...)``."""
        return f"http://{self._host}:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    @property
    def auth_key(self) -> str:
        return self._auth_key

    # ------------------------------------------------------------- behaviour

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        """Switch between "mark" and "fixed" (use set_translator for custom)."""
        if mode not in ("mark", "fixed"):
            raise ValueError(f"mode must be 'mark' or 'fixed', not {mode!r}")
        with self._lock:
            self._mode, self._hook = mode, None

    def set_translator(self, fn: TranslatorHook | None) -> None:
        """Translate each text with ``fn(text, params)``; None restores "mark".

        The hook's output is returned verbatim (no prefix, no glossary), so it
        can drop tags, truncate, etc. Raise :class:`ServerError` for a status.
        """
        with self._lock:
            self._hook = fn
            self._mode = "mark" if fn is None else "custom"

    # ------------------------------------------------------------------ faults

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._faults.append(fault)

    @staticmethod
    def _paths(paths: str | Iterable[str] | None) -> tuple[str, ...] | None:
        if paths is None:
            return None
        return (paths,) if isinstance(paths, str) else tuple(paths)

    def respond_with_429(self, count: int, *, paths: str | Iterable[str] | None = None) -> None:
        """Answer the next ``count`` matching requests with 429 Too Many Requests.

        ``paths`` are path prefixes ("/v2/translate", "/v2/glossaries"); None
        means every request, glossary and usage calls included.
        """
        self._add_fault(_Fault("429", count, self._paths(paths)))

    def respond_with_5xx(self, count: int, status: int = 500, *, paths: str | Iterable[str] | None = None) -> None:
        """Answer the next ``count`` matching requests with a 5xx status."""
        if not 500 <= status <= 599:
            raise ValueError("status must be 5xx")
        self._add_fault(_Fault("5xx", count, self._paths(paths), status=status))

    def drop_connections(self, count: int, *, paths: str | Iterable[str] | None = None) -> None:
        """Close the socket of the next ``count`` matching requests unanswered."""
        self._add_fault(_Fault("drop", count, self._paths(paths)))

    def respond_slowly(self, count: int, seconds: float, *, paths: str | Iterable[str] | None = None) -> None:
        """Delay the next ``count`` matching requests by ``seconds`` (client timeouts).

        If the client hung up meanwhile, the request is not processed (not
        billed) and its record keeps ``status`` None (fault "slow").
        """
        self._add_fault(_Fault("slow", count, self._paths(paths), seconds=seconds))

    def drip_answers(self, count: int, seconds: float = 0.25, *, paths: str | Iterable[str] | None = "/v2/translate") -> None:
        """Send the next ``count`` matching answers one byte every ``seconds``, after spaces
        (fault "drip"): no read ever waits long enough to time out. A record whose client hung
        up mid-drip keeps ``status`` None."""
        self._add_fault(_Fault("drip", count, self._paths(paths), seconds=seconds))

    def hang_requests(self, count: int, *, paths: str | Iterable[str] | None = None) -> None:
        """Never answer the next ``count`` matching requests: hold each one open until the
        client hangs up or the server stops (nothing processed, nothing billed; fault "hang")."""
        self._add_fault(_Fault("hang", count, self._paths(paths)))

    def respond_with_fewer_translations(self, count: int, missing: int = 1, *, paths: str | Iterable[str] | None = "/v2/translate") -> None:
        """Answer the next ``count`` translate requests with ``missing`` translations fewer
        than texts (the last ones left out), translated and billed as usual."""
        self._add_fault(_Fault("fewer", count, self._paths(paths), texts=missing))

    def respond_with_more_translations(self, count: int, extra: int = 1, *, paths: str | Iterable[str] | None = "/v2/translate") -> None:
        """Answer the next ``count`` translate requests with ``extra`` translations more than texts."""
        self._add_fault(_Fault("more", count, self._paths(paths), texts=extra))

    def respond_with_null_texts(self, count: int, texts: int = 1, *, paths: str | Iterable[str] | None = "/v2/translate") -> None:
        """Answer the next ``count`` translate requests with ``"text": null`` for the last ``texts`` translations."""
        self._add_fault(_Fault("null", count, self._paths(paths), texts=texts))

    def respond_with_broken_tags(self, count: int, *, paths: str | Iterable[str] | None = "/v2/translate") -> None:
        """The next ``count`` translate answers drop every tag of every text (billed as usual)."""
        self._add_fault(_Fault("break_tags", count, self._paths(paths)))

    def respond_with_empty_body(self, count: int, *, paths: str | Iterable[str] | None = "/v2/translate") -> None:
        """Answer the next ``count`` translate requests with 200 and no body at all (billed)."""
        self._add_fault(_Fault("empty", count, self._paths(paths)))

    def respond_with_malformed_body(self, count: int, *, paths: str | Iterable[str] | None = "/v2/translate") -> None:
        """Answer the next ``count`` translate requests with 200 and JSON cut off mid-way (billed)."""
        self._add_fault(_Fault("malformed", count, self._paths(paths)))

    def respond_with_appended_text(self, count: int, suffix: str, *, paths: str | Iterable[str] | None = "/v2/translate") -> None:
        """Every translation of the next `count` answers ends in `suffix` (billed as usual)."""
        self._add_fault(_Fault("append", count, self._paths(paths), suffix=suffix))

    def respond_with_lone_surrogates(self, count: int, *, paths: str | Iterable[str] | None = "/v2/translate") -> None:
        """Every translation of the next `count` answers ends in `\\ud800`: valid JSON, not Unicode."""
        self._add_fault(_Fault("surrogate", count, self._paths(paths)))

    def set_latency(self, seconds: float) -> None:
        """Sleep this long before every response (benchmarks use 0.05)."""
        self.latency = seconds

    def init_character_limit(self, limit: int) -> None:
        """Set the account limit; a request that would exceed it gets 456 and bills nothing."""
        with self._lock:
            self._character_limit = limit

    def expect_auth_key(self, key: str) -> None:
        """Accept only ``key`` from now on (others get 403)."""
        with self._lock:
            self._auth_key = key

    def clear_faults(self) -> None:
        """Forget all pending count-down faults."""
        with self._lock:
            self._faults.clear()

    def _take_faults(self, path: str) -> dict[str, _Fault]:
        """Consume the faults for this request.

        At most one outcome fault (priority hang > drop > 429 > 5xx, so a
        dropped request does not silently use up a pending 429) plus,
        independently, one "slow" delay. Lying answers are taken apart
        (`_take_answer_fault`), once the request has earned its 200.
        """
        taken: dict[str, _Fault] = {}
        with self._lock:
            for kinds in (("slow",), ("drip",), ("hang", "drop", "429", "5xx")):
                for kind in kinds:
                    fault = next((f for f in self._faults if f.kind == kind and f.remaining > 0 and f.matches(path)), None)
                    if fault is not None:
                        fault.remaining -= 1
                        taken[kind] = fault
                        break
            self._faults = [f for f in self._faults if f.remaining > 0]
        return taken

    def _take_answer_fault(self, path: str) -> _Fault | None:
        """Consume the first pending lying answer for a request that got 200."""
        with self._lock:
            return take_fault(self._faults, lambda f: f.kind in _ANSWER_FAULTS and f.matches(path))

    # ------------------------------------------------------------------- state

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._log.record(record)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received since the last reset_log(), in arrival order."""
        with self._lock:
            return self._log.all()

    @property
    def translate_requests(self) -> list[RecordedRequest]:
        """/v2/translate requests that got 200."""
        return [r for r in self.requests if r.path == "/v2/translate" and r.status == 200]

    @property
    def texts_sent(self) -> list[str]:
        """All texts of successful translate requests, flattened in order."""
        return [t for r in self.translate_requests for t in r.texts]

    @property
    def billed_characters(self) -> int:
        """Characters billed by successful translate requests since reset_log()."""
        return sum(
            billable(t, (r.body or {}).get("tag_handling") if isinstance(r.body, dict) else None)
            for r in self.translate_requests
            for t in r.texts
        )

    @property
    def character_count(self) -> int:
        """Account usage as /v2/usage reports it (not cleared by reset_log)."""
        with self._lock:
            return self._character_count

    @property
    def character_limit(self) -> int:
        with self._lock:
            return self._character_limit

    @property
    def glossaries(self) -> dict[str, Glossary]:
        """Current glossaries by id (a snapshot)."""
        with self._lock:
            return dict(self._glossaries)

    @property
    def glossaries_created(self) -> int:
        """Successful glossary creations (v2 and v3) since reset_log()."""
        return sum(1 for r in self.requests if r.method == "POST" and r.path in ("/v2/glossaries", "/v3/glossaries") and r.status == 201)

    @property
    def glossaries_deleted(self) -> int:
        """Successful glossary deletions (v2 and v3) since reset_log()."""
        return sum(1 for r in self.requests if r.method == "DELETE" and r.status == 204 and "/dictionaries" not in r.path)

    def reset_log(self) -> None:
        """Forget recorded requests (usage and glossaries are kept)."""
        with self._lock:
            self._log.clear()

    def add_glossary(self, name: str, source_lang: str, target_lang: str, entries: Mapping[str, str]) -> Glossary:
        """Seed a glossary without HTTP (e.g. to test 'reuse existing')."""
        s, t = _glossary_pair(source_lang, target_lang)
        glossary = Glossary(str(uuid.uuid4()), name, _now_iso(), [GlossaryDictionary(s, t, dict(entries))])
        with self._lock:
            self._glossaries[glossary.glossary_id] = glossary
        return glossary

    # ---------------------------------------------------------------- routing

    def _handle(self, method: str, record: RecordedRequest, authorization: str | None, body_error: str | None) -> _Response:
        with self._lock:
            expected = f"DeepL-Auth-Key {self._auth_key}"
        record.auth_ok = authorization == expected
        if not record.auth_ok:
            record.fault = "auth"
            return _Response(403, {"message": AUTH_ERROR})
        try:
            if body_error:
                raise _HttpError(400, body_error)
            return self._route(method, record)
        except _HttpError as exc:
            if exc.status == 456:
                record.fault = "quota"
            return _Response(exc.status, {"message": exc.message})
        except ServerError as exc:
            return _Response(exc.status, {"message": exc.message})
        except Exception as exc:  # a bug here or in a hook: make it visible
            return _Response(500, {"message": f"test server error: {exc!r}"})

    def _route(self, method: str, record: RecordedRequest) -> _Response:
        path = record.path.rstrip("/") or "/"
        params = _params(record)
        parts = path.strip("/").split("/")

        def allow(*methods: str) -> None:
            if method not in methods:
                raise _HttpError(405, f"Method {method} not allowed for {path}")

        if path == "/v2/translate":
            allow("POST")
            return self._translate(params)
        if path == "/v2/usage":
            allow("GET", "POST")
            with self._lock:
                return _Response(200, {"character_count": self._character_count, "character_limit": self._character_limit})
        if path == "/v2/languages":
            allow("GET", "POST")
            return _Response(200, _languages(str(params.get("type") or "source")))
        if path == "/v2/glossary-language-pairs":
            allow("GET")
            pairs = [{"source_lang": s, "target_lang": t} for s in _GLOSSARY_LANGS for t in _GLOSSARY_LANGS if s != t]
            return _Response(200, {"supported_languages": pairs})
        if len(parts) >= 2 and parts[1] == "glossaries" and parts[0] in ("v2", "v3"):
            return self._glossary_route(method, parts[0], parts[2:], params, record)
        raise _HttpError(404, f"Not found: {record.path}")

    # ------------------------------------------------------------- translate

    def _translate(self, params: dict[str, Any]) -> _Response:
        texts = params.get("text")
        if isinstance(texts, str):
            texts = [texts]
        if not texts or not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise _HttpError(400, "Parameter 'text' not specified.")
        target_lang = str(params.get("target_lang") or "").upper()
        if not target_lang:
            raise _HttpError(400, "Parameter 'target_lang' not specified.")
        source_lang = str(params["source_lang"]).upper() if params.get("source_lang") else None
        tag_handling = params.get("tag_handling")
        if tag_handling not in (None, "xml", "html"):
            raise _HttpError(400, "Value for 'tag_handling' not supported.")
        if params.get("tag_handling_version") not in (None, "v1", "v2"):
            raise _HttpError(400, "Value for 'tag_handling_version' not supported.")
        if params.get("formality") not in (None, *_FORMALITIES):
            raise _HttpError(400, "Value for 'formality' not supported.")
        if params.get("formality") in ("more", "less") and not any(
            lang["language"] == target_lang and lang["supports_formality"] for lang in _languages("target")
        ):
            raise _HttpError(400, "'formality' is not supported for given 'target_lang'.")
        model_type = params.get("model_type")
        if model_type is not None and model_type not in _MODEL_TYPES:
            raise _HttpError(400, "Value for 'model_type' not supported.")
        if params.get("split_sentences") not in (None, "0", "1", "nonewlines"):
            raise _HttpError(400, "Value for 'split_sentences' not supported.")
        replacer = self._glossary_for_request(params, source_lang, target_lang)
        ignore_tags = _as_tag_list(params.get("ignore_tags"))

        with self._lock:
            mode, hook, prefix = self._mode, self._hook, self.prefix
        if prefix == MARK_PREFIX and not target_lang.startswith("EN"):  # the language shows: "KO: ", "ZH: "
            prefix = f"{target_lang.split('-')[0]}: "
        outputs: list[str] = []
        for text in texts:
            if mode == "custom" and hook is not None:
                outputs.append(hook(text, params))
            elif mode == "fixed":
                outputs.append(FIXED_TRANSLATION)
            elif tag_handling == "xml":
                outputs.append(prefix + transform_xml(text, replacer, ignore_tags))
            elif tag_handling == "html":
                outputs.append(prefix + transform_html(text, replacer, ignore_tags))
            else:
                outputs.append(prefix + replacer(text))

        billed = sum(billable(t, tag_handling) for t in texts)
        with self._lock:
            if self._character_count + billed > self._character_limit:
                raise _HttpError(456, QUOTA_ERROR)
            self._character_count += billed

        show_billed = _truthy(params.get("show_billed_characters", False))
        translations = []
        for text, out in zip(texts, outputs):
            item: dict[str, Any] = {"detected_source_language": source_lang or _detect_language(text), "text": out}
            if show_billed:
                item["billed_characters"] = billable(text, tag_handling)
            if model_type is not None:
                item["model_type_used"] = _MODEL_TYPES[model_type]
            translations.append(item)
        return _Response(200, {"translations": translations})

    def _glossary_for_request(self, params: dict[str, Any], source_lang: str | None, target_lang: str) -> Callable[[str], str]:
        ids: list[str] = []
        if params.get("glossary_id"):
            ids.append(str(params["glossary_id"]))
        raw_ids = params.get("glossary_ids")
        if raw_ids:
            ids.extend(_as_tag_list(raw_ids))
        if not ids:
            return lambda s: s
        if source_lang is None:
            raise _HttpError(400, "Use of a glossary requires the source_lang parameter to be specified")
        pair = (source_lang.split("-")[0].lower(), target_lang.split("-")[0].lower())
        replacers: list[Callable[[str], str]] = []
        with self._lock:
            for gid in ids:
                glossary = self._glossaries.get(gid)
                if glossary is None:
                    raise _HttpError(400, f"Glossary not found: {gid}")
                dictionary = glossary.dictionary_for(*pair)
                if dictionary is None:
                    raise _HttpError(400, "Glossary language pair does not match source_lang/target_lang")
                replacers.append(_glossary_replacer(dict(dictionary.entries)))

        def apply(s: str) -> str:
            for replace in replacers:
                s = replace(s)
            return s

        return apply

    # ------------------------------------------------------------- glossaries

    def _glossary_route(self, method: str, version: str, rest: list[str], params: dict[str, Any], record: RecordedRequest) -> _Response:
        if not rest:
            if method == "GET":
                with self._lock:
                    items = list(self._glossaries.values())
                if version == "v2":
                    return _Response(200, {"glossaries": [g.v2_json() for g in items if len(g.dictionaries) == 1]})
                return _Response(200, {"glossaries": [g.v3_json() for g in items]})
            if method == "POST":
                return self._create_glossary(version, params)
            raise _HttpError(405, f"Method {method} not allowed")
        with self._lock:
            glossary = self._glossaries.get(rest[0])
        if glossary is None or (version == "v2" and len(glossary.dictionaries) != 1):
            raise _HttpError(404, "Glossary not found")
        if len(rest) == 1:
            if method == "GET":
                return _Response(200, glossary.v2_json() if version == "v2" else glossary.v3_json())
            if method == "DELETE":
                with self._lock:
                    self._glossaries.pop(glossary.glossary_id, None)
                return _Response(204)
            raise _HttpError(405, f"Method {method} not allowed")
        if len(rest) == 2 and rest[1] == "entries" and method == "GET":
            if version == "v2":
                accept = next((v for k, v in record.headers.items() if k.lower() == "accept"), "")
                if "text/tab-separated-values" not in accept and "*/*" not in accept:
                    raise _HttpError(415, "No supported media type specified in Accept header")
                return _Response(200, glossary.dictionaries[0].tsv(), "text/tab-separated-values")
            s, t = _glossary_pair(_first(record.query.get("source_lang")), _first(record.query.get("target_lang")))
            dictionary = glossary.dictionary_for(s, t)
            if dictionary is None:
                raise _HttpError(404, "Dictionary not found")
            return _Response(200, {"dictionaries": [{"source_lang": s, "target_lang": t, "entries": dictionary.tsv(), "entries_format": "tsv"}]})
        raise _HttpError(404, f"Not found: {record.path}")

    def _create_glossary(self, version: str, params: dict[str, Any]) -> _Response:
        name = params.get("name")
        if not isinstance(name, str) or not name:
            raise _HttpError(400, "Missing or invalid argument: name")
        if version == "v2":
            specs = [params]
        else:
            specs = params.get("dictionaries") or []
            if not isinstance(specs, list) or not specs:
                raise _HttpError(400, "Missing or invalid argument: dictionaries")
        dictionaries = []
        for spec in specs:
            s, t = _glossary_pair(spec.get("source_lang"), spec.get("target_lang"))
            entries = _parse_entries(spec.get("entries"), spec.get("entries_format"))
            dictionaries.append(GlossaryDictionary(s, t, entries))
        glossary = Glossary(str(uuid.uuid4()), name, _now_iso(), dictionaries)
        with self._lock:
            self._glossaries[glossary.glossary_id] = glossary
        return _Response(201, glossary.v2_json() if version == "v2" else glossary.v3_json())


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None


def _params(record: RecordedRequest) -> dict[str, Any]:
    """Request parameters: query string overlaid by the (JSON or form) body."""
    params: dict[str, Any] = {k: (v if k == "text" or len(v) > 1 else v[0]) for k, v in record.query.items()}
    if isinstance(record.body, dict):
        params.update(record.body)
    elif record.body is not None:
        raise _HttpError(400, "Request body must be a JSON object or a form")
    for key in _LIST_PARAMS:
        if key in params:
            params[key] = _as_tag_list(params[key])
    return params


def _languages(kind: str) -> list[dict[str, Any]]:
    if kind == "target":
        return [
            {"language": "DE", "name": "German", "supports_formality": True},
            {"language": "EN-GB", "name": "English (British)", "supports_formality": False},
            {"language": "EN-US", "name": "English (American)", "supports_formality": False},
            {"language": "JA", "name": "Japanese", "supports_formality": True},
            {"language": "KO", "name": "Korean", "supports_formality": False},
            {"language": "ZH-HANS", "name": "Chinese (simplified)", "supports_formality": False},
        ]
    if kind == "source":
        return [
            {"language": "DE", "name": "German"},
            {"language": "EN", "name": "English"},
            {"language": "JA", "name": "Japanese"},
            {"language": "KO", "name": "Korean"},
            {"language": "ZH", "name": "Chinese"},
        ]
    raise _HttpError(400, "Parameter 'type' is invalid. 'source' and 'target' are valid values.")


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; the URL is the first stdout line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to sleep before every response")
    parser.add_argument("--auth-key", default=DEFAULT_AUTH_KEY)
    parser.add_argument("--character-limit", type=int, default=DEFAULT_CHARACTER_LIMIT)
    parser.add_argument("--mode", choices=("mark", "fixed"), default="mark")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)

    server = DeepLTestServer(
        args.auth_key,
        host=args.host,
        port=args.port,
        latency=args.latency,
        character_limit=args.character_limit,
        mode=args.mode,
        verbose=args.verbose,
    ).start()
    done = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(server.url, flush=True)
    try:
        while not done.wait(0.2):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
