#include "sources/chunk_buffer.hpp"

#include <emmintrin.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "base/direct_file.hpp"
#include "base/error.hpp"

namespace runnel {

size_t ChunkBuffer::read_from(int fd, const std::string& name) {
  for (;;) {
    ssize_t n = ::read(fd, start() + size_, capacity() - size_);
    if (n >= 0) {
      size_ += static_cast<size_t>(n);
      return static_cast<size_t>(n);
    }
    if (errno != EINTR) fail(ErrorKind::IO, "cannot read " + name + ": " + std::strerror(errno));
  }
}

void ChunkBuffer::append(std::string_view bytes) {
  if (size_ + bytes.size() > capacity()) reserve(std::max(capacity() * 2, size_ + bytes.size()));
  std::memcpy(start() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

void ChunkBuffer::consume(size_t n) {
  std::memmove(start(), start() + n, size_ - n);
  size_ -= n;
}

void ChunkBuffer::reserve(size_t capacity) {
  if (storage_ && capacity <= capacity_) return;
  const size_t bytes = (head_room_ + capacity + kReadPadding + DirectFile::kBlock - 1) / DirectFile::kBlock * DirectFile::kBlock;
  std::unique_ptr<char, Free> grown(static_cast<char*>(std::aligned_alloc(DirectFile::kBlock, bytes)));
  if (!grown) throw std::bad_alloc();
  std::memset(grown.get(), 0, bytes);
  if (size_) std::memcpy(grown.get() + head_room_, start(), size_);
  storage_ = std::move(grown);
  capacity_ = capacity;
}

// 16 bytes per step (SSE2, part of the x86-64 baseline): a memchr call per
// line costs more than the line itself for short records.
uint64_t count_newlines(std::string_view data) {
  const char* p = data.data();
  const size_t n = data.size();
  const __m128i newline = _mm_set1_epi8('\n');
  uint64_t lines = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    lines += static_cast<uint64_t>(__builtin_popcount(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, newline)))));
  }
  for (; i < n; ++i) lines += p[i] == '\n';
  return lines;
}

}  // namespace runnel
