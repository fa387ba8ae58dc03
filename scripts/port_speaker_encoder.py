#!/usr/bin/env python3
"""Port resemblyzer 0.1.4's speaker encoder weights to ``models/speaker-encoder.npz`` (offline, once).

    pip download resemblyzer==0.1.4 --no-deps -d /tmp/r
    python scripts/port_speaker_encoder.py /tmp/r/Resemblyzer-0.1.4-py3-none-any.whl

Reads ``resemblyzer/pretrained.pt`` (torch's legacy pickle format) straight out of the wheel
without torch: the pickle's tensors are rebuilt as numpy arrays from the raw storages that
follow it.  Keeps the 3-layer LSTM and the projection (the two LSTM biases summed, as the
run-time cell adds them anyway) as float32, and the similarity scale the model was trained
with; writes the Apache-2.0 notice beside the arrays.  The run-time code is
:mod:`assistant.speech.speaker` (numpy only).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import pickle
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "models" / "speaker-encoder.npz"
NOTICE = ROOT / "models" / "speaker-encoder.LICENSE"

_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64, "IntStorage": np.int32}


class _Storage:
    def __init__(self, dtype: Any, size: int) -> None:
        self.dtype = np.dtype(dtype)
        self.size = size
        self.data: np.ndarray | None = None


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(size), tuple(stride)

    def array(self) -> np.ndarray:
        data = self.storage.data
        assert data is not None
        item = data.itemsize
        return np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.shape, strides=tuple(s * item for s in self.stride)
        ).copy()


def _rebuild_tensor_v2(storage: _Storage, offset: int, size: Any, stride: Any, *_: Any) -> _Tensor:
    return _Tensor(storage, offset, size, stride)


class _StateDict(dict):
    """``collections.OrderedDict`` as the checkpoint builds it (with ``_metadata`` set on it)."""


class _Unpickler(pickle.Unpickler):
    def __init__(self, stream: io.BufferedIOBase, storages: dict[str, _Storage]) -> None:
        super().__init__(stream)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _DTYPES:
            return name
        if module == "collections" and name == "OrderedDict":
            return _StateDict
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in the checkpoint")

    def persistent_load(self, pid: Any) -> _Storage:
        kind, storage_type, key, _location, size, *_ = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(_DTYPES[storage_type], size)
        return self.storages[key]


def read_legacy_checkpoint(raw: bytes) -> dict[str, np.ndarray]:
    """The ``model_state`` of a torch legacy (pre-zip) checkpoint, as numpy arrays."""
    stream = io.BytesIO(raw)
    for _ in range(3):  # magic number, protocol version, system info
        pickle.load(stream)
    storages: dict[str, _Storage] = {}
    result = _Unpickler(stream, storages).load()
    keys = pickle.load(stream)
    for key in keys:
        storage = storages[key]
        (count,) = struct.unpack("<q", stream.read(8))
        storage.data = np.frombuffer(stream.read(count * storage.dtype.itemsize), dtype=storage.dtype.newbyteorder("<"))
    state = result["model_state"]
    return {name: value.array() for name, value in state.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="Resemblyzer-0.1.4 wheel, or its pretrained.pt")
    args = parser.parse_args(argv)
    path = Path(args.source)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            raw = wheel.read("resemblyzer/pretrained.pt")
            licence = wheel.read("Resemblyzer-0.1.4.dist-info/LICENSE").decode("utf-8")
    else:
        raw, licence = path.read_bytes(), ""
    state = read_legacy_checkpoint(raw)
    arrays: dict[str, np.ndarray] = {}
    for layer in range(3):
        arrays[f"w_ih{layer}"] = state[f"lstm.weight_ih_l{layer}"].astype(np.float32)
        arrays[f"w_hh{layer}"] = state[f"lstm.weight_hh_l{layer}"].astype(np.float32)
        arrays[f"b{layer}"] = (state[f"lstm.bias_ih_l{layer}"] + state[f"lstm.bias_hh_l{layer}"]).astype(np.float32)
    arrays["w_out"] = state["linear.weight"].astype(np.float32)
    arrays["b_out"] = state["linear.bias"].astype(np.float32)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    digest = hashlib.sha256(raw).hexdigest()
    header = (
        "models/speaker-encoder.npz holds the weights of the speaker encoder of Resemblyzer 0.1.4\n"
        "(https://pypi.org/project/Resemblyzer/, Copyright Resemble AI / Corentin Jemine), converted\n"
        "to numpy arrays by scripts/port_speaker_encoder.py (float32, the two LSTM biases summed;\n"
        f"source resemblyzer/pretrained.pt, sha256 {digest}).\n"
        "They are used under the Apache License 2.0, whose text follows.\n\n"
    )
    NOTICE.write_text(header + licence, encoding="utf-8")
    size = OUT.stat().st_size
    print(f"wrote {OUT.relative_to(ROOT)} ({size / 1e6:.1f} MB, {sum(a.size for a in arrays.values()):,} weights)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
