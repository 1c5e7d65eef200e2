"""The server engine on a real llama-server: its counts are the server's, its cache is the slot's."""

from __future__ import annotations

from contextlib import closing

import httpx

from app.core.engine.protocol import Engine
from app.core.engine.sampling import SamplingParams
from app.core.events import StopReason
from server_sessions import connected

MESSAGES = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Name three colours."}]


def test_the_server_engine_is_an_engine_and_reads_the_server(llama_server):
    with closing(connected(llama_server.url)) as engine:
        assert isinstance(engine, Engine)
        assert engine.n_ctx == 2048
        assert engine.facts.total_slots == 2
        assert engine.backend.kind.startswith("llama-server") and engine.backend.exact_counts
        assert engine.capabilities.can_save_state and not engine.capabilities.can_change_n_ctx
        assert engine.info.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
        assert engine.info.n_ctx_train == 8192
        assert dict(engine.backend.unavailable)["sweep"]


def test_prompt_ids_from_the_servers_template_equal_the_local_models(llama_server, engine):
    with closing(connected(llama_server.url)) as remote:
        assert remote.prompt_ids(MESSAGES) == engine.prompt_ids(MESSAGES)
        assert remote.prompt_ids(MESSAGES, add_generation_prompt=False) == \
            engine.prompt_ids(MESSAGES, add_generation_prompt=False)
        text = "colours: red, green and blue"
        assert remote.tokenize(text, special=False) == engine.tokenize(text, special=False)
        assert remote.detokenize(remote.tokenize(text, special=False)) == text


def test_sync_reports_the_slots_reuse_and_generate_streams_tokens(llama_server):
    with closing(connected(llama_server.url, slot=1)) as engine:
        ids = engine.prompt_ids(MESSAGES)
        first = engine.sync(ids)
        again = engine.sync(ids)
        assert first.reused + first.evaluated == len(ids)
        assert (again.reused, again.evaluated) == (len(ids) - 1, 1)
        from app.core.engine.results import GenerationResult

        result = GenerationResult()
        steps = list(engine.generate(SamplingParams(temperature=0, max_tokens=12), None, result))
        assert 1 <= len(steps) <= 12 and all(s.token_id >= 0 for s in steps)
        report = engine.last_report()
        assert report.prompt_tokens == len(ids) and report.cached == len(ids) - 1 and report.generated == len(steps)
        assert report.predicted_per_second > 0 and report.slot == 1
        read = steps if result.reason is StopReason.EOG else steps[:-1]  # the last token at the cap is never read
        assert engine.cached_ids() == ids + [s.token_id for s in read]
        erased = httpx.post(f"{llama_server.url}/slots/1", params={"action": "erase"}, timeout=10).json()
        assert erased["n_erased"] == len(engine.cached_ids())


def test_a_cancel_stops_the_stream_and_keeps_what_came(llama_server):
    import threading

    cancel = threading.Event()
    with closing(connected(llama_server.url, slot=1)) as engine:
        engine.sync(engine.prompt_ids(MESSAGES))
        texts = []
        from app.core.engine.results import GenerationResult

        result = GenerationResult()
        for step in engine.generate(SamplingParams(temperature=0, max_tokens=200), cancel, result):
            texts.append(step.text)
            if len(texts) == 3:
                cancel.set()
        assert result.reason is StopReason.CANCELLED
        assert len(texts) == 3 and result.text == "".join(texts)


def test_a_request_after_the_server_dropped_an_idle_connection_goes_through(llama_server):
    import time

    with closing(connected(llama_server.url, slot=1)) as engine:
        ids = engine.prompt_ids(MESSAGES)
        engine.sync(ids)
        time.sleep(6)  # llama-server closes a kept-alive connection after 5 s idle
        assert engine.sync(ids).reused == len(ids) - 1
