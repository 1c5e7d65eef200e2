"""The headless turn report: one dict, printed as text or as JSON."""

from __future__ import annotations

from app.core.formatting import fmt_bytes, fmt_int, fmt_ms, fmt_signed_bytes, fmt_turns, gpu_layers_label


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


def build_report(session, result) -> dict:
    """Every figure of a finished turn, as plain JSON-ready values."""
    usage, lat, mem, kv = result.usage, result.latency, result.memory, result.kv
    info = session.engine.info
    total = result.total_tokens
    used = result.context_after or total  # a reply that shifted a full context left fewer tokens than it read and wrote
    n_ctx = usage.n_ctx
    dash = session.dashboard()
    return {
        "reply": result.reply,
        "model": {"path": info.path, "name": info.name, "architecture": info.architecture,
                  "parameters": info.n_params, "n_ctx_train": info.n_ctx_train,
                  "n_gpu_layers": None if session.engine.backend.remote else session.settings.n_gpu_layers,
                  "gpu_layers": info.n_gpu_layers},
        "tokens": {"prompt": result.prompt_tokens, "generated": result.generated_tokens, "total": total,
                   "reused": _reuse(session, result.sync.reused), "shifted": result.sync.shifted,
                   "evaluated": result.sync.evaluated, "cache_dropped": result.sync.dropped},
        "context_shifts": _context_shifts(session, result),
        "context": {
            "used": used, "n_ctx": n_ctx, "percent_of_n_ctx": _r(100 * used / n_ctx, 2),
            "remaining": max(0, n_ctx - used), "effective": usage.effective,
            "percent_of_effective": _r(usage.percent, 2), "available": usage.available,
            "reserve": usage.reserve, "tier": usage.tier, "tier_name": usage.tier_name,
            "size_label": usage.size_label, "profile": usage.profile_id,
            "profile_matched": usage.profile_matched, "warn_threshold": usage.threshold,
            "threshold_crossed": result.threshold_crossed, "auto_n_ctx": session.auto_reason,
        },
        "latency": {
            "ttft_ms": _r(lat.ttft_ms), "prefill_tokens_per_s": _r(lat.prefill_tps, 1),
            "current_token_ms": _r(lat.last_ms), "rolling_avg_ms": _r(lat.rolling_avg_ms),
            "rolling_window": lat.window, "trend_ms_per_100_tokens": _r(lat.trend_ms_per_100),
            "decode_tokens_per_s": _r(lat.decode_tps, 1),
        },
        "memory": {
            "rss_bytes": mem.rss_bytes, "peak_rss_bytes": mem.peak_rss_bytes,
            "growth_bytes": mem.growth_bytes,
            "growth_per_100_tokens_bytes": _r(mem.growth_per_100_tokens, 1),
            "growth_per_token_bytes": _r(mem.growth_per_token, 1),
            "ram_percent": _r(mem.ram_percent, 1), "level": mem.level.value, "gpu_state": mem.gpu_state,
            "gpus": [{"index": g.index, "name": g.name, "used_bytes": g.used_bytes,
                      "total_bytes": g.total_bytes, "process_used_bytes": g.process_used_bytes}
                     for g in mem.gpus],
        },
        "kv_cache": {
            "allocated_bytes": kv.allocated_bytes, "logged_bytes": kv.logged_bytes,
            "agrees_with_log": kv.agrees, "in_use_bytes": kv.in_use_bytes,
            "bytes_per_token": _r(kv.bytes_per_token, 1), "type_k": kv.type_k, "type_v": kv.type_v,
        },
        "compression": session.stats.to_json(),
        "forecast": dash.forecast.to_json() if dash.forecast is not None else None,
        "cache_hits": dash.cache_hits.to_json() if dash.cache_hits is not None else None,
        "backend": backend_json(session),
        "stop_reason": result.reason.value,
        "seconds": _r(result.seconds),
    }


def _context_shifts(session, result) -> dict | None:
    """Each time the reply filled the context and went on (on_full shift or compress); None when it never did."""
    if not result.shifts:
        return None
    return {"count": len(result.shifts), "dropped": sum(d for _, d in result.shifts),
            "at_reply_tokens": [at for at, _ in result.shifts], "on_full": session.settings.on_full}


def _reuse(session, reused: int) -> int | None:
    """Tokens reused at sync; None where a server read the prompt without saying what it took from its cache."""
    reported = session.last_backend_report
    if reported is not None and reported.report.cached is None and session.engine.backend.remote:
        return None
    return reused


