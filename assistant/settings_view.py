"""`medchat config`: the effective settings as TOML (each value followed by where it came from)
or JSON, and the settings reference as a Markdown table built from the fields' descriptions.

A field declared with `repr=False` (the app password) is never printed: "<hidden>" stands in.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.settings import ENV_PREFIX, Resolved, Settings, setting_fields

HIDDEN = "<hidden>"


def _values(settings: Settings) -> dict[str, object]:
    """{dotted name: value} of every setting, hidden ones masked when set."""
    dumped = settings.model_dump(mode="json")
    values = {}
    for name, field in setting_fields():
        section, _, key = name.rpartition(".")
        value = dumped[section][key] if section else dumped[key]
        values[name] = HIDDEN if value and not field.repr else value
    return values


def _toml(value: object) -> str:
    """A TOML literal (JSON's strings, numbers and arrays are TOML's too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def as_toml(resolved: Resolved) -> str:
    """The effective settings as a TOML file, with each value's source as a comment."""
    lines = ["# medchat's effective settings; after each value, where it came from", ""]
    current = ""
    for name, value in _values(resolved.settings).items():
        section, _, key = name.rpartition(".")
        if section != current:
            lines += ["", f"[{section}]"]
            current = section
        if value is None:  # unset ("auto"): TOML has no null, so the line is a comment
            lines.append(f"{f'# {key} = (unset: auto)':<40} # {resolved.sources[name]}")
            continue
        lines.append(f"{f'{key} = {_toml(value)}':<40} # {resolved.sources[name]}")
    return "\n".join(lines) + "\n"


def as_json(resolved: Resolved) -> str:
    """{"settings": {dotted name: value}, "sources": {dotted name: where it came from}}."""
    return json.dumps({"settings": _values(resolved.settings), "sources": resolved.sources},
                      indent=2, ensure_ascii=False)


def _default(value: object) -> str:
    if value is None:
        return "unset (auto)"
    text = _toml(value)
    home = str(Path.home())
    return text.replace(home, "~", 1) if isinstance(value, str) else text


def reference_markdown() -> str:
    """Every setting: its TOML name, environment variable, default and description."""
    rows = ["| setting | environment variable | default | what it does |",
            "| --- | --- | --- | --- |"]
    for name, value in _values(Settings()).items():
        field = dict(setting_fields())[name]
        variable = ENV_PREFIX + name.replace(".", "__").upper()
        text = (field.description or "").replace("|", "\\|").replace("<", "&lt;")
        rows.append(f"| `{name}` | `{variable}` | `{_default(value)}` | {text} |")
    return "\n".join(rows) + "\n"
