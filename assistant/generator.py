"""Text generation over transformers causal LMs, with stop sequences, streaming and scoring.

GGUF weights (the packaged default) are de-quantised once and cached as safetensors: the first
load takes about a minute on a CPU, later loads seconds. `make_generator` builds whichever
backend the settings name: this local one, or an OpenAI-compatible server
(`assistant.openai_backend`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from corpus.files import replacing_folder
from retrieval.embedder import pick_device
from retrieval.weights import find_packaged, resolve

log = logging.getLogger(__name__)

# Models known to be base (not instruction-tuned): prompted with plain text, not a chat template.
BASE_MODELS = ("gemma-3-270m", "google/gemma-3-270m")
BACKENDS = ("auto", "transformers", "llama.cpp", "openai")
SHIPPED_ADAPTERS = Path(__file__).with_name("generators")  # small trained adapters in the repo
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")  # capitals: a lower-case key is not taken for a name


@dataclass(frozen=True, config=ConfigDict(extra="forbid", hide_input_in_errors=True))
class GeneratorSettings:
    model: str = Field("gemma-3-270m", description='"gemma-3-270m", "SmolLM2-135M-Instruct", a '
                       "local folder or a cached Hugging Face id (the served name for openai)")
    max_new_tokens: int = Field(160, description="longest answer draft in tokens, 1 to 4096")
    temperature: float = Field(0.0, description="sampling temperature; 0 = greedy, deterministic")
    device: str = Field("auto", description='"auto", "cpu" or "cuda"')
    prompt_style: str = Field("auto", description='"auto", "chat" (the chat template) or '
                              '"plain" (base models)')
    adapter: str = Field("auto", description='a PEFT/LoRA adapter applied on top of the model: '
                         '"auto" = the shipped adapter trained over this model if there is one '
                         "(medchat-answer-gemma3 for gemma-3-270m), a shipped name "
                         '("medchat-answer-smollm2"), a folder, or "" = none')
    repetition_penalty: float | None = Field(
        None, description="unset = auto: 1.0 (off) with an adapter, which answers by copying "
        "its sources, else 1.2 (small base models loop on one sentence without it)")
    no_repeat_ngram_size: int | None = Field(
        None, description="transformers only (servers have no such parameter); unset = auto: 0 "
        "with an adapter (a ban on repeats would forbid copying the sources), else 4")
    backend: str = Field("auto", description='"auto" = llama.cpp when it is installed, the '
                         "model is a GGUF file and the device is the CPU, else transformers; "
                         '"transformers" (in process), "llama.cpp" (in process, GGUF models: '
                         "answers 2-3x as fast on 2 CPU cores; pip install 'medchat[llamacpp]') "
                         'or "openai" (an OpenAI-compatible HTTP server)')
    base_url: str = Field("", description='openai: the server\'s API root, e.g. '
                          '"http://127.0.0.1:8000/v1"')
    api_key_env: str = Field("", description="openai: the NAME of the environment variable "
                             "holding the key, if any (never the key itself)")
    timeout_s: float = Field(120.0, description="openai: seconds for connecting, and the longest "
                             "wait for the next piece")

    def __post_init__(self) -> None:
        if self.prompt_style not in ("auto", "chat", "plain"):
            raise ValueError("generator prompt_style must be auto, chat or plain")
        if not 1 <= self.max_new_tokens <= 4096:
            raise ValueError("generator max_new_tokens must be between 1 and 4096")
        if self.backend not in BACKENDS:
            raise ValueError(f"generator backend must be one of: {', '.join(BACKENDS)}")
        if self.backend == "openai" and not self.base_url.startswith(("http://", "https://")):
            raise ValueError(
                "generator base_url must be the server's http(s) API root, e.g. "
                "http://127.0.0.1:8000/v1, when backend is openai"
            )
        if self.api_key_env and not _ENV_NAME.fullmatch(self.api_key_env):
            raise ValueError(
                "generator api_key_env is the NAME of an environment variable holding the key, "
                "in capitals (e.g. VLLM_API_KEY), never the key itself"
            )
        if not self.timeout_s > 0:
            raise ValueError("generator timeout_s must be a positive number of seconds")


def shipped_adapter_for(model: str) -> str:
    """The name of the shipped adapter trained over `model` (a packaged model), else ""."""
    packaged = find_packaged(model)
    if packaged is None or not SHIPPED_ADAPTERS.is_dir():
        return ""
    for folder in sorted(SHIPPED_ADAPTERS.iterdir()):
        if find_packaged(adapter_base(str(folder))) == packaged:
            return folder.name
    return ""


def chosen_backend(settings: GeneratorSettings) -> str:
    """The backend "auto" means here: llama.cpp for a GGUF model on the CPU when llama-cpp-python
    is installed (2-3x faster answers, the same citation figures), else transformers."""
    if settings.backend != "auto":
        return settings.backend
    import importlib.util

    packaged = find_packaged(settings.model)
    gguf = (packaged is not None and packaged.kind == "gguf") or settings.model.endswith(".gguf")
    if gguf and importlib.util.find_spec("llama_cpp") and pick_device(settings.device) == "cpu":
        return "llama.cpp"
    return "transformers"


def resolved(settings: GeneratorSettings) -> GeneratorSettings:
    """The settings with every "auto" decided: the backend, the adapter (the shipped one for the
    model over an in-process backend, none for a server) and the decoding that suits it."""
    settings = replace(settings, backend=chosen_backend(settings))
    adapter = settings.adapter
    if adapter == "auto":
        adapter = shipped_adapter_for(settings.model) if settings.backend != "openai" else ""
    penalty, ngrams = settings.repetition_penalty, settings.no_repeat_ngram_size
    return replace(
        settings, adapter=adapter,
        repetition_penalty=penalty if penalty is not None else (1.0 if adapter else 1.2),
        no_repeat_ngram_size=ngrams if ngrams is not None else (0 if adapter else 4),
    )


GENERATE_THREAD = "medchat-generate"  # the background thread's name, so tests can watch it


class _Cancelled:
    """A transformers stopping criterion: true once the consumer of a stream has gone."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids, scores, **kwargs) -> bool:
        return self.event.is_set()


