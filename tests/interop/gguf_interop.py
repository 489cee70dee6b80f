#!/usr/bin/env python3
"""mixq's GGUF export against the real gguf package and llama.cpp (llama-cpp-python).

For each model and table: mixq-convert --format gguf writes model.gguf; then
  (a) gguf.GGUFReader reads it: exactly the expected names, ggml types and shapes, derived here from the
      source checkpoint and the table independently of mixq;
  (b) every tensor's bytes equal the gguf package's own encoding of the same fp32 values
      (gguf.quants.quantize for Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 / BF16, numpy for F32 / F16, llama.cpp's
      ggml_quantize_chunk for the K-quants and IQ4_NL, which the gguf package cannot encode), and every type
      that llama-quantize would not use for a row (a K-quant on rows of 128) falls back as it does;
  (b') with --against-llama-quantize, all-<type> exports byte for byte against llama_model_quantize --pure;
  (c) llama.cpp loads it and its perplexity over the same windows equals mixq-eval's on the same file
      within --ppl-tol (relative). mixq-eval computes with llama.cpp's activation rounding (Q8_0 inputs for
      32-value block weights, Q8_K for the K-quants, fp16 for F16, bf16 for BF16), so what remains is
      summation order.
Exit 0 when every check holds, 1 otherwise (each failure printed), 77 (skip) without the packages.
"""
import argparse
import ctypes
import fnmatch
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time

from checks import check, finish

try:
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as T
    import llama_cpp
    import ggml_lib
except ImportError as e:  # run through scripts/test-interop.sh, which makes the environment
    print(f"SKIP: {e}; run scripts/test-interop.sh (it installs the pinned gguf and llama-cpp-python)")
    sys.exit(77)

F32_ROLES = ("attn_norm.weight", "ssm_conv1d.weight", "ssm_conv1d.bias", "ssm_dt.bias", "ssm_a", "ssm_d")
TWIN = {"fp32": T.F32, "fp16": T.F16, "bf16": T.BF16, "int8": T.Q8_0, "int4_g32": T.Q4_0, "q8_0": T.Q8_0, "q4_0": T.Q4_0,
        "q4_1": T.Q4_1, "q5_0": T.Q5_0, "q5_1": T.Q5_1, "iq4_nl": T.IQ4_NL, "q2_k": T.Q2_K, "q3_k": T.Q3_K, "q4_k": T.Q4_K,
        "q5_k": T.Q5_K, "q6_k": T.Q6_K}
# llama-quant.cpp's tensor_type_fallback: a K-quant whose rows are no whole number of 256-value super-blocks
FALLBACK = {T.Q2_K: T.Q4_0, T.Q3_K: T.Q4_0, T.Q4_K: T.Q5_0, T.Q5_K: T.Q5_1, T.Q6_K: T.Q8_0}
BLOCK = {T.Q2_K: 256, T.Q3_K: 256, T.Q4_K: 256, T.Q5_K: 256, T.Q6_K: 256}  # the others: 32
SUFFIX = {"norm.weight": "attn_norm.weight", "mixer.in_proj.weight": "ssm_in.weight",
          "mixer.conv1d.weight": "ssm_conv1d.weight", "mixer.conv1d.bias": "ssm_conv1d.bias",
          "mixer.x_proj.weight": "ssm_x.weight", "mixer.dt_proj.weight": "ssm_dt.weight",
          "mixer.dt_proj.bias": "ssm_dt.bias", "mixer.A_log": "ssm_a", "mixer.D": "ssm_d",
          "mixer.out_proj.weight": "ssm_out.weight"}

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
        elif typ not in (T.F32, T.F16, T.BF16):
            if v.shape[-1] % BLOCK.get(typ, 32) != 0:
                typ = FALLBACK.get(typ, typ)
            if v.shape[-1] % BLOCK.get(typ, 32) != 0:
                typ = T.F16
        out[g] = (typ, list(reversed(v.shape)), np.ascontiguousarray(v, dtype=np.float32))
    return out


