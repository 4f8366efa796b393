"""`medchat config`: the effective settings, where each value came from, and the reference."""

import json
import os
import tomllib

import pytest

import medchat_cli
from assistant.settings import load_settings, setting_fields


@pytest.fixture
def layered(tmp_path, monkeypatch):
    """A file, an environment variable and a command-line option, each setting one value."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.upper().startswith("MEDCHAT_")]:
        monkeypatch.delenv(name)
    config = tmp_path / "medchat.toml"
    config.write_text('[retrieval]\ntop_k = 8\nmode = "dense"\n[app]\nport = 9000\n')
    monkeypatch.setenv("MEDCHAT_RETRIEVAL__TOP_K", "3")
    monkeypatch.setenv("MEDCHAT_APP__USERNAME", "clinic")
    monkeypatch.setenv("MEDCHAT_APP__PASSWORD", "s3cret")
    return config


def _config(capsys, *argv: str) -> str:
    assert medchat_cli.main(list(argv)) == 0
    return capsys.readouterr().out


def test_config_prints_each_value_with_its_source(layered, capsys):
    out = _config(capsys, "--config", str(layered), "--set", "retrieval.fetch_k=40", "config")
    lines = {line.split("=")[0].strip(): line for line in out.splitlines() if " = " in line}
    assert lines["top_k"].endswith("# MEDCHAT_RETRIEVAL__TOP_K") and "= 3 " in lines["top_k"]
    assert lines["port"].endswith(f"# {layered}") and "= 9000 " in lines["port"]
    assert lines["fetch_k"].endswith("# command line") and "= 40 " in lines["fetch_k"]
    assert lines["nprobe"].endswith("# default")


def test_config_output_is_a_settings_file_that_loads_back_the_same(layered, capsys, tmp_path):
    out = _config(capsys, "--config", str(layered), "config")
    copy = tmp_path / "copy.toml"
    copy.write_text(out.replace('"<hidden>"', '"s3cret"'))
    tomllib.loads(out)
    assert load_settings(copy, env={}) == load_settings(layered)


def test_config_json_gives_settings_and_sources(layered, capsys):
    shown = json.loads(_config(capsys, "--config", str(layered), "config", "--json"))
    assert shown["settings"]["retrieval.mode"] == "dense"
    assert shown["sources"]["retrieval.mode"] == str(layered)
    assert set(shown["settings"]) == set(shown["sources"]) == set(dict(setting_fields()))


def test_config_never_prints_the_password(layered, capsys):
    for argv in (["config"], ["config", "--json"]):
        out = _config(capsys, "--config", str(layered), *argv)
        assert "s3cret" not in out and "<hidden>" in out


def test_config_markdown_lists_every_setting_with_its_variable(capsys):
    out = _config(capsys, "config", "--markdown")
    for name, field in setting_fields():
        row = next(line for line in out.splitlines() if line.startswith(f"| `{name}` |"))
        assert f"`MEDCHAT_{name.replace('.', '__').upper()}`" in row
        assert field.description.split()[0] in row


def test_a_bad_command_line_value_is_one_line_with_status_2(layered, capsys):
    assert medchat_cli.main(["--set", "retrieval.top_k=0", "config"]) == 2
    err = capsys.readouterr().err
    assert err == ("medchat: error: retrieval top_k and fetch_k must be at least 1 "
                   "(from command line, medchat.toml)\n")
