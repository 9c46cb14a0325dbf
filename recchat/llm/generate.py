"""The one model loader (llama-cpp-python) and streaming generation.

llama.cpp contexts are not thread-safe, so each checkpoint gets a small pool of contexts
(RECCHAT_LLM_POOL_SIZE, default 1) and a request holds one for the whole stream: concurrent users
queue instead of crashing or mixing streams. A context keeps the KV cache of its last prompt, so the
shared few-shot prefix is not re-evaluated (faster first token; greedy output may then differ slightly
between identical requests; RECCHAT_REUSE_PROMPT_CACHE=0 evaluates every prompt afresh).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Iterator

from recchat.core.errors import RecchatError
from recchat.llm.checkpoints import Checkpoint, get_checkpoint
from recchat.llm.grammar import compile_grammar
from recchat.core.settings import get_settings


@dataclass
class GenStats:
    ttft_s: float | None = None
    gen_tokens: int = 0
    decode_s: float = 0.0

    @property
    def decode_tok_s(self) -> float | None:
        # tokens after the first, over the time after the first
        if self.gen_tokens < 2 or self.decode_s <= 0:
            return None
        return (self.gen_tokens - 1) / self.decode_s


_log_callback = None  # kept referenced: llama.cpp calls it from C


def _quiet_llama_logs() -> None:
    """Only llama.cpp's errors reach stderr (all of it with RECCHAT_LLAMA_VERBOSE=1).

    llama-cpp-python 0.3.x maps ggml's log levels from an older enum (WARN is 3 now, which it reads as
    ERROR), so with verbose=False every load still printed SWA-cache and LoRA-buffer warnings into
    `recchat ask` output."""
    global _log_callback
    if _log_callback is not None:
        return
    import ctypes
    import sys

    import llama_cpp

    verbose = os.environ.get("RECCHAT_LLAMA_VERBOSE", "") not in ("", "0", "false")
    error_level = 4  # ggml_log_level: 1 debug, 2 info, 3 warn, 4 error, 5 continuation

    @llama_cpp.llama_log_callback
    def callback(level, text, user_data):
        if verbose or level == error_level:
            print(text.decode("utf-8", "replace"), end="", flush=True, file=sys.stderr)

    _log_callback = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


def default_threads() -> int:
    """The CPUs this process may run on (a container's or taskset's share), not the host's count:
    os.cpu_count() on a 2-vCPU Space reports the whole machine and oversubscribes it."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no sched_getaffinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def load_llama(ckpt: Checkpoint, n_ctx: int | None = None, n_threads: int | None = None):
    """A llama.cpp context for a checkpoint (model + optional LoRA adapter)."""
    from llama_cpp import Llama

    _quiet_llama_logs()
    s = get_settings()
    model_path = ckpt.model_path()
    adapter = ckpt.adapter_path()
    kwargs = dict(
        model_path=str(model_path),
        n_ctx=n_ctx or s.n_ctx,
        n_threads=n_threads or s.n_threads or default_threads(),
        verbose=False,
        seed=0,
    )
    if adapter is not None:
        kwargs["lora_path"] = str(adapter)
    try:
        return Llama(**kwargs)
    except Exception as e:
        what = f"{model_path}" + (f" with adapter {adapter}" if adapter else "")
        raise RecchatError(f"llama.cpp could not load checkpoint {ckpt.name!r} ({what}): {e}") from e


class LLMPool:
    def __init__(self, ckpt: Checkpoint, size: int):
        self.ckpt = ckpt
        self._q: queue.Queue = queue.Queue()
        llms = [load_llama(ckpt) for _ in range(size)]
        for llm in llms:
            self._q.put(llm)
        # once per model load, not per request: a scan of the whole vocabulary (~1 s for 262k tokens)
        self.never = ban_tokens(never_tokens(llms[0])) if llms else None

    def acquire(self, timeout: float | None = None):
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty as e:
            raise RecchatError("the model is busy; try again in a moment") from e

    def release(self, llm) -> None:
        self._q.put(llm)


def never_tokens(llm):
    """Ids of the vocabulary's `<unusedN>` placeholders (6,242 in Gemma 3). No checkpoint should emit
    one; a lightly tuned adapter sometimes does where it should end its turn, and garbage follows."""
    import llama_cpp
    import numpy as np

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    n = int(llama_cpp.llama_vocab_n_tokens(vocab))
    return np.array([i for i in range(n) if llama_cpp.llama_vocab_get_text(vocab, i).startswith(b"<unused")], np.int64)