def check_file(path, src, rules, label, calibrated=False):
    """Names, types and shapes as the table says; the bytes as the gguf package (or libggml) encodes each type, except
    block types rounded with calibration (`calibrated`), whose codes are mixq's own."""
    r = gguf.GGUFReader(path)
    exp = expected(src, rules)
    names = [t.name for t in r.tensors]
    check(sorted(names) == sorted(exp), f"{label}: tensor names {sorted(set(names) ^ set(exp))} differ")
    check(r.fields["general.architecture"].contents() == "mamba", f"{label}: architecture")
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
        if calibrated and typ not in (T.F32, T.F16, T.BF16):
            continue
        if typ == T.F32:
            want = v.reshape(-1).view(np.uint8)
        elif typ == T.F16:
            want = v.astype(np.float16).reshape(-1).view(np.uint8)
        elif typ in (T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.BF16):
            want = gguf.quants.quantize(v, typ).reshape(-1)
        else:  # the K-quants and IQ4_NL, which the gguf package cannot encode: llama.cpp's own C quantizer
            want = ggml_lib.quantize(v, typ)
        check(got.size == want.size and np.array_equal(got, want),
              f"{label}: {t.name} ({typ.name}) bytes differ from the gguf package's encoding")


def bytes_to_unicode():
    """GPT-2's map from bytes to printable characters (byte-level BPE)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def write_tokenizer(path, vocab):
    """A small byte-level BPE tokenizer.json: the 256 byte symbols, a few merges, <|endoftext|> last."""
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)]
    merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("Ġwor", "l"),
              ("Ġworl", "d")]
    for a, b in merges:
        tokens.append(a + b)
    assert len(tokens) + 1 <= vocab
    j = {"version": "1.0", "added_tokens": [{"id": len(tokens), "content": "<|endoftext|>", "special": True}],
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False}, "decoder": {"type": "ByteLevel"},
         "model": {"type": "BPE", "vocab": {t: i for i, t in enumerate(tokens)}, "merges": [f"{a} {b}" for a, b in merges]}}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(j, f, ensure_ascii=False)
    return {t: i for i, t in enumerate(tokens)}


def check_tokenizer(path, vocab, label):
    r = gguf.GGUFReader(path)
    check(r.fields["tokenizer.ggml.model"].contents() == "gpt2", f"{label}: tokenizer.ggml.model is not gpt2")
    toks = r.fields["tokenizer.ggml.tokens"].contents()
    check(len(toks) == vocab, f"{label}: {len(toks)} tokens for a vocabulary of {vocab}")
    llm = llama_cpp.Llama(model_path=path, n_ctx=64, verbose=False, vocab_only=True)
    ids = llm.tokenize(b"hello world", add_bos=False)
    want = [toks.index("hello"), toks.index("Ġworld")]
    check(ids == want, f"{label}: llama.cpp tokenises 'hello world' as {ids}, expected {want} (the merges)")
    check(llm.detokenize(ids) == b"hello world", f"{label}: detokenize(tokenize(text)) is not the text")
    print(f"{label}: llama.cpp tokenises 'hello world' as {ids} with the exported gpt2 vocabulary")


def llama_window_nll(path, tokens, window, threads):
    """llama.cpp's mean next-token NLL of each window of `window` tokens, and its evaluation time in seconds."""
    llm = llama_cpp.Llama(model_path=path, n_ctx=window, n_batch=window, n_ubatch=window, logits_all=True,
                          n_threads=threads, n_threads_batch=threads, verbose=False)
    out = []
    llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
    for w in range(len(tokens) // window):
        win = [int(x) for x in tokens[w * window:(w + 1) * window]]
        llm.reset()
        llm.eval(win)
        s = np.array(llm.scores[:window], dtype=np.float64)
        m = s.max(axis=1, keepdims=True)
        lse = (m[:, 0] + np.log(np.exp(s - m).sum(axis=1)))[:-1]
        out.append(float((lse - s[np.arange(window - 1), win[1:]]).sum()) / (window - 1))
    perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
    return np.array(out), (perf.t_p_eval_ms + perf.t_eval_ms) / 1000.0


def llama_perplexity(path, tokens, window, threads):
    nll, seconds = llama_window_nll(path, tokens, window, threads)
    return math.exp(float(nll.mean())), seconds


def llama_quantize(src, dst, ftype, pure=True, imatrix=None):
    """llama.cpp's own quantizer (llama_model_quantize) on an F32 GGUF; pure: every tensor it quantizes gets `ftype`
    (else llama.cpp's own mix for the ftype); imatrix: {GGUF name: importance} (read_imatrix) as llama-quantize --imatrix."""
    p = llama_cpp.llama_model_quantize_default_params()
    p.nthread = 1
    p.ftype = ftype
    p.pure = pure
    keep = []
    if imatrix is not None:
        entries = (llama_cpp.llama_model_imatrix_data * (len(imatrix) + 1))()
        for i, (name, w) in enumerate(sorted(imatrix.items())):
            keep.append((name.encode(), w))
            entries[i].name = keep[-1][0]
            entries[i].data = w.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            entries[i].size = w.size
        entries[len(imatrix)].name = None
        p.imatrix = ctypes.cast(entries, type(p.imatrix))
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(p))
    if rc != 0:
        raise SystemExit(f"llama_model_quantize({src}) failed: {rc}")