def backend_json(session) -> dict:
    """Where the model ran; on a server, what the server itself counted and whether it agrees with us."""
    backend = session.engine.backend
    out: dict = {"kind": backend.kind, "where": backend.where, "remote": backend.remote,
                 "exact_counts": backend.exact_counts, "unavailable": dict(backend.unavailable)}
    reported = session.last_backend_report
    if reported is not None:
        r = reported.report
        out["server"] = {
            "slot": r.slot, "prompt_tokens": r.prompt_tokens, "our_prompt_tokens": reported.our_prompt_tokens,
            "cache_n": r.cached, "prompt_n": r.evaluated, "generated": r.generated,
            "prompt_per_second": _r(r.prompt_per_second, 1), "predicted_per_second": _r(r.predicted_per_second, 1),
            "truncated": r.truncated, "malformed_lines": r.malformed_lines, "alerts": list(reported.alerts),
        }
    return out


def _where_it_runs(model: dict) -> str:
    if model["n_gpu_layers"] is None:
        return "on the server"
    if model["n_gpu_layers"] != 0 and model["gpu_layers"] == 0:
        return f"CPU only: n_gpu_layers {model['n_gpu_layers']} asked, but this llama-cpp-python has no GPU support"
    return gpu_layers_label(model["gpu_layers"])


def format_report(report: dict) -> str:
    t, c, lat, m, kv = (report[k] for k in ("tokens", "context", "latency", "memory", "kv_cache"))
    growth = m["growth_bytes"]
    per100 = m["growth_per_100_tokens_bytes"]
    per_token = m["growth_per_token_bytes"]
    model = report["model"]
    lines = [
        f"Model: {model['name']} ({_where_it_runs(model)})",
        f"Prompt tokens: {fmt_int(t['prompt'])}",
        f"Generated tokens: {fmt_int(t['generated'])}",
        f"Total tokens: {fmt_int(t['total'])}",
        _reuse_line(t),
        *_context_shift_lines(report["context_shifts"]),
        "",
        f"Context: {c['percent_of_n_ctx']:.1f}% ({c['used']}/{c['n_ctx']})",
        f"Remaining tokens: {fmt_int(c['remaining'])}",
        f"Budget: {c['percent_of_effective']:.1f}% of {fmt_int(c['effective'])} effective tokens "
        f"(reserve {fmt_int(c['reserve'])})",
        f"Tier: {c['tier']} {c['tier_name']} ({c['size_label']}, profile {c['profile']}"
        + ("" if c["profile_matched"] else ", default entry") + ")",
    ]
    if c["auto_n_ctx"]:
        lines.append(f"Auto n_ctx: {c['auto_n_ctx']}")
    if c["threshold_crossed"]:
        lines.append(f"WARNING: context usage crossed {c['warn_threshold']:g}% of the effective budget")
    lines += _forecast_lines(report["forecast"], report["cache_hits"])
    trend = lat["trend_ms_per_100_tokens"]
    backend = report["backend"]
    remote = backend["remote"]
    if remote:
        lines += ["", *_server_lines(backend)]
    lines += [
        "",
        "Latency Metrics:",
        f"  TTFT: {fmt_ms(lat['ttft_ms'])}",
        f"  Prefill: {_rate(lat['prefill_tokens_per_s'])}",
        f"  Current token latency: {fmt_ms(lat['current_token_ms'])}",
        f"  Rolling avg (last {lat['rolling_window']}): {fmt_ms(lat['rolling_avg_ms'])}",
        f"  Trend: {'—' if trend is None else f'{trend:+.2f} ms'} per 100 tokens",
        f"  Decode: {_rate(lat['decode_tokens_per_s'])}",
        "",
        "Memory Metrics:" + (" (this client; the model's memory is the server's)" if remote else ""),
        f"  Current memory: {fmt_bytes(m['rss_bytes'])}",
        f"  Peak memory: {fmt_bytes(m['peak_rss_bytes'])}",
        f"  Total growth: {fmt_signed_bytes(growth)}",
        f"  Growth rate: {'—' if per100 is None else fmt_signed_bytes(int(per100))} per 100 tokens",
        f"  Avg per token: {'—' if per_token is None else fmt_signed_bytes(int(per_token))}",
        f"  System RAM: {m['ram_percent']:.1f}% used, level {m['level'].upper()}",
        f"  VRAM: {_vram(m)}",
        "",
        *(_kv_lines(kv) if not remote else
          ["KV Cache: not available for a server (the cache lives in the server; its reuse is under Server)"]),
        "",
        *_compression_lines(report["compression"]),
        "",
        f"Stop reason: {report['stop_reason']}",
    ]
    return "\n".join(lines)


def _kv_counts(reused: int, shifted: int, evaluated: int, dropped: int = 0, unit: str = "",
               evaluated_as: str = "evaluated") -> str:
    """'30 reused, 600 shifted (past 657 dropped), 24 evaluated'; the shifted part only when there is one."""
    shift = ""
    if shifted:
        shift = f"{fmt_int(shifted)} shifted" + (f" (past {fmt_int(dropped)} dropped)" if dropped else "") + ", "
    return f"{fmt_int(reused)}{unit} reused, {shift}{fmt_int(evaluated)} {evaluated_as}"


