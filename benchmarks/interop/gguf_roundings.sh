#!/usr/bin/env bash
# GGUF roundings compared by mixq-convert --eval (equal to llama.cpp's perplexity within 2e-4 on these files): ggml's reference
# rounding and the importance-weighted one from three disjoint thirds of calib_tokens.npy, all-q4_k / q3_k / iq4_nl
# tables, on the three bundled Hugging Face models. Prints: model type rounding change% stderr% ppl [fp32 ppl]. Needs numpy.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
conv="$root/build/examples/mixq-convert"
py="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for m in hf-mamba-fortunes mamba2-fortunes nemotronh-fortunes; do
  d="$root/examples/data/$m"
  "$py" - "$d/calib_tokens.npy" $work/$m <<'PY'
import sys, numpy as np
t = np.load(sys.argv[1]).reshape(-1); n = len(t) // 3
for i in range(3): np.save(f"{sys.argv[2]}.third{i}.npy", t[i*n:(i+1)*n])
PY
  for p in q4_k q3_k iq4_nl; do
    echo "{\"name\": \"$p\", \"rules\": [[\"*\", \"$p\"]]}" > $work/$p.json
    r=$($conv $d -o $work/out --format gguf --table $work/$p.json --eval $d/eval_tokens.npy --json | "$py" -c "import json,sys; q=json.load(sys.stdin)['quality']; print(f\"{q['delta_percent']:.4f} {q['delta_stderr_percent']:.4f} {q['gguf_perplexity']:.4f} {q['fp32_perplexity']:.4f}\")")
    echo "$m $p reference $r"
    for i in 0 1 2; do
      r=$($conv $d -o $work/out --format gguf --table $work/$p.json --eval $d/eval_tokens.npy --calib $work/$m.third$i.npy --lowbit-calibration imatrix --json | "$py" -c "import json,sys; q=json.load(sys.stdin)['quality']; print(f\"{q['delta_percent']:.4f} {q['delta_stderr_percent']:.4f} {q['gguf_perplexity']:.4f}\")")
      echo "$m $p imatrix$i $r"
    done
  done
done