class TextGenerator(Protocol):
    """What the Assistant needs from a generator, whichever backend serves it."""

    name: str

    def generate(
        self, prompt: str, max_new_tokens: int | None = None, stop: list[str] | None = None
    ) -> str: ...

    def stream(
        self, prompt: str, max_new_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]: ...

    def score_options(self, prompt: str, options: list[str]) -> dict[str, float]: ...


class GenerateFromStream:
    """`generate` as the joined `stream`: one definition for every backend."""

    def generate(
        self, prompt: str, max_new_tokens: int | None = None, stop: list[str] | None = None
    ) -> str:
        return "".join(self.stream(prompt, max_new_tokens, stop))


def make_generator(settings: GeneratorSettings, model_cache: Path, threads: int = 0
                   ) -> TextGenerator:
    """The generator the settings name: local transformers or llama.cpp, or an
    OpenAI-compatible server. `threads`: llama.cpp's CPU threads (0 = every core)."""
    settings = resolved(settings)
    if settings.backend == "openai":
        from assistant.openai_backend import OpenAIGenerator

        return OpenAIGenerator(settings)
    if settings.backend == "llama.cpp":
        from assistant.llamacpp_backend import LlamaCppGenerator

        return LlamaCppGenerator(settings, model_cache, threads)
    return Generator(settings, model_cache)


