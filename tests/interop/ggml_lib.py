"""llama.cpp's own block quantizer (ggml_quantize_chunk of libggml-base, as llama-cpp-python ships it), for the interop tests."""
import ctypes
import os

import llama_cpp
import numpy as np

_lib = None


def _ggml_base():
    global _lib
    if _lib is None:
        _lib = ctypes.CDLL(os.path.join(os.path.dirname(llama_cpp.__file__), "lib", "libggml-base.so"))
        _lib.ggml_quantize_chunk.restype = ctypes.c_size_t
        _lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                             ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
        _lib.ggml_quantize_init.argtypes = [ctypes.c_int]
        _lib.ggml_row_size.restype = ctypes.c_size_t
        _lib.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]
    return _lib


def quantize(x, typ, imatrix=None):
    """Rows of x (float32, last axis the row) as ggml type `typ`: the bytes, flat. imatrix: one weight per column
    (what llama-quantize hands ggml for the tensor), or None for ggml's reference rounding."""
    lib = _ggml_base()
    x = np.ascontiguousarray(x, dtype=np.float32)
    row = x.shape[-1]
    rows = x.size // row
    lib.ggml_quantize_init(int(typ))
    out = np.zeros(rows * lib.ggml_row_size(int(typ), row), dtype=np.uint8)
    im = None if imatrix is None else np.ascontiguousarray(imatrix, dtype=np.float32)
    lib.ggml_quantize_chunk(int(typ), x.ctypes.data, out.ctypes.data, 0, rows, row, None if im is None else im.ctypes.data)
    return out
