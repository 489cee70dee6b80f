#!/usr/bin/env python3
"""Prompt evaluation speed of mixq against llama.cpp on the same F32 GGUF, in one run (docs/performance.md).

  PY benchmarks/interop/prompt_vs_llama.py --build build --model examples/data/mamba2-fortunes \
      --tokens examples/data/mamba2-fortunes/eval_tokens.npy --threads 1 [--windows 16] [--repeat 3]

mixq-convert writes the model as an F32 GGUF; then, alternately and --repeat times, llama.cpp (libllama through
llama-cpp-python, the interop venv) and mixq-eval evaluate it over the same windows of 128 tokens. Prints each
side's perplexity and evaluation time (llama.cpp: its prompt-eval timers; mixq: its own, model loading
excluded on both sides) and the ratio of the medians.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "interop"))
import gguf_interop as gi  # noqa: E402
import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--model", required=True, help="model directory (or .safetensors) mixq-convert reads")
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--windows", type=int, default=0, help="0: every whole window of 128")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    toks = np.load(a.tokens).astype(np.int64).reshape(-1)
    n = (len(toks) // 128 if a.windows == 0 else a.windows) * 128
    toks = toks[:n]
    with tempfile.TemporaryDirectory() as tmp:
        table = os.path.join(tmp, "fp32.json")
        json.dump({"name": "fp32", "rules": [["*", "fp32"]]}, open(table, "w"))
        subprocess.run([os.path.join(a.build, "examples", "mixq-convert"), a.model, "-o", os.path.join(tmp, "g"), "--table", table,
                        "--format", "gguf"], check=True, capture_output=True)
        path = os.path.join(tmp, "g", "model.gguf")
        tokens_path = os.path.join(tmp, "tokens.npy")
        np.save(tokens_path, toks)
        llama, mixq = [], []
        for _ in range(a.repeat):
            ppl_l, s = gi.llama_perplexity(path, toks, 128, a.threads)
            llama.append(s)
            m = gi.mixq_eval(os.path.join(a.build, "examples", "mixq-eval"), path, tokens_path, 128, a.threads)
            mixq.append(m["seconds"])
        lm, mm = statistics.median(llama), statistics.median(mixq)
        print(f"{os.path.basename(a.model.rstrip('/'))}: {n // 128} windows of 128, {a.threads} thread(s)")
        print(f"  llama.cpp  perplexity {ppl_l:.6f}  {lm:.3f} s (runs {', '.join(f'{x:.3f}' for x in llama)})")
        print(f"  mixq       perplexity {m['perplexity']:.6f}  {mm:.3f} s (runs {', '.join(f'{x:.3f}' for x in mixq)})")
        print(f"  mixq is {lm / mm:.2f}x llama.cpp's speed; perplexities differ by {abs(m['perplexity'] / ppl_l - 1):.1e} (relative)")


if __name__ == "__main__":
    main()
