"""The engine a session runs on: llama.cpp in this process, or a model server when one is configured."""

from __future__ import annotations

from app.core.engine.protocol import Engine
from app.core.engine.server.options import ServerOptions


def engine_for(server: ServerOptions | None) -> Engine:
    if server is not None:
        from app.core.engine.server.engine import ServerEngine

        return ServerEngine(server)
    from app.core.engine.llama.engine import LlamaEngine

    return LlamaEngine()
