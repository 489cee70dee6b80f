// Opens any checkpoint mixq reads (safetensors, a sharded index, a torch.save .pt / .bin, a model directory) as one tensor set.
#pragma once

#include <memory>
#include <string>

#include "checkpoint_path.hpp"
#include "mapped_file.hpp"
#include "pytorch_reader.hpp"
#include "safetensors_reader.hpp"

namespace mixq::io {

// The format is recognised by content: a zip is a torch.save archive, the legacy torch.save magic is
// refused with what to do, anything else is read as safetensors (unless it is named .pt / .pth / .bin).
[[nodiscard]] inline safetensors_file open_checkpoint(const std::string& path_or_dir) {
    const auto path = resolve_checkpoint(path_or_dir);
    if (path.ends_with(".index.json")) return safetensors_file::open_sharded(path);
    {
        mapped_file m(path);
        const bool torch_name = path.ends_with(".pt") || path.ends_with(".pth") || path.ends_with(".bin");
        if (is_zip(m.bytes()) || is_legacy_torch(m.bytes()) || torch_name) {  // a .pt that is neither: said so, not "bad safetensors"
            const auto size = m.size();
            auto ck = std::make_shared<pytorch_checkpoint>(read_pytorch(std::move(m), path));  // views into the mapping
            std::map<std::string, std::string> meta{{"source_format", "pytorch"}};
            if (!ck->state_dict_key.empty()) meta["source_state_dict"] = ck->state_dict_key;
            std::string rest;
            for (const auto& e : ck->other_entries) rest += (rest.empty() ? "" : ", ") + e;
            if (!rest.empty()) meta["source_other_entries"] = rest;
            auto tensors = ck->tensors;  // views into *ck, which the file keeps alive
            const mapped_file* mapping = &ck->file;
            return safetensors_file::adopt(path, std::move(tensors), std::move(ck), size, std::move(meta), mapping);
        }
    }
    return safetensors_file::open(path);
}

}  // namespace mixq::io
