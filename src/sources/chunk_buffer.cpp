#include "sources/chunk_buffer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.hpp"

namespace runnel {

size_t ChunkBuffer::read_from(int fd, const std::string& name) {
  for (;;) {
    ssize_t n = ::read(fd, bytes_.data() + size_, capacity() - size_);
    if (n >= 0) {
      size_ += static_cast<size_t>(n);
      return static_cast<size_t>(n);
    }
    if (errno != EINTR) fail(ErrorKind::IO, "cannot read " + name + ": " + std::strerror(errno));
  }
}

void ChunkBuffer::consume(size_t n) {
  std::memmove(bytes_.data(), bytes_.data() + n, size_ - n);
  size_ -= n;
}

void ChunkBuffer::reserve(size_t capacity) {
  if (!bytes_.empty() && capacity <= this->capacity()) return;
  bytes_.resize(capacity + kReadPadding, '\0');
}

uint64_t count_newlines(std::string_view data) {
  uint64_t lines = 0;
  const char* p = data.data();
  const char* end = p + data.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p))))) {
    ++lines;
    ++p;
  }
  return lines;
}

}  // namespace runnel
