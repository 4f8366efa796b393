"""corpus.files: folders replaced whole or not at all (the de-quantised generator weights)."""

import pytest

from corpus.files import replacing_folder


def test_a_filled_folder_takes_the_place_of_the_old_one(tmp_path):
    target = tmp_path / "weights"
    target.mkdir()
    (target / "old.bin").write_text("old")
    with replacing_folder(target) as fresh:
        (fresh / "new.bin").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.bin"]
    assert [p.name for p in tmp_path.iterdir()] == ["weights"]  # nothing left beside it


def test_a_failure_while_filling_keeps_the_old_folder(tmp_path):
    target = tmp_path / "weights"
    target.mkdir()
    (target / "old.bin").write_text("old")
    with pytest.raises(RuntimeError), replacing_folder(target) as fresh:
        (fresh / "half.bin").write_text("half")
        raise RuntimeError("killed while saving")
    assert [p.name for p in target.iterdir()] == ["old.bin"]
    assert [p.name for p in tmp_path.iterdir()] == ["weights"]
