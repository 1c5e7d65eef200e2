"""The engine state the front end keeps from the commands it sends and the events it receives."""

from app.core import events as ev
from app.core.session.commands import Load, PreviewCompression, Reload, Submit, TogglePin
from app.core.session.engine_state import Activity, EngineStateTracker, Progress
from app.core.session.runner import CommandFinished, CommandStarted, Outcome


def loaded_tracker() -> EngineStateTracker:
    tracker = EngineStateTracker()
    load = Load()
    tracker.sent(load)
    tracker.update(CommandStarted(load))
    tracker.update(CommandFinished(load))
    return tracker


def test_a_fresh_state_is_idle_and_not_loaded():
    state = EngineStateTracker().state
    assert state.idle and not state.loaded and not state.free
    assert state.activity is Activity.IDLE and state.pending == 0 and state.can_send


def test_the_model_counts_as_loaded_only_once_the_load_command_has_returned():
    tracker = EngineStateTracker()
    load = Load()
    tracker.sent(load)
    assert tracker.state.pending == 1 and not tracker.state.idle
    tracker.update(CommandStarted(load))
    assert tracker.state.activity is Activity.LOADING and tracker.state.label == "load"
    tracker.update(ev.ModelLoaded(object(), 2048, 0.4))
    assert not tracker.state.loaded and tracker.state.n_ctx == 2048
    state = tracker.update(CommandFinished(load))
    assert state.loaded and state.free and state.pending == 0


def test_an_error_before_the_load_returns_is_a_failed_load():
    tracker = EngineStateTracker()
    load = Load()
    tracker.sent(load)
    tracker.update(CommandStarted(load))
    tracker.update(ev.EngineError("not a GGUF file"))
    state = tracker.update(CommandFinished(load, outcome=Outcome.FAILED))
    assert state.load_failed == "not a GGUF file" and not state.loaded
    assert not state.can_send and not state.free


def test_an_error_after_the_load_leaves_the_model_loaded():
    tracker = loaded_tracker()
    tracker.update(ev.EngineError("the disk is full"))
    assert tracker.state.load_failed is None and tracker.state.loaded


def test_a_queued_turn_blocks_sending_until_it_finishes():
    tracker = loaded_tracker()
    first, pin = Submit("hello"), TogglePin(0)
    tracker.sent(pin)
    tracker.sent(first)
    assert tracker.state.turn_pending and not tracker.state.can_send and not tracker.state.generating
    tracker.update(CommandStarted(pin))
    assert tracker.state.queued == (first,) and tracker.state.pending == 2
    tracker.update(CommandFinished(pin, True))
    tracker.update(CommandStarted(first))
    assert tracker.state.generating and tracker.state.cancellable
    tracker.update(ev.CompressionStarted("emergency", "summarize"))
    assert tracker.state.activity is Activity.SUMMARIZING and tracker.state.generating
    tracker.update(CommandFinished(first, outcome=Outcome.CANCELLED))
    assert tracker.state.idle and tracker.state.can_send and tracker.state.activity is Activity.IDLE


def test_two_equal_commands_are_told_apart():
    tracker = loaded_tracker()
    a, b = TogglePin(1), TogglePin(1)
    tracker.sent(a)
    tracker.sent(b)
    tracker.update(CommandStarted(b))
    assert tracker.state.queued[0] is a


def test_progress_is_kept_for_the_running_command_only():
    tracker = loaded_tracker()
    reload = Reload(4096)
    tracker.sent(reload)
    tracker.update(CommandStarted(reload))
    assert tracker.state.activity is Activity.RELOADING
    tracker.update(ev.PrefillProgress(100, 400, "reload"))
    assert tracker.state.progress == Progress(100, 400, "tokens", "reload")
    tracker.update(ev.CountProgress(3, 9))
    assert tracker.state.progress == Progress(3, 9, "messages")
    tracker.update(CommandFinished(reload))
    assert tracker.state.progress is None


def test_only_some_commands_can_be_cancelled():
    assert Submit("x").cancellable and PreviewCompression("sliding").cancellable
    assert not TogglePin(0).cancellable and not Reload(512).cancellable
