#!/usr/bin/env python3
"""Writes the GGUF files of the bad-input matrix (stdlib only): a minimal valid Mamba GGUF (d_model 32,
one layer, vocabulary 64, all F32) and variants each broken in one way. Run from this folder."""
import struct

D, DI, N, R, C, V = 32, 64, 4, 2, 4, 64


def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


def kv_u32(k, v):
    return s(k) + struct.pack("<II", 4, v)


def kv_f32(k, v):
    return s(k) + struct.pack("<If", 6, v)


def kv_str(k, v):
    return s(k) + struct.pack("<I", 8) + s(v)


def tensors():
    t = [("token_embd.weight", [D, V]), ("output_norm.weight", [D]), ("blk.0.attn_norm.weight", [D]),
         ("blk.0.ssm_in.weight", [D, 2 * DI]), ("blk.0.ssm_conv1d.weight", [C, DI]), ("blk.0.ssm_conv1d.bias", [DI]),
         ("blk.0.ssm_x.weight", [DI, R + 2 * N]), ("blk.0.ssm_dt.weight", [R, DI]), ("blk.0.ssm_dt.bias", [DI]),
         ("blk.0.ssm_a", [N, DI]), ("blk.0.ssm_d", [DI]), ("blk.0.ssm_out.weight", [DI, D])]
    return t


def build(arch="mamba", drop_key=None, type_of=None, offset_extra=0, count=None, cut=None):
    keys = [kv_str("general.architecture", arch), kv_u32("general.alignment", 32),
            kv_u32("mamba.context_length", 1 << 20), kv_u32("mamba.embedding_length", D), kv_u32("mamba.block_count", 1),
            kv_u32("mamba.ssm.conv_kernel", C), kv_u32("mamba.ssm.inner_size", DI), kv_u32("mamba.ssm.state_size", N),
            kv_u32("mamba.ssm.time_step_rank", R), kv_f32("mamba.attention.layer_norm_rms_epsilon", 1e-5),
            kv_str("tokenizer.ggml.model", "none")]
    names = ["general.architecture", "general.alignment", "mamba.context_length", "mamba.embedding_length",
             "mamba.block_count", "mamba.ssm.conv_kernel", "mamba.ssm.inner_size", "mamba.ssm.state_size",
             "mamba.ssm.time_step_rank", "mamba.attention.layer_norm_rms_epsilon", "tokenizer.ggml.model"]
    keys = [k for k, n in zip(keys, names) if n != drop_key]
    ts = tensors()
    info, data, off = b"", b"", 0
    for name, ne in ts:
        n = 1
        for d in ne:
            n *= d
        typ = (type_of or {}).get(name, 0)
        o = off + (offset_extra if name == ts[-1][0] else 0)
        info += s(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne) + struct.pack("<IQ", typ, o)
        vals = [(-1.0 if name.endswith("ssm_a") else 0.01 * ((i * 7) % 11 - 5)) for i in range(n)]
        blob = struct.pack(f"<{n}f", *vals)
        data += blob + b"\0" * ((32 - len(blob) % 32) % 32)
        off += (len(blob) + 31) // 32 * 32
    head = b"GGUF" + struct.pack("<IQQ", 3, count if count is not None else len(ts), len(keys)) + b"".join(keys) + info
    head += b"\0" * ((32 - len(head) % 32) % 32)
    out = head + data
    return out[:cut] if cut else out


def build_mamba2(drop_key=None):
    """A minimal mamba2-architecture GGUF (d_model 32, 2 heads of 32, 1 group, state 4), all F32."""
    H, P, G = 2, 32, 1
    di, cd = H * P, H * P + 2 * G * N
    ts = [("token_embd.weight", [D, V]), ("output_norm.weight", [D]), ("blk.0.attn_norm.weight", [D]),
          ("blk.0.ssm_in.weight", [D, di + cd + H]), ("blk.0.ssm_conv1d.weight", [C, cd]), ("blk.0.ssm_conv1d.bias", [cd]),
          ("blk.0.ssm_dt.bias", [H]), ("blk.0.ssm_a", [1, H]), ("blk.0.ssm_d", [1, H]), ("blk.0.ssm_norm.weight", [di // G, G]),
          ("blk.0.ssm_out.weight", [di, D])]
    kv = [("general.architecture", kv_str, "mamba2"), ("general.alignment", kv_u32, 32), ("mamba2.context_length", kv_u32, 1 << 20),
          ("mamba2.embedding_length", kv_u32, D), ("mamba2.block_count", kv_u32, 1), ("mamba2.ssm.conv_kernel", kv_u32, C),
          ("mamba2.ssm.inner_size", kv_u32, di), ("mamba2.ssm.state_size", kv_u32, N), ("mamba2.ssm.time_step_rank", kv_u32, H),
          ("mamba2.ssm.group_count", kv_u32, G), ("mamba2.attention.layer_norm_rms_epsilon", kv_f32, 1e-5),
          ("tokenizer.ggml.model", kv_str, "none")]
    keys = [f(k, v) for k, f, v in kv if k != drop_key]
    info, data, off = b"", b"", 0
    for name, ne in ts:
        n = 1
        for d in ne:
            n *= d
        info += s(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne) + struct.pack("<IQ", 0, off)
        blob = struct.pack(f"<{n}f", *[(-1.0 if name.endswith("ssm_a") else 0.01 * ((i * 7) % 11 - 5)) for i in range(n)])
        data += blob + b"\0" * ((32 - len(blob) % 32) % 32)
        off += (len(blob) + 31) // 32 * 32
    head = b"GGUF" + struct.pack("<IQQ", 3, len(ts), len(keys)) + b"".join(keys) + info
    head += b"\0" * ((32 - len(head) % 32) % 32)
    return head + data


def hf_expand3():
    """A Hugging Face Mamba safetensors file with d_inner = 3 d_model, which llama.cpp's mamba cannot run."""
    import json
    d, di = 16, 48
    shapes = {"backbone.embeddings.weight": [V, d], "backbone.norm_f.weight": [d], "backbone.layers.0.norm.weight": [d],
              "backbone.layers.0.mixer.in_proj.weight": [2 * di, d], "backbone.layers.0.mixer.conv1d.weight": [di, 1, C],
              "backbone.layers.0.mixer.conv1d.bias": [di], "backbone.layers.0.mixer.x_proj.weight": [R + 2 * N, di],
              "backbone.layers.0.mixer.dt_proj.weight": [di, R], "backbone.layers.0.mixer.dt_proj.bias": [di],
              "backbone.layers.0.mixer.A_log": [di, N], "backbone.layers.0.mixer.D": [di],
              "backbone.layers.0.mixer.out_proj.weight": [d, di]}
    header, data = {}, b""
    for name, shape in shapes.items():
        n = 1
        for x in shape:
            n *= x
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * n]}
        data += struct.pack(f"<{n}f", *[0.01] * n)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


cases = {
    "hf_expand3.safetensors": hf_expand3(),
    "gguf_truncated.gguf": build(cut=len(build()) - 100),
    "gguf_unknown_type.gguf": build(type_of={"blk.0.ssm_in.weight": 16}),
    "gguf_tensor_beyond_file.gguf": build(offset_extra=1 << 20),
    "gguf_missing_key.gguf": build(drop_key="mamba.ssm.state_size"),
    "gguf_not_mamba.gguf": build(arch="llama"),
    "gguf_tensor_count_2e40.gguf": build(count=1 << 40),
    "gguf_mamba2_missing_key.gguf": build_mamba2(drop_key="mamba2.ssm.group_count"),
}
for name, b in cases.items():
    with open(name, "wb") as f:
        f.write(b)
