"""A tiny third-party datatype, packaged the way an outside project would package one.

It stores versioned key-value pairs::

    GET|HEAD|POST|DELETE /api/node/{uuid}/{name}/key/{key}
    GET                  /api/node/{uuid}/{name}/keys         (JSON list of visible keys)
    GET                  /api/node/{uuid}/{name}/keyrange/{k1}/{k2}

It touches nothing of the core but the public plugin API: ``hookimpl``, ``Datatype``,
``Endpoint``, ``InstanceRequest`` and ``json_response``.
"""

from __future__ import annotations

from starlette.responses import Response

from dvidpy import ANY_VERB, Datatype, Endpoint, InstanceRequest, bad_request, hookimpl, json_response

KEY_CLASS = 0x30


def tkey(key: str) -> bytes:
    # A terminator keeps keys of one class from being prefixes of each other.
    return bytes((KEY_CLASS, 0x01)) + key.encode() + b"\x00"


def key_of(tk: bytes) -> str:
    return tk[2:-1].decode()


class TestKV(Datatype):
    name = "testkv"
    version = "0.3"
    url = "example.org/dvidpy-testkv"
    help_text = "testkv: versioned key-value pairs for plugin tests.\n"

    def create(self, settings, instance) -> None:
        instance.config["created_with"] = sorted(settings)

    def serve_key(self, req: InstanceRequest) -> Response:
        if len(req.args) != 1 or not req.args[0]:
            raise bad_request("key endpoint needs a key")
        tk = tkey(req.args[0])
        if req.method == "GET":
            value = req.store.get(tk)
            if value is None:
                return Response(b"", status_code=404)
            return Response(value, media_type="application/octet-stream")
        if req.method == "HEAD":
            return Response(b"", status_code=200 if req.store.exists(tk) else 404)
        if req.method == "POST":
            req.store.put(tk, req.body)
            if req.query.get("fail") == "after-write":
                raise bad_request("failing on purpose after writing")
            return Response(b"")
        req.store.delete(tk)
        return Response(b"")

    def serve_keys(self, req: InstanceRequest) -> Response:
        lo, hi = bytes((KEY_CLASS, 0x00)), bytes((KEY_CLASS, 0xFF))
        return json_response([key_of(tk) for tk in req.store.keys(lo, hi)])

    def serve_range(self, req: InstanceRequest) -> Response:
        if len(req.args) != 2:
            raise bad_request("keyrange needs two keys")
        pairs = req.store.scan(tkey(req.args[0]), tkey(req.args[1]))
        return json_response({key_of(tk): bytes(v).decode() for tk, v in pairs})

    endpoints = Datatype.endpoints + (
        Endpoint("key", serve_key, ("GET", "POST", "DELETE"), "key endpoint does not support {method}"),
        Endpoint("keys", serve_keys, ANY_VERB, mutates=()),
        Endpoint("keyrange", serve_range, ANY_VERB, mutates=()),
    )


@hookimpl
def dvidpy_register_datatypes(registry) -> None:
    registry.add(TestKV())
