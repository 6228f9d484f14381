"""A deterministic stand-in for a translator, for keyless trials and tests.

It romanises Japanese (pykakasi), applies the glossary's fixed terms the way a DeepL
glossary would, turns fullwidth punctuation into ASCII, and brackets each segment in
⟦ ⟧ so a reader sees at once which text went through the engine. Tags and the content of
protected `<x>` elements are left exactly as they came, like a real engine must.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any

from pipeline.engines import KEEP_TAG, EngineResult, Limits
from pipeline.japanese import JAPANESE

_PUNCTUATION = str.maketrans({"「": '"', "」": '"', "『": '"', "』": '"', "、": ",", "。": ".", "・": "/", "〜": "~", "―": "-", "…": "..."})


@cache
def _kakasi() -> Any:
    import pykakasi

    return pykakasi.kakasi()  # type: ignore[no-untyped-call]  # pykakasi ships no type hints


@lru_cache(maxsize=1 << 16)
def _romanise(line: str) -> str:
    """pykakasi is slow (most of a pseudo run's time): a line already romanised in this
    process is not converted again (the tests translate the same corpus several times)."""
    return " ".join(part["hepburn"] or part["orig"] for part in _kakasi().convert(line)) if line else line


class PseudoEngine:
    name = "pseudo"
    limits = Limits()
    translates = True  # False: output is the source, derived fields stay as they are
    bills = False

    def __init__(self, terms: Mapping[str, str] | None = None, brackets: bool = True, target_lang: str = "EN-US") -> None:
        """`brackets=False` leaves out the ⟦ ⟧ markers, so a segment's translation can begin
        with whatever its source begins with (`＃`, `１．`): tests use it to check that such
        text cannot turn into a heading or a list. A target other than English is marked in
        each bracket (`⟦ko: …⟧`), so a page shows which language it pretends to be."""
        self.terms = dict(terms or {})
        self.brackets = brackets
        self.target_lang = target_lang.upper()
        self._mark = "" if self.target_lang.startswith("EN") else self.target_lang.lower() + ": "
        self._terms_re = re.compile("|".join(re.escape(t) for t in sorted(self.terms, key=len, reverse=True))) if self.terms else None

    def settings(self) -> Mapping[str, object]:
        language = {"target_lang": self.target_lang} if self._mark else {}  # English's keys as they always were
        if not self.brackets:
            return {"engine": self.name, "version": 2, "brackets": False, **language}
        return {"engine": self.name, "version": 2, **language}

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        return [EngineResult(self._translate_one(text), 0) for text in texts]

    def _translate_one(self, text: str) -> str:
        root = ET.fromstring(f"<seg>{text}</seg>")
        self._walk(root)
        inner = ET.tostring(root, encoding="unicode")
        inner = inner[len("<seg>") : -len("</seg>")] if inner != "<seg />" else ""
        return "⟦" + self._mark + inner + "⟧" if self.brackets else self._mark + inner

    def _walk(self, node: ET.Element) -> None:
        if node.tag == KEEP_TAG:
            return
        node.text = self._prose(node.text)
        for child in node:
            self._walk(child)
            child.tail = self._prose(child.tail)

    def _prose(self, text: str | None) -> str | None:
        if not text:
            return text
        if self._terms_re is not None:
            text = self._terms_re.sub(lambda m: f" {self.terms[m.group(0)]} ", text)
        text = text.translate(_PUNCTUATION)
        if JAPANESE.search(text):
            # line by line: pykakasi repeats the character before a line break after it
            text = "\n".join(_romanise(line) for line in text.split("\n"))
        text = unicodedata.normalize("NFKC", text)
        return re.sub(r"(?<=\S) {2,}(?=\S)", " ", text)
