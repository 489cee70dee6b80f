"""mixq's rounding against llama-quantize's at exactly llama.cpp's own mixes (Q4_K_M, Q3_K_M, ...), by llama.cpp's perplexity.

For a Hugging Face model directory: mixq writes the F32 GGUF; llama_model_quantize makes the ftype's mix from it, without
and with an importance matrix (mixq's imatrix.gguf from each calibration third); mixq writes the same tensor types
(`--preset <MIX>`, checked against llama.cpp's file tensor by tensor, so the tensor data has the same bytes) with its own
rounding from each third. llama.cpp evaluates every file on the same tokens; each change is against the F32 file, with the paired
standard error over the eval windows. Run with the interop environment's python (scripts/test-interop.sh makes it):

  python benchmarks/interop/gguf_llama_mixes.py --convert build/examples/mixq-convert --model examples/data/hf-mamba-fortunes

With --search build/examples/mixq-search, also mixq-search --format gguf --target-size <llama-quantize's file size> from each
third (the goal: <= 50 % of llama-quantize's increase at that size); --search-only skips the fixed-mix roundings.
"""
import argparse, json, math, os, subprocess, sys, tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "interop"))
from gguf_interop import llama_quantize, llama_window_nll, read_imatrix  # noqa: E402

import gguf  # noqa: E402
import llama_cpp  # noqa: E402


def window_nll(path, tokens, window, threads):
    return llama_window_nll(path, tokens, window, threads)[0]


def change(base, q):
    """Perplexity change in % and its paired standard error over the windows (delta method on the mean NLL)."""
    d = q - base
    r = math.exp(d.mean())
    return 100 * (r - 1), 100 * r * d.std(ddof=1) / math.sqrt(len(d))


