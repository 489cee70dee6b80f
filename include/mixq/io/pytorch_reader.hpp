// PyTorch checkpoints (torch.save's zip format, PyTorch >= 1.6): the state dict's tensors, through libzip and the restricted unpickler.
#pragma once

#include <zip.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/tensor_view.hpp"
#include "mapped_file.hpp"
#include "pickle.hpp"

namespace mixq::io {

// What the file starts with: a zip (torch.save since 1.6), a legacy torch.save pickle, or something else.
[[nodiscard]] inline bool is_zip(std::span<const std::byte> b) noexcept {
    return b.size() >= 4 && b[0] == std::byte{'P'} && b[1] == std::byte{'K'} && b[2] == std::byte{3} && b[3] == std::byte{4};
}
// The legacy format begins with the pickled magic number 0x1950a86a20f9469cfc6c (protocol 2, LONG1).
[[nodiscard]] inline bool is_legacy_torch(std::span<const std::byte> b) noexcept {
    static constexpr std::array<unsigned char, 14> magic{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    if (b.size() < magic.size()) return false;
    for (std::size_t i = 0; i < magic.size(); ++i)
        if (std::to_integer<unsigned char>(b[i]) != magic[i]) return false;
    return true;
}

struct pytorch_checkpoint {
    std::vector<tensor_view> tensors;             // the state dict, in its order; views into `storage` or `file`
    std::vector<std::vector<std::byte>> storage;  // the records read, and copies of non-contiguous views
    mapped_file file;                             // read_pytorch(mapped_file): stored records are viewed where they lie
    std::string state_dict_key;                   // where the state dict was: "" (the top level), "model_state_dict", ...
    std::vector<std::string> other_entries;       // top-level entries beside it, not tensors (e.g. "epoch")
};

namespace detail_pt {

struct storage_ref {
    std::string key;  // the record data/<key>
    dtype type;
    std::uint64_t numel;
};
struct tensor_spec {
    std::size_t storage;  // index into the storages
    std::uint64_t offset;
    std::vector<std::uint64_t> size, stride;
};

inline std::optional<dtype> storage_dtype(std::string_view global) {
    static constexpr std::pair<std::string_view, dtype> table[] = {
        {"torch.FloatStorage", dtype::f32}, {"torch.HalfStorage", dtype::f16},  {"torch.BFloat16Storage", dtype::bf16},
        {"torch.DoubleStorage", dtype::f64}, {"torch.LongStorage", dtype::i64}, {"torch.IntStorage", dtype::i32},
        {"torch.ShortStorage", dtype::i16}, {"torch.CharStorage", dtype::i8},   {"torch.ByteStorage", dtype::u8},
        {"torch.BoolStorage", dtype::boolean}, {"torch.Float8_e4m3fnStorage", dtype::f8_e4m3},
        {"torch.Float8_e5m2Storage", dtype::f8_e5m2},
    };
    for (const auto& [n, t] : table)
        if (n == global) return t;
    return std::nullopt;
}

// The only callables a state dict needs; everything else is refused when the pickle names it.
inline bool allowed_global(std::string_view g) {
    return g == "torch._utils._rebuild_tensor_v2" || g == "torch._utils._rebuild_tensor" ||
           g == "torch._utils._rebuild_parameter" || g == "collections.OrderedDict" || storage_dtype(g).has_value();
}

// libzip's view of the bytes: a source that serves them and remembers where each read began, so that the
// data of a stored (uncompressed) record can be found in place (zip_archive::stored_span).
struct mapped_source {
    static constexpr zip_uint64_t none = ~zip_uint64_t{0};
    std::span<const std::byte> bytes;
    zip_uint64_t pos = 0;
    zip_uint64_t first_read = none;  // where the first read after mark() began
    zip_error_t error{};
    void mark() noexcept { first_read = none; }

    static zip_int64_t call(void* self, void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
        auto& s = *static_cast<mapped_source*>(self);
        switch (cmd) {
            case ZIP_SOURCE_OPEN: s.pos = 0; return 0;
            case ZIP_SOURCE_READ: {
                const auto n = std::min<zip_uint64_t>(len, s.bytes.size() - s.pos);
                if (n) std::memcpy(data, s.bytes.data() + s.pos, n);
                if (s.first_read == none) s.first_read = s.pos;
                s.pos += n;
                return static_cast<zip_int64_t>(n);
            }
            case ZIP_SOURCE_CLOSE:
            case ZIP_SOURCE_FREE: return 0;
            case ZIP_SOURCE_STAT: {
                auto* st = static_cast<zip_stat_t*>(data);
                zip_stat_init(st);
                st->size = s.bytes.size();
                st->valid |= ZIP_STAT_SIZE;
                return sizeof(zip_stat_t);
            }
            case ZIP_SOURCE_ERROR: return zip_error_to_data(&s.error, data, len);
            case ZIP_SOURCE_SEEK: {
                const auto at = zip_source_seek_compute_offset(s.pos, s.bytes.size(), data, len, &s.error);
                if (at < 0) return -1;
                s.pos = static_cast<zip_uint64_t>(at);
                return 0;
            }
            case ZIP_SOURCE_TELL: return static_cast<zip_int64_t>(s.pos);
            case ZIP_SOURCE_SUPPORTS:
                return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR,
                                                      ZIP_SOURCE_FREE, ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL, ZIP_SOURCE_SUPPORTS, -1);
            default: zip_error_set(&s.error, ZIP_ER_OPNOTSUPP, 0); return -1;
        }
    }
};

// An open libzip archive over bytes the caller keeps alive.
class zip_archive {
public:
    zip_archive(std::span<const std::byte> bytes, const std::string& name) : name_(name), src_(std::make_unique<mapped_source>()) {
        src_->bytes = bytes;
        zip_error_init(&src_->error);
        zip_error_t err;
        zip_error_init(&err);
        zip_source_t* src = zip_source_function_create(&mapped_source::call, src_.get(), &err);
        if (!src) fail_with(err, "cannot read the zip");
        za_ = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
        if (!za_) {
            zip_source_free(src);
            fail_with(err, "not a valid zip archive (truncated or corrupt?)");
        }
        zip_error_fini(&err);
    }
    zip_archive(const zip_archive&) = delete;
    zip_archive& operator=(const zip_archive&) = delete;
    ~zip_archive() {
        if (za_) zip_discard(za_);
        zip_error_fini(&src_->error);
    }

    [[nodiscard]] std::vector<std::string> names() const {
        std::vector<std::string> out;
        const auto n = zip_get_num_entries(za_, 0);
        for (zip_int64_t i = 0; i < n; ++i)
            if (const char* s = zip_get_name(za_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW)) out.emplace_back(s);
        return out;
    }
    [[nodiscard]] bool has(const std::string& entry) const { return zip_name_locate(za_, entry.c_str(), ZIP_FL_ENC_RAW) >= 0; }

    // A stored (uncompressed, unencrypted) record's bytes where they lie in the archive, found through
    // libzip: once the record is open (its local header read), the first read starts at its data. Both
    // ends are compared with what libzip reads; nullopt (read it instead) if they differ or the record is
    // compressed. Without reading it all, libzip does not check its CRC (safetensors has none either).
    [[nodiscard]] std::optional<std::span<const std::byte>> stored_span(const std::string& entry, std::uint64_t expected) const {
        const auto [idx, st] = locate(entry, expected, std::numeric_limits<std::uint64_t>::max());
        if (st.comp_method != ZIP_CM_STORE || ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)) return std::nullopt;
        if (st.size == 0) return std::span<const std::byte>{};
        zip_file_t* f = zip_fopen_index(za_, idx, 0);
        if (!f) fail(name_ + ": cannot open record '" + entry + "': " + zip_strerror(za_));
        const auto probe = static_cast<std::size_t>(std::min<zip_uint64_t>(st.size, 4096));
        std::vector<std::byte> head(probe), tail(probe);
        src_->mark();
        bool ok = zip_fread(f, head.data(), probe) == static_cast<zip_int64_t>(probe);
        const auto at = src_->first_read;
        ok = ok && zip_fseek(f, static_cast<zip_int64_t>(st.size - probe), SEEK_SET) == 0 && zip_fread(f, tail.data(), probe) == static_cast<zip_int64_t>(probe);
        zip_fclose(f);
        const auto& b = src_->bytes;
        if (!ok || at > b.size() || st.size > b.size() - at || std::memcmp(b.data() + at, head.data(), probe) != 0 ||
            std::memcmp(b.data() + at + (st.size - probe), tail.data(), probe) != 0)
            return std::nullopt;  // not where libzip's reads say: read it instead
        return b.subspan(static_cast<std::size_t>(at), static_cast<std::size_t>(st.size));
    }

    // The whole entry; `expected` (when given) must be its size, checked before anything is allocated.
    [[nodiscard]] std::vector<std::byte> read(const std::string& entry, std::optional<std::uint64_t> expected = std::nullopt,
                                              std::uint64_t limit = std::numeric_limits<std::uint64_t>::max()) const {
        const auto [idx, st] = locate(entry, expected, limit);
        // A compressed entry cannot expand beyond deflate's ratio: a larger claim is a lie, refused before allocating.
        if ((st.valid & ZIP_STAT_COMP_SIZE) && st.comp_method != ZIP_CM_STORE && st.size / 1100 > st.comp_size + 1)
            fail(name_ + ": record '" + entry + "' claims " + std::to_string(st.size) + " bytes from " + std::to_string(st.comp_size));
        std::vector<std::byte> out(static_cast<std::size_t>(st.size));
        zip_file_t* f = zip_fopen_index(za_, idx, 0);
        if (!f) fail(name_ + ": cannot open record '" + entry + "': " + zip_strerror(za_));
        std::size_t got = 0;
        while (got < out.size()) {
            const auto n = zip_fread(f, out.data() + got, out.size() - got);
            if (n <= 0) {
                const std::string why = n < 0 ? zip_file_strerror(f) : "it ends early";
                zip_fclose(f);
                fail(name_ + ": cannot read record '" + entry + "': " + why);
            }
            got += static_cast<std::size_t>(n);
        }
        if (zip_fclose(f) != 0) fail(name_ + ": record '" + entry + "' is corrupt (its checksum does not match)");
        return out;
    }

private:
    // The record's index and stat, its size checked against `expected` and `limit` before anything is read.
    [[nodiscard]] std::pair<zip_uint64_t, zip_stat_t> locate(const std::string& entry, std::optional<std::uint64_t> expected, std::uint64_t limit) const {
        const auto idx = zip_name_locate(za_, entry.c_str(), ZIP_FL_ENC_RAW);
        if (idx < 0) fail(name_ + ": the archive has no record '" + entry + "'");
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(za_, static_cast<zip_uint64_t>(idx), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
            fail(name_ + ": cannot read the size of record '" + entry + "'");
        if (expected && st.size != *expected)
            fail(name_ + ": record '" + entry + "' holds " + std::to_string(st.size) + " bytes, the tensor needs " + std::to_string(*expected));
        if (st.size > limit) fail(name_ + ": record '" + entry + "' is " + std::to_string(st.size) + " bytes, over the limit");
        return {static_cast<zip_uint64_t>(idx), st};
    }
    [[noreturn]] void fail_with(zip_error_t& err, const std::string& what) {
        const std::string why = zip_error_strerror(&err);
        zip_error_fini(&err);
        fail(name_ + ": " + what + ": " + why);
    }
    std::string name_;
    std::unique_ptr<mapped_source> src_;  // outlives za_, which reads through it
    zip_t* za_ = nullptr;
};

// The pickle's values interpreted as torch.save wrote them.
class state_reader {
public:
    explicit state_reader(const std::string& name) : name_(name) {}

    pickle::hooks hooks(pickle::unpickler& u) {
        u_ = &u;
        return {
            [this](const std::string& g) {
                if (!allowed_global(g)) fail("refusing to load '" + g + "' from " + name_ + ": mixq loads tensors only");
            },
            [this](const std::string& fn, std::uint32_t args) { return reduce(fn, args); },
            [this](std::uint32_t obj, std::uint32_t state) {
                // OrderedDict's attributes (a state dict's _metadata) arrive as BUILD; they hold no tensors.
                const auto ok_state = u_->at(state).k == pickle::kind::dict || u_->at(state).k == pickle::kind::none;
                if (u_->at(obj).k != pickle::kind::dict || !ok_state)
                    u_->bad("BUILD (setting an object's state) is only allowed on a dict; mixq loads tensors only");
            },
        };
    }

    std::vector<storage_ref> storages;
    std::vector<tensor_spec> tensors;

private:
    const pickle::value& v(std::uint32_t i) const { return u_->at(i); }
    const pickle::value& arg(const pickle::value& t, std::size_t i, pickle::kind k, const char* what) const {
        if (i >= t.items.size() || v(t.items[i]).k != k) u_->bad(std::string("a tensor's ") + what + " is missing or of the wrong kind");
        return v(t.items[i]);
    }
    std::uint64_t non_negative(const pickle::value& x, const char* what) const {
        if (x.k != pickle::kind::integer || x.i < 0) u_->bad(std::string("a tensor's ") + what + " is not a non-negative integer");
        return static_cast<std::uint64_t>(x.i);
    }

    std::uint32_t reduce(const std::string& fn, std::uint32_t args_index) {
        const auto& args = v(args_index);
        if (fn == "collections.OrderedDict") {
            if (!args.items.empty()) u_->bad("OrderedDict called with arguments");
            return u_->make(pickle::make_value(pickle::kind::dict));
        }
        if (fn == "torch._utils._rebuild_parameter") {  // (tensor, requires_grad, hooks): the tensor itself
            if (args.items.empty() || v(args.items[0]).k != pickle::kind::object) u_->bad("_rebuild_parameter without a tensor");
            return args.items[0];
        }
        if (fn == "torch._utils._rebuild_tensor_v2" || fn == "torch._utils._rebuild_tensor")
            return rebuild_tensor(args);
        u_->bad("calling '" + fn + "' is not something torch.save writes for a tensor; mixq loads tensors only");
    }

    std::uint32_t rebuild_tensor(const pickle::value& args) {
        // (storage, storage_offset, size, stride, ...): the storage is the persistent id
        // ('storage', StorageType, key, location, numel).
        const auto& pid_holder = arg(args, 0, pickle::kind::persistent, "storage");
        const auto& pid = v(pid_holder.items.at(0));
        if (pid.k != pickle::kind::tuple || pid.items.size() < 5 || v(pid.items[0]).k != pickle::kind::string ||
            v(pid.items[0]).s != "storage")
            u_->bad("a persistent id that is not ('storage', type, key, location, size)");
        const auto& type = v(pid.items[1]);
        const auto& key = v(pid.items[2]);
        if (type.k != pickle::kind::global) u_->bad("a storage type that is not a global");
        const auto dt = storage_dtype(type.s);
        if (!dt) u_->bad("storage type '" + type.s + "' is not one mixq reads");
        if (key.k != pickle::kind::string) u_->bad("a storage key that is not a string");
        // The key names the record data/<key>: a plain name, never a path out of data/.
        if (key.s.empty() || key.s.find('/') != std::string::npos || key.s.find('\\') != std::string::npos || key.s == "." || key.s == "..")
            u_->bad("storage key '" + key.s + "' is not a plain record name inside data/");
        const auto numel = non_negative(v(pid.items[4]), "storage size");
        std::size_t s = 0;
        for (; s < storages.size(); ++s)
            if (storages[s].key == key.s) break;
        if (s == storages.size()) storages.push_back({key.s, *dt, numel});
        else if (storages[s].type != *dt || storages[s].numel != numel)
            u_->bad("storage '" + key.s + "' is used with two different types or sizes");

        tensor_spec t{s, non_negative(arg(args, 1, pickle::kind::integer, "storage offset"), "storage offset"), {}, {}};
        for (const auto i : arg(args, 2, pickle::kind::tuple, "size").items) t.size.push_back(non_negative(v(i), "size"));
        for (const auto i : arg(args, 3, pickle::kind::tuple, "stride").items) t.stride.push_back(non_negative(v(i), "stride"));
        if (t.size.size() != t.stride.size()) u_->bad("a tensor whose size and stride have different lengths");
        if (t.size.size() > 8) u_->bad("a tensor of rank " + std::to_string(t.size.size()) + " (mixq reads up to 8)");
        // Every element it addresses must lie inside the storage (checked without overflow).
        std::uint64_t last = t.offset, count = 1;
        bool empty = false;
        for (std::size_t d = 0; d < t.size.size(); ++d) {
            if (t.size[d] == 0) empty = true;
            if (t.size[d] > (1ull << 40) || (t.size[d] && count > (1ull << 40) / t.size[d])) u_->bad("a tensor with too many elements");
            count *= t.size[d];
            if (t.size[d] > 0) {
                if (t.stride[d] > (1ull << 40)) u_->bad("a tensor stride out of range");
                last += (t.size[d] - 1) * t.stride[d];
            }
        }
        if (!empty && last >= numel)
            u_->bad("a tensor reaches element " + std::to_string(last) + " of storage '" + key.s + "', which holds " + std::to_string(numel));
        tensors.push_back(std::move(t));
        return u_->make(pickle::make_value(pickle::kind::object, static_cast<std::int64_t>(tensors.size() - 1)));
    }

    std::string name_;
    pickle::unpickler* u_ = nullptr;
};

inline const char* kind_name(pickle::kind k) {
    switch (k) {
        case pickle::kind::none: return "None";
        case pickle::kind::boolean: return "a bool";
        case pickle::kind::integer: return "an int";
        case pickle::kind::real: return "a float";
        case pickle::kind::string: return "a string";
        case pickle::kind::bytes: return "bytes";
        case pickle::kind::tuple: return "a tuple";
        case pickle::kind::list: return "a list";
        case pickle::kind::dict: return "a dict";
        case pickle::kind::object: return "a tensor";
        default: return "an object";
    }
}

// Copies a strided view into contiguous row-major bytes.
inline std::vector<std::byte> gather(std::span<const std::byte> storage, const tensor_spec& t, std::size_t es) {
    std::uint64_t n = 1;
    for (auto s : t.size) n *= s;
    std::vector<std::byte> out(static_cast<std::size_t>(n * es));
    std::vector<std::uint64_t> idx(t.size.size(), 0);
    for (std::uint64_t k = 0; k < n; ++k) {
        std::uint64_t e = t.offset;
        for (std::size_t d = 0; d < idx.size(); ++d) e += idx[d] * t.stride[d];
        std::memcpy(out.data() + k * es, storage.data() + e * es, es);
        for (std::size_t d = idx.size(); d-- > 0;) {  // odometer, last dimension fastest
            if (++idx[d] < t.size[d]) break;
            idx[d] = 0;
        }
    }
    return out;
}

inline bool contiguous(const tensor_spec& t) {
    std::uint64_t expect = 1;
    for (std::size_t d = t.size.size(); d-- > 0;) {
        if (t.size[d] != 1 && t.stride[d] != expect) return false;
        expect *= t.size[d];
    }
    return true;
}

}  // namespace detail_pt

namespace detail_pt {
inline pytorch_checkpoint read(std::span<const std::byte> bytes, const std::string& name, bool in_place);
}

// Reads a torch.save zip archive from bytes the caller keeps alive until this returns (the result owns
// its data). Only the pickle's allowed globals are honoured; nothing in the file is ever executed.
[[nodiscard]] inline pytorch_checkpoint read_pytorch(std::span<const std::byte> bytes, const std::string& name) {
    return detail_pt::read(bytes, name, false);
}
// The same from a mapped file, which the result keeps: tensors of stored (uncompressed) records, as
// torch.save writes them, are viewed where they lie instead of copied, so memory does not grow with the
// model and a streaming conversion can drop their pages once read.
[[nodiscard]] inline pytorch_checkpoint read_pytorch(mapped_file file, const std::string& name) {
    auto ck = detail_pt::read(file.bytes(), name, true);
    ck.file = std::move(file);
    return ck;
}

namespace detail_pt {
inline pytorch_checkpoint read(std::span<const std::byte> bytes, const std::string& name, bool in_place) {
    using pickle::kind;
    if (is_legacy_torch(bytes))
        fail(name + ": a PyTorch checkpoint in the legacy format (before PyTorch 1.6), which mixq does not read: "
                    "re-save it with torch.save(obj, path) in PyTorch >= 1.6 (zip by default), or as safetensors");
    if (!is_zip(bytes)) fail(name + ": not a PyTorch zip checkpoint (no zip signature)");
    detail_pt::zip_archive zip(bytes, name);

    // torch.save writes <archive>/data.pkl, <archive>/data/<key> per storage, <archive>/version, ...
    std::string prefix;
    const auto entries = zip.names();
    for (const auto& e : entries)
        if (e.ends_with("/data.pkl") && std::count(e.begin(), e.end(), '/') == 1) {
            if (!prefix.empty()) fail(name + ": two pickles ('" + prefix + "/data.pkl' and '" + e + "')");
            prefix = e.substr(0, e.size() - 9);
        }
    if (prefix.empty()) {
        for (const auto& e : entries)
            if (e.ends_with("constants.pkl") || e.find("/code/") != std::string::npos)
                fail(name + ": a TorchScript archive (torch.jit.save), not a torch.save checkpoint: save the state dict with "
                            "torch.save(model.state_dict(), path)");
        fail(name + ": a zip without <archive>/data.pkl, so not a torch.save checkpoint");
    }
    for (const auto& e : entries)
        if (!e.starts_with(prefix + "/") || e.find("..") != std::string::npos)
            fail(name + ": zip entry '" + e + "' lies outside the archive folder '" + prefix + "/'");
    if (zip.has(prefix + "/byteorder")) {
        const auto b = zip.read(prefix + "/byteorder", std::nullopt, 16);
        if (std::string_view(reinterpret_cast<const char*>(b.data()), b.size()) != "little")
            fail(name + ": saved on a big-endian machine; mixq reads little-endian checkpoints only");
    }

    const auto pkl = zip.read(prefix + "/data.pkl", std::nullopt, 1ull << 30);
    detail_pt::state_reader reader(name);
    pickle::unpickler u(pkl, name + " (" + prefix + "/data.pkl)");
    u.set_hooks(reader.hooks(u));
    const auto root = u.load();

    // The state dict: the top level when it holds tensors, else one dict-of-tensors entry inside it.
    const auto& top = u.at(root);
    if (top.k != kind::dict) fail(name + ": holds " + std::string(detail_pt::kind_name(top.k)) + ", not a state dict");
    auto holds_tensors = [&](const pickle::value& d) {
        for (std::size_t i = 1; i < d.items.size(); i += 2)
            if (u.at(d.items[i]).k == kind::object) return true;
        return false;
    };
    pytorch_checkpoint out;
    const pickle::value* sd = nullptr;
    if (holds_tensors(top)) sd = &top;
    else {
        std::vector<std::pair<std::string, const pickle::value*>> candidates;
        for (std::size_t i = 0; i + 1 < top.items.size(); i += 2) {
            const auto& k = u.at(top.items[i]);
            const auto& val = u.at(top.items[i + 1]);
            if (k.k == kind::string && val.k == kind::dict && holds_tensors(val)) candidates.emplace_back(k.s, &val);
        }
        for (const char* preferred : {"model_state_dict", "state_dict", "model"})
            for (const auto& [k, val] : candidates)
                if (!sd && k == preferred) {
                    sd = val;
                    out.state_dict_key = k;
                }
        if (!sd && candidates.size() == 1) {
            sd = candidates.front().second;
            out.state_dict_key = candidates.front().first;
        }
        if (!sd) {
            std::string keys;
            for (const auto& [k, val] : candidates) keys += (keys.empty() ? "" : ", ") + k;
            fail(name + (candidates.empty() ? ": holds no tensors" : ": holds several state dicts (" + keys + "); save the one to convert on its own"));
        }
        for (std::size_t i = 0; i + 1 < top.items.size(); i += 2)
            if (const auto& k = u.at(top.items[i]); k.k == kind::string && k.s != out.state_dict_key) out.other_entries.push_back(k.s);
    }

    // Each storage record once, its size checked against the pickle's claim before it is read: in place
    // when it is stored and its elements are aligned there, else copied out.
    std::vector<std::span<const std::byte>> record(reader.storages.size());
    for (std::size_t s = 0; s < reader.storages.size(); ++s) {
        const auto& st = reader.storages[s];
        const auto es = size_of(st.type);
        if (st.numel > std::numeric_limits<std::uint64_t>::max() / es) fail(name + ": storage '" + st.key + "' is too large");
        const auto entry = prefix + "/data/" + st.key;
        if (in_place)
            if (const auto b = zip.stored_span(entry, st.numel * es); b && reinterpret_cast<std::uintptr_t>(b->data()) % es == 0) {
                record[s] = *b;
                continue;
            }
        out.storage.push_back(zip.read(entry, st.numel * es));
        record[s] = out.storage.back();  // a vector's buffer stays put when the outer vector grows
    }
    std::set<std::string> seen;
    const std::string where = out.state_dict_key.empty() ? name : name + " ['" + out.state_dict_key + "']";
    for (std::size_t i = 0; i + 1 < sd->items.size(); i += 2) {
        const auto& k = u.at(sd->items[i]);
        const auto& val = u.at(sd->items[i + 1]);
        if (k.k != kind::string) fail(where + ": a state dict key that is " + detail_pt::kind_name(k.k) + ", not a string");
        if (!seen.insert(k.s).second) fail(where + ": tensor '" + k.s + "' appears twice");
        if (val.k != kind::object)
            fail(where + ": entry '" + k.s + "' is " + detail_pt::kind_name(val.k) + ", not a tensor; mixq converts state dicts of tensors");
        const auto& spec = reader.tensors[static_cast<std::size_t>(val.i)];
        const auto& st = reader.storages[spec.storage];
        const auto es = size_of(st.type);
        shape_t shape(spec.size.begin(), spec.size.end());
        std::uint64_t n = 1;
        for (auto s : spec.size) n *= s;
        const auto data = record[spec.storage];
        std::span<const std::byte> view;
        if (n == 0) view = {};
        else if (detail_pt::contiguous(spec)) view = data.subspan(static_cast<std::size_t>(spec.offset * es), static_cast<std::size_t>(n * es));
        else {  // a view (transpose, slice): its elements gathered into a tensor of its own
            out.storage.push_back(detail_pt::gather(data, spec, es));
            view = out.storage.back();
        }
        out.tensors.push_back(tensor_view{k.s, st.type, std::move(shape), view});
    }
    return out;
}
}  // namespace detail_pt

}  // namespace mixq::io
