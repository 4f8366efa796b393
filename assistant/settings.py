"""One settings object for medchat, on pydantic-settings: defaults < a TOML file < environment
variables < the command line.

File: `--config PATH`, else $MEDCHAT_CONFIG, else ./medchat.toml if present; its tables are the
sections (`[retrieval]`, `[generator]`, `[chunking]`, `[app]`, `[triage]`, `[reading]`), its
top-level keys the plain fields of `Settings`. Environment: `MEDCHAT_HOME=/data/medchat`,
`MEDCHAT_RETRIEVAL__TOP_K=8` (section, two underscores, key). Command line: `medchat --set
retrieval.top_k=8 ...` and the commands' own options named in `COMMAND_LINE`. Every field has a
description; `medchat config` prints each value and where it came from. A section used by a lower
layer lives there (`corpus.chunking.ChunkSettings`, `retrieval.settings.RetrievalSettings`, ...):
frozen pydantic dataclasses, so `dataclasses.replace` makes a validated copy.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import pydantic_settings
from pydantic import ConfigDict, Field, ValidationError, field_validator
from pydantic.dataclasses import dataclass, is_pydantic_dataclass
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from assistant.generator import GeneratorSettings
from corpus.chunking import ChunkSettings
from corpus.errors import MedchatError
from corpus.limits import ReaderSettings
from retrieval.settings import MODES, RetrievalSettings

__all__ = ["COMMAND_LINE", "MODES", "AppSettings", "ChunkSettings", "GeneratorSettings",
           "ReaderSettings", "Resolved", "RetrievalSettings", "Settings", "SettingsError",
           "TriageSettings", "command_line", "load_settings", "resolve_settings", "setting_fields"]

ENV_PREFIX = "MEDCHAT_"
CONFIG_VARIABLE = "MEDCHAT_CONFIG"  # names the file; not a setting
DEFAULT = "default"
COMMAND = "command line"
# The commands' own options that override a setting (argparse dest -> setting): the one place
# `medchat` and `medchat eval` turn options into settings.
COMMAND_LINE = {"index_name": "index_name", "mode": "retrieval.mode",
                "reranker": "retrieval.reranker", "host": "app.host", "port": "app.port"}


class SettingsError(MedchatError, ValueError):
    """A setting that cannot be used; the message names it and says what is allowed."""


@dataclass(frozen=True, config=ConfigDict(extra="forbid", hide_input_in_errors=True))
class AppSettings:
    """The chat UI. Private by default: loopback only, no login unless both `username` and
    `password` are set. The question-length limit is `retrieval.query.MAX_QUERY_CHARS`."""

    host: str = Field("127.0.0.1", description='address to serve on: loopback only unless the '
                      'operator opts in ("0.0.0.0" serves your network: set a login)')
    port: int = Field(7860, description="port to serve on")
    username: str = Field("", description="with password: a login page guards the app and its "
                          "API (better from the environment: MEDCHAT_APP__USERNAME)")
    password: str = Field("", repr=False, description="with username; better from the "
                          "environment: MEDCHAT_APP__PASSWORD (never printed)")
    concurrency: int = Field(2, description="literature answers generated at once (each uses "
                             "the CPU fully; at least 1)")
    intake_concurrency: int = Field(4, description="patient turns at once, in their own queue "
                                    "(rules and a small model: fast; at least 1)")
    queue_size: int = Field(100, description='requests waiting beyond this are refused with '
                            '"queue is full" (at least 1)')
    session_minutes: int = Field(60, description="a browser session's state and summary files "
                                 "are dropped this long after last use (at least 1)")

    def __post_init__(self) -> None:
        if bool(self.username) != bool(self.password):
            raise ValueError("app.username and app.password must be set together (or neither)")
        if min(self.concurrency, self.intake_concurrency, self.queue_size,
               self.session_minutes) < 1:
            raise ValueError("app.concurrency, intake_concurrency, queue_size and "
                             "session_minutes must be at least 1")


@dataclass(frozen=True, config=ConfigDict(extra="forbid", hide_input_in_errors=True))
class TriageSettings:
    """The meaning layers over the triage rules (each may only raise a level)."""

    signs: str = Field("", description='clause-level sign detector: "medchat-triage-signs" or a '
                       'folder; "" = off (the default: on development stories it found no '
                       "emergency the other layers missed and added false emergencies; see "
                       "docs/triage.md)")
    urgency: str = Field("medchat-triage-urgency", description="whole-story urgency model: a "
                         'shipped name or a folder; "" = off')


class Settings(BaseSettings):
    """Everything medchat can be told; built by `load_settings` (constructing it directly uses
    the given values and defaults only)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__",
                                      frozen=True, extra="forbid", hide_input_in_errors=True)

    home: Path = Field(default_factory=lambda: Path.home() / ".medchat",
                       description="the folder holding indexes/ (one folder per index_name) "
                       "and models/")
    index_name: str = Field("default", description="the index to use: a folder in home/indexes")
    corpus: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="files or folders to index (in the environment: comma-separated); "
        "empty = the built-in corpus")
    threads: int = Field(0, ge=0, description="torch CPU threads; 0 = torch's default")
    models_dir: str = Field("", description='verified / converted model weights; "" = '
                            "home/models")
    chunking: ChunkSettings = Field(default_factory=ChunkSettings,
                                    description="how documents are cut into passages")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings,
                                         description="search: embedder, index, fusion, reranker")
    generator: GeneratorSettings = Field(default_factory=GeneratorSettings,
                                         description="the answer generator and how it decodes")
    app: AppSettings = Field(default_factory=AppSettings, description="the chat UI")
    verdict_reader: str = Field("medchat-verdict", description="what reads the top source for "
                                "a verdict (yes/no, trial effects): the shipped medchat-verdict "
                                'or a folder from `medchat reader train`; "" = state none')
    triage: TriageSettings = Field(default_factory=TriageSettings,
                                   description="the triage meaning layers")
    reading: ReaderSettings = Field(default_factory=ReaderSettings,
                                    description="corpus record-size limits")

    @field_validator("corpus", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        items = value.split(",") if isinstance(value, str) else value
        if isinstance(items, list | tuple):
            return tuple(s for s in (str(v).strip() for v in items) if s)
        return value

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_: object) -> tuple:
        """Only the given values: `load_settings` layers the file, the environment and the
        command line itself, so that it knows where each value came from."""
        return (init_settings,)

    @property
    def index_dir(self) -> Path:
        return self.home / "indexes" / self.index_name

    @property
    def model_cache(self) -> Path:
        return Path(self.models_dir).expanduser() if self.models_dir else self.home / "models"


