"""A post as bytes on disk: decoded losslessly, front matter located, written back atomically.

Everything downstream works on `Post.text` (the file decoded from UTF-8, BOM removed) and
splices into it by character offsets, so the bytes we do not translate come back exactly.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from pipeline.errors import InputError, OutputError

BOM = "\ufeff"
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# opening fence line → (format, the lines that may close it)
FENCES: dict[str, tuple[Literal["yaml", "toml"], tuple[str, ...]]] = {
    "---": ("yaml", ("---", "...")),
    "+++": ("toml", ("+++",)),
}


@dataclass(frozen=True)
class FrontMatterBlock:
    """Where the front matter sits in the post; `text` excludes the fence lines."""

    format: Literal["yaml", "toml"]
    start: int  # offset of the first character after the opening fence line
    end: int  # offset of the first character of the closing fence line
    text: str
    first_line: int  # 1-based file line of `text`'s first line


# YAML 1.1 false (Jekyll reads front matter with Ruby's Psych)
_NO_LIQUID = re.compile(r"(?m)^render_with_liquid[ \t]*:[ \t]*(?:false|False|FALSE|no|No|NO|off|Off|OFF)[ \t]*(?:#.*)?$")


@dataclass(frozen=True)
class Post:
    path: Path
    text: str
    bom: bool
    front_matter: FrontMatterBlock | None
    body_start: int
    source_hash: str  # sha256 of the raw bytes: the cheap "did anything change" test

    @property
    def body(self) -> str:
        return self.text[self.body_start :]

    @cached_property
    def body_first_line(self) -> int:
        """1-based file line where the body starts, for messages about body lines (asked
        for each unit's line: counted once)."""
        return line_of(self.text, self.body_start)

    @property
    def renders_liquid(self) -> bool:
        """Jekyll runs Liquid over the body unless the front matter says
        `render_with_liquid: false`; then `{{` is plain text to the page, and to us."""
        fm = self.front_matter
        return fm is None or fm.format != "yaml" or not _NO_LIQUID.search(fm.text)

    @property
    def newline(self) -> str:
        """The post's own line ending, used for any line we add."""
        m = LINE_BREAK.search(self.text)
        return m.group(0) if m else "\n"

    def with_text(self, text: str) -> bytes:
        """Encode a new text the way this post was encoded (UTF-8, BOM kept if it had one)."""
        return ((BOM if self.bom else "") + text).encode("utf-8")


def source_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class Alias(InputError):
    """A second path to a post of the tree (a symlink to it, or through a symlinked folder).

    Translated, it would write the same edition again with the alias's name as its `ref`;
    it is skipped with a warning, and the post is translated under its own path."""


_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFSOCK: "a socket",
}


def read_regular(path: Path, resolved: Path | None = None) -> bytes:
    """The bytes of a regular file, and nothing else.

    Opened without blocking and without following a last symlink, then checked with
    `fstat` on the open descriptor: a FIFO named `x.md` cannot hang a command, nor a
    directory or an unreadable file give a traceback, nor a device (`/dev/zero`) be read
    for gigabytes. `resolved`: the path with its symlinks already resolved (`Tree.read`).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (getattr(os, "O_NOFOLLOW", 0) if resolved else 0)
    try:
        fd = os.open(resolved or path, flags)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise InputError(f"{kind}, not a post: refusing to read it", path=path)
    with os.fdopen(fd, "rb") as handle:
        try:
            return handle.read()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from exc


@dataclass(frozen=True)
class Resolver:
    """`Path.resolve` for the many files of a run, each folder's resolution remembered:
    resolving a path stats each of its components, and a run's files share their folders.
    A file's own name is resolved afresh every time (a symlink, a missing file)."""

    strict: bool  # a missing file or folder is an error (`Path.resolve(strict=True)`)
    _folders: dict[Path, Path] = field(default_factory=dict, compare=False, repr=False)

    def resolve(self, path: Path) -> Path:
        if path.name in ("", ".", ".."):
            return path.resolve(strict=self.strict)
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = path.parent.resolve(strict=self.strict)
        resolved = folder / path.name
        try:
            linked = stat.S_ISLNK(os.lstat(resolved).st_mode)
        except OSError:
            if self.strict:
                raise
            return resolved  # as `resolve` gives a path that is not there (yet)
        return path.resolve(strict=self.strict) if linked else resolved


