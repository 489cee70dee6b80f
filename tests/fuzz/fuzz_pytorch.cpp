// libFuzzer target: a torch.save zip through read_pytorch, or (anything else) the bytes as its data.pkl
// through the restricted unpickler with the state-dict hooks, so the pickle is fuzzed without libzip's checks.
#include <cstdint>
#include <mixq/io/pytorch_reader.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto bytes = std::as_bytes(std::span(data, size));
    try {
        if (mixq::io::is_zip(bytes)) {
            const auto ck = mixq::io::read_pytorch(bytes, "<fuzz>");
            std::size_t total = 0;
            for (const auto& t : ck.tensors) total += t.bytes.size();  // every view must be readable
            for (const auto& t : ck.tensors)
                if (!t.bytes.empty() && t.bytes.size() != static_cast<std::size_t>(t.numel()) * mixq::size_of(t.type)) __builtin_trap();
            (void)total;
        } else {
            mixq::io::detail_pt::state_reader r("<fuzz>");
            mixq::io::pickle::unpickler u(bytes, "<fuzz>");
            u.set_hooks(r.hooks(u));
            (void)u.load();
        }
    } catch (const mixq::error& e) {
        if (e.code() != mixq::errc::bad_input) __builtin_trap();  // malformed input must be reported as such
    }
    return 0;
}
