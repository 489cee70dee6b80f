// Output guarantees of mixq-convert: a conversion killed half way leaves no complete-looking file, and the input is never modified.
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <mixq/io/safetensors_writer.hpp>
#include <thread>

#include "support/catch.hpp"
#include "support/fixture.hpp"

extern char** environ;

namespace {
const char* final_names[] = {"model.safetensors", "metadata.json", "statistics.json", "precision_allocation.svg"};

pid_t spawn(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}
bool staging_started(const std::filesystem::path& dir) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().filename().string().rfind(".model.safetensors.tmp-", 0) == 0) return true;
    return false;
}
}  // namespace

TEST_CASE("SIGKILL while the outputs are being written leaves no file under a final name", "[cli][atomic]") {
    mixq::test::temp_dir dir;
    // 128 MiB of fp32: staging its fp16 copy takes long enough to be caught in the act.
    const auto w = mixq::test::random_weights(std::size_t{1} << 25, 77, 0.05f, 0.0);
    mixq::io::write_safetensors(dir.file("big.safetensors"),
                                {{"embedding.weight", mixq::dtype::f32, {1 << 18, 128}, std::as_bytes(std::span(w))}});
    const auto out = dir.path / "out";
    const pid_t pid = spawn({MIXQ_CONVERT_EXE, dir.file("big.safetensors"), "-o", out.string(), "--preset", "fp16"});
    int status = 0;
    bool killed = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        if (staging_started(out)) {
            REQUIRE(::kill(pid, SIGKILL) == 0);
            killed = true;
            break;
        }
        if (::waitpid(pid, &status, WNOHANG) == pid) break;  // finished before we saw it staging
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (killed) ::waitpid(pid, &status, 0);
    REQUIRE(killed);
    CHECK(WIFSIGNALED(status));
    for (const char* name : final_names) CHECK_FALSE(std::filesystem::exists(out / name));
    // What is left is hidden temporaries only, which no tool mistakes for output.
    for (const auto& e : std::filesystem::directory_iterator(out)) CHECK(e.path().filename().string().front() == '.');
}

TEST_CASE("the input checkpoint is opened read-only and never modified", "[cli][atomic]") {
    mixq::test::temp_dir dir;
    std::filesystem::copy_file(mixq::test::fixture("model.safetensors"), dir.file("in.safetensors"));
    ::chmod(dir.file("in.safetensors").c_str(), 0444);  // root can still write; the mtime check below covers that
    struct stat before{};
    ::stat(dir.file("in.safetensors").c_str(), &before);
    const auto bytes = mixq::test::read_bytes(dir.file("in.safetensors"));
    const pid_t pid = spawn({MIXQ_CONVERT_EXE, dir.file("in.safetensors"), "-o", dir.file("out"), "--preset", "aggressive"});
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    struct stat after{};
    ::stat(dir.file("in.safetensors").c_str(), &after);
    CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
    CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    CHECK(mixq::test::read_bytes(dir.file("in.safetensors")) == bytes);
}
