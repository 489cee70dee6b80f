#!/usr/bin/env python3
"""mixq's GGUF export of the Mamba-2 family (llama.cpp archs mamba2, nemotron_h) against the gguf package and llama.cpp.

For a model directory (model.safetensors + config.json) and each table: mixq-convert --format gguf writes model.gguf;
  (a) gguf.GGUFReader reads it: the architecture, and exactly the tensor names llama.cpp's own converter gives the
      source's tensors (gguf.get_tensor_name_map, independent of mixq), with the expected ggml types and shapes;
  (b) llama.cpp loads it and its perplexity over the same windows equals mixq-eval's on the same file within --ppl-tol.
Exit 0 when every check holds, 1 otherwise, 77 (skip) without the packages.
"""
import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tempfile

from checks import check, finish

try:
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as T
    from gguf_interop import (check_imatrix_against_llama_quantize, check_llama_mixes, check_search, llama_perplexity, mixq_eval,
                              read_safetensors)
except ImportError as e:
    print(f"SKIP: {e}; run scripts/test-interop.sh (it installs the pinned gguf and llama-cpp-python)")
    sys.exit(77)

TWIN = {"fp32": T.F32, "fp16": T.F16, "bf16": T.BF16, "int8": T.Q8_0, "int4_g32": T.Q4_0}
F32_ROLES = ("attn_norm.weight", "ssm_conv1d.weight", "ssm_conv1d.bias", "ssm_dt.bias", "ssm_a", "ssm_d", "ssm_norm.weight",
             "output_norm.weight")


def decide(rules, name):
    for pat, prec in rules:
        if pat == name:
            return prec
    for pat, prec in rules:
        if fnmatch.fnmatchcase(name, pat):
            return prec
    return "fp32"


