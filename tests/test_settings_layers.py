"""Settings layers: default < file < environment < command line; described, validated, frozen."""

import dataclasses

import pytest

from assistant.settings import (
    COMMAND_LINE,
    Settings,
    SettingsError,
    command_line,
    load_settings,
    resolve_settings,
    setting_fields,
)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "medchat.toml"
    path.write_text('index_name = "from-file"\n[retrieval]\ntop_k = 8\nmode = "dense"\n')
    return path


def test_the_file_overrides_the_defaults(config):
    s = load_settings(config, env={})
    assert (s.index_name, s.retrieval.top_k, s.retrieval.fetch_k) == ("from-file", 8, 50)


def test_the_environment_overrides_the_file(config):
    s = load_settings(config, env={"MEDCHAT_RETRIEVAL__TOP_K": "3"})
    assert (s.retrieval.top_k, s.retrieval.mode) == (3, "dense")


def test_the_command_line_overrides_the_environment(config):
    env = {"MEDCHAT_RETRIEVAL__MODE": "hybrid", "MEDCHAT_RETRIEVAL__TOP_K": "3"}
    s = load_settings(config, env=env, overrides=command_line({"mode": "bm25"},
                                                              ["retrieval.top_k=9"]))
    assert (s.retrieval.mode, s.retrieval.top_k, s.index_name) == ("bm25", 9, "from-file")


def test_each_value_is_attributed_to_the_layer_that_set_it(config):
    env = {"MEDCHAT_RETRIEVAL__TOP_K": "3", "MEDCHAT_HOME": "/data/m"}
    sources = resolve_settings(config, env=env, overrides={"retrieval.mode": "bm25"}).sources
    assert sources["retrieval.fetch_k"] == "default"
    assert sources["index_name"] == str(config)
    assert sources["retrieval.top_k"] == "MEDCHAT_RETRIEVAL__TOP_K"
    assert sources["home"] == "MEDCHAT_HOME"
    assert sources["retrieval.mode"] == "command line"


def test_every_setting_has_a_description():
    undocumented = [name for name, field in setting_fields() if not field.description]
    assert undocumented == []
    assert len(dict(setting_fields())) > 40  # the sections are expanded, not skipped


def test_every_command_line_option_names_a_setting():
    assert set(COMMAND_LINE.values()) <= set(dict(setting_fields()))


def test_a_bad_value_names_the_setting_and_where_it_was_set():
    with pytest.raises(SettingsError, match=r"setting chunking.max_words \(from "
                                            r"MEDCHAT_CHUNKING__MAX_WORDS\): cannot use 'many'"):
        load_settings(env={"MEDCHAT_CHUNKING__MAX_WORDS": "many"})


def test_a_value_outside_its_range_says_what_is_allowed():
    with pytest.raises(SettingsError, match=r"chunking max_words must be at least 20, got 5 "
                                            r"\(from command line\)"):
        load_settings(env={}, overrides={"chunking.max_words": "5"})


def test_an_unknown_environment_variable_is_named():
    with pytest.raises(SettingsError, match="unknown setting MEDCHAT_TOPK; known: .*retrieval"):
        load_settings(env={"MEDCHAT_TOPK": "3"})


def test_an_unknown_key_in_the_file_is_named_with_the_file(tmp_path):
    path = tmp_path / "medchat.toml"
    path.write_text("[chunking]\nwords = 100\n")
    with pytest.raises(SettingsError, match=f"unknown setting chunking.words \\(from {path}\\); "
                                            "known: max_words, overlap_words"):
        load_settings(path, env={})


def test_a_set_option_without_a_value_is_refused():
    with pytest.raises(SettingsError, match="SETTING=VALUE"):
        command_line({}, ["retrieval.top_k"])


def test_a_hidden_value_is_never_repeated_in_an_error():
    with pytest.raises(SettingsError) as err:
        load_settings(env={"MEDCHAT_APP__USERNAME": "u", "MEDCHAT_APP__PASSWORD": "x" * 3},
                      overrides={"app.password": ["s3cret-list"]})
    assert "s3cret-list" not in str(err.value) and "a hidden value" in str(err.value)


def test_a_missing_settings_file_is_reported(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "absent.toml", env={})


def test_medchat_config_names_the_file_to_read(config):
    assert load_settings(env={"MEDCHAT_CONFIG": str(config)}).index_name == "from-file"


def test_settings_cannot_be_changed_in_place():
    s = load_settings(env={})
    with pytest.raises(ValueError):
        s.index_name = "other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.retrieval.top_k = 3


def test_a_copy_of_a_section_is_validated_too():
    retrieval = load_settings(env={}).retrieval
    assert dataclasses.replace(retrieval, top_k=7).top_k == 7
    with pytest.raises(ValueError, match="top_k and fetch_k must be at least 1"):
        dataclasses.replace(retrieval, top_k=0)


def test_constructing_settings_directly_reads_no_environment(monkeypatch):
    monkeypatch.setenv("MEDCHAT_INDEX_NAME", "from-env")
    assert Settings().index_name == "default"
