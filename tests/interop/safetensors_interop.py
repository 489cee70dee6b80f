#!/usr/bin/env python3
"""mixq-convert's model files read by the real safetensors package (safe_open, numpy).

For each table (and optionally with --max-shard-size): mixq-convert writes the model; then safetensors
opens model.safetensors, or every shard named by model.safetensors.index.json, and
  (a) every tensor name of the input is there (lm_head.weight may be left out only as the tie that
      metadata records as mixq.alias.lm_head.weight), each quantized X with its X_scale, nothing else;
  (b) the index names every stored tensor once, in the shard that holds it, and its total_size is the
      sum of the tensors' bytes; every shard carries the same __metadata__ (format mixq);
  (c) every tensor decoded as docs/format.md says (int8: code * scale[r]; int4: the nibble's two's
      complement * scale[r, c / G]) is within half a step of the input value where its calibrator
      clips nothing (max; percentile: inside the clip), and within 1 % (int8) / 15 % (int4) relative
      RMS; fp16 within half an ulp; a tensor stored unchanged equal to the input.
Exit 0 when every check holds, 1 otherwise (each failure printed), 77 (skip) without the packages.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from checks import check, finish

try:
    import numpy as np
    from safetensors import safe_open
except ImportError as e:  # run through scripts/test-interop.sh, which makes the environment
    print(f"SKIP: {e}; run scripts/test-interop.sh (it installs the pinned safetensors)")
    sys.exit(77)

def open_all(files):
    """name -> (array, shard file) over the given files, and each file's metadata."""
    tensors, metas = {}, {}
    for path in files:
        with safe_open(path, framework="numpy") as f:
            metas[path] = f.metadata() or {}
            for k in f.keys():
                check(k not in tensors, f"{k} is stored in two files ({tensors.get(k, (None, '?'))[1]} and {path})")
                tensors[k] = (f.get_tensor(k), path)
    return tensors, metas


def as_rows(a):
    a = np.asarray(a)
    return a.reshape(1, -1) if a.ndim < 2 else a.reshape(a.shape[0], -1)


def decode(scheme, x, scale, shape):
    """The fp32 values of a stored quantized tensor by docs/format.md alone, and each value's step (its scale)."""
    fmt = scheme.split(":")[0]
    rows = shape[0] if len(shape) >= 2 else 1
    cols = int(np.prod(shape)) // rows
    if fmt == "int8":
        code = as_rows(x).astype(np.float32)
        step = np.broadcast_to(scale.reshape(-1, 1).astype(np.float32), code.shape)
    elif fmt == "int4":
        group = int(next(f for f in scheme.split(":") if f.startswith("group"))[5:])
        nib = np.empty((rows, 2 * x.shape[1]), dtype=np.uint8)
        nib[:, 0::2] = x & 15
        nib[:, 1::2] = x >> 4
        code = ((nib[:, :cols] ^ 8).astype(np.int16) - 8).astype(np.float32)
        step = np.repeat(scale.astype(np.float32), group, axis=1)[:, :cols]
    else:
        raise ValueError(f"no decoder here for scheme {scheme}")
    return code * step, step


