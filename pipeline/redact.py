"""What a message may show of a server's URL and of a key.

Messages reach the terminal, `--report`, `--summary` (a CI pull request's body) and
`last-run.json`, so they must never hold a credential: a URL is shown without its userinfo
(`user:password@`), query and fragment (`?token=...`), and a key or a URL's secret is
replaced in every form a library or a server may echo it in (escaped, quoted, upper- or
lower-cased).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit, urlunsplit

MASK = "***"
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>()]+")
_PATH_QUERY = re.compile(r"(?<=url: )(/[^\s?'\"]*)\?[^\s'\"]*")  # urllib3's "Max retries exceeded with url: /path?query"


def public_url(url: str) -> str:
    """`url` as a message may show it: scheme, host, port and path."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url.split("@")[-1].split("?")[0].split("#")[0]
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_secrets(url: str) -> list[str]:
    """The credentials a URL carries: its user name, password and query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [unquote(v) for v in (parts.username, parts.password) if v]
    found += [value for _, value in parse_qsl(parts.query) if value]
    return found


def scrub(message: str, secrets: Iterable[str]) -> str:
    """`message` with every URL public and every secret masked in any form it may be
    quoted in, whatever its case."""
    message = _URL.sub(lambda m: public_url(m.group(0)), message)
    message = _PATH_QUERY.sub(r"\1", message)
    forms = {form for secret in secrets if len(secret) >= 4 for form in _forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        message = re.sub(re.escape(form), MASK, message, flags=re.IGNORECASE)
    return message


def _forms(secret: str) -> set[str]:
    """As is, escaped (`repr` of the text or of its bytes, `ascii`, JSON) or URL-quoted."""
    return {
        secret,
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        repr(secret.encode("utf-8"))[2:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
    }
