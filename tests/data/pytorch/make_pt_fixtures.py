#!/usr/bin/python3
"""Writes the PyTorch checkpoint fixtures (committed; re-run only to change them) with Debian's python3-torch.

  /usr/bin/python3 tests/data/pytorch/make_pt_fixtures.py

From tests/data/pytorch/small.safetensors (a random Hugging Face-layout Mamba, d_model 64, 2 layers,
vocabulary 384, made by benchmarks/make_random_mamba) it writes, beside it, .pt files holding the same
weights in the shapes users meet, and into tests/bad_inputs/ the hostile and malformed ones.
"""
import collections
import io
import json
import os
import pickle
import struct
import zipfile

import torch

here = os.path.dirname(os.path.abspath(__file__))
bad = os.path.join(here, "..", "..", "bad_inputs")
DT = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
NAME = {v: k for k, v in DT.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = collections.OrderedDict()
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:end]), dtype=DT[e["dtype"]]).reshape(e["shape"])
        out[name] = t.clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": NAME[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def state_dict(tensors):
    sd = collections.OrderedDict(tensors)
    sd._metadata = collections.OrderedDict([("", {"version": 1})])  # as nn.Module.state_dict() sets it: a BUILD
    return sd


def archive(path, pkl, records, extra=()):
    """A zip laid out as torch.save lays one out, around a hand-written pickle."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        for key, raw in records.items():
            z.writestr("archive/data/" + key, raw)
        z.writestr("archive/version", "3\n")
        for name, raw in extra:
            z.writestr(name, raw)


def hostile(path, body):
    """A pickle calling a forbidden global, e.g. body = b"cos\\nsystem\\n(X\\x02\\x00\\x00\\x00idtR"."""
    archive(path, b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01" + body + b"s.", {})


class Evil:
    def __reduce__(self):
        return (os.system, ("echo mixq-was-here",))


src = read_safetensors(os.path.join(here, "small.safetensors"))
torch.save(state_dict(src), os.path.join(here, "plain.pt"))
# The original team's wrapper: the weights under "model_state_dict", training state beside them.
optim = {"state": {}, "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "weight_decay": 0.0, "params": list(range(len(src)))}]}
torch.save({"model_state_dict": state_dict(src), "optimizer_state_dict": optim, "epoch": 12, "best_val_loss": 2.5},
           os.path.join(here, "wrapped.pt"))
# Views: each matrix stored transposed (strides (1, rows)), each vector a slice at an offset of a larger storage.
views = collections.OrderedDict()
for name, t in src.items():
    if t.dim() >= 2:
        views[name] = t.transpose(0, 1).contiguous().transpose(0, 1)
    else:
        big = torch.cat([torch.zeros(5), t, torch.zeros(3)])
        views[name] = big[5:5 + t.numel()]
    assert torch.equal(views[name], t)
assert not views["backbone.embeddings.weight"].is_contiguous()
torch.save(views, os.path.join(here, "views.pt"))
for dt, tag in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
    cast = collections.OrderedDict((k, v.to(dt)) for k, v in src.items())
    write_safetensors(os.path.join(here, f"small_{tag}.safetensors"), cast)
    torch.save(cast, os.path.join(here, f"{tag}.pt"))

# --- hostile and malformed (tests/bad_inputs/, listed in its manifest.json) ---
hostile(os.path.join(bad, "pt_os_system.pt"), b"cos\nsystem\nX\x05\x00\x00\x00id -u\x85R")
hostile(os.path.join(bad, "pt_builtins_eval.pt"), b"cbuiltins\neval\nX\x0c\x00\x00\x00__import__()\x85R")
hostile(os.path.join(bad, "pt_inst_opcode.pt"), b"(X\x05\x00\x00\x00id -uios\nsystem\n")  # INST: a call without GLOBAL
torch.save({"w": torch.ones(4), "payload": Evil()}, os.path.join(bad, "pt_reduce_object.pt"))  # __reduce__ -> posix.system
torch.save(state_dict({"w": torch.ones(4)}), os.path.join(bad, "pt_legacy.pt"), _use_new_zipfile_serialization=False)
with open(os.path.join(here, "plain.pt"), "rb") as f:
    whole = f.read()
with open(os.path.join(bad, "pt_truncated.pt"), "wb") as f:
    f.write(whole[: len(whole) * 3 // 5])
# A storage key that leaves data/: its record would be the pickle itself.
buf = io.BytesIO()
torch.save({"w": torch.ones(4)}, buf)
with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
    prefix = z.namelist()[0].split("/")[0]
    pkl = z.read(prefix + "/data.pkl")
    raw = z.read(prefix + "/data/0")
archive(os.path.join(bad, "pt_key_outside_data.pt"), pkl.replace(b"X\x01\x00\x00\x000", b"X\x0b\x00\x00\x00../data.pkl"), {"0": raw})
archive(os.path.join(bad, "pt_entry_outside.pt"), pkl, {"0": raw}, extra=[("elsewhere/payload.sh", "rm -rf ~\n")])
assert pkl.count(b"K\x04t") == 1 and pkl.count(b"K\x04\x85") == 1
archive(os.path.join(bad, "pt_record_short.pt"), pkl.replace(b"K\x04t", b"K\x08t"), {"0": raw})  # claims 8 elements, holds 4
archive(os.path.join(bad, "pt_view_past_storage.pt"), pkl.replace(b"K\x04\x85", b"K\x0a\x85"), {"0": raw})  # size 10 of 4
torch.save({"w": torch.ones(4), "step": 3}, os.path.join(bad, "pt_not_a_tensor.pt"))
print("wrote the .pt fixtures")
