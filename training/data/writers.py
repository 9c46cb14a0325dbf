"""LLM writers: any GGUF through llama.cpp, or any OpenAI-compatible endpoint; outputs cached on disk.

The cache (recchat.llm.gencache, SQLite, one commit per output) is what makes a killed build resume
without re-asking the model: the same prompt to the same writer returns the stored text.
Greedy decoding (temperature 0) keeps a writer's output a function of its prompt.
"""

from __future__ import annotations

from pathlib import Path

from recchat.core.errors import RecchatError
from recchat.llm.gencache import GenCache


class Writer:
    """A completion writer: `complete(prompt) -> text`, through the cache."""

    name = "llm"

    def __init__(self, cache: GenCache | None, max_tokens: int = 64):
        self.cache = cache
        self.max_tokens = max_tokens
        self.calls = 0  # real model calls (cache misses)

    def _generate(self, prompt: str, stop: list[str]) -> str:
        raise NotImplementedError

    def complete(self, prompt: str, stop: list[str] | None = None) -> str:
        stop = stop or ["\n"]
        key = GenCache.key(writer=self.name, prompt=prompt, max_tokens=self.max_tokens, stop=stop, temperature=0)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        text = self._generate(prompt, stop)
        self.calls += 1
        if self.cache is not None:
            self.cache.put(key, text)
        return text


class LlamaWriter(Writer):
    """A GGUF under llama.cpp: a checkpoint name from recchat's registry, or a path to a .gguf file."""

    def __init__(self, model: str, cache: GenCache | None, max_tokens: int = 64, n_threads: int | None = None):
        super().__init__(cache, max_tokens)
        self.model = model
        self.n_threads = n_threads
        self.name = f"llm:{Path(model).stem if model.endswith('.gguf') else model}"
        self._llm = None

    def _load(self):
        from recchat.llm.generate import load_llama
        from recchat.llm.checkpoints import Checkpoint, get_checkpoint

        if self.model.endswith(".gguf"):
            if not Path(self.model).exists():
                raise RecchatError(f"writer model {self.model} does not exist")
            ckpt = Checkpoint(name=Path(self.model).stem, path=self.model)
        else:
            ckpt = get_checkpoint(self.model)
        return load_llama(ckpt, n_ctx=2048, n_threads=self.n_threads)

    def _generate(self, prompt: str, stop: list[str]) -> str:
        if self._llm is None:
            self._llm = self._load()
        out = self._llm.create_completion(
            prompt, max_tokens=self.max_tokens, temperature=0.0, top_k=1, repeat_penalty=1.3, stop=stop, seed=0,
        )
        return out["choices"][0]["text"]


class OpenAIWriter(Writer):
    """Any OpenAI-compatible /v1 endpoint (llama.cpp server, vLLM, ...) through plain HTTP."""

    def __init__(self, base_url: str, model: str, cache: GenCache | None, max_tokens: int = 64,
                 api_key: str | None = None, timeout: float = 120.0):
        super().__init__(cache, max_tokens)
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.name = f"llm:{model}"

    def _generate(self, prompt: str, stop: list[str]) -> str:
        import requests

        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": self.max_tokens,
            "temperature": 0,
            "seed": 0,
            "stop": stop,
        }
        url = f"{self.base_url}/chat/completions"
        try:
            r = requests.post(url, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as e:
            raise RecchatError(f"writer endpoint {url} is unreachable ({type(e).__name__}); "
                               "finished rows are kept, rerun to resume") from e
        if r.status_code != 200:
            raise RecchatError(f"writer endpoint {url} answered HTTP {r.status_code}: {r.text[:200]}")
        try:
            return r.json()["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise RecchatError(f"writer endpoint {url} sent an answer that is not a chat completion") from e


def make_writer(cfg, cache: GenCache | None) -> Writer | None:
    import os

    if cfg.writer == "template" or cfg.llm_rows <= 0:
        return None
    if cfg.writer == "openai":
        return OpenAIWriter(cfg.writer_base_url, cfg.writer_model, cache, cfg.llm_max_tokens,
                            api_key=os.environ.get(cfg.writer_api_key_env), timeout=cfg.llm_timeout_s)
    return LlamaWriter(cfg.writer_model, cache, cfg.llm_max_tokens, cfg.n_threads)
