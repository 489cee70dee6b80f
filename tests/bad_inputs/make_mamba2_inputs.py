#!/usr/bin/env python3
"""Writes the Mamba-2 family model directories of the bad-input matrix (stdlib only): a small valid
Nemotron-H-style hybrid (pattern M*-, d_model 8) with its config.json, and variants each broken in one way.
Run from this folder."""
import json
import os
import random
import struct

D, H, P, G, N, K, V = 8, 2, 4, 1, 2, 2, 11  # d_model, heads, head_dim, groups, state, conv, vocab
AH, KV, AD, I = 2, 1, 4, 6  # attention heads, key/value heads, head_dim, MLP width
DI, CD = H * P, H * P + 2 * G * N


def tensors():
    t = {"backbone.embeddings.weight": [V, D], "backbone.norm_f.weight": [D], "lm_head.weight": [V, D]}
    m = "backbone.layers.0."
    t.update({m + "norm.weight": [D], m + "mixer.in_proj.weight": [DI + CD + H, D], m + "mixer.conv1d.weight": [CD, 1, K],
              m + "mixer.conv1d.bias": [CD], m + "mixer.dt_bias": [H], m + "mixer.A_log": [H], m + "mixer.D": [H],
              m + "mixer.norm.weight": [DI], m + "mixer.out_proj.weight": [D, DI]})
    a = "backbone.layers.1."
    t.update({a + "norm.weight": [D], a + "mixer.q_proj.weight": [AH * AD, D], a + "mixer.k_proj.weight": [KV * AD, D],
              a + "mixer.v_proj.weight": [KV * AD, D], a + "mixer.o_proj.weight": [D, AH * AD]})
    f = "backbone.layers.2."
    t.update({f + "norm.weight": [D], f + "mixer.up_proj.weight": [I, D], f + "mixer.down_proj.weight": [D, I]})
    return t


def config():
    return {"architectures": ["NemotronHForCausalLM"], "model_type": "nemotron_h", "hybrid_override_pattern": "M*-",
            "hidden_size": D, "num_hidden_layers": 3, "vocab_size": V, "mamba_num_heads": H, "mamba_head_dim": P,
            "n_groups": G, "ssm_state_size": N, "conv_kernel": K, "num_attention_heads": AH, "num_key_value_heads": KV,
            "head_dim": AD, "intermediate_size": I, "mlp_hidden_act": "relu2", "layer_norm_epsilon": 1e-5,
            "tie_word_embeddings": False, "time_step_limit": [0.0, float("inf")], "use_bias": False, "use_conv_bias": True}


def write(folder, t, cfg):
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(folder)
    header, data = {}, b""
    for name, shape in sorted(t.items()):
        n = 1
        for d in shape:
            n *= d
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * n]}
        data += struct.pack("<%df" % n, *[rng.gauss(0.0, 0.3) for _ in range(n)])
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(folder, "model.safetensors"), "wb") as out:
        out.write(struct.pack("<Q", len(h)) + h + data)
    if cfg is not None:
        with open(os.path.join(folder, "config.json"), "w") as out:
            json.dump(cfg, out, indent=2)  # Python writes float("inf") as the bare word Infinity, as real configs have it


def variant(folder, drop=None, edit=None, no_config=False):
    t, cfg = tensors(), config()
    if drop:
        del t[drop]
    if edit:
        cfg.update(edit)
    write(folder, t, None if no_config else cfg)


variant("nemotronh_pattern_letter", edit={"hybrid_override_pattern": "M*X"})
variant("nemotronh_pattern_length", edit={"hybrid_override_pattern": "M*-M"})
variant("nemotronh_no_k_proj", drop="backbone.layers.1.mixer.k_proj.weight")
variant("nemotronh_kv_heads", edit={"num_key_value_heads": 2})
variant("nemotronh_no_config", no_config=True)
variant("nemotronh_state_size", edit={"ssm_state_size": 3})