# mixq's table precision -> llama.cpp's ftype whose --pure default type it is (Q3_K_M / Q4_K_M / Q5_K_M: Q3_K / Q4_K / Q5_K).
LLAMA_FTYPES = {"int8": "Q8_0", "int4_g32": "Q4_0", "q4_1": "Q4_1", "q5_0": "Q5_0", "q5_1": "Q5_1", "iq4_nl": "IQ4_NL",
                "q2_k": "Q2_K", "q3_k": "Q3_K_M", "q4_k": "Q4_K_M", "q5_k": "Q5_K_M", "q6_k": "Q6_K"}


def check_against_llama_quantize(convert, model, tmp, label, precisions):
    """Each all-<precision> export against llama.cpp's own quantizer (llama_model_quantize --pure) of the F32 export:
    every tensor llama.cpp quantizes has the same type in both files (the same fallback for rows its type cannot
    hold) and the same bytes."""
    def export(name, prec):
        table = os.path.join(tmp, f"against_{name}.json")
        json.dump({"name": name, "rules": [["*", prec]]}, open(table, "w"))
        subprocess.run([convert, model, "-o", os.path.join(tmp, f"against_{name}"), "--table", table, "--format", "gguf"],
                       check=True, capture_output=True)
        return os.path.join(tmp, f"against_{name}", "model.gguf")
    f32 = export("fp32", "fp32")
    for prec in precisions:
        ftype = getattr(llama_cpp, "LLAMA_FTYPE_MOSTLY_" + LLAMA_FTYPES[prec])
        theirs_path = os.path.join(tmp, f"llama_{prec}.gguf")
        llama_quantize(f32, theirs_path, ftype)
        theirs = {t.name: t for t in gguf.GGUFReader(theirs_path).tensors}
        ours = {t.name: t for t in gguf.GGUFReader(export(prec, prec)).tensors}
        by_type = {}
        for n, t in theirs.items():
            if t.tensor_type == T.F32:  # kept as it was (norms, conv, vectors): mixq follows its table there
                continue
            if not check(n in ours and ours[n].tensor_type == t.tensor_type,
                         f"{label}: {prec}: {n} is {ours[n].tensor_type.name if n in ours else 'absent'} in mixq's file, "
                         f"{t.tensor_type.name} in llama_model_quantize's"):
                continue
            same = np.array_equal(np.asarray(ours[n].data).view(np.uint8), np.asarray(t.data).view(np.uint8))
            check(same, f"{label}: {prec}: {n} ({t.tensor_type.name}) differs from llama_model_quantize's")
            by_type[t.tensor_type.name] = by_type.get(t.tensor_type.name, 0) + 1
        check(sum(by_type.values()) >= 3, f"{label}: {prec}: only {sum(by_type.values())} tensors to compare with llama_model_quantize")
        print(f"{label}: {prec}: byte-identical with llama.cpp's llama_model_quantize --pure: " +
              ", ".join(f"{k} x{v}" for k, v in sorted(by_type.items())))


