"""What the suite's fake API servers (DeepL, OpenAI-compatible) share: fault verbs that count
down, and the log of what each server received. Both run under the server's own lock, taken by
the caller, because a fault and the request it answers must be matched in one step."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import BinaryIO
from typing import Generic, Protocol, TypeVar


class Countdown(Protocol):
    remaining: int  # requests the fault still answers


F = TypeVar("F", bound=Countdown)
R = TypeVar("R")


def take_fault(faults: list[F], wanted: Callable[[F], bool]) -> F | None:
    """One use of the first pending fault that `wanted` accepts; spent faults leave `faults`."""
    fault = next((f for f in faults if f.remaining > 0 and wanted(f)), None)
    if fault is not None:
        fault.remaining -= 1
        faults[:] = [f for f in faults if f.remaining > 0]
    return fault


class RequestLog(Generic[R]):
    """Every request a server received since it was last cleared, in arrival order."""

    def __init__(self) -> None:
        self._records: list[R] = []

    def record(self, record: R) -> None:
        self._records.append(record)

    def all(self) -> list[R]:
        return list(self._records)

    def clear(self) -> None:
        self._records.clear()

    def __len__(self) -> int:
        return len(self._records)


DRIP_PADDING = 50  # spaces before a dripped JSON answer: with 0.25 s a byte, 12 s of drip before it


def drip(wfile: BinaryIO, payload: bytes, interval: float, stopping: threading.Event) -> bool:
    """Write `payload` one byte every `interval` seconds: a server (or proxy) that keeps a
    request alive without ever tripping a per-read timeout. False if the client hung up (or the
    server stopped) first."""
    for i in range(len(payload)):
        if stopping.wait(interval):
            return False
        try:
            wfile.write(payload[i : i + 1])
            wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return False
    return True
