"""HTTP to a model server with httpx: JSON requests, streamed event lines, and one clear error per failure.

The API key is read from the environment for each client and travels only in the
Authorization header; no message, log line or snapshot built here contains it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import httpx

from app.core.engine.server.options import ServerOptions
from app.core.errors import (
    ContextFullError,
    NotAModelServer,
    ServerAuthError,
    ServerError,
    ServerStalled,
    ServerUnreachable,
)

MAX_ERROR_CHARS = 300
KEEPALIVE_SECONDS = 2.0  # below llama-server's own 5 s, so an idle connection is closed here first
OPENAI_LIMIT = re.compile(r"maximum context length is (\d+) tokens")  # code "context_length_exceeded"
OPENAI_PROMPT = re.compile(r"\((\d+) in (?:the messages|your prompt)")


class ServerClient:
    def __init__(self, options: ServerOptions, timeout: float | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.options = options
        read = timeout if timeout is not None else options.timeout
        headers = {"Accept": "application/json"}
        key = options.api_key()
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.Client(
            base_url=options.base_url,
            headers=headers,
            timeout=httpx.Timeout(read, connect=options.connect_timeout),
            transport=transport or httpx.HTTPTransport(retries=options.retries),
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
        )

    def close(self) -> None:
        self._http.close()

    def get(self, path: str) -> Any:
        return self._json(path, self._send("GET", path))

    def get_text(self, path: str) -> str:
        response = self._send("GET", path)
        self._check(path, response)
        return response.text

    def post(self, path: str, body: dict, params: dict | None = None) -> Any:
        return self._json(path, self._send("POST", path, json=body, params=params))

    def _send(self, method: str, path: str, stream: bool = False, **kwargs) -> httpx.Response:
        """One request; a kept-alive connection the server closed meanwhile is replaced once, before any answer."""
        with self._failures(path):
            request = self._http.build_request(method, path, **kwargs)
            try:
                return self._http.send(request, stream=stream)
            except httpx.RemoteProtocolError:
                return self._http.send(self._http.build_request(method, path, **kwargs), stream=stream)

    @contextlib.contextmanager
    def stream_lines(self, path: str, body: dict) -> Iterator[Iterator[str]]:
        """The response's lines as they arrive; leaving the block closes the connection (a cancel)."""
        response = self._send("POST", path, stream=True, json=body)
        try:
            if response.status_code >= 400:
                response.read()
                self._check(path, response)
            yield self._lines(path, response)
        finally:
            response.close()

    def _lines(self, path: str, response: httpx.Response) -> Iterator[str]:
        with self._failures(path):
            yield from response.iter_lines()

    @contextlib.contextmanager
    def _failures(self, path: str) -> Iterator[None]:
        where = self.options.base_url
        try:
            yield
        except httpx.ConnectTimeout:
            raise ServerUnreachable(f"no server answers at {where}: the connection timed out "
                                    f"after {self.options.connect_timeout:g} s") from None
        except httpx.ConnectError as err:
            raise ServerUnreachable(f"no server answers at {where}: {_reason(err)}") from None
        except httpx.ReadTimeout:
            raise ServerStalled(f"the server at {where} sent nothing for {self.options.timeout:g} s "
                                f"({path}); the timeout is [server] timeout in config.toml") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as err:
            raise ServerUnreachable(f"the server at {where} closed the connection ({path}): {_reason(err)}") from None
        except httpx.TimeoutException:
            raise ServerStalled(f"the server at {where} timed out ({path})") from None
        except httpx.HTTPError as err:
            raise ServerError(f"the request to {where}{path} failed: {_reason(err)}") from None

    def _json(self, path: str, response: httpx.Response) -> Any:
        self._check(path, response)
        try:
            return response.json()
        except ValueError:
            raise NotAModelServer(f"{self.options.base_url}{path} did not answer with JSON: "
                                  "is this a model server?") from None

    def _check(self, path: str, response: httpx.Response) -> None:
        code = response.status_code
        if code < 400:
            return
        if code in (401, 403):
            if self.options.api_key_env is None:
                raise ServerAuthError(f"the server wants an API key (HTTP {code}): put the name of the "
                                      "environment variable that holds it in [server] api_key_env", code)
            raise ServerAuthError(f"the server refused the key in ${self.options.api_key_env} (HTTP {code})", code)
        error = _error_body(response)
        if error.get("type") == "exceed_context_size_error":
            n_prompt, n_ctx = error.get("n_prompt_tokens"), error.get("n_ctx")
            raise ContextFullError(f"the prompt needs {_num(n_prompt)} tokens but the server's context "
                                   f"holds {_num(n_ctx)} (exceed_context_size_error)")
        message = str(error.get("message") or response.text or response.reason_phrase)[:MAX_ERROR_CHARS]
        if error.get("code") == "context_length_exceeded":
            limit, prompt = OPENAI_LIMIT.search(message), OPENAI_PROMPT.search(message)
            raise ContextFullError(f"the prompt needs {prompt[1] if prompt else '?'} tokens but the server's context "
                                   f"holds {limit[1] if limit else '?'} (context_length_exceeded)")
        if code == 404:
            raise NotAModelServer(f"{self.options.base_url}{path} is not there (HTTP 404): {message}", code)
        raise ServerError(f"the server answered HTTP {code} to {path}: {message}", code)


def _error_body(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            return error
        if isinstance(error, str):
            return {"message": error}
    return {}


def _reason(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:MAX_ERROR_CHARS]


def _num(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"