@dataclasses.dataclass(frozen=True)
class Resolved:
    """Settings and, for every setting (dotted name), where its value came from: "default", the
    file's path, an environment variable's name, or "command line"."""

    settings: Settings
    sources: dict[str, str]


def setting_fields() -> Iterator[tuple[str, FieldInfo]]:
    """(dotted name, field) of every setting, sections expanded: the plain fields first."""
    plain = [(n, f) for n, f in Settings.model_fields.items() if not _is_section(f)]
    yield from plain
    for name, field in Settings.model_fields.items():
        if _is_section(field):
            for key, sub in field.annotation.__pydantic_fields__.items():
                yield f"{name}.{key}", sub


def command_line(options: Mapping[str, object], assignments: Sequence[str] = ()) -> dict:
    """The settings a command line sets: `--set SECTION.KEY=VALUE` assignments, then the options
    in COMMAND_LINE that were given (an empty value counts as not given)."""
    chosen: dict[str, object] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"--set takes SETTING=VALUE (e.g. retrieval.top_k=8), got {item!r}")
        chosen[key.strip()] = value
    chosen.update({setting: options[dest] for dest, setting in COMMAND_LINE.items()
                   if options.get(dest) not in (None, "")})
    return chosen


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None,
                  overrides: Mapping[str, object] | None = None) -> Settings:
    """Defaults < the TOML file < MEDCHAT_* variables of `env` (default: os.environ) <
    `overrides` ({dotted setting: value}, see `command_line`)."""
    return resolve_settings(path, env, overrides).settings


