"""Decode on a model server: through ContextWatch against a bare httpx client, and the dashboard against headless.

A llama-server (built by .ci/build_llama_server, cached outside the checkout) runs the bundled
SmolLM2 on 127.0.0.1 with one thread and --metrics. Every side sends the same greedy request
for the same prompt ids, whose prefix the server has cached, so the sides differ only in the
client; decode tokens/s is measured on the client from the arrival of the first token to the last.

1. bare httpx streaming `/completion` / the engine (sync, then generate) / the session
   (every tracker, the memory sampler and the server monitor polling /health, /slots, /metrics).
2. the dashboard (Pilot, headless, every panel live, the server panel polled) / the headless session.

Run: python -m benchmarks.bench_server [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import alternate, median, model_path, table, write_section

PROMPT = "Write a detailed, step by step explanation of how a steam engine works, with history."
MAX_TOKENS = 128
SIZE = (160, 48)
TESTS = Path(__file__).resolve().parents[1] / "tests"


def start_server():
    sys.path.insert(0, str(TESTS))
    from fixtures.servers import llama_server_binary, start_llama_server

    return start_llama_server(llama_server_binary(), model_path(), Path(tempfile.mkdtemp(prefix="cw-bench-server-")),
                              n_ctx=2048, parallel=1, metrics=True)


def settings():
    from app.core.config.settings import Settings

    return Settings(n_ctx=2048, temperature=0.0, repeat_penalty=1.0, max_tokens=MAX_TOKENS, auto_compress=False)


def bare_body(ids: list[int]) -> dict:
    """The request the engine sends for the same prompt and sampling, written out by hand."""
    s = settings()
    return {"prompt": ids, "n_predict": MAX_TOKENS, "stream": True, "cache_prompt": True, "id_slot": 0,
            "return_tokens": True, "repeat_last_n": 64, "temperature": s.temperature, "top_k": s.top_k,
            "top_p": s.top_p, "min_p": s.min_p, "repeat_penalty": s.repeat_penalty}


def bare_run(client, ids: list[int]) -> list[float]:
    times = []
    with client.stream("POST", "/completion", json=bare_body(ids)) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                data = json.loads(line[6:])
                if data.get("tokens"):
                    times.append(time.perf_counter())
    return times


def engine_run(engine, ids: list[int]) -> list[float]:
    from app.core.engine.sampling import SamplingParams

    engine.sync(ids)
    return [step.t for step in engine.generate(SamplingParams.from_settings(settings()))]


def session_run(session) -> list[float]:
    from app.core.conversations.conversation import Conversation

    session.conversation = Conversation.with_system(session.settings.system_prompt)
    times: list[float] = []
    session.sink = lambda e: times.append(e.t) if type(e).__name__ == "TokenEvent" else None
    session.submit(PROMPT)
    return times


def tps(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0])


def decode_sides(url: str, runs: int) -> dict:
    import httpx

    from app.core.engine.server.engine import ServerEngine
    from app.core.engine.server.options import ServerOptions
    from app.core.session.session import Session

    session = Session(settings(), None, engine=ServerEngine(ServerOptions(url)), record_growth=False)
    session.load()
    engine = ServerEngine(ServerOptions(url))
    from app.core.engine.load_options import LoadOptions

    engine.load(LoadOptions(path=Path(), n_ctx=2048))
    ids = engine.prompt_ids([{"role": "system", "content": session.settings.system_prompt},
                             {"role": "user", "content": PROMPT}])
    client = httpx.Client(base_url=url, timeout=120)
    sides = {
        "bare httpx stream of /completion": lambda: bare_run(client, ids),
        "ContextWatch engine (sync + generate)": lambda: engine_run(engine, ids),
        "ContextWatch session (trackers, memory sampler, server monitor)": lambda: session_run(session),
    }
    for fn in sides.values():
        fn()  # warm-up: the prompt is in the server's cache for every side
    results = dict(zip(sides, alternate(runs, *[lambda fn=fn: tps(fn()) for fn in sides.values()])))
    session.close()
    engine.close()
    client.close()
    return {"results": results, "prompt": len(ids)}


async def tui_against_headless(url: str, runs: int) -> dict:
    sys.setswitchinterval(0.001)  # as the dashboard sets it
    from textual import events

    from app.core.engine.server.engine import ServerEngine
    from app.core.engine.server.options import ServerOptions
    from app.core.session.runner import EngineRunner
    from app.core.session.session import Session
    from app.ui.app import ContextWatchApp
    from app.ui.widgets.chat_input import ChatInput
    from benchmarks.bench_tui import FreshStart, _until

    s = settings()
    app = ContextWatchApp(s, lambda sink: Session(s, None, sink=sink, record_growth=False,
                                                  engine=ServerEngine(ServerOptions(url))), EngineRunner)
    headless = Session(s, None, engine=ServerEngine(ServerOptions(url)), record_growth=False)
    headless.load()
    ours, theirs = [], []
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await _until(pilot, lambda: app.engine_state.loaded)
        chat = app.main.query_one(ChatInput)

        async def one_turn() -> float:
            app.runner.run(FreshStart())
            await _until(pilot, lambda: not app.runner.busy)
            turns = app.session.latency.snapshot().session_turns
            chat.focus()
            chat.insert(PROMPT)
            await pilot.pause()
            app.post_message(events.Key("enter", None))
            await _until(pilot, lambda: app.session.latency.snapshot().session_turns > turns and not app.runner.busy)
            chat.clear()
            return app.session.latency.snapshot().decode_tps

        await one_turn()
        session_run(headless)  # warm-up
        for i in range(runs):
            if i % 2:
                theirs.append(tps(session_run(headless)))
            ours.append(await one_turn())
            if not i % 2:
                theirs.append(tps(session_run(headless)))
    headless.close()
    return {"tui": median(ours), "headless": median(theirs), "paired": median(a / b for a, b in zip(ours, theirs))}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    server = start_server()
    try:
        decode = decode_sides(server.url, args.runs)
        tui = asyncio.run(tui_against_headless(server.url, args.runs))
    finally:
        server.stop()
    results = decode["results"]
    bare_name = next(iter(results))
    bare = results[bare_name]
    rows, summary = [], {}
    for name, values in results.items():
        paired = median(a / b for a, b in zip(values, bare))
        summary[name] = {"decode_tps": median(values), "ratio": median(values) / median(bare), "paired": paired}
        rows.append([name, f"{median(values):.1f}", f"{median(values) / median(bare):.3f}", f"{paired:.3f}"])
    summary["tui"] = tui
    body = (
        f"llama-server (llama.cpp vendored by llama-cpp-python 0.3.36) on 127.0.0.1, SmolLM2-135M Q4_1, 1 thread, "
        f"--metrics; greedy, a prompt of {decode['prompt']} tokens kept in the server's cache, up to {MAX_TOKENS} tokens; "
        f"{args.runs} runs per side after one warm-up each, alternated with the order reversed every round; medians. "
        "Decode tokens/s from the client's arrival times of the first and last token.\n\n"
        + table(["side", "decode tok/s", "ratio vs bare httpx", "median of paired ratios"], rows)
        + "\n\n"
        + table(["side", "decode tok/s", "ratio vs headless", "median of paired ratios"], [
            ["dashboard (Pilot, headless terminal, server panel polled)", f"{tui['tui']:.1f}",
             f"{tui['tui'] / tui['headless']:.3f}", f"{tui['paired']:.3f}"],
            ["headless session", f"{tui['headless']:.1f}", "1.000", "—"]])
        + "\n\nTargets (issue 19): decode through ContextWatch / bare httpx on the same request >= 0.98; "
        "the dashboard attached to the server / headless against the same server >= 0.97."
    )
    cmd = "python -m benchmarks.bench_server" + (f" --runs {args.runs}" if args.runs != 15 else "")
    write_section("server", "Decode on llama-server: ContextWatch against a bare client, the dashboard against headless",
                  cmd, body)
    print(body)
    return summary


if __name__ == "__main__":
    main()
