// Converts tensor by tensor into an output directory, writing each as it is done: memory is bounded by the tensors in flight, not the model.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <vector>

#include "convert.hpp"
#include "write_outputs.hpp"

namespace mixq {

struct stream_progress {
    std::size_t tensors_done = 0, tensors_total = 0;
    std::uint64_t bytes_done = 0, bytes_total = 0;  // of the input
};

struct stream_options {
    unsigned threads = 1;  // tensors converted at once
    // fp32 working memory of the tensors in flight (8 bytes per parameter: the values and their codes);
    // one tensor always runs, however large.
    std::uint64_t inflight_bytes = 768ull << 20;
    std::function<void(const stream_progress&)> progress;  // after each tensor is written
    std::uint64_t max_shard_size = default_max_shard_size;  // above it, shards and an index (convert/model_files.hpp)
};

namespace detail {
inline void stream_into(conversion& c, conversion_cursor& cur, const std::filesystem::path& dir, const stream_options& so);
}

// The same files, byte for byte, as write_outputs(dir, convert(in, table, options)), but each tensor's
// codes and scales are written to a staged data file as soon as they are computed and then freed, and the
// input's pages are dropped once read (io::mapped_file::release). model.safetensors is assembled at the end
// (header, then the staged data copied by the kernel); as with write_outputs nothing appears under a final
// name before every file is complete. The result keeps every tensor's sizes, errors and schemes, not its data.
[[nodiscard]] inline conversion convert_to_directory(const io::safetensors_file& in, rule_table table, convert_options options,
                                                     const std::filesystem::path& dir, const stream_options& so = {}) {
    options.release_input = true;
    conversion_cursor cur(options);
    auto c = begin_conversion(in, std::move(table), options);
    std::error_code ec;
    const bool existed = std::filesystem::exists(dir, ec);
    prepare_output_dir(dir, in);
    try {
        detail::stream_into(c, cur, dir, so);
    } catch (...) {  // a tensor refused half-way (NaN weights): the staged files are gone, and so is a directory we made
        if (!existed) std::filesystem::remove(dir, ec);
        throw;
    }
    return c;
}

namespace detail {
inline void stream_into(conversion& c, conversion_cursor& cur, const std::filesystem::path& dir, const stream_options& so) {
    const auto& in = *c.input;
    for (const auto& e : c.plan.entries)  // checked before any work, as stage_model checks it
        if (needs_fill(e) && is_quantized(e.target) && in.find(e.tensor->name + "_scale"))
            fail("tensor '" + e.tensor->name + "_scale' already exists in " + in.path() + "; cannot store the scales of '" +
                 e.tensor->name + "'");
    // Staged under model.safetensors's own name: when the model is one file the header is put in front of
    // this data in place and it is committed; otherwise its bytes are copied into the files and it goes.
    auto data_file = std::make_unique<io::atomic_file>(dir / "model.safetensors");
    auto& data = *data_file;
    stream_progress prog{0, c.plan.entries.size(), 0, 0};
    for (const auto& e : c.plan.entries) prog.bytes_total += e.tensor->bytes.size();
    std::uint64_t data_size = 0;  // where the next tensor goes in the data file (sizes are known before filling)

    struct job {
        converted_tensor* x;
        std::future<void> done;
        std::uint64_t cost;
        std::size_t slot;  // its scratch buffers
    };
    // Per tensor in flight, reused: an fp32 buffer (for non-fp32 sources) and the output buffer. A fresh one
    // per tensor would be page-faulted in (zero-filled by the kernel) every time, which costs more system
    // time than the threads save.
    const std::size_t slots = std::max(1u, so.threads);
    std::vector<std::vector<float>> scratch(slots);
    std::vector<std::vector<std::byte>> outbuf(slots);
    std::vector<std::size_t> free_slots;
    for (std::size_t i = slots; i-- > 0;) free_slots.push_back(i);
    std::deque<job> inflight;  // in checkpoint order; destroyed (joined) before c
    std::uint64_t inflight_cost = 0;
    // Fills x and writes its codes and scales at `at` from the filling thread (the kernel's copy into the page
    // cache is a large part of the work), then frees them.
    auto fill_and_write = [&c, &cur, &so, &data, &scratch, &outbuf](converted_tensor& x, std::size_t slot, std::uint64_t at, planned_size want) {
        x.data.swap(outbuf[slot]);
        fill_tensor(c, x, cur.q8, scratch[slot], so.threads);
        if (x.data_bytes() != want.data || x.scale_count() != want.scales)
            throw error(errc::internal, "streaming conversion: '" + x.source->name + "' came out at " + std::to_string(x.data_bytes()) + " bytes and " +
                                            std::to_string(x.scale_count()) + " scales, planned " + std::to_string(want.data) + " and " + std::to_string(want.scales));
        std::map<std::string, std::string> unused;
        visit_stored(unused, x, [&](const io::tensor_header&, std::span<const std::byte> b) {
            data.write_at(at, b);
            at += b.size();
        });
        x.release(&outbuf[slot]);
    };
    auto write_front = [&] {
        auto& j = inflight.front();
        j.done.get();  // a worker's error (NaN weights, ...) surfaces here, and nothing is committed
        auto& x = *j.x;
        in.release(*x.source);
        inflight_cost -= j.cost;
        free_slots.push_back(j.slot);
        inflight.pop_front();
        ++prog.tensors_done;
        prog.bytes_done += x.bytes_before();
        if (so.progress) so.progress(prog);
    };
    while (c.tensors.size() < c.plan.entries.size()) {
        auto& x = prepare_next(c, cur);  // c.tensors was reserved: references to earlier tensors stay valid
        if (x.alias_of)
            while (!inflight.empty()) write_front();  // what it aliases must be filled first
        resolve_alias(c, x);
        const std::uint64_t cost = needs_fill(x) ? static_cast<std::uint64_t>(x.source->numel()) * 8u : 0u;
        while (!inflight.empty() && (inflight.size() >= slots || inflight_cost + cost > so.inflight_bytes)) write_front();
        const auto slot = free_slots.back();
        free_slots.pop_back();
        const auto want = plan_size(x);
        const auto at = data_size;
        data_size += want.bytes();
        std::promise<void> now;
        std::future<void> done;
        if (cost > 0 && so.threads > 1) {
            done = std::async(std::launch::async, [&fill_and_write, &x, slot, at, want] { fill_and_write(x, slot, at, want); });
        } else {
            try {
                fill_and_write(x, slot, at, want);
                now.set_value();
            } catch (...) {
                now.set_exception(std::current_exception());
            }
            done = now.get_future();
        }
        inflight.push_back({&x, std::move(done), cost, slot});
        inflight_cost += cost;
    }
    while (!inflight.empty()) write_front();
    std::vector<std::vector<float>>().swap(scratch);
    std::vector<std::vector<std::byte>>().swap(outbuf);
    finish_conversion(c, cur);

    // Each tensor's bytes lie in the staged data file in checkpoint order: their offsets follow from the sizes.
    std::map<std::string, std::uint64_t> offset;
    std::uint64_t at = 0;
    std::map<std::string, std::string> unused_meta;
    for (const auto& x : c.tensors)
        visit_stored(unused_meta, x, [&](const io::tensor_header& h, std::span<const std::byte>) {
            offset[h.name] = at;
            at += h.size;
        });
    if (at != data_size) throw error(errc::internal, "streaming conversion: staged " + std::to_string(data_size) + " bytes, headers say " + std::to_string(at));
    auto model = stage_model(
        dir, c, so.max_shard_size,
        [&](io::atomic_file& f, const io::tensor_header& h, std::span<const std::byte>) { f.append(data, offset.at(h.name), h.size); },
        [&](const std::string& prefix) { return data_file->insert_front(prefix) ? std::move(data_file) : nullptr; });
    auto extras = stage_extras(dir, c);
    commit_outputs(dir, c, model, *extras);
}
}  // namespace detail

}  // namespace mixq
