"""A small tree of exceptions that carry the file and line a user must look at.

The core raises these and never prints; `cli.py` turns them into one-line messages and
exit codes. Every message is written so that the reader knows what to do next.
"""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """Base class: a message plus, where known, the file and the 1-based line."""

    exit_code = 1

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None) -> None:
        message = _writable(message)
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line

    def located(self, path: Path | str, line: int | None = None) -> "PipelineError":
        """Attach a location when the raiser did not know it (e.g. a parser deep down)."""
        if self.path is None:
            self.path = Path(path)
        if self.line is None:
            self.line = line
        return self

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return where + self.message


def _writable(message: str) -> str:
    """`message` as UTF-8 can hold it: a server's words may quote a lone surrogate (JSON's
    `\\ud800`), which no terminal, report or file can take; it is shown escaped."""
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        return message.encode("utf-8", "backslashreplace").decode("utf-8")
    return message


class ConfigError(PipelineError):
    """The settings file or a command-line option is wrong."""

    exit_code = 2


class InputError(PipelineError):
    """A post cannot be read: encoding, binary content, broken front matter."""


class CacheError(PipelineError):
    """The translation cache cannot store answers (full disk, sqlite's `database or disk
    is full`): a warning, not a failure; the run keeps the answers it holds."""


class GlossaryError(PipelineError):
    """The term base is malformed; raised before anything is sent or written."""

    exit_code = 2


class EngineError(PipelineError):
    """The translation engine failed after its retries."""

    exit_code = 4


class AnswerError(EngineError):
    """The engine answered, but not one translation per text sent (too few, too many, an
    empty or malformed body, a null text): no answer of that request can be trusted to
    belong to its text. `billed_characters`: what the request says it cost, when it says."""

    def __init__(self, message: str, *, billed_characters: int = 0) -> None:
        super().__init__(message)
        self.billed_characters = billed_characters


class AuthenticationError(EngineError):
    """The engine refused the key (HTTP 403) or no key was given."""

    exit_code = 2


class QuotaExceededError(EngineError):
    """The account's character quota is used up (DeepL HTTP 456)."""

    exit_code = 3


class OutputError(PipelineError):
    """A file of ours cannot be written (disk full, a read-only folder): named with its
    folder and the system's reason; what had not landed is left as it was."""


class EditedDuringRun(PipelineError):
    """The edition on disk is no longer the file the run read (a translator saved it while
    the post was being translated): not replaced; the next run reads the edit."""


class StructureError(PipelineError):
    """A translation lost, duplicated or garbled the tags that stand for Markdown."""


class InternalError(PipelineError):
    """A bug of ours met in one post: reported with the post, the other posts carry on."""


class ModelNotFoundError(EngineError):
    """The server does not know the configured model (HTTP 404): a setting to fix."""

    exit_code = 2


def internal_error(exc: Exception) -> PipelineError:
    """`exc` as a pipeline error: a bug becomes one line asking to report it, so one post's
    failure never costs the other posts theirs."""
    if isinstance(exc, PipelineError):
        return exc
    return InternalError(f"internal error ({type(exc).__name__}: {exc}); please report it")
