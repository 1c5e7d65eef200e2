"""Sessions on the real servers of `fixtures.servers`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.core.config.settings import Settings
from app.core.engine.load_options import LoadOptions
from app.core.engine.server.engine import ServerEngine
from app.core.engine.server.options import ServerOptions
from app.core.events import TokenEvent
from app.core.session.session import Session

SETTINGS = Settings(temperature=0.0, max_tokens=24, n_ctx=2048, auto_compress=False)


def server_session(url: str, events: list | None = None, settings: Settings = SETTINGS, **options) -> Session:
    sink = events.append if events is not None else (lambda event: None)
    session = Session(settings, None, sink=sink, engine=ServerEngine(ServerOptions(url, **options)), record_growth=False)
    session.load()
    return session


def at_token(events: list, n: int, action: Callable[[], None]) -> Callable[[object], None]:
    """A sink that keeps every event and runs `action` when the reply's token `n` arrives."""

    def sink(event: object) -> None:
        events.append(event)
        if isinstance(event, TokenEvent) and event.index == n:
            action()

    return sink


def connected(url: str, **options) -> ServerEngine:
    engine = ServerEngine(ServerOptions(url, **options))
    engine.load(LoadOptions(path=Path(), n_ctx=2048))
    return engine