def check_llama_mixes(convert, model, tmp, label, mixes):
    """mixq-convert --preset <MIX> --format gguf against llama_model_quantize's own mix (not --pure) of the F32 export:
    every tensor the same type and, with ggml's reference rounding, the same bytes."""
    f32_dir = os.path.join(tmp, "mix_fp32")
    json.dump({"name": "fp32", "rules": [["*", "fp32"]]}, open(f32_dir + ".json", "w"))
    subprocess.run([convert, model, "-o", f32_dir, "--table", f32_dir + ".json", "--format", "gguf"], check=True, capture_output=True)
    for mix in mixes:
        theirs_path = os.path.join(tmp, f"llama_mix_{mix}.gguf")
        llama_quantize(os.path.join(f32_dir, "model.gguf"), theirs_path, getattr(llama_cpp, "LLAMA_FTYPE_MOSTLY_" + mix), pure=False)
        out = os.path.join(tmp, f"mix_{mix}")
        subprocess.run([convert, model, "-o", out, "--preset", mix, "--format", "gguf"], check=True, capture_output=True)
        theirs = {t.name: t for t in gguf.GGUFReader(theirs_path).tensors}
        ours = {t.name: t for t in gguf.GGUFReader(os.path.join(out, "model.gguf")).tensors}
        check(sorted(theirs) == sorted(ours), f"{label}: {mix}: tensor names differ: {sorted(set(theirs) ^ set(ours))}")
        by_type = {}
        for n, t in theirs.items():
            if n not in ours:
                continue
            if not check(ours[n].tensor_type == t.tensor_type,
                         f"{label}: {mix}: {n} is {ours[n].tensor_type.name} in mixq's file, {t.tensor_type.name} in llama_model_quantize's"):
                continue
            check(np.array_equal(np.asarray(ours[n].data).view(np.uint8), np.asarray(t.data).view(np.uint8)),
                  f"{label}: {mix}: {n} ({t.tensor_type.name}) differs from llama_model_quantize's")
            by_type[t.tensor_type.name] = by_type.get(t.tensor_type.name, 0) + 1
        print(f"{label}: --preset {mix}: llama-quantize's own mix, byte-identical: " + ", ".join(f"{k} x{v}" for k, v in sorted(by_type.items())))


def read_imatrix(path):
    """llama-quantize's load_imatrix: per tensor, in_sum2 / counts (1 where the count is 0), from llama.cpp's imatrix GGUF."""
    r = gguf.GGUFReader(path)
    check(r.fields["general.type"].contents() == "imatrix", f"{path}: general.type is not imatrix")
    for key in ("imatrix.datasets", "imatrix.chunk_count", "imatrix.chunk_size"):  # load_imatrix refuses a file without them
        check(key in r.fields, f"{path}: no {key}")
    t = {x.name: np.asarray(x.data, dtype=np.float32).reshape(-1) for x in r.tensors}
    out = {}
    for name, sums in t.items():
        if name.endswith(".in_sum2"):
            base = name[: -len(".in_sum2")]
            count = float(round(float(t[base + ".counts"][0])))
            out[base] = (sums / np.float32(count)).astype(np.float32) if count > 0 else np.ones_like(sums)
    return out


def check_imatrix_against_llama_quantize(convert, model, calib, tmp, label, precisions):
    """mixq's importance-weighted export against llama_model_quantize --pure with the imatrix.gguf mixq wrote beside it."""
    f32 = os.path.join(tmp, "im_fp32", "model.gguf")
    json.dump({"name": "fp32", "rules": [["*", "fp32"]]}, open(os.path.join(tmp, "im_fp32.json"), "w"))
    subprocess.run([convert, model, "-o", os.path.join(tmp, "im_fp32"), "--table", os.path.join(tmp, "im_fp32.json"), "--format", "gguf"],
                   check=True, capture_output=True)
    for prec in precisions:
        table = os.path.join(tmp, f"im_{prec}.json")
        json.dump({"name": prec, "rules": [["*", prec]]}, open(table, "w"))
        out = os.path.join(tmp, f"im_{prec}")
        subprocess.run([convert, model, "-o", out, "--table", table, "--format", "gguf", "--calib", calib,
                        "--lowbit-calibration", "imatrix"], check=True, capture_output=True)
        im = read_imatrix(os.path.join(out, "imatrix.gguf"))
        theirs_path = os.path.join(tmp, f"llama_im_{prec}.gguf")
        llama_quantize(f32, theirs_path, getattr(llama_cpp, "LLAMA_FTYPE_MOSTLY_" + LLAMA_FTYPES[prec]), imatrix=im)
        theirs = {t.name: t for t in gguf.GGUFReader(theirs_path).tensors}
        ours = {t.name: t for t in gguf.GGUFReader(os.path.join(out, "model.gguf")).tensors}
        by_type, weighted = {}, 0
        for n, t in theirs.items():
            if t.tensor_type == T.F32:
                continue
            if not check(n in ours and ours[n].tensor_type == t.tensor_type, f"{label}: imatrix {prec}: {n} types differ"):
                continue
            same = np.array_equal(np.asarray(ours[n].data).view(np.uint8), np.asarray(t.data).view(np.uint8))
            check(same, f"{label}: imatrix {prec}: {n} ({t.tensor_type.name}) differs from llama_model_quantize --imatrix's")
            by_type[t.tensor_type.name] = by_type.get(t.tensor_type.name, 0) + 1
            weighted += n in im
        check(weighted >= 3, f"{label}: imatrix {prec}: only {weighted} tensors had an importance")
        print(f"{label}: imatrix {prec}: byte-identical with llama_model_quantize --pure --imatrix of mixq's imatrix.gguf "
              f"({weighted} tensors weighted): " + ", ".join(f"{k} x{v}" for k, v in sorted(by_type.items())))


