"""The `Engine` protocol on a model server over HTTP.

llama-server is driven token by token: its own template (`/apply-template`) and tokenizer
(`/tokenize`) give the prompt's ids, `sync` makes the conversation's slot hold them with a
`/completion` that generates nothing (its `cache_n` is the reuse, its `prompt_n` the tokens
read anew), and `generate` streams `/completion` on those ids. An OpenAI-compatible server is
driven with messages: counts before a turn are estimates, and `sync` asks the server for the
prompt's real count with a one-token request, which also leaves the prompt in its cache.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from app.core.engine.capabilities import BackendInfo, EngineCapabilities
from app.core.engine.chat_format import ChatFormatter
from app.core.engine.load_options import LoadOptions, ProgressFn
from app.core.engine.model_info import ModelInfo
from app.core.engine.protocol import PrefillProgressFn
from app.core.engine.results import BackendReport, GenerationResult, Step, SyncResult
from app.core.engine.sampling import SamplingParams
from app.core.engine.server.client import ServerClient
from app.core.engine.server.facts import LLAMA_SERVER, ServerFacts, read_facts, wait_until_ready
from app.core.engine.server.options import ServerOptions
from app.core.engine.server.sse import DONE, EventLines
from app.core.errors import ContextFullError, ModelLoadError, ServerError, ServerStalled, ServerUnreachable, UsageError
from app.core.events import StopReason

if TYPE_CHECKING:
    from app.core.engine.server.monitor import ServerMonitor

NOT_LOADED = EngineCapabilities(can_save_state=False, can_shift_cache=False, counts_tokens_locally=False,
                                can_change_n_ctx=False)
ESTIMATE_CHARS = 4  # characters per token when a server can neither tokenize nor report usage
SLOT_FILE_PREFIX = "contextwatch-"
SERVER_SHIFT = ("a model server keeps its own cache: ContextWatch cannot move tokens in it "
                "(llama-server shifts on its own with --context-shift and --cache-reuse)")
CHATS_KEPT = 64


class ServerEngine:
    """One conversation on one server; every method runs in the engine thread, `cancel` events excepted."""

    def __init__(self, server: ServerOptions, transport=None) -> None:
        self.server = server
        self._transport = transport  # httpx's: only the tests of streams no real server sends give one
        self.capabilities = NOT_LOADED
        self.backend = BackendInfo("server", server.base_url, exact_counts=False)
        self.info: ModelInfo | None = None
        self.facts: ServerFacts | None = None
        self.warnings: list[str] = []
        self.logged_kv_bytes: int | None = None
        self.load_seconds = 0.0
        self.slot = server.slot if server.slot is not None else 0
        self._client: ServerClient | None = None
        self._n_ctx = 0
        self._slot_ids: list[int] = []  # what the conversation's slot holds, as far as this client knows
        self._report: BackendReport | None = None
        self._specials: dict[int, str] = {}  # a token id -> its text when it is a control token, else ""
        self._pieces: dict[int, str] = {}  # estimated ids and the text they stand for
        self._chat: list[dict] = []  # the messages of the prompt synced last (OpenAI kind)
        self._chats: dict[str | tuple[int, ...], list[dict]] = {}  # rendered text, then its ids -> messages
        self._formatter = ChatFormatter(None)
        self._monitor: ServerMonitor | None = None

    # ----- load and model facts

    @property
    def loaded(self) -> bool:
        return self.info is not None

    @property
    def llama_server(self) -> bool:
        return self.facts is not None and self.facts.kind == LLAMA_SERVER

    def load(self, options: LoadOptions, progress: ProgressFn | None = None) -> ModelInfo:
        report = progress or (lambda stage, fraction: None)
        start = time.perf_counter()
        self.close()
        report(f"connecting to {self.server.base_url}", 0.05)
        client = self._client = ServerClient(self.server, transport=self._transport)
        wait_until_ready(client, time.monotonic() + self.server.timeout, report)
        report("reading what the server says about itself", 0.5)
        facts = self.facts = read_facts(client, options.n_ctx)
        self.warnings = []
        if facts.has_slots and facts.slot_n_ctx and self.slot not in facts.slot_n_ctx:
            raise UsageError(f"the server has slots {', '.join(map(str, sorted(facts.slot_n_ctx)))}, not {self.slot}")
        slot_n_ctx = facts.slot_n_ctx.get(self.slot)
        self._n_ctx = slot_n_ctx or facts.n_ctx or options.n_ctx
        if slot_n_ctx and facts.n_ctx and slot_n_ctx != facts.n_ctx:
            self.warnings.append(f"the server claims n_ctx {facts.n_ctx:,} ({facts.n_ctx_source}) but slot "
                                 f"{self.slot} holds {slot_n_ctx:,}: counting against the slot")
        can_save = self.llama_server and self._slot_actions_allowed()
        _note_unavailable(facts, can_save)
        self.capabilities = EngineCapabilities(can_save_state=can_save, can_shift_cache=False,
                                               counts_tokens_locally=False, can_change_n_ctx=False)
        exact = self.llama_server
        self.backend = BackendInfo(facts.label, self.server.base_url, exact_counts=exact,
                                   unavailable=tuple(facts.unavailable.items()))
        if not exact:
            self.warnings.append(f"{facts.kind} server: token counts before a turn are estimates "
                                 "until the server counts the prompt")
        self.info = _model_info(facts, self._n_ctx)
        self._slot_ids = []
        self._report = None
        self._specials, self._pieces = {}, {}
        self.load_seconds = time.perf_counter() - start
        report("ready", 1.0)
        return self.info

    def _slot_actions_allowed(self) -> bool:
        """llama-server answers slot actions only with --slot-save-path; an unknown action tells without side effects."""
        try:
            self.client.post(f"/slots/{self.slot}", {}, params={"action": "contextwatch-probe"})
        except ServerError as err:
            return "does not support slots action" not in str(err)
        return True

    def close(self) -> None:
        if self._monitor is not None:
            self._monitor.stop()
            self._monitor = None
        if self._client is not None:
            self._client.close()
            self._client = None
        self.info = None

    def watch(self, sink) -> None:
        """Report the server's slots, queue and throughput to `sink` from a thread of its own."""
        from app.core.engine.server.monitor import ServerMonitor

        if self._monitor is None and self.facts is not None:
            self._monitor = ServerMonitor(self.server, self.facts, self.slot, sink)
            self._monitor.start()

    @property
    def client(self) -> ServerClient:
        if self._client is None:
            raise ModelLoadError("not connected to a server")
        return self._client

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    @property
    def n_tokens(self) -> int:
        return len(self._slot_ids)

    def fingerprint(self) -> dict:
        info = self.info
        name = info.name if info is not None else "?"
        return {"path": self.server.base_url + "/" + name, "size": info.file_bytes if info else 0, "sha256": None,
                "server_model": name}

    def last_report(self) -> BackendReport | None:
        return self._report

    # ----- text and tokens

    def tokenize(self, text: str, add_bos: bool = False, special: bool = True) -> list[int]:
        facts = self.facts
        if self.llama_server:
            data = self.client.post("/tokenize", {"content": text, "add_special": add_bos, "parse_special": special})
            return _ids(data.get("tokens"), "/tokenize")
        if facts is not None and facts.tokenize_path:
            return _ids(self.client.post(facts.tokenize_path, {"input": text}).get("tokens"), facts.tokenize_path)
        return self._estimated_ids(text)

    def _estimated_ids(self, text: str) -> list[int]:
        ids = []
        for i in range(0, len(text), ESTIMATE_CHARS):
            piece = text[i: i + ESTIMATE_CHARS]
            token = zlib.crc32(piece.encode("utf-8", "replace")) & 0x7FFFFFFF
            self._pieces[token] = piece
            ids.append(token)
        return ids

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text, special=False))

    def detokenize(self, ids: Sequence[int]) -> str:
        if self.llama_server:
            return str(self.client.post("/detokenize", {"tokens": list(ids)}).get("content", ""))
        facts = self.facts
        if facts is not None and facts.tokenize_path == "/extras/tokenize":
            return str(self.client.post("/extras/detokenize", {"tokens": list(ids)}).get("text", ""))
        return "".join(self._pieces.get(t, "") for t in ids)

    def starts_with_special(self, ids: Sequence[int], text: str) -> bool:
        """The first id is a control token spelled at the start of `text`: it tokenizes otherwise when read as text."""
        if not ids or not self.llama_server:
            return False
        first = ids[0]
        if first not in self._specials:
            piece = self.detokenize([first])
            self._specials[first] = piece if piece and self.tokenize(piece, special=False) != [first] else ""
        spelled = self._specials[first]
        return bool(spelled) and text.startswith(spelled)

    # ----- the chat template

    def render(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> str:
        chat = [{"role": m["role"], "content": m["content"]} for m in messages]
        if self.llama_server:
            data = self.client.post("/apply-template", {"messages": chat, "add_generation_prompt": add_generation_prompt})
            return str(data.get("prompt", ""))
        text = self._formatter.render(chat, add_generation_prompt)
        self._remember(text, chat)
        return text

    def rendered_ids(self, text: str) -> list[int]:
        """The ids the server reads for a rendered prompt: it adds BOS itself where the model wants one."""
        ids = self.tokenize(text, add_bos=True, special=True)
        chat = self._chats.get(text)
        if chat is not None:
            self._remember(tuple(ids), chat)
        return ids

    def _remember(self, key: str | tuple[int, ...], chat: list[dict]) -> None:
        """OpenAI kind: which messages a prompt's text and ids stand for, so `sync(ids)` can send them."""
        self._chats.pop(key, None)
        self._chats[key] = chat
        while len(self._chats) > CHATS_KEPT:
            del self._chats[next(iter(self._chats))]

    def prompt_ids(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> list[int]:
        return self.rendered_ids(self.render(messages, add_generation_prompt))

    # ----- the KV cache (the slot's, as the server reports it)

    def cached_ids(self) -> list[int]:
        return list(self._slot_ids)

    def sync(self, ids: Sequence[int], cancel: threading.Event | None = None,
             progress: PrefillProgressFn | None = None, shift: bool = False) -> SyncResult:
        ids = list(ids)
        if not ids:
            raise UsageError("nothing to evaluate: the prompt is empty")
        if len(ids) > self._n_ctx:
            raise ContextFullError(f"the prompt needs {len(ids):,} tokens but the server's context holds {self._n_ctx:,}")
        start = time.perf_counter()
        if not self.llama_server:
            return self._count_remotely(ids, start)
        body = {"prompt": ids, "n_predict": 0, "cache_prompt": True, "id_slot": self.slot, "stream": True,
                "return_progress": True}
        final: dict = {}
        lines = EventLines()
        with self.client.stream_lines("/completion", body) as stream:
            for line in stream:
                if cancel is not None and cancel.is_set():
                    self._slot_ids = []  # the server stops reading where it was: what it kept is unknown
                    return SyncResult(0, 0, time.perf_counter() - start, cancelled=True)
                data = lines.parse(line)
                if not isinstance(data, dict):
                    continue
                step = data.get("prompt_progress")
                if isinstance(step, dict) and progress is not None:
                    cached = _int(step.get("cache"))
                    progress(_int(step.get("processed")) - cached, _int(step.get("total")) - cached)
                if data.get("stop"):
                    final = data
        timings = _dict(final.get("timings"))
        cached, evaluated = _int(timings.get("cache_n")), _int(timings.get("prompt_n"))
        self._slot_ids = ids
        self._report = BackendReport(
            prompt_tokens=_opt_int(final.get("tokens_evaluated")), cached=cached, evaluated=evaluated, generated=0,
            prompt_per_second=_opt_float(timings.get("prompt_per_second")), truncated=bool(final.get("truncated")),
            malformed_lines=lines.malformed, slot=self.slot,
        )
        return SyncResult(cached, evaluated, time.perf_counter() - start)

    def _count_remotely(self, ids: list[int], start: float) -> SyncResult:
        """OpenAI kind: one generated token tells the prompt's real size and leaves it in the server's cache.

        No special token starts a plainly framed message, so `PromptTokens` gets every prompt's ids
        from `rendered_ids` of the whole text, which remembered its messages.
        """
        self._chat = self._chats.get(tuple(ids), self._chat)
        body = {"model": require_facts(self.facts).model_id, "messages": self._chat, "max_tokens": 1,
                "temperature": 0, "stream": False}
        usage = self.client.post("/v1/chat/completions", body).get("usage") or {}
        prompt_tokens = _opt_int(usage.get("prompt_tokens"))
        details = _dict(usage.get("prompt_tokens_details"))
        cached = _opt_int(details.get("cached_tokens"))
        self._slot_ids = ids
        self._report = BackendReport(prompt_tokens=prompt_tokens, cached=cached,
                                     evaluated=None if prompt_tokens is None else prompt_tokens - (cached or 0),
                                     generated=0)
        n = prompt_tokens if prompt_tokens is not None else len(ids)
        return SyncResult(cached or 0, n - (cached or 0), time.perf_counter() - start)

    def reset(self) -> None:
        self._slot_ids = []

    def shift_blocker(self) -> str | None:
        return SERVER_SHIFT

    def shift_out(self, ranges: Sequence[tuple[int, int]]) -> int:
        raise UsageError(SERVER_SHIFT)

    def trim(self, n: int) -> int:
        """The server keeps its cache; the next request reuses only the prefix it shares, so the rest counts as gone."""
        self._slot_ids = self._slot_ids[: max(0, n)]
        return len(self._slot_ids)

    @contextlib.contextmanager
    def cache_kept(self) -> Iterator[None]:
        """Work that is not the conversation runs in another slot when the server has one; else the slot re-reads."""
        facts = self.facts
        kept, slot = list(self._slot_ids), self.slot
        if facts is not None and facts.total_slots > 1:
            self.slot = next(s for s in range(facts.total_slots) if s != slot)
            self._slot_ids = []
        try:
            yield
        finally:
            self.slot, self._slot_ids = slot, kept
            if self.llama_server and (facts is None or facts.total_slots < 2) and kept:
                with contextlib.suppress(ServerError):
                    self.sync(kept)

    # ----- generation

    def generate(self, params: SamplingParams, cancel: threading.Event | None = None,
                 result: GenerationResult | None = None,
                 on_full: Callable[[], bool] | None = None) -> Generator[Step, None, GenerationResult]:
        out = result if result is not None else GenerationResult()
        prompt = list(self._slot_ids)
        room = self._n_ctx - len(prompt)
        if room <= 0:
            out.reason = StopReason.CONTEXT_FULL
            return out
        limit = min(params.max_tokens, room)
        lines = EventLines()
        final: dict = {}
        perf = time.perf_counter
        out.reason = StopReason.EOG
        problem = None
        path, body = self._generation_request(prompt, params, limit)
        steps = self._llama_steps if self.llama_server else self._openai_steps
        try:
            with self.client.stream_lines(path, body) as stream:
                for line in stream:
                    if cancel is not None and cancel.is_set():
                        out.reason = StopReason.CANCELLED
                        break
                    data = lines.parse(line)
                    if data is DONE:
                        break
                    if not isinstance(data, dict):
                        continue
                    t = perf()
                    for step in steps(data, t, final):
                        out.token_ids.append(step.token_id)
                        out.parts.append(step.text)
                        yield step
        except (ServerUnreachable, ServerStalled) as err:
            out.reason = StopReason.SERVER_LOST
            problem = str(err)
        finally:
            out.text = "".join(out.parts)
        if out.reason is StopReason.EOG:
            out.reason = self._stop_reason(final, len(prompt), len(out.token_ids), limit, params.max_tokens)
        # The server reads each token back only to sample the next: after a stop at the length cap
        # (or a cut) the last one was never read; after an end-of-generation token all were.
        read = out.token_ids if out.reason is StopReason.EOG else out.token_ids[:-1]
        self._slot_ids = prompt + [t for t in read if t >= 0]
        counted = self._report.prompt_tokens if self._report is not None else None
        self._report = self._generation_report(final, len(out.token_ids), lines.malformed, problem, counted)
        return out

    def _generation_request(self, prompt: list[int], params: SamplingParams, limit: int) -> tuple[str, dict]:
        sampling: dict[str, Any] = {"temperature": params.temperature, "top_k": params.top_k, "top_p": params.top_p,
                                    "min_p": params.min_p, "repeat_penalty": params.repeat_penalty}
        if params.seed is not None:
            sampling["seed"] = params.seed
        if self.llama_server:
            return "/completion", {"prompt": prompt, "n_predict": limit, "stream": True, "cache_prompt": True,
                                   "id_slot": self.slot, "return_tokens": True, "repeat_last_n": params.penalty_last_n,
                                   **sampling}
        return "/v1/chat/completions", {"model": require_facts(self.facts).model_id, "messages": self._chat,
                                        "max_tokens": limit, "stream": True,
                                        "stream_options": {"include_usage": True}, **sampling}

    @staticmethod
    def _llama_steps(data: dict, t: float, final: dict) -> Iterator[Step]:
        """The tokens one `/completion` event carries; the last event's facts go into `final`."""
        if data.get("stop"):
            final.update(data)
        tokens = _list(data.get("tokens"))
        text = data.get("content")
        text = text if isinstance(text, str) else ""
        if not tokens and text:
            tokens = [-1]
        for i, token in enumerate(tokens):
            yield Step(token if isinstance(token, int) else -1, text if i == len(tokens) - 1 else "", t)

    @staticmethod
    def _openai_steps(data: dict, t: float, final: dict) -> Iterator[Step]:
        """The text one chat-completion chunk carries; usage, timings and the finish reason go into `final`."""
        if isinstance(data.get("usage"), dict):
            final["usage"] = data["usage"]
        if isinstance(data.get("timings"), dict):
            final["timings"] = data["timings"]
        choices = _list(data.get("choices"))
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            if choice.get("finish_reason"):
                final["finish_reason"] = choice["finish_reason"]
            delta = _dict(choice.get("delta"))
            text = delta.get("content")
            if isinstance(text, str) and text:
                yield Step(-1, text, t)

    def _stop_reason(self, final: dict, n_prompt: int, n_generated: int, limit: int, max_tokens: int) -> StopReason:
        stop = final.get("stop_type") or final.get("finish_reason")
        if n_generated >= max_tokens:
            return StopReason.MAX_TOKENS
        if n_generated >= limit:
            return StopReason.CONTEXT_FULL
        return StopReason.MAX_TOKENS if stop in ("limit", "length") else StopReason.EOG  # "limit": the server's own cap

    def _generation_report(self, final: dict, generated: int, malformed: int, problem: str | None,
                           counted: int | None) -> BackendReport:
        """The server's facts of a reply; where its stream carries no usage, its count of the prompt at sync stays."""
        timings = _dict(final.get("timings"))
        usage = _dict(final.get("usage"))
        prompt_tokens = _opt_int(final.get("tokens_evaluated"))
        if prompt_tokens is None:
            prompt_tokens = _opt_int(usage.get("prompt_tokens"))
        if prompt_tokens is None and "prompt_n" in timings:
            prompt_tokens = _int(timings.get("prompt_n")) + _int(timings.get("cache_n"))
        if prompt_tokens is None:
            prompt_tokens = counted
        completion = _opt_int(usage.get("completion_tokens"))
        return BackendReport(
            prompt_tokens=prompt_tokens, cached=_opt_int(timings.get("cache_n")), evaluated=_opt_int(timings.get("prompt_n")),
            generated=completion if completion is not None else generated,
            prompt_per_second=_opt_float(timings.get("prompt_per_second")),
            predicted_per_second=_opt_float(timings.get("predicted_per_second")),
            truncated=bool(final.get("truncated")), malformed_lines=malformed, slot=self.slot if self.llama_server else None,
            problem=problem,
        )

    # ----- KV state: llama-server's slot files (the snapshot keeps which file, the server keeps the state)

    def state_bytes(self) -> bytes:
        if not self.capabilities.can_save_state:
            raise ModelLoadError("this server cannot save its slot (start it with --slot-save-path)")
        filename = f"{SLOT_FILE_PREFIX}{uuid.uuid4().hex}.bin"
        data = self.client.post(f"/slots/{self.slot}", {"filename": filename}, params={"action": "save"})
        saved = _int(data.get("n_saved"))
        return json.dumps({"server": self.server.base_url, "slot_file": filename, "n_saved": saved}).encode("utf-8")

    def load_state_bytes(self, blob: bytes, ids: Sequence[int]) -> int:
        """Restore a saved slot file; how much it really holds shows in the next request's cache_n."""
        try:
            saved = json.loads(blob.decode("utf-8"))
            filename = str(saved["slot_file"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise ModelLoadError("the snapshot's KV state is not a slot file of a server") from None
        try:
            data = self.client.post(f"/slots/{self.slot}", {"filename": filename}, params={"action": "restore"})
        except ServerError as err:
            raise ModelLoadError(f"the server could not restore {filename}: {err}") from None
        restored = _int(data.get("n_restored"))
        self._slot_ids = list(ids)[:restored]
        return len(self._slot_ids)


def _note_unavailable(facts: ServerFacts, can_save: bool) -> None:
    """What this server cannot do, each with the reason the dashboard and `run` show."""
    if facts.kind == LLAMA_SERVER and not can_save:
        facts.unavailable["kv state"] = "the server runs without --slot-save-path: snapshots keep the conversation only"
    if facts.kind == LLAMA_SERVER and facts.total_slots < 2:
        facts.unavailable["summary slot"] = ("the server has one slot: a summary runs in the conversation's slot, "
                                             "which then re-reads the conversation")
    facts.unavailable["n_ctx reload"] = "the server decides its context size"
    facts.unavailable["sweep"] = "a sweep loads the model at many sizes, which a server does not allow"
    facts.unavailable["model switch"] = "the server has its model loaded: start it with another model instead"
    facts.unavailable["model memory"] = "the model's RSS and VRAM are the server's; this shows the client's own"


def _model_info(facts: ServerFacts, n_ctx: int) -> ModelInfo:
    """The model as the server describes it; the shape a KV size needs stays 0: the cache is the server's."""
    meta = facts.meta
    path = facts.model_path or facts.model_id
    return ModelInfo(
        path=path, file_bytes=meta.get("size", 0), name=facts.model_id, basename=PurePath(path).stem,
        architecture="", description=facts.label, n_params=meta.get("n_params", 0),
        weights_bytes=meta.get("size", 0), n_ctx_train=meta.get("n_ctx_train", n_ctx),
        n_layer=0, n_head=0, n_head_kv=0, n_embd=meta.get("n_embd", 0), head_dim_k=0, head_dim_v=0,
        n_vocab=meta.get("n_vocab", 0), chat_template=facts.chat_template,
    )


def require_facts(facts: ServerFacts | None) -> ServerFacts:
    if facts is None:
        raise ModelLoadError("not connected to a server")
    return facts


def _ids(value: Any, path: str) -> list[int]:
    if not isinstance(value, list):
        raise ServerError(f"{path} answered without a token list")
    return [t if isinstance(t, int) else int(t["id"]) for t in value]


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
