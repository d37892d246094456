"""DVID-style error responses.

DVID answers almost every failure with HTTP 400 and a plain-text body: the message, a space,
the request path in parentheses and a period. Handlers raise :class:`DVIDError` (or one of the
helpers below) and the app turns it into that response; a client never sees a stack trace.
"""

from __future__ import annotations


class DVIDError(Exception):
    """A failure to report to the client with a status code and a plain-text message."""

    def __init__(self, message: str, status: int = 400, *, with_path: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.with_path = with_path

    def body(self, path: str) -> str:
        """The response body, in DVID's ``<message> (<path>).`` form unless told otherwise."""
        if self.with_path:
            return f"{self.message} ({path}).\n"
        return self.message if self.message.endswith("\n") else self.message + "\n"


def bad_request(message: str) -> DVIDError:
    """A 400 with DVID's ``<message> (<path>).`` body."""
    return DVIDError(message, 400)


def not_found(message: str) -> DVIDError:
    """A 404 whose body is the message alone (DVID's blob and route misses)."""
    return DVIDError(message, 404, with_path=False)


def unavailable(message: str) -> DVIDError:
    """A 503 whose body is the message alone (throttling, shutdown)."""
    return DVIDError(message, 503, with_path=False)


def bad_api_call(path: str, name: str, typename: str, host: str) -> DVIDError:
    """DVID's answer when a datatype does not understand the URL."""
    return DVIDError(
        f'Bad API call ({path}) for data "{name}".  '
        f"See API help at http://{host}/api/help/{typename}",
        400,
        with_path=False,
    )
