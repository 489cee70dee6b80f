// Writes a file under a temporary name in its target directory; only commit() renames it into place.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "../core/error.hpp"

namespace mixq::io {

// A crash or an exception before commit() leaves at most a hidden ".NAME.tmp-XXXXXX" file, never a
// file under the final name that looks complete. The destructor removes the temporary.
class atomic_file {
public:
    explicit atomic_file(std::filesystem::path target) : target_(std::move(target)) {
        const auto dir = target_.has_parent_path() ? target_.parent_path() : std::filesystem::path(".");
        std::string tmpl = (dir / ("." + target_.filename().string() + ".tmp-XXXXXX")).string();
        fd_ = ::mkstemp(tmpl.data());
        if (fd_ < 0) fail(dir.string() + ": cannot create a file there: " + std::strerror(errno));
        temp_ = tmpl;
        // mkstemp creates 0600; give the file the mode an ordinary create would (0666 minus the umask).
        const mode_t mask = ::umask(0);
        ::umask(mask);
        ::fchmod(fd_, 0666 & ~mask);
    }
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;
    ~atomic_file() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
    }

    void write(std::span<const std::byte> data) {
        const std::byte* p = data.data();
        std::size_t left = data.size();
        while (left > 0) {
            const ssize_t n = ::write(fd_, p, left);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail(target_.string() + ": write failed: " + std::strerror(errno));
            }
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }
    void write(std::string_view s) { write(std::as_bytes(std::span(s.data(), s.size()))); }

    // Flushes, closes and renames over the target. Nothing is visible under the target name before this.
    void commit() {
        if (::fsync(fd_) != 0) fail(target_.string() + ": fsync failed: " + std::strerror(errno));
        if (::close(fd_) != 0) {
            fd_ = -1;
            fail(target_.string() + ": close failed: " + std::strerror(errno));
        }
        fd_ = -1;
        if (::rename(temp_.c_str(), target_.c_str()) != 0)
            fail(target_.string() + ": cannot rename into place: " + std::strerror(errno));
        committed_ = true;
    }

    [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }

private:
    std::filesystem::path target_;
    std::string temp_;
    int fd_ = -1;
    bool committed_ = false;
};

}  // namespace mixq::io
