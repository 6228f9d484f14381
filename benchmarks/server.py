"""The DeepL test server as a subprocess, and an engine wrapper that records every request:
what figures 3, 4 and 7 translate through."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from benchmarks.inputs import REPO
from pipeline import engines
from pipeline.config import Settings
from pipeline.engines import Engine, EngineResult

SERVER = REPO / "tests" / "deepl_server.py"
AUTH_KEY = "test-key"


class Server:
    """tests/deepl_server.py as a subprocess (its own interpreter, so it does not take our GIL)."""

    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0", "--latency", str(latency), "--auth-key", AUTH_KEY],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.stop()
            raise SystemExit(f"the DeepL test server did not start (got {self.url!r})")

    def billed(self) -> int:
        """Characters the server has billed so far (GET /v2/usage)."""
        import deepl

        count = deepl.Translator(AUTH_KEY, server_url=self.url, send_platform_info=False).get_usage().character.count
        assert count is not None, "the test server always reports a character count"
        return count

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class CountingEngine:
    """Wraps an engine: records every request's texts and when it was in flight."""

    inner: Engine
    calls: list[tuple[float, float, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.name, self.limits = self.inner.name, self.inner.limits
        self.bills, self.translates = self.inner.bills, self.inner.translates

    def settings(self) -> Mapping[str, object]:
        return self.inner.settings()

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        started = time.perf_counter()
        try:
            return self.inner.translate(texts)
        finally:
            with self.lock:
                self.calls.append((started, time.perf_counter(), list(texts)))

    def busy_seconds(self) -> float:
        """Wall time during which at least one request was in flight (union of intervals)."""
        total, end = 0.0, -math.inf
        for start, stop, _ in sorted(self.calls):
            if stop <= end:
                continue
            total += stop - max(start, end)
            end = stop
        return total


def deepl_engine(url: str, settings: Settings) -> Engine:
    return engines.deepl_engine(settings, auth_key=AUTH_KEY, server_url=url)
