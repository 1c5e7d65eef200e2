"""`contextwatch run` shows slow steps on one stderr line on a terminal, and nothing when stderr is not one."""

from __future__ import annotations

import io

from app.commands.progress_line import ProgressLine
from app.core import events as ev


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_one_line_rewritten_then_erased():
    err = Terminal()
    line = ProgressLine(err)
    for done in (200, 4000):
        line(ev.CountProgress(done, 4000))
    line(ev.Notice("not progress"))
    shown = err.getvalue()
    assert "\n" not in shown
    assert "\rcontextwatch: counting the history's tokens · 200 / 4,000 messages" in shown
    assert shown.endswith("\r" + " " * len("contextwatch: counting the history's tokens · 200 / 4,000 messages") + "\r")


def test_piped_stderr_gets_nothing():
    err = io.StringIO()
    line = ProgressLine(err)
    line(ev.CountProgress(200, 4000))
    line(ev.PrefillProgress(64, 812))
    assert err.getvalue() == ""