def run_case(args, table, shard, work):
    label = f"{os.path.basename(args.model)} {os.path.basename(table)}" + (f" --max-shard-size {shard}" if shard else "")
    print(f"== {label}")
    out = os.path.join(work, f"out{len(os.listdir(work))}")
    cmd = [args.convert, args.model, "-o", out, "--quiet"]
    cmd += ["--preset", table[len("preset:"):]] if table.startswith("preset:") else ["--table", table]
    if shard:
        cmd += ["--max-shard-size", shard]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    index = os.path.join(out, "model.safetensors.index.json")
    if os.path.exists(index):
        check(not os.path.exists(os.path.join(out, "model.safetensors")), f"{label}: both a model and an index")
        with open(index) as f:
            idx = json.load(f)
        files = sorted({os.path.join(out, v) for v in idx["weight_map"].values()})
        check(len(files) > 1, f"{label}: an index over {len(files)} shard(s)")
    else:
        idx, files = None, [os.path.join(out, "model.safetensors")]
    got, metas = open_all(files)
    if shard and idx is None:
        limit = int(shard.rstrip("KMGB")) * {"KB": 10**3, "MB": 10**6, "GB": 10**9}[shard[-2:]]
        check(sum(a.nbytes for a, _ in got.values()) <= limit, f"{label}: one file although the tensors exceed {shard}")
    meta = next(iter(metas.values()))
    for path, m in metas.items():
        check(m == meta, f"{label}: {os.path.basename(path)} has other metadata than the first shard")
    check(meta.get("format") == "mixq", f"{label}: __metadata__ format is {meta.get('format')!r}")
    if idx is not None:
        for name, (_, path) in got.items():
            check(idx["weight_map"].get(name) == os.path.basename(path), f"{label}: the index puts {name} in {idx['weight_map'].get(name)}, it is in {os.path.basename(path)}")
        check(set(idx["weight_map"]) == set(got), f"{label}: the index and the shards name different tensors")
        check(idx["metadata"]["total_size"] == sum(a.nbytes for a, _ in got.values()), f"{label}: index total_size")

    with safe_open(args.model, framework="numpy") as f:
        source = {k: f.get_tensor(k) for k in f.keys()}
    expected = set()
    for name in source:
        if name == "lm_head.weight" and "mixq.alias.lm_head.weight" in meta:
            check(name not in got, f"{label}: lm_head.weight stored although recorded as an alias")
            continue
        expected.add(name)
        if meta.get(f"mixq.scheme.{name}", "").split(":")[0] in ("int8", "int4", "nf4", "fp8_e4m3"):
            expected.add(name + "_scale")
    check(set(got) == expected, f"{label}: names missing {sorted(expected - set(got))[:5]}, extra {sorted(set(got) - expected)[:5]}")

    for name, w in source.items():
        if name not in got:
            continue
        scheme = meta.get(f"mixq.scheme.{name}", "")
        w32 = w.astype(np.float32)
        if f"mixq.shape.{name}" in meta:
            check(json.loads(meta[f"mixq.shape.{name}"]) == list(w.shape), f"{label}: {name} recorded shape differs from the input's")
        if name + "_scale" not in got:  # a cast, or stored as it was
            v = got[name][0].astype(np.float32)
            check(v.shape == w32.shape, f"{label}: {name} shape {v.shape}, input {w32.shape}")
            if not scheme:
                check(np.array_equal(v, w32), f"{label}: {name}, stored unchanged, differs from the input")
            elif scheme == "fp16":  # half an fp16 ulp (10 mantissa bits), or half the smallest subnormal
                check(np.all(np.abs(v - w32) <= np.maximum(np.abs(w32) * 2.0 ** -11, 2.0 ** -25) * (1 + 1e-6)), f"{label}: {name} fp16 beyond half an ulp")
            continue
        v, step = decode(scheme, got[name][0], got[name + "_scale"][0], list(w.shape))
        wr = as_rows(w32)
        # Half a step, plus the fp32 roundings docs/format.md specifies: of w / scale (so a value just past
        # half-way may round as the half-way one) and of code * scale.
        err = np.abs(v.astype(np.float64) - wr)
        bound = 0.5 * step.astype(np.float64) + (np.abs(v) + np.abs(wr)).astype(np.float64) * 2.0 ** -23
        if ":max" in scheme:  # nothing is clipped: every value within half a step
            check(np.all(err <= bound), f"{label}: {name} ({scheme}) beyond half a step")
        elif "percentile" in scheme:  # clipped beyond the percentile by design; inside it, half a step
            qmax = 127 if scheme.startswith("int8") else 7
            inside = np.abs(wr) <= qmax * step
            check(np.all(err[inside] <= bound[inside]), f"{label}: {name} ({scheme}) beyond half a step inside the clip")
        rel = float(np.sqrt(np.sum(err.astype(np.float64) ** 2) / max(float(np.sum(wr.astype(np.float64) ** 2)), 1e-30)))
        check(rel < (0.01 if scheme.startswith("int8") else 0.15), f"{label}: {name} ({scheme}) relative RMS error {rel:.4f}")
    print(f"   {len(files)} file(s), {len(got)} tensors read by safetensors")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--convert", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--table", action="append", required=True, help="a table JSON, or preset:NAME")
    p.add_argument("--max-shard-size", action="append", default=[], help="also run each table with this shard size")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for table in args.table:
            for shard in [None] + args.max_shard_size:
                run_case(args, table, shard, work)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