def expected(src, cfg, rules):
    """GGUF name -> (ggml type, ne), from llama.cpp's tensor map and the source's shapes."""
    arch = gguf.MODEL_ARCH.NEMOTRON_H if cfg["model_type"] == "nemotron_h" else gguf.MODEL_ARCH.MAMBA2
    tmap = gguf.get_tensor_name_map(arch, cfg["num_hidden_layers"])
    emb = src["backbone.embeddings.weight"]
    out = {}
    for hf, v in src.items():
        prec = decide(rules, hf)
        if hf == "lm_head.weight" and prec == decide(rules, "backbone.embeddings.weight") and np.array_equal(v, emb):
            continue
        name = hf.replace(".dt_bias", ".dt_proj.bias")  # as llama.cpp's converter renames it before mapping
        g = tmap.get_name(name, try_suffixes=(".weight", ".bias"))
        check(g is not None, f"{hf}: llama.cpp's tensor map has no name for it")
        if g is None:
            continue
        shape = list(v.shape)
        if g.endswith("ssm_conv1d.weight"):
            shape = [shape[0], shape[2]]
        elif g.endswith((".ssm_a", ".ssm_d")):
            shape = [shape[0], 1]
        elif g.endswith("ssm_norm.weight"):
            shape = [cfg["n_groups"], shape[0] // cfg["n_groups"]]
        typ = TWIN[prec]
        if g.endswith(F32_ROLES):
            typ = T.F32
        elif typ in (T.Q8_0, T.Q4_0) and shape[-1] % 32 != 0:
            typ = T.F16
        out[g] = (typ, list(reversed(shape)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convert", required=True)
    ap.add_argument("--eval", dest="eval_exe", required=True)
    ap.add_argument("--model", required=True, help="model directory: model.safetensors and config.json")
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--table", action="append", required=True)
    ap.add_argument("--window", type=int, default=128)
    ap.add_argument("--windows", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ppl-tol", type=float, default=5e-4)
    ap.add_argument("--calib", help="calibration tokens for --imatrix-against-llama-quantize and --gptq")
    ap.add_argument("--gptq", nargs="+", default=[], choices=["gptq", "mse+gptq"],
                    help="with --calib: each table also exported with mixq's GPTQ rounding inside ggml's types, evaluated by llama.cpp")
    ap.add_argument("--llama-mixes", nargs="+", default=[], help="mixq-convert --preset MIX against llama-quantize's MIX (Q4_K_M ...)")
    ap.add_argument("--search", help="with --calib: mixq-search, whose --format gguf file llama.cpp then evaluates")
    ap.add_argument("--imatrix-against-llama-quantize", nargs="+", default=[],
                    help="all-<precision> exports rounded with mixq's importance matrix against llama.cpp's, byte for byte")
    a = ap.parse_args()
    src = read_safetensors(os.path.join(a.model, "model.safetensors"))
    cfg = json.loads(open(os.path.join(a.model, "config.json")).read().replace("Infinity", "1e999"))
    arch = "nemotron_h" if cfg["model_type"] == "nemotron_h" else "mamba2"
    with tempfile.TemporaryDirectory() as tmp:
        toks = np.load(a.tokens).astype(np.int64).reshape(-1)[:a.window * a.windows]
        tokens_path = os.path.join(tmp, "tokens.npy")
        np.save(tokens_path, toks)
        variants = [(t, []) for t in a.table] + [(t, ["--calib", a.calib, "--lowbit-calibration", g]) for g in a.gptq for t in a.table]
        for table, extra in variants:
            label = f"{os.path.basename(a.model.rstrip('/'))} / {os.path.basename(table)}" + (f" / {extra[-1]}" if extra else "")
            rules = json.load(open(table))["rules"]
            out = os.path.join(tmp, os.path.basename(table) + (f".{extra[-1]}" if extra else "") + ".out")
            subprocess.run([a.convert, a.model, "-o", out, "--table", table, "--format", "gguf", "--json", *extra], check=True,
                           capture_output=True)
            path = os.path.join(out, "model.gguf")
            r = gguf.GGUFReader(path)
            check(r.fields["general.architecture"].contents() == arch, f"{label}: architecture is not {arch}")
            exp = expected(src, cfg, rules)
            names = [t.name for t in r.tensors]
            check(sorted(names) == sorted(exp), f"{label}: tensor names {sorted(set(names) ^ set(exp))} differ")
            for t in r.tensors:
                if t.name in exp:
                    typ, ne = exp[t.name]
                    check(t.tensor_type == typ, f"{label}: {t.name} is {t.tensor_type.name}, expected {typ.name}")
                    check([int(x) for x in t.shape] == ne, f"{label}: {t.name} has ne {list(t.shape)}, expected {ne}")
            m = mixq_eval(a.eval_exe, path, tokens_path, a.window, a.threads)
            ppl, llama_s = llama_perplexity(path, toks, a.window, a.threads)
            rel = abs(ppl / m["perplexity"] - 1.0)
            check(rel <= a.ppl_tol, f"{label}: llama.cpp perplexity {ppl:.6f} vs mixq {m['perplexity']:.6f} ({rel:.2e} > {a.ppl_tol})")
            print(f"{label}: {os.path.getsize(path)} bytes, llama.cpp ppl {ppl:.6f}, mixq {m['perplexity']:.6f}, rel diff {rel:.2e}; "
                  f"llama.cpp {llama_s:.3f} s, mixq {m['seconds']:.3f} s")
        if a.search:
            check_search(a.search, a.eval_exe, a.model, a.calib, tokens_path, toks, a.window, a.threads, tmp, a.ppl_tol)
        if a.imatrix_against_llama_quantize:
            check_imatrix_against_llama_quantize(a.convert, a.model, a.calib, tmp, os.path.basename(a.model.rstrip('/')),
                                                 a.imatrix_against_llama_quantize)
        if a.llama_mixes:
            check_llama_mixes(a.convert, a.model, tmp, os.path.basename(a.model.rstrip('/')), a.llama_mixes)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