def ban_tokens(ids):
    """A llama-cpp-python logits processor that makes the given token ids impossible."""
    import numpy as np
    from llama_cpp import LogitsProcessorList

    def processor(input_ids, scores):
        scores[ids] = -np.inf  # in place: llama-cpp-python hands over its own copy of the logits
        return scores

    return LogitsProcessorList([processor]) if len(ids) else None


_pools: dict[str, LLMPool] = {}
_pools_lock = threading.Lock()


def get_pool(name: str, role: str = "") -> LLMPool:
    """The contexts of checkpoint `name`; a `role` ("why") gets contexts of its own, so each prompt
    kind keeps its shared few-shot prefix in its own KV cache (alternating the reading and the
    sentence on why in one context made every prompt start cold: TTFT 0.12 s -> 0.75 s)."""
    key = f"{name}#{role}" if role else name
    with _pools_lock:
        if key not in _pools:
            _pools[key] = LLMPool(get_checkpoint(name), get_settings().llm_pool_size)
        return _pools[key]


def stream_completion(
    checkpoint: str,
    prompt: str,
    *,
    max_tokens: int,
    temperature: float = 0.0,
    seed: int | None = None,
    stop: list[str] | None = None,
    repeat_penalty: float | None = None,
    stats: GenStats | None = None,
    timeout: float | None = 300.0,
    grammar: str | None = None,
    role: str = "",
) -> Iterator[str]:
    """Yield text pieces as llama.cpp decodes them; `grammar` (GBNF, recchat.llm.grammar) constrains them;
    `role` picks the contexts (get_pool): "" for the reading, "why" for the sentence on why.

    A prompt longer than the context leaves room for (n_ctx - max_tokens tokens) is refused with a
    RecchatError before llama.cpp sees it, and any error llama.cpp raises becomes a RecchatError too,
    so a chat never waits on a stream that died."""
    s = get_settings()
    pool = get_pool(checkpoint, role)
    llm = pool.acquire(timeout=timeout)
    stats = stats if stats is not None else GenStats()
    try:
        check_fits(llm, prompt, max_tokens)
        if not s.reuse_prompt_cache:
            llm.reset()  # evaluate the whole prompt afresh: same request, same tokens
        if seed is not None:
            llm.set_seed(int(seed))
        t0 = time.perf_counter()
        t_first = None
        try:
            for chunk in llm.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=0.95,
                top_k=40,
                repeat_penalty=repeat_penalty if repeat_penalty is not None else s.repeat_penalty,
                stop=stop or [],
                stream=True,
                seed=seed,
                logits_processor=pool.never,
                grammar=compile_grammar(llm, grammar) if grammar else None,
            ):
                now = time.perf_counter()
                if t_first is None:
                    t_first = now
                    stats.ttft_s = now - t0
                stats.gen_tokens += 1
                stats.decode_s = now - t_first
                text = chunk["choices"][0]["text"]
                if text:
                    yield text
        except (ValueError, RuntimeError) as e:  # llama.cpp's errors: decode failures, context overflow
            raise RecchatError(f"the model could not answer this request ({_one_line(e)}); "
                               "try a shorter text or history") from e
    finally:
        pool.release(llm)


def prompt_tokens(llm, prompt: str) -> list[int]:
    """The tokens llama-cpp-python feeds for `prompt` (its own call: BOS added, specials parsed)."""
    return llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)


def check_fits(llm, prompt: str, max_tokens: int) -> None:
    """Refuse a prompt that leaves fewer than `max_tokens` tokens of the context for the answer.

    Refused rather than trimmed: a cut at some token would drop a closing fence or the final
    instruction, so the model would read data as instructions or answer a different request; the
    prompt's parts are bounded where they are built (recchat.prompts), and this is the last guard for
    text whose characters cost many tokens each (rare CJK, symbols, emoji)."""
    n_ctx = llm.n_ctx()
    budget = n_ctx - max_tokens
    try:
        n = len(prompt_tokens(llm, prompt))
    except (ValueError, RuntimeError) as e:
        raise RecchatError(f"the model could not read this request ({_one_line(e)})") from e
    if n > budget:
        raise RecchatError(f"the request is too long for the model: {n:,} tokens, and {budget:,} fit "
                           f"({n_ctx:,} in its context, less {max_tokens} for the answer); "
                           "use a shorter text or history")


def _one_line(e: BaseException) -> str:
    msg = str(e).strip()
    return (msg.splitlines()[0] if msg else type(e).__name__)[:200]


def complete(checkpoint: str, prompt: str, **kw) -> str:
    return "".join(stream_completion(checkpoint, prompt, **kw))
