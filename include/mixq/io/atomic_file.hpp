// Writes a file under a temporary name in its target directory; only commit() renames it into place.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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
    // Writes at `offset` without moving the file position: threads may write disjoint ranges at once.
    void write_at(std::uint64_t offset, std::span<const std::byte> data) const {
        for (std::size_t done = 0; done < data.size();) {
            const auto n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) fail(target_.string() + ": write failed: " + std::strerror(errno));
            done += static_cast<std::size_t>(n);
        }
    }

    // Appends `size` bytes of another staged file from `offset`, copied by the kernel (copy_file_range)
    // without passing through this process's memory; a plain read / write loop where that is not supported.
    void append(const atomic_file& from, std::uint64_t offset, std::uint64_t size) {
        auto off = static_cast<loff_t>(offset);
        while (size > 0) {
            const auto n = ::copy_file_range(from.fd_, &off, fd_, nullptr, static_cast<std::size_t>(std::min<std::uint64_t>(size, 1ull << 30)), 0);
            if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) break;
            if (n < 0) {
                if (errno == EINTR) continue;
                fail(target_.string() + ": copy failed: " + std::strerror(errno));
            }
            if (n == 0) fail(target_.string() + ": copy ended " + std::to_string(size) + " bytes early");
            size -= static_cast<std::uint64_t>(n);
        }
        std::vector<std::byte> buf(std::min<std::uint64_t>(size, 8u << 20));
        while (size > 0) {
            const auto n = ::pread(from.fd_, buf.data(), std::min<std::uint64_t>(size, buf.size()), off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) fail(target_.string() + ": reading the staged data failed: " + std::strerror(errno));
            write(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)));
            off += n;
            size -= static_cast<std::uint64_t>(n);
        }
    }

    // Puts `prefix` in front of what was written, without copying it: the filesystem inserts whole blocks
    // at offset 0 (FALLOC_FL_INSERT_RANGE). Returns false, changing nothing, where that is not supported
    // (another filesystem, a prefix that is not a whole number of its blocks, an empty file).
    bool insert_front(std::string_view prefix) {
        struct stat st {};
        if (prefix.empty() || ::fstat(fd_, &st) != 0 || st.st_size == 0) return false;
        if (::fallocate(fd_, FALLOC_FL_INSERT_RANGE, 0, static_cast<off_t>(prefix.size())) != 0) return false;
        write_at(0, std::as_bytes(std::span(prefix.data(), prefix.size())));
        ::lseek(fd_, 0, SEEK_END);
        return true;
    }

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