@dataclass(frozen=True)
class Tree:
    """A folder of posts (`content/ja`), resolved once per command. Every command locates
    and reads posts through it: nothing outside the folder is read through a symlink, and
    a second path to a post is not taken for another post."""

    folder: Path  # absolute, as configured: a post's lexical path is judged against it
    root: Path  # the folder with its symlinks resolved
    _resolver: Resolver = field(default_factory=lambda: Resolver(strict=True), compare=False, repr=False)

    @classmethod
    def at(cls, folder: Path) -> "Tree":
        absolute = Path(os.path.abspath(folder))
        return cls(absolute, absolute.resolve())

    def locate(self, path: Path) -> tuple[Path, Path]:
        """The post's path inside the tree, and its resolved path.

        Raises InputError for a symlink loop, a missing file or a path outside the tree,
        and Alias for a second path to a post of the tree."""
        try:
            resolved = self._resolver.resolve(path)
        except RuntimeError as exc:  # Python < 3.13 reports a symlink loop this way
            raise InputError("a symlink loop; refusing to read it", path=path) from exc
        except OSError as exc:
            why = "a symlink loop" if exc.errno == errno.ELOOP else f"cannot read: {exc.strerror or exc}"
            raise InputError(why, path=path) from exc
        if not resolved.is_relative_to(self.root):
            why = f"a symlink to {resolved}, " if resolved != Path(os.path.abspath(path)) else ""
            raise InputError(f"{why}outside the content tree {self.root}; refusing to read it", path=path)
        relative = resolved.relative_to(self.root)
        lexical = Path(os.path.abspath(path))
        for base in (self.folder, self.root):
            if lexical.is_relative_to(base):
                if lexical.relative_to(base) != relative:
                    raise Alias(
                        f"another path to {self.folder / relative} (a symlink): skipped, the post is translated under its own path",
                        path=path,
                    )
                break
        return relative, resolved

    def read(self, path: Path) -> tuple[Path, bytes]:
        """The post's path inside the tree and its bytes (see `locate` and `read_regular`)."""
        relative, resolved = self.locate(path)
        return relative, read_regular(path, resolved)


def read_post(path: Path, tree: Tree | None = None) -> Post:
    """A post read from disk; through `tree` when it must lie inside one (sources)."""
    raw = tree.read(path)[1] if tree is not None else read_regular(path)
    return parse_post(path, raw)


def parse_post(path: Path, raw: bytes) -> Post:
    if not raw.strip():
        raise InputError("empty file: nothing to translate", path=path)
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError(f"binary file (NUL byte at offset {nul}), not a Markdown post", path=path)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {column}); re-save the file as UTF-8",
            path=path,
            line=line,
        ) from exc
    bom = decoded.startswith(BOM)
    text = decoded[1:] if bom else decoded
    front_matter = find_front_matter(path, text)
    body_start = 0
    if front_matter is not None:
        closing = LINE_BREAK.search(text, front_matter.end)
        body_start = closing.end() if closing else len(text)
    return Post(path, text, bom, front_matter, body_start, source_hash(raw))


def find_front_matter(path: Path, text: str) -> FrontMatterBlock | None:
    """Locate a `---` (YAML) or `+++` (TOML) block at the very top of the post.

    Done by hand because python-frontmatter silently treats an unclosed block as body text,
    which would send the metadata to the translator and publish it as prose.
    """
    first = LINE_BREAK.search(text)
    opening = (text[: first.start()] if first else text).rstrip(" \t")
    if opening not in FENCES or first is None:
        return None
    fmt, closers = FENCES[opening]
    start = first.end()
    pos = start
    while pos < len(text):
        m = LINE_BREAK.search(text, pos)
        line_end = m.start() if m else len(text)
        if text[pos:line_end].rstrip(" \t") in closers:
            return FrontMatterBlock(fmt, start, pos, text[start:pos], first_line=2)
        if m is None:
            break
        pos = m.end()
    raise InputError(
        f"front matter opened with '{opening}' on line 1 is never closed (add a '{closers[0]}' line after it)",
        path=path,
        line=1,
    )


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset, counting any line-break style."""
    return len(LINE_BREAK.findall(text, 0, offset)) + 1


TEMP_SUFFIX = ".pipeline-tmp"


def write_atomic(path: Path, data: bytes) -> None:
    """Write so that `path` is either its old self or the complete new file, never a part.

    Temp file in the same directory (same filesystem, so the rename is atomic), fsync, then
    os.replace; the temp file is removed if anything goes wrong before the rename.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_file(path: Path, data: bytes, what: str) -> None:
    """`write_atomic` for a file a command writes: a disk that is full or read-only, or
    something in the way, is one line naming the file and the system's reason."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise OutputError(f"cannot write {what} {path}: {exc.strerror or exc}") from exc


def _create_temp(path: Path) -> tuple[int, str]:
    """A new temp file beside `path`, with the mode the file will keep.

    Not `tempfile.mkstemp`: it creates 0600 whatever the umask, so editions and reports
    would be unreadable to a web server or container running as another user. Created
    0666 the kernel applies the umask, as for any new file; a replaced file keeps its own
    mode (a site that chose 0640 keeps 0640).
    """
    try:
        keep: int | None = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        keep = None
    while True:
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue
        try:
            if keep is not None and hasattr(os, "fchmod"):  # not on Windows
                os.fchmod(fd, keep)
        except BaseException:  # SIGTERM or Ctrl-C lands here too, right after the open: leave no temp file
            os.close(fd)
            os.unlink(tmp)
            raise
        return fd, tmp


def remove_stale_temp_files(*folders: Path) -> list[Path]:
    """Delete temp files a killed run left behind (SIGKILL runs no cleanup), and say which.

    Only safe while holding the run lock: then no other run can be writing them.
    """
    removed: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for temp in folder.rglob(f".*{TEMP_SUFFIX}"):
            try:
                temp.unlink()
            except FileNotFoundError:
                continue
            removed.append(temp)
    return removed
