"""A PEFT LoRA adapter written as a llama.cpp adapter file, so both backends run one fine-tune.

llama.cpp applies a LoRA given as GGUF: for each adapted weight `W` of the base file, tensors
`<name>.lora_a` and `<name>.lora_b` and the scale alpha / rank. The names are the base GGUF's
(`blk.3.attn_q.weight` for `model.layers.3.self_attn.q_proj`, from the `gguf` package's name
map). One subtlety: for the llama architecture the GGUF stores the query and key projections
with their rows permuted for llama.cpp's rotary embedding (transformers undoes it when loading),
so the adapter's B matrices of those two get the same permutation.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from corpus.files import replacing, sha256_file

_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<part>[AB])\.weight$")


def _field(reader, key: str):
    field = reader.fields.get(key)
    if field is None:
        return None
    value = field.parts[field.data[0]]
    return bytes(value).decode() if field.types and field.types[0].name == "STRING" \
        else value[0].item()


def _permute(b: np.ndarray, heads: int) -> np.ndarray:
    """Rows of a query/key projection in llama.cpp's rotary order (convert_hf_to_gguf's permute)."""
    return b.reshape(heads, 2, b.shape[0] // heads // 2, *b.shape[1:]).swapaxes(1, 2) \
        .reshape(b.shape)


def convert(adapter_dir: str | Path, base_gguf: str | Path, out: str | Path) -> Path:
    """Write `adapter_dir`'s LoRA (PEFT safetensors) for `base_gguf` as a GGUF adapter at `out`."""
    import gguf
    from safetensors.numpy import load_file

    adapter_dir, out = Path(adapter_dir), Path(out)
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    if config.get("use_dora") or config.get("peft_type", "LORA") != "LORA":
        raise ValueError(f"{adapter_dir}: only plain LoRA adapters convert to llama.cpp")
    rank = int(config["r"])
    alpha = float(config["lora_alpha"])
    if config.get("use_rslora"):  # scale alpha / sqrt(r); llama.cpp scales by alpha / r
        alpha *= math.sqrt(rank)
    reader = gguf.GGUFReader(str(base_gguf))
    arch = _field(reader, "general.architecture")
    blocks = _field(reader, f"{arch}.block_count")
    heads = _field(reader, f"{arch}.attention.head_count")
    kv_heads = _field(reader, f"{arch}.attention.head_count_kv") or heads
    base_shapes = {t.name: tuple(int(n) for n in t.shape) for t in reader.tensors}
    arch_id = {name: key for key, name in gguf.MODEL_ARCH_NAMES.items()}[arch]
    names = gguf.get_tensor_name_map(arch_id, blocks)

    weights = load_file(str(adapter_dir / "adapter_model.safetensors"))
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for key, tensor in weights.items():
        match = _KEY.match(key)
        if match is None:
            raise ValueError(f"{adapter_dir}: unexpected tensor {key!r} (only LoRA A/B weights)")
        pairs.setdefault(match["module"], {})[match["part"]] = tensor.astype(np.float32)
    with replacing(out) as tmp:
        _write(tmp, arch, alpha, pairs, names, base_shapes, (heads, kv_heads),
               f"{adapter_dir} over {Path(base_gguf).name}")
    return out


def cached_conversion(adapter_dir: str | Path, base_gguf: str | Path, cache_dir: Path) -> Path:
    """The GGUF of an adapter for a base, converted once (keyed by both files' sha256)."""
    adapter_dir = Path(adapter_dir)
    key = sha256_file(adapter_dir / "adapter_model.safetensors")[:12] + "-" + \
        Path(base_gguf).stem[:40]
    target = cache_dir / f"lora-{adapter_dir.name}-{key}.gguf"
    if not target.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        convert(adapter_dir, base_gguf, target)
    return target


def _write(path: Path, arch: str, alpha: float, pairs: dict, names, base_shapes: dict,
           heads: tuple[int, int], what: str) -> None:
    import gguf

    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_string(gguf.Keys.General.TYPE, gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    for module, parts in sorted(pairs.items()):
        name = names.get_name(module + ".weight", try_suffixes=(".weight",))
        if name is None or name not in base_shapes:
            raise ValueError(f"{what}: {module} has no tensor in the base")
        a, b = parts["A"], parts["B"]  # (rank, in), (out, rank)
        if base_shapes[name] != (a.shape[1], b.shape[0]):
            raise ValueError(f"{what}: {module} is {b.shape[0]}x{a.shape[1]}, the base "
                             f"{name} is {base_shapes[name]}: trained over another model")
        if arch == "llama" and ".attn_q." in name:
            b = _permute(b, heads[0])
        elif arch == "llama" and ".attn_k." in name:
            b = _permute(b, heads[1])
        writer.add_tensor(name + ".lora_a", np.ascontiguousarray(a))
        writer.add_tensor(name + ".lora_b", np.ascontiguousarray(b))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
