#!/usr/bin/env python3
"""Size, perplexity and evaluation time of mixq's GGUF exports, measured by mixq and by llama.cpp in one
run, beside llama.cpp's own uniform Q8_0 / Q4_0 (llama_model_quantize of mixq's F32 export).

  scripts/interop-env.sh            # prints the environment's python
  PY benchmarks/interop/gguf_vs_llama.py --build build --model examples/data/hf-mamba-fortunes/model.safetensors \
      --tokens examples/data/hf-mamba-fortunes/eval_tokens.npy --threads 1

Prints a markdown table (docs/interop.md) and writes one JSON line per row to --json if given.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "interop"))
import gguf_interop as gi  # noqa: E402
import llama_cpp  # noqa: E402
import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--window", type=int, default=128)
    ap.add_argument("--windows", type=int, default=0, help="0: every whole window of the token file")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    a = ap.parse_args()
    convert = os.path.join(a.build, "examples", "mixq-convert")
    evaluate = os.path.join(a.build, "examples", "mixq-eval")
    toks = np.load(a.tokens).astype(np.int64).reshape(-1)
    n = (len(toks) // a.window if a.windows == 0 else a.windows) * a.window
    toks = toks[:n]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tokens_path = os.path.join(tmp, "tokens.npy")
        np.save(tokens_path, toks)
        src = subprocess.run([evaluate, a.model, "--tokens", tokens_path, "--window", str(a.window), "--threads", str(a.threads),
                              "--json"], check=True, capture_output=True, text=True)
        fp32_ppl = json.loads(src.stdout)["perplexity"]
        uniform = {"fp32": "fp32", "all-int8 (Q8_0)": "int8", "all-int4_g32 (Q4_0)": "int4_g32"}
        jobs = [(f"preset {p}", ["--preset", p]) for p in ("conservative", "aggressive", "int8-linear", "fp16", "bf16")]
        for label, prec in uniform.items():
            path = os.path.join(tmp, f"u_{prec}.json")
            json.dump({"name": label, "rules": [["*", prec]]}, open(path, "w"))
            jobs.append((f"uniform {label}", ["--table", path]))
        for label, flags in jobs:
            out = os.path.join(tmp, label.replace(" ", "_").replace("(", "").replace(")", ""))
            t0 = time.perf_counter()
            subprocess.run([convert, a.model, "-o", out, "--format", "gguf"] + flags, check=True, capture_output=True)
            export_s = time.perf_counter() - t0
            rows.append((label, os.path.join(out, "model.gguf"), export_s))
        f32 = next(path for label, path, _ in rows if label == "uniform fp32")
        for name, ftype in (("Q8_0", llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0), ("Q4_0", llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0)):
            dst = os.path.join(tmp, f"llama_{name}.gguf")
            gi.llama_quantize(f32, dst, ftype, pure=False)
            rows.append((f"llama.cpp llama_model_quantize {name}", dst, None))
        results = []
        for label, path, export_s in rows:
            try:
                m = gi.mixq_eval(evaluate, path, tokens_path, a.window, a.threads)
            except subprocess.CalledProcessError as e:
                m = {"perplexity": float("nan"), "seconds": float("nan"), "error": e.stderr.strip().splitlines()[-1]}
            ppl, llama_s = gi.llama_perplexity(path, toks, a.window, a.threads)
            counts = {}
            for t in gi.gguf.GGUFReader(path).tensors:
                counts[t.tensor_type.name] = counts.get(t.tensor_type.name, 0) + 1
            types = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            results.append({"types": types, "table": label, "bytes": os.path.getsize(path), "export_s": export_s, "mixq_ppl": m["perplexity"],
                            "llama_ppl": ppl, "mixq_s": m["seconds"], "llama_s": llama_s, "error": m.get("error")})
    f32_bytes = next(r["bytes"] for r in results if r["table"] == "uniform fp32")
    print(f"fp32 safetensors perplexity (mixq-eval): {fp32_ppl:.4f}; {n} tokens in windows of {a.window}; "
          f"{a.threads} thread(s) each\n")
    print("| export | tensors | .gguf bytes | vs F32 | llama.cpp ppl | Δ vs fp32 | mixq ppl | mixq vs llama.cpp | llama.cpp s | mixq s | speed-up |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        rel = r["mixq_ppl"] / r["llama_ppl"] - 1
        print(f"| {r['table']} | {r['types']} | {r['bytes']:,} | {f32_bytes / r['bytes']:.2f}x | {r['llama_ppl']:.4f} | "
              f"{100 * (r['llama_ppl'] / fp32_ppl - 1):+.3f} % | "
              + (f"{r['mixq_ppl']:.4f} | {100 * rel:+.4f} % | {r['llama_s']:.2f} | {r['mixq_s']:.2f} | {r['llama_s'] / r['mixq_s']:.2f}x |"
                 if r["error"] is None else f"— ({r['error']}) | | {r['llama_s']:.2f} | | |"))
    if a.json:
        with open(a.json, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
