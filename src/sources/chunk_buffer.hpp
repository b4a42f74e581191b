// ChunkBuffer: the byte buffer of sources that read records in pieces (stdin,
// files, sockets). Bytes are appended at the back by read(2), whole records
// are consumed from the front, and kReadPadding readable bytes always follow
// the data, as RecordReader::parse requires.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/format.hpp"

namespace runnel {

class ChunkBuffer {
 public:
  explicit ChunkBuffer(size_t capacity) { reserve(capacity); }

  std::string_view data() const { return {bytes_.data(), size_}; }
  size_t size() const { return size_; }
  size_t capacity() const { return bytes_.size() - kReadPadding; }
  bool full() const { return size_ == capacity(); }

  // One read(2) of up to the free space from `fd` (EINTR retried). Returns the
  // byte count, 0 at end of input. Throws Error(IO) naming `name`.
  size_t read_from(int fd, const std::string& name);
  // Appends `bytes` (growing the buffer as needed).
  void append(std::string_view bytes);
  // Drops the first n bytes, keeping the rest (an incomplete record) at the front.
  void consume(size_t n);
  // Grows the capacity (never shrinks); the data is kept.
  void reserve(size_t capacity);

 private:
  std::vector<char> bytes_;  // capacity + kReadPadding, zero-initialised
  size_t size_ = 0;
};

// Number of '\n' bytes in `data` (line numbers for Origin).
uint64_t count_newlines(std::string_view data);

}  // namespace runnel
