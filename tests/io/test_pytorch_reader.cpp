// PyTorch checkpoints (tests/data/pytorch, written by make_pt_fixtures.py with Debian's torch 1.13): the same
// tensors as the safetensors file they were made from, whatever the wrapper, view or dtype.
#include <mixq/convert/convert.hpp>
#include <mixq/convert/write_outputs.hpp>
#include <mixq/io/checkpoint.hpp>
#include <mixq/precision/presets.hpp>
#include <zip.h>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
std::string pt(const std::string& name) { return (std::filesystem::path(MIXQ_PT_DIR) / name).string(); }

void same_tensors(const mixq::io::safetensors_file& a, const mixq::io::safetensors_file& b) {
    REQUIRE(a.tensors().size() == b.tensors().size());
    for (std::size_t i = 0; i < a.tensors().size(); ++i) {
        const auto& x = a.tensors()[i];
        const auto& y = b.tensors()[i];
        INFO(x.name);
        CHECK(x.name == y.name);
        CHECK(x.type == y.type);
        CHECK(x.shape == y.shape);
        CHECK(mixq::same_bytes(x.bytes, y.bytes));
    }
}
}  // namespace

TEST_CASE("torch.save files hold exactly the tensors of the safetensors file they were made from", "[io][pytorch]") {
    const auto f32 = mixq::io::open_checkpoint(pt("small.safetensors"));
    for (const char* f : {"plain.pt", "wrapped.pt", "views.pt"}) {
        INFO(f);
        same_tensors(mixq::io::open_checkpoint(pt(f)), f32);
    }
    same_tensors(mixq::io::open_checkpoint(pt("f16.pt")), mixq::io::open_checkpoint(pt("small_f16.safetensors")));
    same_tensors(mixq::io::open_checkpoint(pt("bf16.pt")), mixq::io::open_checkpoint(pt("small_bf16.safetensors")));
}

TEST_CASE("the seed's {model_state_dict: ...} wrapper: its state dict is found and the rest is named", "[io][pytorch]") {
    const auto f = mixq::io::open_checkpoint(pt("wrapped.pt"));
    CHECK(f.metadata().at("source_format") == "pytorch");
    CHECK(f.metadata().at("source_state_dict") == "model_state_dict");
    CHECK(f.metadata().at("source_other_entries") == "optimizer_state_dict, epoch, best_val_loss");
    CHECK_FALSE(mixq::io::open_checkpoint(pt("plain.pt")).metadata().contains("source_state_dict"));
}

TEST_CASE("a non-contiguous view is gathered in row-major order", "[io][pytorch]") {
    // views.pt stores every matrix transposed in memory (strides (1, rows)) and every vector at an
    // offset of a larger storage; element (r, c) must come out at r * cols + c.
    const auto v = mixq::io::open_checkpoint(pt("views.pt"));
    const auto s = mixq::io::open_checkpoint(pt("small.safetensors"));
    const auto& a = v.at("backbone.layers.1.mixer.x_proj.weight");
    const auto& b = s.at("backbone.layers.1.mixer.x_proj.weight");
    REQUIRE(a.shape == mixq::shape_t{36, 128});
    std::vector<float> x(static_cast<std::size_t>(a.numel())), y(x.size());
    mixq::to_float(a, x);
    mixq::to_float(b, y);
    CHECK(x == y);
    CHECK(x[35 * 128 + 127] == y.back());
}

TEST_CASE("a .pt, a directory holding it and pytorch_model.bin convert to the bytes of the safetensors input", "[io][pytorch]") {
    mixq::test::temp_dir d, out;
    std::filesystem::create_directories(d.path / "pt-dir");
    std::filesystem::create_directories(d.path / "bin-dir");
    std::filesystem::copy_file(pt("wrapped.pt"), d.path / "pt-dir" / "checkpoint.pt");
    std::filesystem::copy_file(pt("plain.pt"), d.path / "bin-dir" / "pytorch_model.bin");
    const auto table = mixq::presets::get("int8-linear", mixq::presets::family::hf_mamba);
    const auto reference = mixq::io::open_checkpoint(pt("small.safetensors"));
    mixq::write_outputs(out.path / "ref", mixq::convert(reference, table));
    const auto want = mixq::test::read_bytes(out.file("ref/model.safetensors"));
    for (const auto& input : {pt("plain.pt"), pt("views.pt"), (d.path / "pt-dir").string(), (d.path / "bin-dir").string()}) {
        INFO(input);
        const auto in = mixq::io::open_checkpoint(input);
        mixq::write_outputs(out.path / "x", mixq::convert(in, table));
        CHECK(mixq::test::read_bytes(out.file("x/model.safetensors")) == want);
    }
}

