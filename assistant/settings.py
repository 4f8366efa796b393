"""One settings object for medchat: defaults, then a TOML file, then MEDCHAT_* variables.

File: `--config PATH`, else $MEDCHAT_CONFIG, else ./medchat.toml if present. Sections match the
fields below (`[retrieval]`, `[generator]`, `[chunking]`, `[app]`, `[triage]`); top-level keys
are `home`, `index_name`, `corpus`, `threads`, `models_dir`. Environment:
`MEDCHAT_HOME=/data/medchat`, `MEDCHAT_RETRIEVAL__TOP_K=8` (section, two underscores, key).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from assistant.generator import GeneratorSettings
from corpus.chunking import ChunkSettings
from corpus.errors import MedchatError
from corpus.limits import ReaderSettings
from retrieval.settings import RetrievalSettings


class SettingsError(MedchatError, ValueError):
    """A setting that cannot be used; the message names it and says what is allowed."""


@dataclass(frozen=True)
class AppSettings:
    """The chat UI. Private by default: loopback only, no login unless both `username` and
    `password` are set (better from the environment: MEDCHAT_APP__USERNAME, ..._PASSWORD)."""

    host: str = "127.0.0.1"  # loopback only unless the operator opts in
    port: int = 7860
    max_message_chars: int = 2000
    username: str = ""  # with `password`: a login is required to open the app
    password: str = ""
    concurrency: int = 2  # literature answers generated at once (each uses the CPU fully)
    intake_concurrency: int = 4  # patient turns at once (rules and a small model: fast)
    queue_size: int = 100  # requests waiting beyond this are refused with "queue is full"
    session_minutes: int = 60  # a browser session's state is dropped this long after last use

    def __post_init__(self) -> None:
        if bool(self.username) != bool(self.password):
            raise ValueError("app.username and app.password must be set together (or neither)")
        if min(self.concurrency, self.intake_concurrency, self.queue_size,
               self.session_minutes) < 1:
            raise ValueError("app.concurrency, intake_concurrency, queue_size and "
                             "session_minutes must be at least 1")


@dataclass(frozen=True)
class TriageSettings:
    # the meaning layers over the rules (each may only raise a level): shipped names or folders;
    # "" switches one off. The clause-level sign detector ("medchat-triage-signs") is off by
    # default: on development stories it found no emergency the other layers missed and added
    # false emergencies (negation, antonyms); see docs/triage.md.
    signs: str = ""
    urgency: str = "medchat-triage-urgency"  # the whole story's urgency


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path.home() / ".medchat")
    index_name: str = "default"
    corpus: tuple[str, ...] = ()  # files or folders; empty = the built-in corpus
    threads: int = 0  # torch CPU threads; 0 = torch's default
    models_dir: str = ""  # verified / converted model weights; "" = <home>/models
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    app: AppSettings = field(default_factory=AppSettings)
    triage: TriageSettings = field(default_factory=TriageSettings)
    reading: ReaderSettings = field(default_factory=ReaderSettings)  # corpus record-size limits

    @property
    def index_dir(self) -> Path:
        return self.home / "indexes" / self.index_name

    @property
    def model_cache(self) -> Path:
        return Path(self.models_dir).expanduser() if self.models_dir else self.home / "models"


def _coerce(value: object, kind: object, name: str) -> object:
    """Turn TOML or environment values into the field's declared type."""
    origin = typing.get_origin(kind)
    try:
        if kind is bool:
            if isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError(value)
                return value.lower() in ("1", "true", "yes", "on")
            return bool(value)
        if kind in (int, float, str):
            return kind(value)
        if kind is Path:
            return Path(os.path.expanduser(str(value)))
        if origin is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(v).strip() for v in items if str(v).strip())
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name}: cannot use {value!r} ({exc})") from exc
    return value


def _apply(obj: object, values: Mapping[str, object], prefix: str) -> object:
    known = {f.name: f for f in fields(obj)}
    hints = typing.get_type_hints(type(obj))
    changes = {}
    for key, value in values.items():
        if key not in known:
            raise SettingsError(
                f"unknown setting {prefix}{key}; known: {', '.join(sorted(known))}"
            )
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise SettingsError(f"setting {prefix}{key} must be a table/section")
            changes[key] = _apply(current, value, f"{prefix}{key}.")
        else:
            changes[key] = _coerce(value, hints[key], prefix + key)
    try:
        return replace(obj, **changes)
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc


def _from_env(env: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, value in env.items():
        if not name.startswith("MEDCHAT_") or name == "MEDCHAT_CONFIG":
            continue
        key = name[len("MEDCHAT_") :].lower()
        if "__" in key:
            section, sub = key.split("__", 1)
            values.setdefault(section, {})[sub] = value  # type: ignore[index]
        else:
            values[key] = value
    return values


def load_settings(
    path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    env = os.environ if env is None else env
    settings = Settings()
    if path is None:
        local = Path("medchat.toml")
        path = env.get("MEDCHAT_CONFIG") or (local if local.is_file() else None)
    if path:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError as exc:
            raise SettingsError(f"settings file {path} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc
        settings = _apply(settings, data, "")
    return _apply(settings, _from_env(env), "MEDCHAT_")
