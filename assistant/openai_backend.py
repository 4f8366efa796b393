"""Generation by an OpenAI-compatible HTTP server (vLLM, llama.cpp server, Ollama).

The same interface as the local `Generator` (`stream`, `generate`, `score_options`), so the
Assistant does not care where the model runs. Text streams as server-sent events from
`/chat/completions` (instruction-tuned models: the server applies the chat template) or
`/completions` (base models, plain prompts). Option scoring needs the prompt's log-probabilities,
which only some servers return (`echo` with `logprobs` on `/completions`); the others get a
clear error instead of a wrong answer.

Prompts carry the question and the sources: nothing of them is logged or put into an error
message. Errors name `base_url` and what to check.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Mapping

import httpx

from assistant.generator import (
    GenerateFromStream,
    GeneratorSettings,
    cut_at_stop,
    resolved,
    uses_chat_template,
)

log = logging.getLogger(__name__)

MAX_STOP = 4  # the OpenAI API accepts at most four stop sequences; the rest are cut here
_SERVER_DETAIL_CHARS = 200


class BackendError(RuntimeError):
    """The generator server could not be used; the message says which server and what to check."""


class OpenAIGenerator(GenerateFromStream):
    """A generator served over HTTP by any OpenAI-compatible server."""

    def __init__(self, settings: GeneratorSettings, env: Mapping[str, str] | None = None) -> None:
        settings = resolved(settings)
        self.settings = settings
        self.name = settings.model
        self.base_url = settings.base_url.rstrip("/")
        headers = {}
        if settings.api_key_env:
            key = (os.environ if env is None else env).get(settings.api_key_env, "")
            if not key:
                raise BackendError(
                    f"generator api_key_env names {settings.api_key_env}, but that environment "
                    f"variable is empty or not set: export the key for {self.base_url} in it"
                )
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.Client(headers=headers, timeout=settings.timeout_s)

    @property
    def uses_chat_template(self) -> bool:
        """Chat endpoint (the server's template) unless the model is a known base model."""
        return uses_chat_template(self.settings)

    def close(self) -> None:
        self._client.close()

    def stream(
        self, prompt: str, max_new_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        """Yield text pieces as the server sends them; the text ends before any stop sequence."""
        stop = stop or []
        body = self._sampling(max_new_tokens or self.settings.max_new_tokens, stop)
        if self.uses_chat_template:
            path, body["messages"] = "/chat/completions", [{"role": "user", "content": prompt}]
        else:
            path, body["prompt"] = "/completions", prompt
        body["stream"] = True
        with contextlib.closing(self._pieces(path, body)) as pieces:
            # not drained at a stop: closing the response tells the server to stop generating
            yield from cut_at_stop(pieces, stop, drain=False)

    def score_options(self, prompt: str, options: list[str]) -> dict[str, float]:
        """Sum of the log-probabilities of each option's tokens after the prompt.

        One `/completions` request per option with `echo` and `logprobs`: the server returns the
        log-probability of every prompt token, and the option's tokens are summed. The prompt is
        sent as plain text (no chat template), as a base model reads it.
        """
        scores: dict[str, float] = {}
        for option in options:
            if not option:
                raise ValueError("an empty option cannot be scored")
            body = self._sampling(1, [])
            body.update(prompt=prompt + option, echo=True, logprobs=1, temperature=0.0)
            data = self._post_json("/completions", body, scoring=True)
            scores[option] = self._option_logprob(data, len(prompt), len(prompt + option))
        return scores

    # --- requests ------------------------------------------------------------------------

    def _sampling(self, max_tokens: int, stop: list[str]) -> dict:
        body: dict[str, object] = {
            "model": self.settings.model,
            "max_tokens": max_tokens,
            "temperature": self.settings.temperature,
        }
        if stop:
            body["stop"] = stop[:MAX_STOP]
        penalty = self.settings.repetition_penalty
        if penalty != 1.0:  # the name vLLM uses, and the one llama.cpp uses; others ignore both
            body.update(repetition_penalty=penalty, repeat_penalty=penalty)
        return body

    def _pieces(self, path: str, body: dict) -> Iterator[str]:
        chat = path == "/chat/completions"
        count = 0
        url = self.base_url + path
        with self._errors(path), self._client.stream("POST", url, json=body) as response:
            self._check_status(response, path)
            kind = response.headers.get("content-type", "")
            if "text/event-stream" not in kind:
                raise self._malformed(path, f"it answered {kind or 'no content type'}, not an "
                                      "event stream (text/event-stream)")
            for event in self._events(response, path):
                piece = _event_text(event, chat)
                if piece is None:
                    raise self._malformed(path, "an event without choices text")
                if piece:
                    count += 1
                    yield piece
        log.debug("generator server %s%s: %d pieces", self.base_url, path, count)

    def _events(self, response: httpx.Response, path: str) -> Iterator[dict]:
        """Parsed `data:` events up to `[DONE]`; a stream cut short is an error."""
        finished = False
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue  # blank separators, comments, event: / id: fields
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                event = json.loads(data)
            except json.JSONDecodeError:
                raise self._malformed(path, "an event that is not JSON") from None
            if not isinstance(event, dict):
                raise self._malformed(path, "an event that is not a JSON object")
            if "error" in event:
                raise BackendError(
                    f"the generator server at {self.base_url} reported an error while "
                    f"generating{_detail(event)}. Check the server's log."
                )
            finished = finished or any(
                c.get("finish_reason") for c in event.get("choices") or [] if isinstance(c, dict)
            )
            yield event
        if not finished:
            raise BackendError(
                f"the stream from the generator server at {self.base_url}{path} ended before "
                "the answer was finished. Check the server's log (it may have stopped or run "
                "out of memory)."
            )

    def _post_json(self, path: str, body: dict, scoring: bool = False) -> dict:
        with self._errors(path):
            response = self._client.post(self.base_url + path, json=body)
            if scoring and response.status_code in (400, 422, 501):
                raise self._cannot_score(_detail(_json_or_none(response)))
            self._check_status(response, path)
            data = _json_or_none(response)
        if not isinstance(data, dict):
            raise self._malformed(path, "a body that is not a JSON object")
        return data

    @contextlib.contextmanager
    def _errors(self, path: str) -> Iterator[None]:
        """Turn transport failures into messages naming the server and what to check."""
        try:
            yield
        except httpx.ConnectError as exc:
            raise BackendError(
                f"cannot connect to the generator server at {self.base_url} "
                f"({type(exc).__name__}). Check that the server is running and that "
                "generator.base_url has the right host, port and path (usually ending in /v1)."
            ) from None
        except httpx.TimeoutException as exc:
            raise BackendError(
                f"the generator server at {self.base_url} did not answer {path} within "
                f"{self.settings.timeout_s:g} s ({type(exc).__name__}). Check that it is "
                "running and not overloaded, or raise generator.timeout_s."
            ) from None
        except httpx.HTTPError as exc:
            raise BackendError(
                f"the connection to the generator server at {self.base_url} failed during "
                f"{path} ({type(exc).__name__}). Check the server's log."
            ) from None

    def _check_status(self, response: httpx.Response, path: str) -> None:
        code = response.status_code
        if code < 400:
            return
        response.read()
        detail = _detail(_json_or_none(response))
        where = f"the generator server at {self.base_url}"
        log.warning("generator server %s%s answered HTTP %d", self.base_url, path, code)
        if code in (401, 403):
            hint = ("Check the API key: export it in the environment variable that "
                    "generator.api_key_env names.")
        elif code == 404:
            hint = (f"Check generator.base_url (the API root, usually ending in /v1, under which "
                    f"{path} lives) and generator.model (the name the server serves the model "
                    "under).")
        elif code < 500:
            hint = "Check generator.model and the generation settings against the server's."
        else:
            hint = "Check the server's log."
        raise BackendError(f"{where} answered {path} with HTTP {code}{detail}. {hint}")

    def _malformed(self, path: str, what: str) -> BackendError:
        return BackendError(
            f"the generator server at {self.base_url} sent a malformed answer to {path}: {what}. "
            "Check that generator.base_url points at an OpenAI-compatible API (usually ending "
            "in /v1)."
        )

    def _cannot_score(self, detail: str) -> BackendError:
        return BackendError(
            f"the generator server at {self.base_url} cannot score options{detail}: it did not "
            "return the prompt's log-probabilities from /completions (echo with logprobs). "
            'Use a server that does (vLLM does), or backend = "transformers" for option '
            "scoring (Assistant.choose, medchat eval qa)."
        )

    def _option_logprob(self, data: dict, start: int, end: int) -> float:
        """Sum the log-probabilities of the echoed tokens that overlap text[start:end]."""
        try:
            choice = data["choices"][0]
            probs = choice["logprobs"]
            tokens, logprobs = probs["tokens"], probs["token_logprobs"]
            offsets = probs["text_offset"]
        except (KeyError, IndexError, TypeError):
            raise self._cannot_score("") from None
        if not offsets or len(offsets) != len(tokens) or min(offsets) >= start:
            raise self._cannot_score("")  # echo ignored: the prompt's tokens are not there
        total, counted = 0.0, 0
        for token, offset, logprob in zip(tokens, offsets, logprobs, strict=False):
            if offset < end and offset + len(token) > start:
                if logprob is None:
                    raise self._cannot_score("")
                total += float(logprob)
                counted += 1
        if not counted:
            raise self._cannot_score("")
        return total


def _event_text(event: dict, chat: bool) -> str | None:
    """The text an event carries ('' for role or usage events); None when it has no shape."""
    choices = event.get("choices")
    if choices == []:
        return ""  # a usage-only event
    if not isinstance(choices, list) or not isinstance(choices[0], dict):
        return None
    choice = choices[0]
    if chat:
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return None
        return delta.get("content") or ""
    text = choice.get("text")
    return text if isinstance(text, str) else None


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _detail(body: object) -> str:
    """The server's own error message, shortened: ': <message>' or ''."""
    message = None
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body.get("message")))
        if isinstance(error, dict):
            error = error.get("message")
        message = error if isinstance(error, str) else None
    if not message:
        return ""
    message = " ".join(message.split())
    if len(message) > _SERVER_DETAIL_CHARS:
        message = message[:_SERVER_DETAIL_CHARS] + " ..."
    return f": {message}"
