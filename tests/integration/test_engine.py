"""The engine against the real SmolLM2 model."""

from __future__ import annotations

import threading

import pytest

from app.core.engine.llama.engine import LlamaEngine, TokenTextDecoder
from app.core.engine.load_options import LoadOptions
from app.core.engine.protocol import Engine
from app.core.engine.results import GenerationResult, common_prefix
from app.core.engine.sampling import SamplingParams
from app.core.errors import ContextFullError, UsageError
from app.core.events import StopReason

GREEDY = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=24)


def generate(engine, params=GREEDY, cancel=None):
    result = GenerationResult()
    steps = list(engine.generate(params, cancel, result))
    return steps, result


def test_model_info_reads_the_gguf(engine):
    info = engine.info
    assert info.architecture == "llama"
    assert (info.n_layer, info.n_head_kv, info.head_dim_k) == (30, 3, 64)
    assert info.n_ctx_train == 8192
    assert info.n_vocab == 49152
    assert 130e6 < info.n_params < 140e6
    assert info.has_chat_template
    assert engine.n_ctx == 2048
    assert engine.warnings == []


def test_a_loaded_llama_engine_is_an_engine(engine):
    assert isinstance(engine, LlamaEngine) and isinstance(engine, Engine)


def test_chat_template_renders_chatml(engine):
    text = engine.render([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_second_turn_evaluates_only_the_new_tokens(engine, chat):
    first = chat("What is the capital of France?")
    sync1 = engine.sync(first)
    steps, result = generate(engine)
    reply = result.text
    assert steps and reply
    second = chat("What is the capital of France?", reply, "And of Italy?")
    in_cache = engine.cached_ids()
    expected_reuse = common_prefix(in_cache, second)
    sync2 = engine.sync(second)
    assert expected_reuse >= len(first)
    assert sync2.reused == expected_reuse
    assert sync2.evaluated == len(second) - expected_reuse
    assert sync2.evaluated < len(second) // 2
    assert engine.cached_ids() == second
    assert sync1.reused + sync1.evaluated == len(first)


def test_same_prompt_again_reevaluates_one_token(engine, chat):
    ids = chat("Say hello.")
    engine.sync(ids)
    again = engine.sync(ids)
    assert (again.reused, again.evaluated) == (len(ids) - 1, 1)


def test_stop_at_max_tokens(engine, chat):
    engine.sync(chat("Write a long story about a dragon."))
    steps, result = generate(engine, SamplingParams(temperature=0.0, max_tokens=5))
    assert result.reason is StopReason.MAX_TOKENS
    assert len(steps) == len(result.token_ids) == 5


def test_stop_at_exhausted_context_without_error(model_path, log_file):
    small = LlamaEngine()
    small.load(LoadOptions(path=model_path, n_ctx=256, n_batch=64))
    try:
        counting = ", ".join(str(i) for i in range(1, 200))
        ids = small.tokenize(counting)[:240]
        small.sync(ids)
        steps, result = generate(small, SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=500))
        assert result.reason is StopReason.CONTEXT_FULL
        assert small.n_tokens == 256
        assert len(steps) == 256 - 240
        with pytest.raises(ContextFullError):
            small.sync(list(ids) * 2)
    finally:
        small.close()


def test_cancel_mid_prefill_stops_between_chunks(engine):
    ids = engine.tokenize(" ".join(["The quick brown fox jumps over the lazy dog."] * 60))
    assert len(ids) > 5 * 64
    engine.reset()
    cancel = threading.Event()
    seen = []

    def progress(done, total):
        seen.append(done)
        if done >= 128:
            cancel.set()

    result = engine.sync(ids, cancel, progress)
    assert result.cancelled
    assert result.evaluated == 128
    assert engine.n_tokens == 128
    assert seen == [64, 128]
    resumed = engine.sync(ids)
    assert resumed.reused == 128
    assert resumed.evaluated == len(ids) - 128


def test_cancel_mid_decode(engine, chat):
    engine.sync(chat("Tell me about the ocean."))
    cancel = threading.Event()
    result = GenerationResult()
    steps = []
    for step in engine.generate(SamplingParams(temperature=0.0, max_tokens=100), cancel, result):
        steps.append(step)
        if len(steps) == 3:
            cancel.set()
    assert result.reason is StopReason.CANCELLED
    assert len(steps) == 3


def test_greedy_and_seeded_runs_repeat_exactly(engine, chat):
    ids = chat("Name three fruits.")
    outputs = []
    for params in (GREEDY, GREEDY, SamplingParams(temperature=0.9, seed=42, max_tokens=24),
                   SamplingParams(temperature=0.9, seed=42, max_tokens=24)):
        engine.sync(ids)
        _, result = generate(engine, params)
        outputs.append(result.token_ids)
    assert outputs[0] == outputs[1]
    assert outputs[2] == outputs[3]


def raw_greedy(llm, ids: list[int], max_tokens: int) -> list[int]:
    """llama-cpp-python's own greedy loop (`Llama.generate`, its batch and its eval) on the same Llama."""
    import llama_cpp

    llm.reset()
    llm._ctx.kv_cache_clear()
    tokens: list[int] = []
    for token in llm.generate(ids, temp=0.0, repeat_penalty=1.0, reset=True):
        if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token) or len(tokens) == max_tokens:
            break
        tokens.append(token)
    return tokens


