// libFuzzer target: the config.json reader, checked against the fixture's inferred configuration.
#include <cstdint>
#include <mixq/model/config.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mixq::model_config c;  // the fixture's sizes, as infer_config() finds them
    c.vocab = 8000, c.d_model = 128, c.n_layers = 4, c.d_inner = 256, c.d_state = 8, c.dt_rank = 8, c.d_conv = 4;
    c.max_seq = 128, c.n_experts = 4, c.ffn_width = 128, c.moe = {false, true, true, false};
    try {
        mixq::detail::check_config_text(std::string(reinterpret_cast<const char*>(data), size), "<fuzz>", c);
        if (!(c.norm_eps > 0.0 && c.norm_eps < 1.0)) __builtin_trap();
    } catch (const mixq::error& e) {
        if (e.code() != mixq::errc::bad_input) __builtin_trap();
    }
    return 0;
}
