#!/usr/bin/env python3
"""mixq's GGUF export against the real gguf package and llama.cpp (llama-cpp-python).

For each model and table: mixq-convert --format gguf writes model.gguf; then
  (a) gguf.GGUFReader reads it: exactly the expected names, ggml types and shapes, derived here from the
      source checkpoint and the table independently of mixq;
  (b) every tensor's bytes equal the gguf package's own encoding of the same fp32 values
      (gguf.quants.quantize for Q8_0 / Q4_0 / BF16, numpy for F32 / F16);
  (c) llama.cpp loads it and its perplexity over the same windows equals mixq-eval's on the same file
      within --ppl-tol (relative); logits are compared too (see LOGIT_TOL).
Exit 0 when every check holds, 1 otherwise (each failure printed), 77 (skip) without the packages.
"""
import argparse
import fnmatch
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as T
    import llama_cpp
except ImportError as e:  # run through scripts/test-interop.sh, which makes the environment
    print(f"SKIP: {e}; run scripts/test-interop.sh (it installs the pinned gguf and llama-cpp-python)")
    sys.exit(77)

# llama.cpp converts activations to Q8_0 for Q8_0 / Q4_0 products and to F16 / BF16 for those weights, so its
# logits differ from mixq's fp32 products by about the activation rounding (2^-8 relative for Q8_0, 2^-11
# for F16, 2^-8 for BF16) times the logit scale; 2 % of the logits' standard deviation bounds that with margin.
LOGIT_TOL = 0.02

F32_ROLES = ("attn_norm.weight", "ssm_conv1d.weight", "ssm_conv1d.bias", "ssm_dt.bias", "ssm_a", "ssm_d")
TWIN = {"fp32": T.F32, "fp16": T.F16, "bf16": T.BF16, "int8": T.Q8_0, "int4_g32": T.Q4_0}
SUFFIX = {"norm.weight": "attn_norm.weight", "mixer.in_proj.weight": "ssm_in.weight",
          "mixer.conv1d.weight": "ssm_conv1d.weight", "mixer.conv1d.bias": "ssm_conv1d.bias",
          "mixer.x_proj.weight": "ssm_x.weight", "mixer.dt_proj.weight": "ssm_dt.weight",
          "mixer.dt_proj.bias": "ssm_dt.bias", "mixer.A_log": "ssm_a", "mixer.D": "ssm_d",
          "mixer.out_proj.weight": "ssm_out.weight"}

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)
    return ok


