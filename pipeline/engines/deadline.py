"""A whole request, answer read to its last byte, within a deadline and a size, whatever the server does.

requests' `timeout` bounds each socket read, not the request: a server (or a proxy) that sends
one byte every few seconds keeps a request alive for ever without tripping it. Both engines'
HTTP goes through a `requests.Session` (the deepl library's own, our OpenAI client's); an
adapter mounted on it starts a timer with each request and, when it fires, shuts down the
socket the request is using, wherever the request is (headers or body). The request then
fails as a timeout, which both clients already retry and report. The answer is read in the
adapter, so one larger than `max_bytes` (decoded) is refused before it fills memory.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError

MAX_ANSWER_BYTES = 16 * 1024 * 1024  # a DeepL answer to 128 KiB of text is well under 1 MiB
CHUNK = 64 * 1024


class DeadlineExceeded(requests.exceptions.Timeout):
    """The request was not answered in full within its deadline (a timeout to every client)."""


class AnswerTooLarge(requests.exceptions.RequestException):
    """The answer was larger than any answer to a request of ours can be."""


class _Watch:
    """One request's timer, and the sockets it used (shut down when the timer fires)."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        _local.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _local.watch = None

    def using(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # a read blocked on it returns at once
    except OSError:
        pass


_local = threading.local()  # the watch of the request this thread is sending


def _watched(connection: HTTPConnection) -> None:
    """The socket a request uses, known to its watch: the response keeps reading from it after
    an HTTP/1.0 connection lets go of it, so the socket is what is watched."""
    watch: _Watch | None = getattr(_local, "watch", None)
    if watch is not None and connection.sock is not None:
        watch.using(connection.sock)


class _Connection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _watched(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)  # a kept-alive connection's (a new one is watched from connect)
        super().request(*args, **kwargs)


class _TLSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _watched(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)
        super().request(*args, **kwargs)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


_POOLS = {"http": _Pool, "https": _TLSPool}


class DeadlineAdapter(HTTPAdapter):
    def __init__(self, seconds: float, max_bytes: int = MAX_ANSWER_BYTES) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager

    def send(self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any) -> requests.Response:  # type: ignore[override]  # HTTPAdapter.send spells out its keywords; they are passed on as they come
        with _Watch(self.seconds) as watch:
            try:
                response = super().send(request, stream=True, **kwargs)
                body = self._read(response)
            except Exception as exc:
                if watch.expired:
                    raise DeadlineExceeded(f"no complete answer within {self.seconds:g} s", request=request) from exc
                raise
        response._content = body  # what Response.content does, read here
        response._content_consumed = True  # type: ignore[attr-defined]  # set in Response.__init__, not declared in its stubs
        return response

    def _read(self, response: requests.Response) -> bytes:
        """The body, as requests' Response.content reads it (the same errors for the same faults)."""
        chunks, size = [], 0
        try:
            for chunk in response.raw.stream(CHUNK, decode_content=True):
                size += len(chunk)
                if size > self.max_bytes:
                    raise AnswerTooLarge(f"an answer of more than {self.max_bytes:,} bytes, refused", response=response)
                chunks.append(chunk)
        except AnswerTooLarge:
            response.close()
            raise
        except ReadTimeoutError as exc:
            response.close()
            raise requests.exceptions.ReadTimeout(exc, response=response) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            response.close()
            raise requests.exceptions.ConnectionError(exc, response=response) from exc
        except BaseException:
            response.close()
            raise
        response.raw.release_conn()
        return b"".join(chunks)


def mount(session: requests.Session, seconds: float, max_bytes: int = MAX_ANSWER_BYTES) -> requests.Session:
    """`session` with every request through it bounded by `seconds` and `max_bytes`."""
    adapter = DeadlineAdapter(seconds, max_bytes)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
