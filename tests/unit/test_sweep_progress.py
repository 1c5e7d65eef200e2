import io

from app.commands.sweep_progress import SweepProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_with_the_stage_count_and_the_time_left():
    err = Terminal()
    progress = SweepProgress(err)
    for done in range(7):
        progress(done, 6, f"n_ctx 512 f16/f16: stage {done}")
    progress.end()
    shown = err.getvalue()
    assert "6/6" in shown and "stage 6" in shown and "left" in shown


def test_a_warning_is_printed_above_the_bar_and_stays():
    err = Terminal()
    progress = SweepProgress(err)
    progress(1, 6, "loading")
    progress.note("n_ctx 4096 did not fit")
    progress.end()
    assert "contextwatch: warning: n_ctx 4096 did not fit" in err.getvalue()


def test_a_pipe_gets_only_the_warnings():
    err = io.StringIO()
    progress = SweepProgress(err)
    progress(1, 6, "loading")
    progress.note("n_ctx 4096 did not fit")
    progress(6, 6, "done")
    progress.end()
    assert err.getvalue() == "contextwatch: warning: n_ctx 4096 did not fit\n"
