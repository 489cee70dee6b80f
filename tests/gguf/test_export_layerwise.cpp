// Tests include/mixq/gguf/export_layerwise.hpp: GPTQ with a layer's Hessians at a time writes the bytes that all Hessians at once write.
#include <mixq/convert/hessians.hpp>
#include <mixq/gguf/export_layerwise.hpp>
#include <mixq/gguf/report.hpp>
#include <mixq/io/checkpoint.hpp>
#include <mixq/io/npy.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("GGUF GPTQ a layer at a time: the same files as with every Hessian held, several tables in one pass", "[gguf][gptq]") {
    // The Mamba-1 model (tied head: the embeddings take the head's Hessian) and the hybrid (attention and MLP products).
    for (const char* name : {"hf-mamba-fortunes", "nemotronh-fortunes"}) {
        INFO(name);
        const auto dir = mixq::test::fixture_dir().parent_path() / name;
        const auto in = mixq::io::open_checkpoint((dir / "model.safetensors").string());
        const mixq::checkpoint_weights w(in);
        const mixq::ssm_lm model(w, mixq::infer_config(w, dir / "config.json"));
        auto calib = mixq::io::read_npy_tokens((dir / "calib_tokens.npy").string());
        calib.resize(3 * 128);  // 3 windows, batches of 2: the stream carried across batches
        mixq::rule_table a("a"), b("b");
        a.add("*embeddings.weight", mixq::precision::q8_0);
        a.add("lm_head.weight", mixq::precision::q8_0);
        a.add("*.weight", mixq::precision::q4_k);  // rows of 128: Q5_0, as llama-quantize falls back
        b.add("*", mixq::precision::q4_0);
        mixq::gguf::export_options o;
        o.threads = 2;
        o.round = mixq::gptq_rounder({0.1, 128, true});
        o.scales = mixq::gguf::block_scales::weighted;
        const auto xs = mixq::gguf::export_gguf_layerwise(in, {a, b}, o, {&model, calib, 128, 2});
        REQUIRE(xs.size() == 2);
        const auto all = mixq::collect_hessians(model, calib, 128, {}, 2);
        for (std::size_t k = 0; k < 2; ++k) {
            auto ok = o;
            ok.hessians = &all;
            const auto ref = mixq::gguf::export_gguf(in, k == 0 ? a : b, ok);
            std::size_t gptq = 0;
            for (const auto& t : xs[k].tensors) gptq += t.gptq;
            CHECK(gptq > 4);
            CHECK(gptq == mixq::gguf::gptq_tensors(ref));
            CHECK(xs[k].deferred.empty());
            CHECK(xs[k].file_bytes == ref.file_bytes);
            CHECK(mixq::gguf::serialize(xs[k]) == mixq::gguf::serialize(ref));
        }
    }
}
