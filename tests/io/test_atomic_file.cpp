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