def _reuse_line(t: dict) -> str:
    if t["reused"] is None:
        return "KV cache reuse: not reported by the server"
    return f"KV cache reuse: {_kv_counts(t['reused'], t['shifted'], t['evaluated'], t['cache_dropped'], ' tokens')}"


def _context_shift_lines(shifts: dict | None) -> list[str]:
    if shifts is None:
        return []
    times = "once" if shifts["count"] == 1 else f"{shifts['count']} times"
    at = ", ".join(fmt_int(n) for n in shifts["at_reply_tokens"])
    return [f"Full context: the reply made room {times} ({shifts['on_full']}, after {at} reply tokens), "
            f"{fmt_int(shifts['dropped'])} tokens dropped from the cache"]


def _kv_lines(kv: dict) -> list[str]:
    return [
        "KV Cache:",
        f"  Allocated: {fmt_bytes(kv['allocated_bytes'])} ({kv['type_k']}/{kv['type_v']})",
        f"  Logged by llama.cpp: {_logged(kv)}",
        f"  In use: {fmt_bytes(kv['in_use_bytes'])} ({kv['bytes_per_token']:.0f} B per token)",
    ]


def _server_lines(backend: dict) -> list[str]:
    lines = [f"Server: {backend['kind']} at {backend['where']}"]
    if not backend["exact_counts"]:
        lines.append("  Counts before a turn are estimates; the prompt's count is the server's own")
    server = backend.get("server")
    if server is not None:
        if server["slot"] is not None:
            lines[0] += f", slot {server['slot']}"
        theirs, ours = server["prompt_tokens"], server["our_prompt_tokens"]
        if theirs is None:
            verdict = "not reported"
        elif not backend["exact_counts"]:
            verdict = "ours was an estimate"
        else:
            verdict = "agrees" if theirs == ours else "DISAGREES"
        lines.append(f"  Prompt as the server counted it: {fmt_int(theirs) if theirs is not None else '—'} "
                     f"(ours {fmt_int(ours)}: {verdict})")
        if server["cache_n"] is not None:
            lines.append(f"  From the server's cache: {fmt_int(server['cache_n'])}, read anew: {fmt_int(server['prompt_n'])}")
        lines.append(f"  Server prefill: {_rate(server['prompt_per_second'])}, decode: {_rate(server['predicted_per_second'])}")
        lines += [f"  ALERT: {alert}" for alert in server["alerts"]]
    for feature, why in backend["unavailable"].items():
        lines.append(f"  Not available: {feature} ({why})")
    return lines


def _forecast_lines(forecast: dict | None, hits: dict | None) -> list[str]:
    lines = []
    if forecast is not None:
        full, compress = forecast["turns_to_full"], forecast["turns_to_compress"]
        lines.append(
            f"Forecast: {forecast['growth_per_turn']:+,.0f} tokens per turn (last {forecast['basis_turns']}): "
            + ("the context does not grow" if full is None else f"budget full {fmt_turns(full)}")
            + ("; auto-compression off" if forecast["compress_at_tokens"] is None else
               "; auto-compression not reached at this rate" if compress is None else
               f"; auto-compression {fmt_turns(compress)}")
        )
    if hits is not None and hits["session_percent"] is not None:
        turn = "—" if hits["turn_percent"] is None else f"{hits['turn_percent']:.0f}%"
        lines.append(f"KV cache hits: {turn} of this turn's prompt kept in the cache (reused or shifted), "
                     f"{hits['session_percent']:.0f}% this session")
    return lines


def _rate(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f} tokens/s"


def _vram(m: dict) -> str:
    if not m["gpus"]:
        return m["gpu_state"]
    return ", ".join(f"GPU{g['index']} {fmt_bytes(g['used_bytes'])}/{fmt_bytes(g['total_bytes'])}" for g in m["gpus"])


def _logged(kv: dict) -> str:
    if kv["logged_bytes"] is None:
        return "not found in the log"
    verdict = "agrees" if kv["agrees_with_log"] else "DISAGREES"
    return f"{fmt_bytes(kv['logged_bytes'])} ({verdict})"


def _compression_lines(c: dict) -> list[str]:
    lines = [
        "Compression:",
        f"  Performed: {c['compressions']}",
        f"  Tokens saved: {fmt_int(c['tokens_saved'])}",
        f"  Overflows prevented: {c['overflows_prevented']}",
        f"  Tokens spent on summaries: {fmt_int(c['summary_tokens'])}",
    ]
    last = c["last"]
    if last:
        lines.append(
            f"  Last: {last['reason']} {last['strategy']}, {fmt_int(last['tokens_before'])} -> "
            f"{fmt_int(last['tokens_after'])} tokens; KV cache "
            f"{_kv_counts(last['reused'], last['shifted'], last['evaluated'], evaluated_as='re-evaluated')} "
            f"in {last['seconds'] * 1000:.0f} ms"
        )
    return lines