TEST_CASE("fp16 and bf16 sources convert like the same tensors in safetensors, and the report counts their bytes", "[io][pytorch]") {
    mixq::test::temp_dir out;
    const auto table = mixq::presets::get("int8-linear", mixq::presets::family::hf_mamba);
    for (const char* tag : {"f16", "bf16"}) {
        INFO(tag);
        const auto st = mixq::io::open_checkpoint(pt(std::string("small_") + tag + ".safetensors"));
        const auto p = mixq::io::open_checkpoint(pt(std::string(tag) + ".pt"));
        const auto a = mixq::convert(st, table), b = mixq::convert(p, table);
        mixq::write_outputs(out.path / "a", a);
        mixq::write_outputs(out.path / "b", b);
        CHECK(mixq::test::read_bytes(out.file("a/model.safetensors")) == mixq::test::read_bytes(out.file("b/model.safetensors")));
        // 114,624 parameters: fp32 bytes are 4 per parameter, the source's 2.
        CHECK(a.totals.fp32_bytes == 4u * 114624u);
        CHECK(a.totals.source_bytes == 2u * 114624u);
        CHECK(a.totals.source_ratio() == Approx(a.totals.ratio() / 2.0));
        CHECK(mixq::report_text(a).find("source 0.219 MiB (as stored in the input)") != std::string::npos);
    }
}

TEST_CASE("torch.save checkpoints that are hostile or malformed are refused, naming the culprit", "[io][pytorch][bad_input]") {
    const std::filesystem::path bad = MIXQ_BAD_INPUTS_DIR;
    auto refused = [&](const char* file, const std::string& what) {
        INFO(file);
        CHECK_THROWS_WITH(mixq::io::open_checkpoint((bad / file).string()), Catch::Contains(what) && Catch::Contains(file));
    };
    refused("pt_os_system.pt", "refusing to load 'os.system'");
    refused("pt_builtins_eval.pt", "refusing to load 'builtins.eval'");
    refused("pt_reduce_object.pt", "refusing to load 'posix.system'");
    refused("pt_inst_opcode.pt", "opcode 0x69");
    refused("pt_legacy.pt", "legacy format");
    refused("pt_truncated.pt", "not a valid zip");
    refused("pt_key_outside_data.pt", "storage key '../data.pkl'");
    refused("pt_entry_outside.pt", "zip entry 'elsewhere/payload.sh'");
    refused("pt_not_a_tensor.pt", "entry 'step' is an int, not a tensor");
    refused("pt_record_short.pt", "holds 16 bytes, the tensor needs 32");
    refused("pt_view_past_storage.pt", "reaches element 9 of storage '0', which holds 4");
}

TEST_CASE("stored records are viewed in the mapped file, compressed ones copied out, with the same tensors", "[io][pytorch]") {
    const auto copied = mixq::io::read_pytorch(mixq::io::mapped_file(pt("plain.pt")).bytes(), "plain.pt");
    const auto mapped = mixq::io::read_pytorch(mixq::io::mapped_file(pt("plain.pt")), "plain.pt");
    const auto file = mapped.file.bytes();
    REQUIRE(mapped.tensors.size() == copied.tensors.size());
    CHECK(mapped.storage.empty());  // torch.save stores its records uncompressed: nothing was copied
    for (std::size_t i = 0; i < mapped.tensors.size(); ++i) {
        const auto& t = mapped.tensors[i];
        INFO(t.name);
        CHECK(mixq::same_bytes(t.bytes, copied.tensors[i].bytes));
        CHECK((t.bytes.empty() || (t.bytes.data() >= file.data() && t.bytes.data() + t.bytes.size() <= file.data() + file.size())));
    }
    const auto views = mixq::io::read_pytorch(mixq::io::mapped_file(pt("views.pt")), "views.pt");
    CHECK_FALSE(views.storage.empty());  // the transposed matrices are gathered into copies

    // The same archive with every record deflated (written here with libzip): read by copying, same tensors.
    mixq::test::temp_dir d;
    const auto out = d.file("deflated.pt");
    {
        int err = 0;
        zip_t* src = zip_open(pt("plain.pt").c_str(), ZIP_RDONLY, &err);
        zip_t* dst = zip_open(out.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
        REQUIRE((src && dst));
        for (zip_int64_t i = 0; i < zip_get_num_entries(src, 0); ++i) {
            zip_source_t* s = zip_source_zip(dst, src, static_cast<zip_uint64_t>(i), 0, 0, -1);
            const auto j = zip_file_add(dst, zip_get_name(src, static_cast<zip_uint64_t>(i), 0), s, 0);
            REQUIRE(j >= 0);
            REQUIRE(zip_set_file_compression(dst, static_cast<zip_uint64_t>(j), ZIP_CM_DEFLATE, 9) == 0);
        }
        REQUIRE(zip_close(dst) == 0);
        zip_discard(src);
    }
    const auto deflated = mixq::io::read_pytorch(mixq::io::mapped_file(out), "deflated.pt");
    CHECK(deflated.storage.size() == copied.storage.size());
    REQUIRE(deflated.tensors.size() == copied.tensors.size());
    for (std::size_t i = 0; i < deflated.tensors.size(); ++i) CHECK(mixq::same_bytes(deflated.tensors[i].bytes, copied.tensors[i].bytes));
}