def _convert_gguf(gguf: Path, target: Path) -> None:
    """De-quantise a GGUF file into a transformers folder, atomically."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("de-quantising %s once (about a minute on a CPU)", gguf.name)
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    model.hf_quantizer = None  # transformers refuses to save a GGUF-loaded model otherwise
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    with replacing_folder(target) as tmp:
        tok.save_pretrained(tmp)
        model.save_pretrained(tmp)


def adapter_folder(name: str) -> str:
    """The folder of a shipped adapter named by its folder name (`medchat-answer-smollm2`), else
    `name` unchanged (a path), so settings can name either."""
    if name and "/" not in name and not name.startswith(".") and (SHIPPED_ADAPTERS / name).is_dir():
        return str(SHIPPED_ADAPTERS / name)
    return os.path.expanduser(name)


def adapter_base(folder: str) -> str:
    """The base model an adapter folder was trained over (its PEFT config), "" if it names none."""
    config = Path(folder) / "adapter_config.json"
    if not config.is_file():
        return ""
    return json.loads(config.read_text()).get("base_model_name_or_path") or ""


def checked_adapter(settings: GeneratorSettings) -> str:
    """The folder of the settings' adapter ("" for none), refused when it was trained over a
    packaged base other than the model: an adapter only makes sense over its own weights (an
    unknown base, e.g. a local path, is trusted)."""
    if not settings.adapter:
        return ""
    folder = adapter_folder(settings.adapter)
    base = find_packaged(adapter_base(folder))
    if base is not None and base != find_packaged(settings.model):
        raise ValueError(
            f"generator adapter {folder!r} was trained over {base.name}; set generator "
            f"model = {base.name!r} to use it (it is {settings.model!r})"
        )
    return folder


def uses_chat_template(settings: GeneratorSettings, has_template: bool = True) -> bool:
    """`prompt_style` decides; "auto": the model's chat template where it has one, unless it is
    a known base model (prompted with plain text, as it was trained)."""
    if settings.prompt_style != "auto":
        return settings.prompt_style == "chat"
    return has_template and settings.model not in BASE_MODELS


def model_folder(name: str, cache_dir: Path) -> str:
    """A transformers-loadable folder or hub id for `name`, converting packaged GGUF once."""
    resolved = resolve(name, cache_dir)
    path = Path(resolved)
    if path.suffix == ".gguf" and path.is_file():
        packaged = find_packaged(name)
        tag = packaged.sha256[:12] if packaged else path.stem
        target = cache_dir / f"{path.stem}-{tag}-fp32"
        if not (target / "config.json").is_file():
            _convert_gguf(path, target)
        return str(target)
    return resolved


class Generator(GenerateFromStream):
    """A causal LM that completes prompts; `score_options` ranks fixed answers by likelihood."""

    def __init__(self, settings: GeneratorSettings, cache_dir: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        settings = replace(resolved(settings), backend="transformers")
        self.settings = settings
        self.device = pick_device(settings.device)
        adapter = checked_adapter(settings)
        folder = model_folder(settings.model, cache_dir)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            dtype = torch.float32 if self.device == "cpu" else torch.bfloat16
            self.model = AutoModelForCausalLM.from_pretrained(
                folder, dtype=dtype, local_files_only=True
            ).to(self.device)
        except OSError as exc:
            raise OSError(
                f"could not load generator {settings.model!r} from local files: {exc}. Use a "
                "packaged name (gemma-3-270m), a local model folder, or a Hugging Face id you "
                "have downloaded before."
            ) from exc
        if adapter:
            from peft import PeftModel

            self.model = PeftModel.from_pretrained(self.model, adapter)
        self.model.eval()
        self.name = settings.model
        self._lock = threading.Lock()  # one generation at a time per model instance

    @property
    def uses_chat_template(self) -> bool:
        return uses_chat_template(self.settings, bool(self.tokenizer.chat_template))

    def format(self, prompt: str) -> str:
        """Wrap a prompt in the model's chat template when it is an instruction-tuned model."""
        if not self.uses_chat_template:
            return prompt
        return self.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )

    def _inputs(self, text: str):
        return self.tokenizer(text, return_tensors="pt").to(self.device)

    def _generate_kwargs(self, max_new_tokens: int | None, stop: list[str] | None) -> dict:
        kwargs = {
            "max_new_tokens": max_new_tokens or self.settings.max_new_tokens,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if self.settings.repetition_penalty != 1.0:
            kwargs["repetition_penalty"] = self.settings.repetition_penalty
        if self.settings.no_repeat_ngram_size:
            kwargs["no_repeat_ngram_size"] = self.settings.no_repeat_ngram_size
        if self.settings.temperature > 0:
            kwargs.update(do_sample=True, temperature=self.settings.temperature)
        else:
            kwargs.update(do_sample=False, top_p=None, top_k=None)
        if stop:
            kwargs.update(stop_strings=stop, tokenizer=self.tokenizer)
        return kwargs

    def stream(
        self, prompt: str, max_new_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        """Yield text pieces as they are generated; the text ends before any stop sequence."""
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        inputs = self._inputs(self.format(prompt))
        streamer = TextIteratorStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600
        )
        cancelled = threading.Event()
        kwargs = dict(**inputs, streamer=streamer, **self._generate_kwargs(max_new_tokens, stop),
                      stopping_criteria=StoppingCriteriaList([_Cancelled(cancelled)]))
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with self._lock:
                    if not cancelled.is_set():
                        self.model.generate(**kwargs)
            except BaseException as exc:  # surfaced in the caller's thread below
                errors.append(exc)
            finally:
                streamer.end()

        worker = threading.Thread(target=run, name=GENERATE_THREAD, daemon=True)
        worker.start()
        try:
            # not drained at a stop: leaving the loop cancels the worker below
            yield from cut_at_stop(streamer, stop or [], drain=False)
        finally:
            # the consumer stopped reading (finished, broke out, or closed this generator):
            # stop after the current token instead of finishing a draft nobody will read
            cancelled.set()
            worker.join()
        if errors:
            raise errors[0]

    def score_options(self, prompt: str, options: list[str]) -> dict[str, float]:
        """Sum of token log-probabilities of each option as the continuation of the prompt.

        The prompt is run once; each option's tokens are then scored on a copy of its cache, so
        scoring k options costs one long forward pass, not k.
        """
        import copy

        import torch

        context = self.format(prompt)
        base = self.tokenizer(context, return_tensors="pt")["input_ids"][0]
        scores: dict[str, float] = {}
        with self._lock, torch.no_grad():
            out = self.model(base.unsqueeze(0).to(self.device), use_cache=True)
            first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            for option in options:
                ids = self.tokenizer(option, add_special_tokens=False)["input_ids"]
                if not ids:
                    raise ValueError(f"option {option!r} has no tokens")
                total = float(first[ids[0]])
                if len(ids) > 1:
                    past = copy.deepcopy(out.past_key_values)
                    rest = torch.tensor([ids], device=self.device)
                    logits = self.model(rest, past_key_values=past, use_cache=True).logits[0]
                    logprobs = torch.log_softmax(logits[:-1].float(), dim=-1)
                    total += float(logprobs[torch.arange(len(ids) - 1), ids[1:]].sum())
                scores[option] = total
        return scores


def cut_at_stop(pieces: Iterator[str], stop: list[str], drain: bool = True) -> Iterator[str]:
    """Pass text through, holding back just enough to never emit part of a stop sequence.

    At a stop, the rest of `pieces` is drained (a local worker thread must finish) unless
    `drain` is false (a caller that can cancel the source instead).
    """
    if not stop:
        yield from pieces
        return
    hold = max(len(s) for s in stop) - 1
    buffer = ""
    for piece in pieces:
        buffer += piece
        cut = min((i for i in (buffer.find(s) for s in stop) if i >= 0), default=-1)
        if cut >= 0:
            if buffer[:cut]:
                yield buffer[:cut]
            if drain:
                for _ in pieces:  # let the worker finish
                    pass
            return
        if len(buffer) > hold:
            yield buffer[: len(buffer) - hold]
            buffer = buffer[len(buffer) - hold :]
    if buffer:
        yield buffer
