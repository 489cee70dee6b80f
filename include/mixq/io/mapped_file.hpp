// Read-only memory map of a whole file (RAII); the input checkpoint is never opened for writing.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>

#include "../core/error.hpp"

namespace mixq::io {

class mapped_file {
public:
    mapped_file() = default;
    explicit mapped_file(const std::string& path) : path_(path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail(path + ": cannot open: " + std::strerror(errno));
        struct stat st{};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            fail(path + ": not a regular file");
        }
        size_ = static_cast<std::size_t>(st.st_size);
        if (size_ > 0) {  // mmap of length 0 is an error; an empty file is reported by the format reader
            void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                const int e = errno;
                ::close(fd);
                fail(path + ": cannot map: " + std::strerror(e));
            }
            data_ = static_cast<const std::byte*>(p);
        }
        ::close(fd);  // the mapping keeps the file alive
    }
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    mapped_file(mapped_file&& o) noexcept { swap(o); }
    mapped_file& operator=(mapped_file&& o) noexcept {
        mapped_file tmp(std::move(o));
        swap(tmp);
        return *this;
    }
    ~mapped_file() {
        if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
    }

    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }

    // Drops the pages of `part` (inside this mapping) from the process: the mapping is read-only and never
    // written, so the kernel re-reads them from the file if they are touched again. Lets a streaming
    // conversion's resident memory measure the work in flight, not the part of the model already read.
    // Returns false (and does nothing) when `part` is not inside this mapping.
    bool release(std::span<const std::byte> part) const noexcept {
        if (!data_ || part.empty() || part.data() < data_ || part.data() + part.size() > data_ + size_) return false;
        static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
        // Outward to whole pages: a neighbour's page dropped too is only re-read, never lost.
        const auto lo = reinterpret_cast<std::uintptr_t>(part.data()) & ~(page - 1);
        const auto hi = reinterpret_cast<std::uintptr_t>(part.data() + part.size());
        ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
        return true;
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    void swap(mapped_file& o) noexcept {
        std::swap(path_, o.path_);
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
    }
    std::string path_;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace mixq::io
