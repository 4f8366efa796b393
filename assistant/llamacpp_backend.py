"""Generation in process by llama.cpp (llama-cpp-python), reading the quantised GGUF directly.

On the 2-core CPU it decodes the packaged models about three times as fast as transformers on
the de-quantised weights (`benchmarks/decode_speed.py`), and needs no minute-long first
conversion. A fine-tuned adapter (PEFT LoRA) is converted once to llama.cpp's adapter format
(`assistant.lora_gguf`) and applied at load. Prompts are formatted exactly as for training and
for the transformers backend: the model's own chat template (from the GGUF) for instruction-tuned
models, plain text for base models.

Differences from transformers, by design of the library: `no_repeat_ngram_size` does not exist
here, and `repetition_penalty` applies to the last 64 tokens only (transformers: all of them).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from assistant.generator import (
    GenerateFromStream,
    GeneratorSettings,
    cut_at_stop,
    uses_chat_template,
)
from retrieval.weights import resolve

log = logging.getLogger(__name__)

CONTEXT_TOKENS = 4096  # the answer prompt (5 sources) plus the draft, with room to spare
PENALTY_WINDOW = 64  # Llama.last_n_tokens_size: the tokens repetition_penalty looks back on
GGML_ERROR = 4  # ggml_log_level: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5


@functools.cache
def route_library_logs() -> object:
    """Send llama.cpp's own log lines to this module's logger (errors as warnings, the rest as
    debug). llama-cpp-python maps ggml's log levels by an older numbering, so with
    verbose=False its warnings (an adapter's buffer fallback, the cache size) still reached the
    terminal of `medchat ask`. Registered once; the callback is returned so that it is kept."""
    import llama_cpp

    @llama_cpp.llama_log_callback
    def to_logging(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        message = text.decode("utf-8", errors="replace").rstrip()
        if message:
            log.log(logging.WARNING if level == GGML_ERROR else logging.DEBUG, "%s", message)

    llama_cpp.llama_log_set(to_logging, ctypes.c_void_p(0))
    return to_logging


class LlamaCppGenerator(GenerateFromStream):
    """A GGUF model run by llama.cpp: `stream`, `generate` and `score_options`."""

    def __init__(self, settings: GeneratorSettings, cache_dir: Path, threads: int = 0) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ImportError(
                "generator backend \"llama.cpp\" needs llama-cpp-python: pip install "
                "'medchat[llamacpp]' (it compiles llama.cpp, a few minutes), or use backend "
                "\"transformers\"") from exc
        from assistant.generator import checked_adapter, resolved
        from assistant.lora_gguf import cached_conversion

        settings = replace(resolved(settings), backend="llama.cpp")

        path = Path(resolve(settings.model, cache_dir))
        if path.suffix != ".gguf":
            raise ValueError(
                f"generator backend llama.cpp reads GGUF files; {settings.model!r} is not one "
                "(use a packaged model such as gemma-3-270m, a path to a .gguf file, or backend "
                "\"transformers\")")
        adapter = checked_adapter(settings)
        lora = cached_conversion(adapter, path, cache_dir / "llamacpp-adapters") if adapter \
            else None
        threads = threads or os.cpu_count() or 1
        route_library_logs()
        self.llm = Llama(model_path=str(path), n_ctx=CONTEXT_TOKENS, n_threads=threads,
                         n_threads_batch=threads, lora_path=str(lora) if lora else None,
                         last_n_tokens_size=PENALTY_WINDOW, verbose=False)
        self.settings = settings
        self.name = settings.model
        self._lock = threading.Lock()  # one generation at a time per model instance
        self._template = None
        template = self.llm.metadata.get("tokenizer.chat_template")
        if template and self.uses_chat_template:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            vocab = self.llm
            self._template = Jinja2ChatFormatter(
                template, eos_token=vocab.detokenize([vocab.token_eos()]).decode(errors="ignore"),
                bos_token=vocab.detokenize([vocab.token_bos()]).decode(errors="ignore"))

    @property
    def uses_chat_template(self) -> bool:
        return uses_chat_template(self.settings,
                                  bool(self.llm.metadata.get("tokenizer.chat_template")))

    def format(self, prompt: str) -> str:
        """The prompt in the model's chat template (instruction-tuned models), else as is."""
        if self._template is None:
            return prompt
        return self._template(messages=[{"role": "user", "content": prompt}]).prompt

    def stream(
        self, prompt: str, max_new_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        """Yield text pieces as they are decoded; leaving early stops decoding."""
        s = self.settings
        sampling = {"temperature": s.temperature, "top_k": 0 if s.temperature > 0 else 1,
                    "top_p": 1.0, "min_p": 0.0, "repeat_penalty": s.repetition_penalty}
        with self._lock:
            chunks = self.llm.create_completion(
                self.format(prompt), max_tokens=max_new_tokens or s.max_new_tokens,
                stop=stop or [], stream=True, **sampling)
            try:
                pieces = (c["choices"][0]["text"] for c in chunks)
                yield from cut_at_stop(pieces, stop or [], drain=False)
            finally:
                chunks.close()

    def score_options(self, prompt: str, options: list[str]) -> dict[str, float]:
        """Sum of token log-probabilities of each option as the continuation of the prompt; the
        prompt is read once, each option's later tokens after rewinding to its end."""
        llm = self.llm
        with self._lock:
            context = llm.tokenize(self.format(prompt).encode(), add_bos=True, special=True)
            llm.reset()
            llm.eval(context)
            first = self._last_logprobs()
            scores = {}
            for option in options:
                ids = llm.tokenize(option.encode(), add_bos=False, special=False)
                if not ids:
                    raise ValueError(f"option {option!r} has no tokens")
                total = float(first[ids[0]])
                llm.n_tokens = len(context)  # rewind: eval() drops the cache past this point
                for token, following in zip(ids, ids[1:], strict=False):
                    llm.eval([token])
                    total += float(self._last_logprobs()[following])
                scores[option] = total
            llm.reset()
        return scores

    def _last_logprobs(self) -> np.ndarray:
        vocab = self.llm.n_vocab()
        logits = np.ctypeslib.as_array(self.llm._ctx.get_logits_ith(-1), shape=(vocab,))
        logits = logits.astype(np.float64)
        top = logits.max()
        return logits - top - np.log(np.exp(logits - top).sum())
