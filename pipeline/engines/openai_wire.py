"""The wire contract of the `openai` engine: what one chat completions request carries
and how its answer is read (README, "OpenAI-compatible servers").

One `POST {base}/chat/completions` per batch whose last message is a user message holding
exactly one JSON object `{"segments": [{"id", "text"}…]}` (plus `glossary` and
`context`), answered by `{"translations": [{"id", "text"}…]}`. Whatever the server claims
is checked here: one JSON object (text around it is tolerated), every id at most once and
none unknown. Apart from the engine (which decides what to ask again) and the client (how
to get an answer at all), so the contract can be read, and tested, on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.engines import KEEP_TAG, SegmentContext
from pipeline.errors import AnswerError

RULES = """\
# How to answer (the pipeline relies on this)

You translate Japanese blog post segments into {language}.
The user message is one JSON object. Translate the "text" of every item of "segments".
Answer with exactly one JSON object and nothing else:
{{"translations": [{{"id": "<the segment's id>", "text": "<its translation>"}}, ...]}}
with every id of "segments" exactly once.

- The texts are XML fragments. Keep every element: <b>, <i>, <s>, <a>, <img>, <br/> and
  <{keep}> elements appear in the translation exactly as often as in the source, with the
  same attributes; move them with the words they mark.
- <{keep} id="…">…</{keep}> elements stand for code, links, names and markup: copy each one
  exactly as it is, content included; never translate, merge or drop them.
- Escape &, < and > in text as &amp;, &lt; and &gt;, as the source does.
- "glossary" maps Japanese terms to the {term_language} that must be used for them.
- "context" (the post's title, the paragraphs around the segments) is there to read, not
  to translate: never include it in an answer.
- Translate everything; do not summarise, explain or add notes.
"""

_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff00-\uffef]")
_WORD = re.compile(r"[A-Za-z]+")
_DIGITS = re.compile(r"[0-9]+")
_OTHER = re.compile(r"[^\sA-Za-z0-9\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """Tokens a text costs, estimated without a tokenizer (none fits every server's model).

    Weights per kind of character, fitted by least squares to OpenAI's o200k_base counts
    of the requests the 170 corpus documents make (system prompt and JSON with the XML
    texts, as sent): the estimate adds up to 0.99 of the true count on the two sample
    posts, which the fit did not see. A kanji 1.15 tokens, kana 0.61, CJK punctuation
    0.6, an English word 1.26 (long ones 1.5), a run of digits 2.65, other punctuation
    (tags, JSON) 0.27: the tokenizer takes `\">` or `</` as one token."""
    words = _WORD.findall(text)
    return (
        round(
            1.15 * len(_KANJI.findall(text))
            + 0.61 * len(_KANA.findall(text))
            + 0.6 * len(_CJK_PUNCTUATION.findall(text))
            + sum(1.5 if len(w) >= 9 else 1.26 for w in words)
            + 2.65 * len(_DIGITS.findall(text))
            + 0.27 * len(_OTHER.findall(text))
        )
        + 1
    )


# The language a prompt names for a DeepL target code; another code is named by itself.
LANGUAGE_NAMES = {
    "EN-US": "American English",
    "EN-GB": "British English",
    "ZH-HANS": "Simplified Chinese",
    "ZH-HANT": "Traditional Chinese",
    "KO": "Korean",
    "DE": "German",
    "FR": "French",
    "ES": "Spanish",
    "IT": "Italian",
    "PT-BR": "Brazilian Portuguese",
    "PT-PT": "European Portuguese",
}


def system_prompt(style_guide: str, target_lang: str) -> str:
    """The style guide, then the rules of the answer, naming the target language (English's
    prompt reads as it always did: its segments' cache keys stay)."""
    code = target_lang.upper()
    language = LANGUAGE_NAMES.get(code, "American English" if code.startswith("EN") else f"the language with the code {code}")
    term_language = "English" if code.startswith("EN") else language
    return style_guide.rstrip() + "\n\n" + RULES.format(language=language, term_language=term_language, keep=KEEP_TAG)


def response_format(kind: str) -> dict[str, Any]:
    if kind == "json_object":
        return {"type": "json_object"}
    item = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
        "required": ["id", "text"],
        "additionalProperties": False,
    }
    schema = {
        "type": "object",
        "properties": {"translations": {"type": "array", "items": item}},
        "required": ["translations"],
        "additionalProperties": False,
    }
    return {"type": "json_schema", "json_schema": {"name": "translations", "strict": True, "schema": schema}}


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    context: SegmentContext | None


@dataclass(frozen=True)
class Reply:
    content: str | None
    finish_reason: str | None
    refusal: str | None


def batch_context(items: Sequence[Item]) -> list[dict[str, Any]]:
    """The context of a batch: for each run of consecutive segments of one post, its title
    and the paragraphs just before and after the run (those inside it are segments)."""
    runs: list[dict[str, Any]] = []
    previous: SegmentContext | None = None
    for item in items:
        context = item.context
        if context is None or not (context.title or context.before or context.after):
            previous = None
            continue
        if runs and previous is not None and previous.title == context.title:
            runs[-1]["ids"].append(item.id)
            runs[-1]["after"] = context.after
        else:
            runs.append({"ids": [item.id], "title": context.title, "before": context.before, "after": context.after})
        previous = context
    return [{k: v for k, v in run.items() if v} for run in runs]


def parse_translations(content: str | None, ids: set[str], label: str) -> dict[str, str]:
    """The translations of an answer by id. Refused outright (the batch is asked again):
    no single JSON object, no `translations` list, an id not asked for or answered twice.
    An item without a string id or text is passed over: its segment counts as left out."""
    answer = one_json_object(content or "", label)
    items = answer.get("translations")
    if not isinstance(items, list):
        raise AnswerError(f'{label} answered JSON without a "translations" list: {short(content)}')
    found: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("text"), str):
            continue
        if item["id"] not in ids:
            raise AnswerError(f"{label} answered an id that was not asked for ({item['id']!r}); nothing of that answer was kept")
        if item["id"] in found:
            raise AnswerError(f"{label} answered id {item['id']!r} twice; nothing of that answer was kept")
        found[item["id"]] = item["text"]
    return found


def one_json_object(content: str, label: str) -> dict[str, Any]:
    """The one JSON object in `content`. Text around it (a model's "Here you are:", a
    ```json fence) is tolerated only when exactly one object parses."""
    try:
        whole = json.loads(content)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        return whole
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    position = content.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(content, position)
        except ValueError:
            position = content.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        position = content.find("{", end)
    if len(found) != 1:
        what = "no JSON object" if not found else f"{len(found)} JSON objects"
        raise AnswerError(f"{label} answered {what} where one was asked for: {short(content)}")
    return found[0]


def short(content: str | None) -> str:
    text = json.dumps((content or "")[:120], ensure_ascii=False)
    return text + ("…" if content and len(content) > 120 else "")


def read_reply(data: Mapping[str, Any], label: str) -> Reply:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise AnswerError(f"{label} answered without choices: {short(json.dumps(data)[:120])}")
    message = choices[0].get("message") if isinstance(choices[0].get("message"), dict) else {}
    assert isinstance(message, dict)
    content, refusal = message.get("content"), message.get("refusal")
    return Reply(
        content if isinstance(content, str) else None,
        choices[0].get("finish_reason") if isinstance(choices[0].get("finish_reason"), str) else None,
        refusal if isinstance(refusal, str) and refusal else None,
    )
