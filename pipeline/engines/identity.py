"""Returns every text unchanged: proves that reading, splitting and reassembling lose nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.engines import EngineResult, Limits


class IdentityEngine:
    name = "identity"
    limits = Limits()
    translates = False  # False: output is the source, derived fields stay as they are
    bills = False

    def settings(self) -> Mapping[str, object]:
        return {"engine": self.name}

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        return [EngineResult(text, 0) for text in texts]