def test_greedy_tokens_are_llama_cpp_pythons_token_for_token(engine, chat):
    ids = chat("Write a detailed, step by step explanation of how a steam engine works, with history.")
    raw = raw_greedy(engine.llm, ids, 96)
    engine.reset()
    engine.sync(ids)
    steps, result = generate(engine, SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=96))
    assert len(raw) == 96, "the reply runs to max_tokens on both sides"
    assert result.token_ids == raw
    assert engine.cached_ids() == ids + raw[:-1], "every generated token but the last is in the cache"
    assert engine.sync(ids + raw).reused == len(ids) + len(raw) - 1


def test_multibyte_utf8_survives_token_by_token_decoding(engine):
    text = "naïve café: 日本語のテキスト, Ελληνικά, emoji 🙂🚀 done"
    ids = engine.tokenize(text, special=False)
    decoder = TokenTextDecoder(engine)
    parts = [decoder.feed(t) for t in ids] + [decoder.flush()]
    assert "\ufffd" not in "".join(parts)
    assert "".join(parts).strip() == text
    assert any(p == "" for p in parts), "a character split across tokens is held back, not broken"


def test_generated_multibyte_text_is_intact(engine, chat):
    engine.sync(chat("Repeat exactly: 日本語 🙂 café"))
    steps, result = generate(engine, SamplingParams(temperature=0.0, max_tokens=24))
    assert "\ufffd" not in result.text
    assert "".join(s.text for s in steps) == result.text


def test_events_are_timestamped_in_order(engine, chat):
    engine.sync(chat("Count to five."))
    steps, _ = generate(engine)
    times = [s.t for s in steps]
    assert times == sorted(times)


def test_empty_prompt_is_refused(engine):
    with pytest.raises(UsageError):
        engine.sync([])


def greedy_reply(engine, ids: list[int]) -> list[int]:
    engine.sync(ids)
    result = GenerationResult()
    for _ in engine.generate(SamplingParams(temperature=0.0, max_tokens=12), result=result):
        pass
    return result.token_ids


def test_work_inside_cache_kept_leaves_the_cache_as_it_was(engine, chat):
    ids = chat("Tell me about the river Loire.", "It is the longest river in France.", "Where does it start?")
    expected = greedy_reply(engine, ids)
    engine.sync(ids)
    with engine.cache_kept():
        engine.sync(chat("Write a poem about the moon.", system="You are a poet."))
        for _ in engine.generate(SamplingParams(temperature=0.0, max_tokens=8)):
            pass
    assert engine.cached_ids() == ids
    again = engine.sync(ids)
    assert (again.reused, again.evaluated) == (len(ids) - 1, 1)
    assert greedy_reply(engine, ids) == expected, "the KV state that came back is the conversation's"


def test_work_that_only_adds_tokens_is_trimmed_back(engine, chat):
    ids = chat("Name a colour.")
    engine.sync(ids)
    with engine.cache_kept():
        engine.sync(ids + engine.tokenize("Blue, like the sea."))
    assert engine.cached_ids() == ids
    assert engine.sync(ids + engine.tokenize(" More")).reused == len(ids)


def test_a_kv_state_gives_back_only_the_tokens_it_holds(engine, chat):
    ids = chat("Name a fruit.")
    engine.sync(ids)
    blob = engine.state_bytes()
    longer = ids + engine.tokenize("An apple.")
    assert engine.load_state_bytes(blob, longer) == len(ids)
    assert engine.cached_ids() == ids