def convert(exe, model, out, table_rules=None, extra=()):
    """mixq-convert to GGUF with a table of rules, or with `extra` alone (--preset ...)."""
    args = []
    if table_rules is not None:
        json.dump({"name": os.path.basename(out), "rules": table_rules}, open(out + ".json", "w"))
        args = ["--table", out + ".json"]
    subprocess.run([exe, model, "-o", out, *args, "--format", "gguf", *extra], check=True, capture_output=True)
    return os.path.join(out, "model.gguf")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convert", required=True)
    ap.add_argument("--model", required=True, help="a Hugging Face model directory with calib_tokens.npy and eval_tokens.npy")
    ap.add_argument("--ftypes", nargs="+", default=["Q4_K_M", "Q3_K_M"])
    ap.add_argument("--rounding", nargs="+", default=["mse+gptq --gptq-act-order"],
                    help="mixq-convert --lowbit-calibration values, each with its further flags ('mse+gptq --gptq-act-order')")
    ap.add_argument("--window", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--search", help="mixq-search: also search a GGUF of llama-quantize's file size from each third")
    ap.add_argument("--search-flags", default="--lowbit-calibration mse+gptq --gptq-act-order",
                    help="further mixq-search flags")
    ap.add_argument("--search-only", action="store_true", help="with --search: skip the imatrix files and the fixed-mix roundings")
    ap.add_argument("--json", help="also write the numbers here")
    a = ap.parse_args()
    name = os.path.basename(a.model.rstrip("/"))
    calib = np.load(os.path.join(a.model, "calib_tokens.npy")).reshape(-1)
    tokens = np.load(os.path.join(a.model, "eval_tokens.npy")).reshape(-1)
    record = {"model": name, "window": a.window, "eval_tokens": int(len(tokens)), "mixes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        n = len(calib) // 3
        thirds = []
        for i in range(3):  # three disjoint calibration draws
            thirds.append(os.path.join(tmp, f"third{i}.npy"))
            np.save(thirds[-1], calib[i * n:(i + 1) * n])
        f32 = convert(a.convert, a.model, os.path.join(tmp, "f32"), [["*", "fp32"]])
        base = window_nll(f32, tokens, a.window, a.threads)
        print(f"{name}: F32 perplexity {math.exp(base.mean()):.4f} over {len(base)} windows of {a.window}", flush=True)
        for ft in a.ftypes:
            code = getattr(llama_cpp, "LLAMA_FTYPE_MOSTLY_" + ft)
            theirs = os.path.join(tmp, f"llama_{ft}.gguf")
            llama_quantize(f32, theirs, code, pure=False)
            types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(theirs).tensors}
            mix = {"types": {}, "llama": {}, "llama_imatrix": [], "mixq": {}}
            for t in types.values():
                mix["types"][t] = mix["types"].get(t, 0) + 1
            mix["llama"]["file_bytes"] = os.path.getsize(theirs)
            mix["llama"]["change"] = change(base, window_nll(theirs, tokens, a.window, a.threads))
            print(f"{name} {ft}: types {mix['types']}; llama-quantize: {mix['llama']['change'][0]:+.3f} % "
                  f"+- {mix['llama']['change'][1]:.3f} ({mix['llama']['file_bytes']} bytes)", flush=True)
            for i, third in enumerate(thirds if not a.search_only else []):
                out = convert(a.convert, a.model, os.path.join(tmp, f"im{i}"), None, ["--preset", ft, "--calib", third, "--lowbit-calibration", "imatrix"])
                im = read_imatrix(os.path.join(os.path.dirname(out), "imatrix.gguf"))
                path = os.path.join(tmp, f"llama_{ft}_im{i}.gguf")
                llama_quantize(f32, path, code, pure=False, imatrix=im)
                c = change(base, window_nll(path, tokens, a.window, a.threads))
                mix["llama_imatrix"].append(c)
                print(f"{name} {ft}: llama-quantize --imatrix (mixq's imatrix of third {i}): {c[0]:+.3f} % +- {c[1]:.3f}", flush=True)
            if a.search:
                mix["search"] = []
                for i, third in enumerate(thirds):
                    out = os.path.join(tmp, f"search{i}")
                    subprocess.run([a.search, a.model, "-o", out, "--format", "gguf", "--target-size", str(mix["llama"]["file_bytes"]),
                                    "--calib", third, "--eval", os.path.join(a.model, "eval_tokens.npy"), "--threads", str(a.threads),
                                    "--no-reference-points", "--frontier-points", "0", "--quiet", *a.search_flags.split()],
                                   check=True, capture_output=True)
                    path = os.path.join(out, "model.gguf")
                    if os.path.getsize(path) > mix["llama"]["file_bytes"]:
                        raise SystemExit(f"{name} {ft}: the searched file has {os.path.getsize(path)} bytes, over the budget")
                    picked = [f["label"] for f in json.load(open(os.path.join(out, "search.json")))["selection"]["entries"] if f["written"]]
                    c = change(base, window_nll(path, tokens, a.window, a.threads))
                    mix["search"].append(c + (os.path.getsize(path), picked[0]))
                    print(f"{name} {ft}: mixq-search --target-size {mix['llama']['file_bytes']} (third {i}): {c[0]:+.3f} % +- {c[1]:.3f} "
                          f"({os.path.getsize(path)} bytes, wrote {picked[0]})", flush=True)
                m = np.array([c[0] for c in mix["search"]])
                print(f"{name} {ft} search: mixq {m.mean():+.3f} % (sd {m.std(ddof=1):.3f}) vs llama-quantize {mix['llama']['change'][0]:+.3f} % "
                      f"({100 * m.mean() / mix['llama']['change'][0]:.0f} %, goal <= 50 %)", flush=True)
            for r in (a.rounding if not a.search_only else []):
                mix["mixq"][r] = []
                for i, third in enumerate(thirds):
                    path = convert(a.convert, a.model, os.path.join(tmp, f"mixq{i}"), None,
                                   ["--preset", ft, "--calib", third, "--lowbit-calibration", *r.split()])
                    ours = {t.name: t for t in gguf.GGUFReader(path).tensors}
                    for g, t in types.items():  # the same mix: every tensor of the same type and size
                        if g not in ours or ours[g].tensor_type.name != t:
                            raise SystemExit(f"{name} {ft}: {g} is {ours[g].tensor_type.name if g in ours else 'absent'} in mixq's file, {t} in llama.cpp's")
                    c = change(base, window_nll(path, tokens, a.window, a.threads))
                    mix["mixq"][r].append(c)
                    print(f"{name} {ft}: mixq {r} (third {i}): {c[0]:+.3f} % +- {c[1]:.3f} ({os.path.getsize(path)} bytes)", flush=True)
            li = np.array([c[0] for c in mix["llama_imatrix"]] or [math.nan])
            for r, cs in mix["mixq"].items():
                m = np.array([c[0] for c in cs])
                print(f"{name} {ft} {r}: mixq {m.mean():+.3f} % (sd {m.std(ddof=1):.3f}) vs llama-quantize {mix['llama']['change'][0]:+.3f} % "
                      f"({100 * m.mean() / mix['llama']['change'][0]:.0f} %, goal <= 50 %) and --imatrix {li.mean():+.3f} % (sd {li.std(ddof=1):.3f}) "
                      f"({100 * m.mean() / li.mean():.0f} %, goal <= 70 %)", flush=True)
            record["mixes"][ft] = mix
    if a.json:
        json.dump(record, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
