// Tests include/mixq/io/atomic_file.hpp: nothing under the final name before commit, no leftovers on abort.
#include <filesystem>
#include <mixq/io/atomic_file.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("atomic_file shows the file only after commit", "[atomic_file]") {
    mixq::test::temp_dir dir;
    const auto target = dir.file("out.bin");
    {
        mixq::io::atomic_file f(target);
        f.write(std::string_view("hello"));
        CHECK_FALSE(std::filesystem::exists(target));
        CHECK(dir.entries() == 1);  // the hidden temporary
        f.commit();
    }
    CHECK(mixq::test::read_bytes(target) == "hello");
    CHECK(dir.entries() == 1);
}

TEST_CASE("atomic_file removes its temporary when not committed", "[atomic_file]") {
    mixq::test::temp_dir dir;
    {
        mixq::io::atomic_file f(dir.file("out.bin"));
        f.write(std::string_view("partial"));
    }
    CHECK(dir.entries() == 0);
}

TEST_CASE("atomic_file in a missing directory is a bad_input error naming it", "[atomic_file]") {
    mixq::test::temp_dir dir;
    try {
        mixq::io::atomic_file f(dir.file("no/such/dir/out.bin"));
        FAIL("expected an error");
    } catch (const mixq::error& e) {
        CHECK(e.code() == mixq::errc::bad_input);
        CHECK(std::string(e.what()).find("no/such/dir") != std::string::npos);
    }
}

TEST_CASE("atomic_file puts whole blocks in front of its data, or leaves it unchanged where it cannot", "[atomic_file]") {
    mixq::test::temp_dir dir;
    const auto target = dir.file("out.bin");
    std::string data(3 * 4096 + 123, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
    const std::string prefix = std::string(4096, ' ') + std::string(4096, '#');
    mixq::io::atomic_file f(target);
    f.write_at(4096, std::as_bytes(std::span(data.data() + 4096, data.size() - 4096)));  // out of order, as threads write
    f.write_at(0, std::as_bytes(std::span(data.data(), 4096)));
    CHECK_FALSE(f.insert_front(std::string(100, 'x')));  // not a whole number of blocks: refused, nothing changed
    const bool inserted = f.insert_front(prefix);
    f.commit();
    // ext4 and xfs insert the range; elsewhere (tmpfs, ...) the caller copies instead, and the file is as written.
    INFO("FALLOC_FL_INSERT_RANGE " << (inserted ? "supported" : "not supported") << " under " << dir.path);
    CHECK(mixq::test::read_bytes(target) == (inserted ? prefix + data : data));
}
