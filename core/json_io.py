"""JSON in and out of the HTTP API: the one parser of request bodies and the one encoder of
replies, for core routes and datatypes alike.

Replies are compact, as Go's encoder writes them; DVID's few hand-written one-key replies
(``{"root": "..."}``) keep their space after the colon and are still escaped by the encoder.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from dvidpy.errors import bad_request

JSON = "application/json"


def parse_json(raw: bytes | str, what: str, *, empty_is_null: bool = True) -> Any:
    """``raw`` parsed as JSON, or a 400 ``<what>: <why>``; an empty body is ``null`` unless
    ``empty_is_null`` is false (then it is refused like any malformed body)."""
    try:
        return json.loads(raw or (b"null" if empty_is_null else b""))
    except ValueError as exc:
        raise bad_request(f"{what}: {exc}") from None
    except RecursionError:
        raise bad_request(f"{what}: JSON nested too deeply") from None


def json_text(data: Any) -> str:
    """Compact JSON, as Go's encoder writes it."""
    return json.dumps(data, separators=(",", ":"))


def json_response(data: Any, *, media_type: str = JSON) -> Response:
    """A compact JSON reply."""
    return Response(json_text(data), media_type=media_type)


def dvid_json(key: str, value: Any) -> Response:
    """DVID's one-key reply with a space after the colon, ``{"child": "<uuid>"}``."""
    return Response(f"{{{json.dumps(key)}: {json.dumps(value)}}}", media_type=JSON)
