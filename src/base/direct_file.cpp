#include "base/direct_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace runnel {

namespace {
[[noreturn]] void io_fail(const std::string& what, const std::string& path) {
  fail(ErrorKind::IO, "cannot " + what + " '" + path + "': " + std::strerror(errno));
}

// Buffers of finished writes, for the next ones: a fresh one page-faults (and
// the kernel zeroes) every page it is copied into, which costs as much as the
// copy into the page cache that O_DIRECT avoids.
class BufferPool {
 public:
  static BufferPool& instance() {
    static BufferPool pool;
    return pool;
  }
  // A buffer of at least `capacity` bytes; sets `capacity` to its size.
  char* take(size_t& capacity) {
    {
      std::lock_guard lock(mu_);
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if (it->second < capacity) continue;
        char* p = it->first;
        capacity = it->second;
        free_.erase(it);
        return p;
      }
    }
    char* p = static_cast<char*>(std::aligned_alloc(DirectFile::kBlock, capacity));
    if (!p) throw std::bad_alloc();
    return p;
  }
  void give(char* p, size_t capacity) {
    if (!p) return;
    std::lock_guard lock(mu_);
    if (free_.size() < kKept && capacity <= kLargest) free_.emplace_back(p, capacity);
    else std::free(p);
  }

 private:
  static constexpr size_t kKept = 4, kLargest = size_t{64} << 20;
  ~BufferPool() {
    for (auto& [p, capacity] : free_) std::free(p);
  }
  std::mutex mu_;
  std::vector<std::pair<char*, size_t>> free_;  // buffer, capacity
};

}  // namespace

AlignedBytes::~AlignedBytes() { BufferPool::instance().give(data_, capacity_); }

AlignedBytes::AlignedBytes(AlignedBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

AlignedBytes& AlignedBytes::operator=(AlignedBytes&& other) noexcept {
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
  std::swap(capacity_, other.capacity_);
  return *this;
}

void AlignedBytes::reserve(size_t n) {
  const size_t need = (n + DirectFile::kBlock - 1) / DirectFile::kBlock * DirectFile::kBlock;
  if (need <= capacity_) return;
  size_t capacity = std::max(need, capacity_ * 2);
  char* grown = BufferPool::instance().take(capacity);
  if (size_) std::memcpy(grown, data_, size_);
  BufferPool::instance().give(data_, capacity_);
  data_ = grown;
  capacity_ = capacity;
}

void AlignedBytes::append(std::string_view bytes) {
  reserve(size_ + bytes.size());
  if (!bytes.empty()) std::memcpy(data_ + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

void AlignedBytes::resize(size_t n) {
  reserve(n);
  size_ = n;
}

void AlignedBytes::keep_tail(size_t n) {
  if (n) std::memmove(data_, data_ + size_ - n, n);
  size_ = n;
}

size_t AlignedBytes::pad_to_block() {
  const size_t padded = (size_ + DirectFile::kBlock - 1) / DirectFile::kBlock * DirectFile::kBlock;
  std::fill(data_ + size_, data_ + padded, '\0');  // append() reserved the room
  return padded;
}

DirectFile::DirectFile(std::string path, bool overwrite) : path_(std::move(path)), overwrite_(overwrite) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? 0 : O_TRUNC);
  fd_ = ::open(path_.c_str(), flags | O_DIRECT, 0644);
  direct_ = fd_ >= 0;
  if (!direct_ && errno == EINVAL) fd_ = ::open(path_.c_str(), flags, 0644);
  if (fd_ < 0) io_fail("create", path_);
}

DirectFile::~DirectFile() { close(); }

DirectFile::DirectFile(DirectFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      direct_(other.direct_),
      overwrite_(other.overwrite_),
      written_(other.written_) {}

DirectFile& DirectFile::operator=(DirectFile&& other) noexcept {
  std::swap(path_, other.path_);
  std::swap(fd_, other.fd_);
  std::swap(direct_, other.direct_);
  std::swap(overwrite_, other.overwrite_);
  std::swap(written_, other.written_);
  return *this;
}

void DirectFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void DirectFile::write_blocks(AlignedBytes& bytes) {
  const size_t whole = direct_ ? bytes.size() / kBlock * kBlock : bytes.size();
  write_fully({bytes.data_, whole});
  written_ += whole;
  bytes.keep_tail(bytes.size() - whole);
}

void DirectFile::write_blocks(std::string_view blocks) {
  RUNNEL_ASSERT(reinterpret_cast<uintptr_t>(blocks.data()) % kBlock == 0 && blocks.size() % kBlock == 0);
  write_fully(blocks);
  written_ += blocks.size();
}

void DirectFile::write_last(AlignedBytes& bytes) {
  const size_t size = bytes.size();
  const bool padded = direct_;
  write_fully({bytes.data_, padded ? bytes.pad_to_block() : size});
  written_ += size;
  if ((padded || overwrite_) && ::ftruncate(fd_, static_cast<off_t>(written_)) != 0) io_fail("truncate", path_);
  bytes.keep_tail(0);
}

void DirectFile::write_fully(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n >= 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EINVAL && direct_) {
      // The device wants a larger alignment: go on through the page cache.
      // Plain writes from here, so whole-block padding must not reach the file.
      if (::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_DIRECT) != 0) io_fail("write", path_);
      direct_ = false;
      continue;
    }
    io_fail("write", path_);
  }
}

}  // namespace runnel
