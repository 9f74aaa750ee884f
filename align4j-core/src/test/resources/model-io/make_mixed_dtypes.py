"""Writes mixed-dtypes.safetensors following the safetensors format spec, without the safetensors library.

Layout as the reference writer does it: tensors sorted by descending dtype alignment (F32 > BF16 > F16), then by
name; compact JSON header with __metadata__ first, padded with spaces to a multiple of 8 bytes.
Run from this directory: python3 make_mixed_dtypes.py
"""
import json
import struct

import numpy as np

tensors = [  # name, dtype, shape, raw little-endian bytes
    ("a.f32", "F32", [2, 3], np.array([1.0, -2.5, 3.14159, 1e-8, 65504.0, -0.0], dtype="<f4").tobytes()),
    ("e.scalar", "F32", [], np.array([42.0], dtype="<f4").tobytes()),
    ("f.empty", "F32", [0], b""),
    ("b.bf16", "BF16", [4], np.array([0x3F80, 0x4049, 0xC020, 0x7FC0], dtype="<u2").tobytes()),
    ("c.f16", "F16", [2, 2], np.array([0x3C00, 0x4248, 0x7BFF, 0x0001], dtype="<u2").tobytes()),
]
header = {"__metadata__": {"format": "pt"}}
offset = 0
for name, dtype, shape, raw in tensors:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
    offset += len(raw)
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open("mixed-dtypes.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for _, _, _, raw in tensors:
        f.write(raw)
