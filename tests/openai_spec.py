"""OpenAI's own schemas for chat completions, from its published OpenAPI document
(tests/fixtures/openai/chat_completions.schema.json: the parts it needs, MIT), as checks:
the OpenAI-compatible test server validates every request body it receives against
CreateChatCompletionRequest, and its answers against CreateChatCompletionResponse and
ErrorResponse, so what the engine sends and what it is tested against are the spec's."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA = Path(__file__).parent / "fixtures" / "openai" / "chat_completions.schema.json"


@cache
def _validator(name: str) -> Draft202012Validator:
    document = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return Draft202012Validator({**document, "$ref": f"#/components/schemas/{name}"})


def problems(value: Any, schema: str) -> list[str]:
    """What in `value` the named schema refuses (none: it is valid), each with its path."""
    found = sorted(_validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message[:300]}" for e in found]


def request_problems(body: Any) -> list[str]:
    return problems(body, "CreateChatCompletionRequest")


def response_problems(answer: Any) -> list[str]:
    return problems(answer, "CreateChatCompletionResponse")


def error_problems(answer: Any) -> list[str]:
    return problems(answer, "ErrorResponse")
