"""HTTP to a DVID server over one pooled httpx client: errors as :class:`DVIDClientError`,
503s ("server busy", as DVID's throttle answers) retried with exponential backoff.

Every other module of the client goes through :class:`Transport`, so that the pool, the
admin token, the retry policy and the byte counts live in one place.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from dvidpy.client.errors import DVIDClientError

log = logging.getLogger("dvidpy.client")


@dataclass
class Counts:
    """What went over the wire: requests, 503 retries, body bytes sent and received."""

    requests: int = 0
    retries: int = 0
    sent: int = 0
    received: int = 0


@dataclass(frozen=True)
class Answer:
    """A server's answer: its status, its whole body and the URL asked."""

    status: int
    body: bytes | memoryview
    url: str

    @property
    def text(self) -> str:
        return bytes(self.body).decode("utf-8", "replace")


def _read_into(chunks: Iterable[bytes], into: memoryview) -> bytes | memoryview:
    """A body read into ``into``: the filled part of it, or, if more came than it holds,
    everything that came (so that the caller sees the real length)."""
    pos, extra = 0, []
    for chunk in chunks:
        take = min(len(chunk), len(into) - pos)
        into[pos : pos + take] = chunk if take == len(chunk) else chunk[:take]
        pos += take
        if take < len(chunk):
            extra.append(chunk[take:])
    if extra:
        return bytes(into[:pos]) + b"".join(extra)
    return into[:pos]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a 503 is retried: waits double from ``first`` up to
    ``longest`` seconds, ``attempts`` times, before the 503 is raised."""

    attempts: int = 10
    first: float = 0.05
    longest: float = 2.0

    def wait(self, attempt: int) -> float:
        return min(self.longest, self.first * 2**attempt)


def server_url(url: str) -> str:
    """``host:port`` or a full URL, as the base every API path is joined to."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    return url.rstrip("/") + "/"


class Transport:
    def __init__(self, url: str, *, admintoken: str = "", timeout: float = 600.0, connections: int = 8,
                 retry: RetryPolicy = RetryPolicy()) -> None:
        self.url = server_url(url)
        self.retry = retry
        self.counts = Counts()
        self._lock = threading.Lock()
        self._params = {"admintoken": admintoken} if admintoken else {}
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0)).as_dict()
        # httpx's connection pool itself, without httpx.Client's redirect, cookie and auth
        # layers, which DVID's API never needs: that halves the client's cost per request.
        self._pool = httpx.HTTPTransport(
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))

    def close(self) -> None:
        self._pool.close()

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                content: bytes | None = None, into: memoryview | None = None) -> Answer:
        """Send one request (``path`` below the server URL, e.g. ``api/server/info``) and return
        the 2xx answer; a 503 is retried, any other status raises :class:`DVIDClientError`.

        ``into`` is a writable byte buffer the size of the expected body: a 200's body is then
        read straight into it (for big answers that is much faster than httpx joining them)
        and the answer's ``body`` is the part of it that was filled.
        """
        query = {**self._params, **(params or {})}
        for attempt in range(self.retry.attempts + 1):
            answer = self._send(method, path, query, content, into)
            if answer.status != 503 or attempt == self.retry.attempts:
                break
            wait = self.retry.wait(attempt)
            with self._lock:
                self.counts.retries += 1
            log.info("%s %s: server busy (503), retry %d in %.2f s", method, path, attempt + 1, wait)
            time.sleep(wait)
        if not 200 <= answer.status < 300:
            raise DVIDClientError(answer.status, answer.text.strip(), method, answer.url)
        return answer

    def _send(self, method: str, path: str, query: dict[str, Any], content: bytes | None,
              into: memoryview | None) -> Answer:
        url = self.url + path.lstrip("/")
        request = httpx.Request(method, url, params=query or None, content=content,
                                extensions={"timeout": self._timeout})
        try:
            response = self._pool.handle_request(request)
            try:
                if into is not None and response.status_code == 200:
                    body: bytes | memoryview = _read_into(response.stream, into)
                else:
                    body = response.read()
            finally:
                response.close()
        except httpx.TransportError as exc:
            raise DVIDClientError(None, f"cannot reach {self.url}: {exc}", method, url) from exc
        with self._lock:
            self.counts.requests += 1
            self.counts.sent += len(content or b"")
            self.counts.received += len(body)
        return Answer(response.status_code, body, str(request.url))

    # -- shorthands ------------------------------------------------------------------------------

    def get(self, path: str, **kw: Any) -> bytes | memoryview:
        return self.request("GET", path, **kw).body

    def post(self, path: str, content: bytes = b"", **kw: Any) -> bytes | memoryview:
        return self.request("POST", path, content=content, **kw).body

    def get_json(self, path: str, **kw: Any) -> Any:
        return json.loads(self.request("GET", path, **kw).body)

    def post_json(self, path: str, body: Any = None, **kw: Any) -> Any:
        """POST ``body`` as JSON; the answer parsed as JSON, or ``None`` when it is empty."""
        content = b"" if body is None else json.dumps(body).encode()
        reply = self.request("POST", path, content=content, **kw).body
        return json.loads(reply) if reply.strip() else None

    def text(self, method: str, path: str, content: bytes | None = None, **kw: Any) -> str:
        return self.request(method, path, content=content, **kw).text
