"""Errors with a message meant for the user and the exit code the CLI gives them."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class ContextWatchError(Exception):
    """A failure the user can act on; str(err) is the one line we show."""

    exit_code = 1


class UsageError(ContextWatchError):
    """Bad input from the user: a flag, a path, a file they gave us."""

    exit_code = 2


class ModelLoadError(ContextWatchError):
    """The model file exists but llama.cpp cannot use it."""

    exit_code = 2


class Cancelled(ContextWatchError):
    """The user stopped the work before it finished; nothing was changed."""

    exit_code = 130


class ContextFullError(ContextWatchError):
    """A request cannot fit in the context window, even after compression."""

    exit_code = 1


def require_model(value: T | None) -> T:
    """`value`, which exists once a model is loaded; without one, a ModelLoadError."""
    if value is None:
        raise ModelLoadError("no model is loaded")
    return value


class ServerError(ContextWatchError):
    """A model server refused or failed a request; the message names the server's own numbers."""

    exit_code = 1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status the server answered with; None when it did not answer


class ServerUnreachable(ServerError):
    """Nothing answers at the server's address, or the connection broke."""


class ServerAuthError(ServerError):
    """The server refused the API key (HTTP 401 or 403); the key itself is never in the message."""


class ServerStalled(ServerError):
    """The server stopped sending for longer than the configured timeout."""


class NotAModelServer(ServerError):
    """Something answers at the address, but not as a model server."""