def mixq_eval(exe, path, tokens_path, window, threads):
    out = subprocess.run([exe, path, "--tokens", tokens_path, "--window", str(window), "--threads", str(threads), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def check_search(search, eval_exe, model, calib, tokens_path, toks, window, threads, tmp, tol):
    """mixq-search --format gguf under a bits-per-weight budget: the file llama.cpp loads, of the size and types search.json
    says, with llama.cpp's perplexity equal to mixq-eval's."""
    label = f"{os.path.basename(model)} / mixq-search --format gguf"
    out = os.path.join(tmp, "search.out")
    subprocess.run([search, model, "-o", out, "--format", "gguf", "--target-bpw", "5.5", "--calib", calib, "--eval", tokens_path,
                    "--window", str(window), "--sensitivity-windows", "2", "--frontier-points", "0", "--no-reference-points",
                    "--threads", str(threads), "--quiet"], check=True, capture_output=True)
    path = os.path.join(out, "model.gguf")
    record = json.load(open(os.path.join(out, "search.json")))
    check(record["file_bytes"] == os.path.getsize(path), f"{label}: search.json says {record['file_bytes']} bytes, the file has {os.path.getsize(path)}")
    check(record["bpw"] <= 5.5, f"{label}: {record['bpw']} bits per weight over the budget of 5.5")
    ours = {t.name: t for t in gguf.GGUFReader(path).tensors}
    data = sum(int(t.n_bytes) for t in ours.values())
    params = sum(int(np.prod(t.shape)) for t in ours.values())
    check(abs(8 * data / params - record["bpw"]) < 1e-9, f"{label}: the file's bits per weight {8 * data / params} differ from search.json's")
    for u in record["units"]:
        check(u["gguf"] in ours and ours[u["gguf"]].tensor_type.name == u["written"],
              f"{label}: {u['gguf']} is not {u['written']} in the file")
    m = mixq_eval(eval_exe, path, tokens_path, window, threads)
    ppl, _ = llama_perplexity(path, toks, window, threads)
    rel = abs(ppl / m["perplexity"] - 1.0)
    check(rel <= tol, f"{label}: llama.cpp perplexity {ppl:.6f} vs mixq {m['perplexity']:.6f} ({rel:.2e} > {tol})")
    kinds = sorted({u["written"] for u in record["units"]})
    print(f"{label}: {os.path.getsize(path)} bytes, {record['bpw']:.4f} bits per weight, types {kinds}; llama.cpp ppl {ppl:.6f}, "
          f"mixq {m['perplexity']:.6f}, rel diff {rel:.2e}")


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
    ap.add_argument("--against-llama-quantize", nargs="*", choices=sorted(LLAMA_FTYPES),
                    help="also compare all-<precision> exports with llama.cpp's own quantizer (default: int8 int4_g32)")
    ap.add_argument("--imatrix-against-llama-quantize", nargs="+", choices=sorted(LLAMA_FTYPES), default=[],
                    help="with --calib: all-<precision> exports rounded with mixq's importance matrix against llama.cpp's")
    ap.add_argument("--calib", help="calibration tokens (.npy) for --imatrix-against-llama-quantize and --gptq")
    ap.add_argument("--llama-mixes", nargs="+", default=[], help="mixq-convert --preset MIX against llama-quantize's MIX (Q4_K_M ...)")
    ap.add_argument("--gptq", nargs="+", default=[], choices=["gptq", "mse+gptq"],
                    help="with --calib: each table also exported with mixq's GPTQ rounding inside ggml's types (--lowbit-calibration), "
                         "evaluated by llama.cpp like the others")
    ap.add_argument("--search", help="with --calib: mixq-search, whose --format gguf file llama.cpp then evaluates")
    ap.add_argument("--make-tokenizer", action="store_true",
                    help="write a small byte-level BPE tokenizer.json beside --model first (the model's directory must be scratch)")
    a = ap.parse_args()
    src = read_safetensors(a.model)
    vocab = src["backbone.embeddings.weight"].shape[0]
    if a.make_tokenizer:
        write_tokenizer(os.path.join(os.path.dirname(os.path.abspath(a.model)), "tokenizer.json"), vocab)
    with tempfile.TemporaryDirectory() as tmp:
        n = a.window * a.windows
        if a.tokens:
            toks = np.load(a.tokens).astype(np.int64).reshape(-1)[:n]
        else:
            toks = np.random.default_rng(7).integers(0, vocab, n)
        tokens_path = os.path.join(tmp, "tokens.npy")
        np.save(tokens_path, toks.astype(np.int64))
        variants = [(t, []) for t in a.table] + [(t, ["--calib", a.calib, "--lowbit-calibration", g]) for g in a.gptq for t in a.table]
        for table, extra in variants:
            label = f"{os.path.basename(a.model)} / {os.path.basename(table)}" + (f" / {extra[-1]}" if extra else "")
            rules = json.load(open(table))["rules"]
            out = os.path.join(tmp, os.path.basename(table) + (".out" if not extra else f".{extra[-1]}.out"))
            t0 = time.perf_counter()
            subprocess.run([a.convert, a.model, "-o", out, "--table", table, "--format", "gguf", "--json", *extra], check=True,
                           capture_output=True)
            export_s = time.perf_counter() - t0
            path = os.path.join(out, "model.gguf")
            check_file(path, src, rules, label, calibrated=bool(extra))
            if extra:  # the same types and sizes as the reference rounding's file, other codes
                ref = {t.name: t for t in gguf.GGUFReader(os.path.join(tmp, os.path.basename(table) + ".out", "model.gguf")).tensors}
                ours = {t.name: t for t in gguf.GGUFReader(path).tensors}
                differ = [n for n, t in ours.items() if t.tensor_type not in (T.F32, T.F16, T.BF16)
                          and not np.array_equal(np.asarray(t.data).view(np.uint8), np.asarray(ref[n].data).view(np.uint8))]
                check(all(ours[n].tensor_type == ref[n].tensor_type and ours[n].n_bytes == ref[n].n_bytes for n in ours),
                      f"{label}: types or sizes differ from the reference rounding's file")
                check(len(differ) >= 1 or not any(t.tensor_type not in (T.F32, T.F16, T.BF16) for t in ours.values()),
                      f"{label}: no block-typed tensor differs from the reference rounding")
            if a.make_tokenizer and not extra:
                check_tokenizer(path, vocab, label)
            m = mixq_eval(a.eval_exe, path, tokens_path, a.window, a.threads)
            ppl, llama_s = llama_perplexity(path, toks, a.window, a.threads)
            rel = abs(ppl / m["perplexity"] - 1.0)
            check(rel <= a.ppl_tol, f"{label}: llama.cpp perplexity {ppl:.6f} vs mixq {m['perplexity']:.6f} ({rel:.2e} > {a.ppl_tol})")
            print(f"{label}: {os.path.getsize(path)} bytes, llama.cpp ppl {ppl:.6f}, mixq {m['perplexity']:.6f}, "
                  f"rel diff {rel:.2e}; llama.cpp {llama_s:.3f} s, mixq {m['seconds']:.3f} s")
            if a.results:
                with open(a.results, "a") as f:
                    f.write(json.dumps({"model": os.path.basename(os.path.dirname(a.model)) or a.model, "table": os.path.basename(table),
                                        "bytes": os.path.getsize(path), "llama_ppl": ppl, "mixq_ppl": m["perplexity"],
                                        "rel_diff": rel, "llama_s": llama_s, "mixq_s": m["seconds"], "export_s": export_s,
                                        "tokens": int(m["tokens_scored"]), "threads": a.threads}) + "\n")
        if a.search:
            check_search(a.search, a.eval_exe, a.model, a.calib, tokens_path, toks, a.window, a.threads, tmp, a.ppl_tol)
        if a.imatrix_against_llama_quantize:
            check_imatrix_against_llama_quantize(a.convert, a.model, a.calib, tmp, os.path.basename(a.model), a.imatrix_against_llama_quantize)
        if a.llama_mixes:
            check_llama_mixes(a.convert, a.model, tmp, os.path.basename(a.model), a.llama_mixes)
        if a.against_llama_quantize is not None:
            check_against_llama_quantize(a.convert, a.model, tmp, os.path.basename(a.model), a.against_llama_quantize or ["int8", "int4_g32"])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
