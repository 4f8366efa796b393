"""Settings: defaults, TOML file, environment overrides, clear errors."""

from pathlib import Path

import pytest

from assistant.settings import SettingsError, load_settings


def test_defaults_bind_the_app_to_loopback_and_use_hybrid_search():
    s = load_settings(env={})
    assert s.app.host == "127.0.0.1"
    assert s.retrieval.mode == "hybrid"
    assert s.retrieval.embedder == "all-MiniLM-L6-v2"
    assert s.generator.model == "gemma-3-270m"


def test_toml_file_sets_sections(tmp_path):
    f = tmp_path / "medchat.toml"
    f.write_text('home = "/data/m"\n[retrieval]\ntop_k = 8\nmode = "dense"\n[app]\nport = 9000\n')
    s = load_settings(f, env={})
    assert s.home == Path("/data/m") and s.retrieval.top_k == 8
    assert s.retrieval.mode == "dense" and s.app.port == 9000
    assert s.index_dir == Path("/data/m/indexes/default")


def test_environment_overrides_the_file(tmp_path):
    f = tmp_path / "medchat.toml"
    f.write_text("[retrieval]\ntop_k = 8\n")
    s = load_settings(f, env={"MEDCHAT_RETRIEVAL__TOP_K": "3", "MEDCHAT_CORPUS": "a.xml,b"})
    assert s.retrieval.top_k == 3 and s.corpus == ("a.xml", "b")


def test_unknown_key_is_named_with_the_known_ones():
    with pytest.raises(SettingsError, match="unknown setting.*top_k"):
        load_settings(env={"MEDCHAT_RETRIEVAL__TOPK": "3"})


def test_invalid_value_is_rejected_with_the_allowed_ones():
    with pytest.raises(SettingsError, match="hybrid, dense, bm25"):
        load_settings(env={"MEDCHAT_RETRIEVAL__MODE": "fuzzy"})


def test_malformed_toml_file_is_reported(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[retrieval\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(f, env={})
