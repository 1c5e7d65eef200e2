"""Decode speed of the engine's own loop against llama.cpp's C++ server and raw llama-cpp-python.

A llama-server (built by .ci/build_llama_server, cached outside the checkout) runs the bundled
SmolLM2 with one thread; in this process a headless Session (what `contextwatch run` does:
Session.submit -> LlamaEngine.sync/generate) loads the same model with one thread. Every side
decodes the same prompt ids greedily, up to the same number of tokens, with flash attention
set the same way on both (llama-server's default, "auto", turns it on for this CPU;
ContextWatch's default is off, so both settings are measured):

- llama-server streaming `/completion` (prompt cached in its slot), timed on the client;
  its own `timings.predicted_per_second` is reported beside it;
- raw llama-cpp-python `create_completion(stream=True)` on the session's Llama object;
- the engine alone (sync, then generate);
- the headless session, with a sink that writes every token to a file as `run` writes to stdout.

Decode tokens/s = (tokens - 1) / (time of the last token - time of the first), the same
measure on every side. Runs alternate with the order reversed every round; a paired ratio
divides a run by the other side's run of the same round.

A per-token breakdown follows: the C calls and the Python work of one decoding step.

Run: python -m benchmarks.bench_decode_server [--runs N] [--max-tokens N] [--flash-attn off|on|both]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import timeit
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import alternate, median, model_path, quiet_llama, raw_llama, table, write_section

PROMPT = "Write a detailed, step by step explanation of how a steam engine works, with history."
N_CTX = 2048
THREADS = 1
TESTS = Path(__file__).resolve().parents[1] / "tests"
SERVER = "llama-server /completion stream"
RAW = "raw llama-cpp-python create_completion(stream=True)"
ENGINE = "engine (sync + generate)"
SESSION = "headless session (`run`'s path)"


@dataclass
class Run:
    tps: float
    tokens: int
    text: str
    server_tps: float | None = None  # what llama-server itself reported (timings.predicted_per_second)


def tps(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0])


def start_server(flash_attn: bool):
    sys.path.insert(0, str(TESTS))
    from fixtures.servers import llama_server_binary, start_llama_server

    return start_llama_server(llama_server_binary(), model_path(), Path(tempfile.mkdtemp(prefix="cw-bench-decode-")),
                              n_ctx=N_CTX, parallel=1, metrics=False,
                              extra=("--flash-attn", "on" if flash_attn else "off"))


def settings(max_tokens: int, flash_attn: bool):
    from app.core.config.settings import Settings

    return Settings(n_ctx=N_CTX, n_threads=THREADS, flash_attn=flash_attn, temperature=0.0, repeat_penalty=1.0,
                    max_tokens=max_tokens, auto_compress=False)


def server_run(client, ids: list[int], max_tokens: int) -> Run:
    body = {"prompt": ids, "n_predict": max_tokens, "stream": True, "cache_prompt": True, "id_slot": 0,
            "return_tokens": True, "temperature": 0.0, "repeat_penalty": 1.0}
    times: list[float] = []
    tokens = 0
    text: list[str] = []
    reported = None
    with client.stream("POST", "/completion", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            data = json.loads(line[6:])
            if data.get("tokens"):
                times.append(time.perf_counter())
                tokens += len(data["tokens"])
                text.append(data.get("content", ""))
            if data.get("timings"):
                reported = data["timings"]["predicted_per_second"]
    return Run(tps(times), tokens, "".join(text), reported)


def raw_run(llm, ids: list[int], max_tokens: int) -> Run:
    times: list[float] = []
    text: list[str] = []
    for chunk in llm.create_completion(ids, max_tokens=max_tokens, temperature=0.0, repeat_penalty=1.0, stream=True):
        if chunk["choices"][0]["finish_reason"] is None:
            times.append(time.perf_counter())
            text.append(chunk["choices"][0]["text"])
    return Run(tps(times), len(times), "".join(text))


def engine_run(engine, ids: list[int], params) -> Run:
    engine.sync(ids)
    steps = list(engine.generate(params))
    return Run(tps([s.t for s in steps]), len(steps), "".join(s.text for s in steps))


def session_run(session, out) -> Run:
    from app.core.conversations.conversation import Conversation
    from app.core.events import TokenEvent

    session.conversation = Conversation.with_system(session.settings.system_prompt)
    times: list[float] = []
    text: list[str] = []

    def sink(event) -> None:
        if isinstance(event, TokenEvent):
            out.write(event.text)
            out.flush()
            times.append(time.perf_counter())
            text.append(event.text)

    session.sink = sink
    session.submit(PROMPT)
    return Run(tps(times), len(times), "".join(text))


def per_token_costs(session, ids: list[int], max_tokens: int) -> list[list[str]]:
    """Microseconds per token of each piece of a decoding step, timed one by one on the loaded model (medians).

    Both ways of picking a greedy token run on every step (in turns, first one then the other
    first), so each is timed on logits fresh from llama_decode as in the engine's loop.
    """
    from app.core.engine.llama.engine import TokenTextDecoder
    from app.core.engine.llama.gil_calls import holding_gil
    from app.core.engine.llama.greedy import ArgmaxSampler
    from app.core.engine.llama.sampling import build_sampler
    from app.core.engine.results import Step

    engine = session.engine
    llm = engine.llm
    engine.sync(ids)
    sampler = build_sampler(session.sampling(), llm.n_vocab())
    chain_sample, argmax = holding_gil("llama_sampler_sample"), ArgmaxSampler(llm.n_vocab())
    is_eog = holding_gil("llama_vocab_is_eog")
    chain, ctx, vocab = sampler.sampler, llm._ctx.ctx, llm._model.vocab
    decoder = TokenTextDecoder(engine)
    spent: dict[str, list[float]] = {key: [] for key in ("chain", "argmax", "is_eog", "feed", "decode")}
    perf = time.perf_counter
    for i in range(max_tokens):
        pickers = (("chain", chain_sample), ("argmax", argmax))
        for key, pick in pickers if i % 2 else reversed(pickers):
            t0 = perf()
            token = pick(chain, ctx, -1)
            spent[key].append(perf() - t0)
        t1 = perf()
        is_eog(vocab, token)
        t2 = perf()
        decoder.feed(token)
        t3 = perf()
        engine._decode((token,))
        t4 = perf()
        spent["is_eog"].append(t2 - t1)
        spent["feed"].append(t3 - t2)
        spent["decode"].append(t4 - t3)
    sampler.close()
    n = llm.n_tokens
    loops = 20000

    def each(fn) -> float:
        return timeit.timeit(fn, number=loops) / loops * 1e6

    set_batch = each(lambda: llm._batch.set_batch(batch=(token,), n_past=n, logits_all=False))
    slice_write = each(lambda: llm.input_ids.__setitem__(slice(n, n + 1), (token,)))
    item_write = each(lambda: llm.input_ids.__setitem__(n, token))
    step = each(lambda: Step(token, "x", 0.0))
    per = {key: median(times) * 1e6 for key, times in spent.items()}
    return [
        ["before: llama_sampler_sample, greedy chain (C: copies every logit, then scans)", f"{per['chain']:.1f}"],
        ["now: ArgmaxSampler (llama_get_logits_ith + numpy argmax in place)", f"{per['argmax']:.1f}"],
        ["llama_vocab_is_eog (C)", f"{per['is_eog']:.2f}"],
        ["TokenTextDecoder.feed (piece cache + incremental UTF-8)", f"{per['feed']:.2f}"],
        ["LlamaEngine._decode of one token (llama_decode and its bookkeeping)", f"{per['decode']:.1f}"],
        ["Step(...) for the generator's yield", f"{step:.2f}"],
        ["before: LlamaBatch.set_batch of one token (Python loop, ctypes fields)", f"{set_batch:.2f}"],
        ["before: input_ids[n:n+1] = (token,) (numpy slice write)", f"{slice_write:.2f}"],
        ["now: input_ids[n] = token (numpy item write)", f"{item_write:.2f}"],
    ]


def measure(runs: int, max_tokens: int, flash_attn: bool) -> dict:
    import httpx

    from app.core.session.session import Session

    server = start_server(flash_attn)
    session = Session(settings(max_tokens, flash_attn), model_path(), record_growth=False)
    try:
        session.load()
        engine = session.engine
        llm = raw_llama(engine)
        ids = engine.prompt_ids([{"role": "system", "content": session.settings.system_prompt},
                                 {"role": "user", "content": PROMPT}])
        # llama-server closes an idle keep-alive connection while the in-process sides run; a connection
        # reused after that fails the next request, so every request opens its own.
        client = httpx.Client(base_url=server.url, timeout=300, limits=httpx.Limits(max_keepalive_connections=0))
        params = session.sampling()
        with open(os.devnull, "w", encoding="utf-8") as out:
            sides = {
                SERVER: lambda: server_run(client, ids, max_tokens),
                RAW: lambda: raw_run(llm, ids, max_tokens),
                ENGINE: lambda: engine_run(engine, ids, params),
                SESSION: lambda: session_run(session, out),
            }
            for fn in sides.values():
                fn()  # warm-up: every side's prompt is cached from here on
            results = dict(zip(sides, alternate(runs, *sides.values())))
        costs = per_token_costs(session, ids, max_tokens)
        client.close()
    finally:
        session.close()
        server.stop()
    return {"results": results, "prompt": len(ids), "costs": costs}


def paired(a: list[Run], b: list[Run]) -> float:
    return median(x.tps / y.tps for x, y in zip(a, b))


def report(measured: dict, flash_attn: bool) -> tuple[str, dict]:
    results = measured["results"]
    server, raw = results[SERVER], results[RAW]
    rows = []
    for name, values in results.items():
        counts = sorted({v.tokens for v in values})
        same = all(v.text == results[SESSION][0].text for v in values)
        rows.append([name, f"{median(v.tps for v in values):.1f}", f"{paired(values, server):.3f}",
                     f"{paired(values, raw):.3f}", "/".join(map(str, counts)), "yes" if same else "no"])
    reported = [v.server_tps for v in server if v.server_tps is not None]
    summary = {
        "session_vs_server": paired(results[SESSION], server),
        "session_vs_raw": paired(results[SESSION], raw),
        "engine_vs_server": paired(results[ENGINE], server),
        "server_client_tps": median(v.tps for v in server),
        "server_reported_tps": median(reported) if reported else None,
        "session_tps": median(v.tps for v in results[SESSION]),
    }
    fa = "on" if flash_attn else "off"
    body = (
        f"### Flash attention {fa} on both sides\n\n"
        + table(["side", "decode tok/s (client)", "paired ratio vs llama-server", "paired ratio vs raw",
                 "tokens", "same text as the session"], rows)
        + f"\n\nllama-server's own `timings.predicted_per_second`: median {summary['server_reported_tps']:.1f} tok/s "
        f"(the client-side figure above is the one every ratio uses). "
        f"Headless session / llama-server: **{summary['session_vs_server']:.3f}** (target >= 0.97); "
        f"headless session / raw llama-cpp-python: **{summary['session_vs_raw']:.3f}** (target >= 1.00).\n\n"
        "Per token, each piece of a decoding step timed on its own in one extra greedy pass on the same model "
        "(medians over its tokens; the 'before' rows are what the engine did until the one-token batch and the "
        "argmax, timed beside what it does now):\n\n"
        + table(["piece of a decoding step", "us per token"], measured["costs"])
    )
    return body, summary


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--flash-attn", choices=("off", "on", "both"), default="both")
    args = parser.parse_args(argv)
    quiet_llama()
    settings_fa = {"off": (False,), "on": (True,), "both": (False, True)}[args.flash_attn]
    bodies, summary, prompt = [], {}, 0
    load_before = os.getloadavg()[0]
    for flash_attn in settings_fa:
        measured = measure(args.runs, args.max_tokens, flash_attn)
        prompt = measured["prompt"]
        body, summary["flash_attn_" + ("on" if flash_attn else "off")] = report(measured, flash_attn)
        bodies.append(body)
    intro = (
        f"llama-server (llama.cpp vendored by llama-cpp-python 0.3.36) on 127.0.0.1 and ContextWatch in process, "
        f"SmolLM2-135M Q4_1, n_ctx {N_CTX}, {THREADS} thread on both; greedy (temperature 0, repeat penalty 1.0), "
        f"a prompt of {prompt} tokens that every side has cached after a warm-up, up to {args.max_tokens} tokens; "
        f"{args.runs} runs per side, alternated with the order reversed every round; medians of tokens/s and of "
        "paired ratios (a run divided by the other side's run of the same round). Decode tokens/s = (tokens - 1) / "
        "(last token's time - first token's time), on the client for llama-server and where the token is handed to "
        "the caller for the others; the session's sink writes every token to a file and flushes, as `run` does to "
        "stdout. llama-server's default flash attention (auto) is on for this CPU and ContextWatch's is off, so "
        "both settings are measured with the same setting on both sides. "
        f"Load average (1 min) of the machine: {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        "(2 cores: above 1 means other work competed for them)."
    )
    parts = ["python -m benchmarks.bench_decode_server"]
    if args.runs != 15:
        parts.append(f"--runs {args.runs}")
    if args.max_tokens != 128:
        parts.append(f"--max-tokens {args.max_tokens}")
    if args.flash_attn != "both":
        parts.append(f"--flash-attn {args.flash_attn}")
    text = intro + "\n\n" + "\n\n".join(bodies)
    write_section("decode_server", "Decode against llama-server and raw llama-cpp-python (1 thread, greedy)",
                  " ".join(parts), text)
    print(text)
    return summary


if __name__ == "__main__":
    main()
