#!/usr/bin/env python3
"""mixq's ggml block codecs (format/ggml/) against ggml's own, type by type.

For every block type mixq writes (Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K IQ4_NL), on rows drawn to be
awkward (normal, heavy-tailed, all-positive, all-zero, constant and tiny blocks, a lone outlier, ties):
  (a) mixq's blocks are byte-identical with ggml_quantize_chunk of llama.cpp's libggml-base (what llama-quantize
      calls without an importance matrix);
  (b) mixq's decoding of those blocks equals the gguf package's gguf.quants.dequantize, value for value;
  (c) with an importance matrix (llama.cpp's imatrix rounding, quantize_row_*_impl) the blocks are byte-identical
      too, for importances spread over six orders of magnitude, with zeros among them.
Exit 0 when every check holds, 1 otherwise, 77 (skip) without the packages.
"""
import argparse
import os
import subprocess
import sys
import tempfile

from checks import check, finish

try:
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as T
    import ggml_lib
except ImportError as e:
    print(f"SKIP: {e}; run scripts/test-interop.sh (it installs the pinned gguf and llama-cpp-python)")
    sys.exit(77)

TYPES = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]


def awkward_rows(row, seed, extra):
    """Rows of `row` values, each of a different kind, then `extra` rows of weights-like normals."""
    rng = np.random.default_rng(seed)
    rows = [rng.standard_normal(row) * 0.02,
            rng.standard_t(2, row) * 0.05,
            np.abs(rng.standard_normal(row)),
            -np.abs(rng.standard_normal(row)) * 3,
            np.zeros(row),
            np.full(row, 0.37),
            rng.standard_normal(row) * 1e-20,
            np.round(rng.standard_normal(row) * 4) / 4,  # many ties on a grid
            rng.uniform(-1, 1, row)]
    spike = rng.standard_normal(row) * 0.01
    spike[row // 3] = 7.5
    rows.append(spike)
    half = rng.standard_normal(row)
    half[: row // 2] = 0
    rows.append(half)
    rows += [rng.standard_normal(row) * s for s in (1e-3, 1.0, 300.0) for _ in range(8)]
    rows += [rng.standard_normal(row) * 0.02 for _ in range(extra)]
    return np.stack(rows).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True, help="ggml_blocks_tool (benchmarks/tools/)")
    ap.add_argument("--row", type=int, default=512)
    ap.add_argument("--extra-rows", type=int, default=64, help="more rows of random weights (rare rounding cases)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in TYPES:
            typ = T[name]
            x = awkward_rows(a.row, 1000 + int(typ), a.extra_rows)
            nrows = x.shape[0]
            theirs = ggml_lib.quantize(x, typ)
            rb = theirs.size // nrows
            src, ours_path, back_path = (os.path.join(tmp, f"{name}.{s}") for s in ("f32", "bin", "back"))
            x.tofile(src)
            subprocess.run([a.tool, "quantize", name, str(a.row), src, ours_path], check=True)
            ours = np.fromfile(ours_path, dtype=np.uint8)
            same = ours.shape == theirs.shape and np.array_equal(ours, theirs)
            if not same and ours.shape == theirs.shape:
                bad = np.nonzero(ours.reshape(nrows, rb) != theirs.reshape(nrows, rb))
                print(f"{name}: {len(set(bad[0]))} of {nrows} rows differ, first at row {bad[0][0]} byte {bad[1][0]}")
            check(same, f"{name}: mixq's blocks differ from ggml_quantize_chunk's")
            subprocess.run([a.tool, "decode", name, str(a.row), ours_path, back_path], check=True)
            back = np.fromfile(back_path, dtype=np.float32)
            want = gguf.quants.dequantize(theirs.reshape(nrows, rb), typ).reshape(-1).astype(np.float32)
            check(back.shape == want.shape and np.array_equal(back, want),
                  f"{name}: mixq's decoding differs from gguf.quants.dequantize")
            rng = np.random.default_rng(int(typ))
            imatrix = (np.exp(rng.standard_normal(a.row) * 3) * (rng.uniform(size=a.row) > 0.05)).astype(np.float32)
            im_path, ours_im_path = os.path.join(tmp, f"{name}.imatrix"), os.path.join(tmp, f"{name}.im.bin")
            imatrix.tofile(im_path)
            subprocess.run([a.tool, "quantize", name, str(a.row), src, ours_im_path, im_path], check=True)
            ours_im, theirs_im = np.fromfile(ours_im_path, dtype=np.uint8), ggml_lib.quantize(x, typ, imatrix)
            same_im = ours_im.shape == theirs_im.shape and np.array_equal(ours_im, theirs_im)
            if not same_im and ours_im.shape == theirs_im.shape:
                bad = np.nonzero(ours_im.reshape(nrows, rb) != theirs_im.reshape(nrows, rb))
                print(f"{name} with an imatrix: {len(set(bad[0]))} of {nrows} rows differ, first at row {bad[0][0]} byte {bad[1][0]}")
            check(same_im, f"{name}: mixq's blocks with an importance matrix differ from ggml_quantize_chunk's")
            err = float(np.sqrt(np.mean((want - x.reshape(-1)) ** 2)))
            print(f"{name}: {nrows} rows of {a.row} byte-identical with ggml without and with an imatrix, decoding equal to "
                  f"gguf.quants (rms error {err:.3g})" if same and same_im else f"{name}: checked")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
