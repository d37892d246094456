"""The client's two exceptions: what a server answered, and a write DVID would not store."""

from __future__ import annotations


class DVIDClientError(Exception):
    """A request the server refused (any status other than 2xx), or a server out of reach.

    ``status`` is the HTTP status (``None`` when no answer came) and ``message`` the server's
    own text: DVID answers errors as plain text, ``<message> (<path>).``
    """

    def __init__(self, status: int | None, message: str, method: str = "", url: str = "") -> None:
        super().__init__(f"{status}: {message}" if status is not None else message)
        self.status = status
        self.message = message
        self.method = method
        self.url = url


class UnalignedWrite(ValueError):
    """A write whose box does not start and stop on block boundaries: DVID stores whole blocks
    only, so the client refuses it before sending anything."""
