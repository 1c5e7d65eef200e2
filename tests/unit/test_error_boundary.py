"""One error boundary for every command: an unexpected exception is one line naming the command, exit 1."""

from __future__ import annotations

import os

import pytest

from app import cli
from app.commands import snapshots as snapshots_command
from app.core.errors import ContextWatchError


def _failing(error: BaseException):
    def handler(args):
        raise error

    return handler


@pytest.fixture(autouse=True)
def keep_umask():
    mask = os.umask(0o022)
    os.umask(mask)
    yield
    os.umask(mask)  # main() sets 077 for the process


@pytest.fixture
def handler(monkeypatch):
    def install(error: BaseException) -> None:
        monkeypatch.setattr(snapshots_command, "snapshots_command", _failing(error))

    return install


def test_an_unexpected_error_is_one_line_naming_the_command(handler, capsys):
    handler(KeyError("manifest"))
    assert cli.main(["snapshots", "list"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["contextwatch snapshots list: error: KeyError: 'manifest' "
                                "(contextwatch --verbose shows the traceback)"]


def test_an_os_error_names_its_file(handler, capsys):
    handler(PermissionError(13, "Permission denied", "/data/x.json"))
    assert cli.main(["snapshots", "show", "x"]) == 1
    assert "error: PermissionError: Permission denied (/data/x.json)" in capsys.readouterr().err


def test_verbose_prints_the_traceback(handler, capsys):
    handler(RuntimeError("deep inside"))
    assert cli.main(["--verbose", "snapshots", "list"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().endswith("contextwatch snapshots list: error: RuntimeError: deep inside")


def test_the_project_errors_keep_their_exit_codes(handler, capsys):
    class Refused(ContextWatchError):
        exit_code = 2

    handler(Refused("no snapshot named 'x'"))
    assert cli.main(["snapshots", "list"]) == 2
    assert capsys.readouterr().err == "contextwatch: error: no snapshot named 'x'\n"


def test_an_export_path_that_cannot_be_written(monkeypatch, tmp_path, capsys):
    class Store:
        def read_manifest(self, name):
            return {"name": name, "conversation": {"messages": []}}

    monkeypatch.setattr(snapshots_command, "SnapshotStore", Store)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for target, words in ((blocker / "out.md", "cannot write the export to"), (tmp_path, "is a directory")):
        assert cli.main(["snapshots", "export", "s", "--format", "json", "-o", str(target)]) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.splitlines()) == 1, err