def resolve_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None,
                     overrides: Mapping[str, object] | None = None) -> Resolved:
    """`load_settings`, also saying where each value came from."""
    env = os.environ if env is None else env
    values: dict[str, tuple[object, str]] = {}  # dotted name -> (value, source), last wins
    for layer, source in _layers(path, env, overrides or {}):
        values.update({name: (value, source(name)) for name, value in _flat(layer)})
    sources = {name: values.get(name, (None, DEFAULT))[1] for name, _ in setting_fields()}
    try:
        settings = Settings(**_nested({name: value for name, (value, _) in values.items()}))
    except ValidationError as exc:
        origins = {name: source for name, (_, source) in values.items()}
        raise SettingsError("; ".join(_problem(e, origins) for e in exc.errors())) from None
    return Resolved(settings, sources)


# --- layers -------------------------------------------------------------------------------------


def _layers(path: str | Path | None, env: Mapping[str, str], overrides: Mapping[str, object]):
    """(values, source of a dotted name) per layer, lowest precedence first."""
    if path is None:
        local = Path("medchat.toml")
        path = env.get(CONFIG_VARIABLE) or (local if local.is_file() else None)
    if path:
        yield _read_toml(Path(path)), lambda _name, file=str(path): file
    yield _environment(env), lambda name: ENV_PREFIX + name.replace(".", "__").upper()
    yield _nested(dict(overrides)), lambda _name: COMMAND


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError(f"settings file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc


class _EnvironmentSource(EnvSettingsSource):
    """pydantic-settings' environment parsing (prefix, `__` nesting, any case) over a given
    mapping instead of os.environ."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._given, self.case_sensitive, self.env_ignore_empty,
                              self.env_parse_none_str)


def _environment(env: Mapping[str, str]) -> dict:
    """MEDCHAT_* values; a MEDCHAT_ name that is no setting is refused (pydantic-settings would
    ignore it, and a typo would silently change nothing)."""
    for name in env:
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper != CONFIG_VARIABLE:
            head = upper[len(ENV_PREFIX):].split("__")[0].lower()
            if head not in Settings.model_fields:
                raise SettingsError(f"unknown setting {name}; known: "
                                    f"{', '.join(sorted(Settings.model_fields))}")
    try:
        return _EnvironmentSource(env)()
    except pydantic_settings.SettingsError as exc:  # e.g. MEDCHAT_RETRIEVAL=8: a whole section
        raise SettingsError(f"{exc}: set a section's keys one by one, e.g. "
                            "MEDCHAT_RETRIEVAL__TOP_K=8") from None


def _flat(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, object]]:
    for key, value in values.items():
        if isinstance(value, Mapping):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield prefix + key, value


def _nested(values: Mapping[str, object]) -> dict:
    tree: dict[str, Any] = {}
    for name, value in values.items():
        *sections, key = name.split(".")
        node = tree
        for section in sections:
            node = node.setdefault(section, {})
            if not isinstance(node, dict):
                raise SettingsError(f"setting {section} is a section: set {name} on its own")
        node[key] = value
    return tree


# --- errors -------------------------------------------------------------------------------------


def _is_section(field: FieldInfo) -> bool:
    return is_pydantic_dataclass(field.annotation)


def _problem(error: Mapping[str, Any], origins: Mapping[str, str]) -> str:
    """One validation error as a sentence naming the setting, where it was set and what to do."""
    name = ".".join(str(part) for part in error["loc"])
    set_by = sorted({s for n, s in origins.items() if n == name or n.startswith(name + ".")})
    where = f" (from {', '.join(set_by)})" if set_by else ""
    if error["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
        section = name.rpartition(".")[0]
        fields = (Settings.model_fields[section].annotation.__pydantic_fields__ if section
                  else Settings.model_fields)
        return f"unknown setting {name}{where}; known: {', '.join(sorted(fields))}"
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return f"{error['ctx']['error']}{where}"
    hidden = name in {n for n, f in setting_fields() if not f.repr}
    value = "a hidden value" if hidden else repr(error["input"])
    return f"setting {name}{where}: cannot use {value} ({error['msg']})"