def read_safetensors(path):
    """The tensors of a safetensors file as fp32 numpy arrays (F32 / F16 / BF16 sources)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        raw = np.fromfile(path, dtype=np.uint8)
        for name, t in header.items():
            if name == "__metadata__":
                continue
            a, b = t["data_offsets"]
            buf = raw[base + a: base + b]
            if t["dtype"] == "F32":
                v = buf.view(np.float32)
            elif t["dtype"] == "F16":
                v = buf.view(np.float16).astype(np.float32)
            elif t["dtype"] == "BF16":
                v = (buf.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
            else:
                raise SystemExit(f"{path}: {name} has dtype {t['dtype']}")
            out[name] = v.reshape(t["shape"])
    return out


def gguf_name(hf):
    if hf == "backbone.embeddings.weight":
        return "token_embd.weight"
    if hf == "backbone.norm_f.weight":
        return "output_norm.weight"
    if hf == "lm_head.weight":
        return "output.weight"
    layer, rest = hf[len("backbone.layers."):].split(".", 1)
    return f"blk.{layer}.{SUFFIX[rest]}"


def decide(rules, name):
    for pat, prec in rules:  # an exact name wins
        if pat == name:
            return prec
    for pat, prec in rules:
        if fnmatch.fnmatchcase(name, pat):
            return prec
    return "fp32"  # unmatched: the source precision (the sources here are F32)


def expected(src, rules):
    """name -> (ggml type, ne, fp32 values as llama.cpp wants them), derived without mixq."""
    out = {}
    emb = src["backbone.embeddings.weight"]
    for hf, v in src.items():
        prec = decide(rules, hf)
        if hf == "lm_head.weight" and prec == decide(rules, "backbone.embeddings.weight") and np.array_equal(v, emb):
            continue  # tied: llama.cpp reuses token_embd
        g = gguf_name(hf)
        if hf.endswith("A_log"):  # in float64, then rounded: within 1 ulp of any float32 exp
            v = (-np.exp(v.astype(np.float64))).astype(np.float32)
        if hf.endswith("conv1d.weight"):
            v = v.reshape(v.shape[0], v.shape[2])
        typ = TWIN[prec]
        if g.endswith(F32_ROLES) or g == "output_norm.weight":
            typ = T.F32
        elif typ in (T.Q8_0, T.Q4_0) and v.shape[-1] % 32 != 0:
            typ = T.F16
        out[g] = (typ, list(reversed(v.shape)), np.ascontiguousarray(v, dtype=np.float32))
    return out


def check_file(path, src, rules, label):
    r = gguf.GGUFReader(path)
    exp = expected(src, rules)
    names = [t.name for t in r.tensors]
    check(sorted(names) == sorted(exp), f"{label}: tensor names {sorted(set(names) ^ set(exp))} differ")
    check(r.fields["general.architecture"].contents() == "mamba", f"{label}: architecture")
    fma_ties = 0
    for t in r.tensors:
        if t.name not in exp:
            continue
        typ, ne, v = exp[t.name]
        check(t.tensor_type == typ, f"{label}: {t.name} is {t.tensor_type.name}, expected {typ.name}")
        check([int(x) for x in t.shape] == ne, f"{label}: {t.name} has ne {list(t.shape)}, expected {ne}")
        if t.tensor_type != typ:
            continue
        got = np.asarray(t.data).view(np.uint8).reshape(-1)
        if t.name.endswith("ssm_a"):
            # -exp(A_log): exp is not correctly rounded everywhere (numpy's float32 exp is off by up to
            # 2 ulp); mixq's must be within 1 ulp of the float64 value rounded to float32.
            ref = v.reshape(-1)
            mine = got.view(np.int32).astype(np.int64)
            ulp = np.abs(mine - ref.view(np.int32).astype(np.int64)) if mine.size == ref.size else np.array([99])
            check(ulp.max() <= 1, f"{label}: {t.name} differs from -exp(A_log) by more than 1 ulp")
            continue
        if typ == T.F32:
            want = v.reshape(-1).view(np.uint8)
        elif typ == T.F16:
            want = v.astype(np.float16).reshape(-1).view(np.uint8)
        else:
            want = gguf.quants.quantize(v, typ).reshape(-1)
        if typ == T.Q4_0 and got.size == want.size and not np.array_equal(got, want):
            # numpy computes x*id + 8.5 unfused; ggml's build fuses it (FMA). They can differ only where the
            # product lies within rounding of a code boundary: recompute those codes exactly in float64.
            blocks_got = got.reshape(-1, 18)
            blocks_want = want.reshape(-1, 18)
            bad = np.nonzero((blocks_got != blocks_want).any(axis=1))[0]
            x = v.reshape(-1, 32).astype(np.float32)
            for b in bad:
                if not np.array_equal(blocks_got[b, :2], blocks_want[b, :2]):
                    check(False, f"{label}: {t.name} block {b}: scale differs")
                    continue
                xb = x[b]
                mx = xb[np.argmax(np.abs(xb))]
                d = np.float32(mx / np.float32(-8))
                idv = np.float32(0) if d == 0 else np.float32(np.float32(1) / d)
                fused = np.floor(xb.astype(np.float64) * np.float64(idv) + 8.5)  # exact product, one rounding
                codes = np.minimum(15, fused).astype(np.uint8)
                packed = codes[:16] | (codes[16:] << 4)
                check(np.array_equal(packed, blocks_got[b, 2:]), f"{label}: {t.name} block {b}: codes are neither "
                                                                  "numpy's nor the fused multiply-add's")
                fma_ties += 1
        else:
            check(got.size == want.size and np.array_equal(got, want),
                  f"{label}: {t.name} ({typ.name}) bytes differ from the gguf package's encoding")
    return fma_ties


def llama_perplexity(path, tokens, window, threads):
    llm = llama_cpp.Llama(model_path=path, n_ctx=window, n_batch=window, n_ubatch=window, logits_all=True,
                          n_threads=threads, n_threads_batch=threads, verbose=False)
    nll, logits = 0.0, []
    llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
    for w in range(len(tokens) // window):
        win = [int(x) for x in tokens[w * window:(w + 1) * window]]
        llm.reset()
        llm.eval(win)
        s = np.array(llm.scores[:window], dtype=np.float64)
        logits.append(s)
        m = s.max(axis=1, keepdims=True)
        lse = (m[:, 0] + np.log(np.exp(s - m).sum(axis=1)))[:-1]
        nll += float((lse - s[np.arange(window - 1), win[1:]]).sum())
    perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
    n = (len(tokens) // window) * (window - 1)
    return math.exp(nll / n), np.concatenate(logits), (perf.t_p_eval_ms + perf.t_eval_ms) / 1000.0


def mixq_eval(exe, path, tokens_path, window, threads):
    out = subprocess.run([exe, path, "--tokens", tokens_path, "--window", str(window), "--threads", str(threads), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convert", required=True)
    ap.add_argument("--eval", dest="eval_exe", required=True)
    ap.add_argument("--model", required=True, help="source .safetensors")
    ap.add_argument("--tokens", help="eval tokens (.npy); default: random ids")
    ap.add_argument("--table", action="append", required=True, help="table JSON (repeatable)")
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--windows", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ppl-tol", type=float, default=5e-4)
    ap.add_argument("--results", help="append one JSON line per table (for docs/interop.md)")
    a = ap.parse_args()
    src = read_safetensors(a.model)
    vocab = src["backbone.embeddings.weight"].shape[0]
    with tempfile.TemporaryDirectory() as tmp:
        n = a.window * a.windows
        if a.tokens:
            toks = np.load(a.tokens).astype(np.int64).reshape(-1)[:n]
        else:
            toks = np.random.default_rng(7).integers(0, vocab, n)
        tokens_path = os.path.join(tmp, "tokens.npy")
        np.save(tokens_path, toks.astype(np.int64))
        for table in a.table:
            label = f"{os.path.basename(a.model)} / {os.path.basename(table)}"
            rules = json.load(open(table))["rules"]
            out = os.path.join(tmp, os.path.basename(table) + ".out")
            t0 = time.perf_counter()
            subprocess.run([a.convert, a.model, "-o", out, "--table", table, "--format", "gguf", "--json"], check=True,
                           capture_output=True)
            export_s = time.perf_counter() - t0
            path = os.path.join(out, "model.gguf")
            ties = check_file(path, src, rules, label)
            m = mixq_eval(a.eval_exe, path, tokens_path, a.window, a.threads)
            ppl, logits, llama_s = llama_perplexity(path, toks, a.window, a.threads)
            rel = abs(ppl / m["perplexity"] - 1.0)
            check(rel <= a.ppl_tol, f"{label}: llama.cpp perplexity {ppl:.6f} vs mixq {m['perplexity']:.6f} ({rel:.2e} > {a.ppl_tol})")
            print(f"{label}: {os.path.getsize(path)} bytes, llama.cpp ppl {ppl:.6f}, mixq {m['perplexity']:.6f}, "
                  f"rel diff {rel:.2e}; llama.cpp {llama_s:.3f} s, mixq {m['seconds']:.3f} s; "
                  f"Q4_0 codes on FMA ties: {ties}")
            if a.results:
                with open(a.results, "a") as f:
                    f.write(json.dumps({"model": os.path.basename(os.path.dirname(a.model)) or a.model, "table": os.path.basename(table),
                                        "bytes": os.path.getsize(path), "llama_ppl": ppl, "mixq_ppl": m["perplexity"],
                                        "rel_diff": rel, "llama_s": llama_s, "mixq_s": m["seconds"], "export_s": export_s,
                                        "tokens": int(m["tokens_scored"]), "threads": a.threads}) + "\n")
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
