"""The OpenAI-compatible HTTP backend, end to end against a real model behind a loopback server.

No llama.cpp wheel installs from PyPI here, so the server is a minimal OpenAI-compatible one
written below (stdlib `http.server` on 127.0.0.1, a free port, bounded requests, a watchdog that
stops it) wrapping the real packaged Gemma 3 270M `Generator`. Failure modes a real server shows
(down, unknown model, crash, silence, a broken or cut stream, no echo support) are served by the
same server switched into that mode.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.generator import GeneratorSettings, make_generator
from assistant.openai_backend import BackendError, OpenAIGenerator
from assistant.settings import SettingsError, load_settings

MODEL = "gemma-3-270m"
MAX_BODY = 1 << 20
MAX_TOKENS = 256
WATCHDOG_S = 900  # the server stops itself even if a test never returns
PRIVATE = "Mrs Quillfeather-Zyx has a rash"  # must never reach an error message or a log


def chat_text(tokenizer, messages: list[dict]) -> str:
    """The model's chat template, or Gemma's turn format when the tokenizer has none."""
    if tokenizer.chat_template:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    turns = "".join(f"<start_of_turn>user\n{m['content']}<end_of_turn>\n" for m in messages)
    return turns + "<start_of_turn>model\n"


def prompt_logprobs(generator, text: str) -> dict:
    """OpenAI `logprobs` for an echoed prompt: each token, its offset, its log-probability."""
    import torch

    enc = generator.tokenizer(text, return_offsets_mapping=True, return_tensors="pt")
    ids = enc["input_ids"][0]
    with torch.no_grad():
        logits = generator.model(ids.unsqueeze(0)).logits[0]
    logprobs = torch.log_softmax(logits[:-1].float(), dim=-1)
    picked = [None] + [float(logprobs[i, ids[i + 1]]) for i in range(len(ids) - 1)]
    spans = enc["offset_mapping"][0].tolist()
    return {"tokens": [text[a:b] for a, b in spans], "text_offset": [a for a, _ in spans],
            "token_logprobs": picked, "top_logprobs": None}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection; a stream ends at close
    server: LoopbackServer

    def log_message(self, *args) -> None:  # quiet: requests carry prompts
        pass

    def do_POST(self) -> None:
        srv = self.server
        srv.paths.append(self.path)
        if srv.mode == "silent":
            time.sleep(3)
            return
        if srv.api_key and self.headers.get("Authorization") != f"Bearer {srv.api_key}":
            return self.send_json(401, {"error": {"message": "invalid api key"}})
        length = int(self.headers.get("Content-Length", 0))
        if length > MAX_BODY:
            return self.send_json(413, {"error": {"message": "request too large"}})
        body = json.loads(self.rfile.read(length))
        if srv.mode == "crash":
            return self.send_json(500, {"error": {"message": "CUDA out of memory"}})
        if body.get("model") != MODEL:
            return self.send_json(404, {"error": {"message": f"model {body.get('model')!r} "
                                                             "does not exist"}})
        chat = self.path == "/v1/chat/completions"
        if self.path not in ("/v1/completions", "/v1/chat/completions"):
            return self.send_json(404, {"error": {"message": "not found"}})
        prompt = chat_text(srv.generator.tokenizer, body["messages"]) if chat else body["prompt"]
        if body.get("echo") and srv.mode != "no-echo":
            return self.send_json(200, {"choices": [{
                "index": 0, "text": prompt, "finish_reason": "length",
                "logprobs": prompt_logprobs(srv.generator, prompt)}]})
        if not body.get("stream"):
            text = srv.generator.generate(prompt, 1)
            return self.send_json(200, {"choices": [{"index": 0, "text": text}]})
        self.stream(prompt, min(int(body.get("max_tokens", 16)), MAX_TOKENS),
                    body.get("stop") or [], chat)

    def stream(self, prompt: str, max_tokens: int, stop: list[str], chat: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = self.server.generator.stream(prompt, max_tokens, stop)
        try:
            for i, piece in enumerate(pieces):
                if self.server.mode == "malformed":
                    return self.event("{not json")
                if self.server.mode == "cut" and i == 1:
                    return
                self.event(json.dumps(self.chunk(piece, None, chat)))
            self.event(json.dumps(self.chunk("", "stop", chat)))
            self.event("[DONE]")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at a stop sequence
        finally:
            pieces.close()

    def chunk(self, text: str, finish: str | None, chat: bool) -> dict:
        if chat:
            return {"choices": [{"index": 0, "delta": {"content": text},
                                 "finish_reason": finish}]}
        return {"choices": [{"index": 0, "text": text, "finish_reason": finish}]}

    def event(self, data: str) -> None:
        self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()

    def send_json(self, code: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, generator, mode: str = "ok", api_key: str = "") -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.generator, self.mode, self.api_key = generator, mode, api_key
        self.paths: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@contextmanager
def serving(generator, mode: str = "ok", api_key: str = "") -> Iterator[LoopbackServer]:
    server = LoopbackServer(generator, mode, api_key)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    watchdog = threading.Timer(WATCHDOG_S, server.shutdown)
    watchdog.daemon = True
    thread.start()
    watchdog.start()
    try:
        yield server
    finally:
        watchdog.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def http_settings(base_url: str, **changes) -> GeneratorSettings:
    return replace(GeneratorSettings(model=MODEL, backend="openai", base_url=base_url), **changes)


@pytest.fixture(scope="module")
def server(generator):
    with serving(generator) as running:
        yield running


@pytest.fixture(scope="module")
def remote(server):
    return OpenAIGenerator(http_settings(server.base_url))


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- generation over HTTP -------------------------------------------------------------------


def test_streamed_text_over_http_is_what_the_model_writes_locally(remote, generator):
    prompt = "The heart has four"
    pieces = list(remote.stream(prompt, max_new_tokens=10))
    assert len(pieces) > 1
    assert "".join(pieces) == generator.generate(prompt, max_new_tokens=10)


def test_a_base_model_is_sent_to_the_completions_endpoint(remote, server):
    server.paths.clear()
    remote.generate("Question: What organ pumps blood?\nAnswer:", max_new_tokens=4)
    assert server.paths == ["/v1/completions"]


def test_text_ends_before_a_stop_sequence(remote):
    text = remote.generate("List: apples, pears,", max_new_tokens=24, stop=[","])
    assert text and "," not in text


def test_more_stop_sequences_than_the_api_takes_are_still_honoured(remote):
    stops = ["\nQuestion:", "\nSources:", "\n\n", "\nExample", ","]
    text = remote.generate("List: apples, pears,", max_new_tokens=24, stop=stops)
    assert "," not in text


def test_chat_style_uses_the_chat_endpoint_and_the_servers_template(server, generator):
    remote = OpenAIGenerator(http_settings(server.base_url, prompt_style="chat"))
    server.paths.clear()
    text = remote.generate("Name one organ of the body.", max_new_tokens=8)
    assert server.paths == ["/v1/chat/completions"]
    templated = chat_text(generator.tokenizer, [{"role": "user",
                                                 "content": "Name one organ of the body."}])
    assert text == generator.generate(templated, max_new_tokens=8)


def test_make_generator_builds_the_http_backend_from_settings(server, generator):
    settings = load_settings(env={"MEDCHAT_GENERATOR__BACKEND": "openai",
                                  "MEDCHAT_GENERATOR__BASE_URL": server.base_url})
    built = make_generator(settings.generator, settings.model_cache)
    assert isinstance(built, OpenAIGenerator)
    assert built.generate("The heart has four", 6) == generator.generate("The heart has four", 6)


def test_the_assistant_answers_through_the_http_backend(server, retriever, settings):
    from assistant.assistant import Assistant
    from assistant.records import Answer

    remote = OpenAIGenerator(http_settings(server.base_url, max_new_tokens=40))
    items = list(Assistant(retriever, remote, settings).answer_stream(
        "Are 99mTc leukocyte scans useful in children suspected of having IBD?"))
    answer = items[-1]
    assert isinstance(answer, Answer) and any(isinstance(i, str) for i in items[:-1])
    assert answer.text and (answer.citations or answer.abstained)


# --- scoring --------------------------------------------------------------------------------


def test_scoring_over_http_agrees_with_local_scoring(remote, generator):
    prompt, options = "The capital city of France is", [" Paris", " Banana"]
    over_http = remote.score_options(prompt, options)
    local = generator.score_options(prompt, options)
    assert over_http[" Paris"] > over_http[" Banana"]
    assert over_http == pytest.approx(local, abs=1e-3)


def test_a_server_without_echo_says_it_cannot_score_and_what_to_use(generator):
    with serving(generator, mode="no-echo") as server:
        remote = OpenAIGenerator(http_settings(server.base_url))
        with pytest.raises(BackendError, match="cannot score options.*transformers") as err:
            remote.score_options("The capital city of France is", [" Paris"])
    assert server.base_url in str(err.value)


# --- failures become clear messages -------------------------------------------------------


def test_a_server_that_is_down_is_named_with_what_to_check():
    base_url = f"http://127.0.0.1:{unused_port()}/v1"
    remote = OpenAIGenerator(http_settings(base_url))
    with pytest.raises(BackendError, match="cannot connect.*running") as err:
        remote.generate(PRIVATE)
    assert base_url in str(err.value)


def test_an_unknown_model_names_the_model_setting(server):
    remote = OpenAIGenerator(http_settings(server.base_url, model="no-such-model"))
    with pytest.raises(BackendError, match="HTTP 404.*generator.model"):
        remote.generate("The heart has four", 4)


def test_a_wrong_path_names_the_base_url_setting(server):
    remote = OpenAIGenerator(http_settings(server.base_url.removesuffix("/v1")))
    with pytest.raises(BackendError, match="HTTP 404.*generator.base_url"):
        remote.generate("The heart has four", 4)


def test_a_server_error_is_reported_without_the_prompt(generator, caplog):
    with serving(generator, mode="crash") as server:
        remote = OpenAIGenerator(http_settings(server.base_url))
        with pytest.raises(BackendError, match="HTTP 500: CUDA out of memory") as err:
            remote.generate(PRIVATE)
    assert PRIVATE not in str(err.value)
    assert PRIVATE not in caplog.text


def test_a_silent_server_times_out_with_the_setting_to_raise(generator):
    with serving(generator, mode="silent") as server:
        remote = OpenAIGenerator(http_settings(server.base_url, timeout_s=0.5))
        with pytest.raises(BackendError, match="did not answer.*generator.timeout_s") as err:
            remote.generate(PRIVATE)
    assert server.base_url in str(err.value) and PRIVATE not in str(err.value)


def test_a_malformed_stream_is_reported(generator):
    with serving(generator, mode="malformed") as server:
        remote = OpenAIGenerator(http_settings(server.base_url))
        with pytest.raises(BackendError, match="malformed answer.*not JSON"):
            remote.generate("The heart has four", 4)


def test_a_stream_cut_short_is_an_error_not_a_short_answer(generator):
    with serving(generator, mode="cut") as server:
        remote = OpenAIGenerator(http_settings(server.base_url))
        with pytest.raises(BackendError, match="ended before the answer was finished"):
            remote.generate("The heart has four", 10)


# --- the API key comes from the environment ---------------------------------------------------


def test_the_api_key_is_read_from_the_named_environment_variable(generator):
    with serving(generator, api_key="s3cret") as server:
        settings = http_settings(server.base_url, api_key_env="MEDCHAT_TEST_KEY")
        remote = OpenAIGenerator(settings, env={"MEDCHAT_TEST_KEY": "s3cret"})
        assert remote.generate("The heart has four", 4)
        wrong = OpenAIGenerator(settings, env={"MEDCHAT_TEST_KEY": "other"})
        with pytest.raises(BackendError, match="HTTP 401.*api_key_env") as err:
            wrong.generate("The heart has four", 4)
    assert "other" not in str(err.value)


def test_a_missing_key_variable_is_named():
    settings = http_settings("http://127.0.0.1:9/v1", api_key_env="MEDCHAT_TEST_KEY")
    with pytest.raises(BackendError, match="MEDCHAT_TEST_KEY.*not set"):
        OpenAIGenerator(settings, env={})


@pytest.mark.parametrize("key", ["sk-live-1234", "mysecretkey"])
def test_a_key_written_into_settings_is_refused_without_repeating_it(key):
    with pytest.raises(SettingsError, match="NAME of an environment variable") as err:
        load_settings(env={"MEDCHAT_GENERATOR__API_KEY_ENV": key})
    assert key not in str(err.value)


def test_the_http_backend_needs_a_base_url():
    with pytest.raises(SettingsError, match="base_url"):
        load_settings(env={"MEDCHAT_GENERATOR__BACKEND": "openai"})


def test_an_unknown_backend_is_refused_with_the_known_ones():
    with pytest.raises(SettingsError, match="transformers, llama.cpp, openai"):
        load_settings(env={"MEDCHAT_GENERATOR__BACKEND": "magic"})
