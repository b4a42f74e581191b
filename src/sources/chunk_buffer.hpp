// ChunkBuffer: the byte buffer of sources that read records in pieces (stdin,
// files, sockets). Bytes are appended at the back by read(2), whole records
// are consumed from the front, and kReadPadding readable bytes always follow
// the data, as RecordReader::parse requires. The storage starts on a
// DirectFile block with `head_room` bytes before the data, so that a log file
// can be written straight from it (the stdin write-ahead log, log_file.hpp).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "formats/format.hpp"

namespace runnel {

class ChunkBuffer {
 public:
  explicit ChunkBuffer(size_t capacity, size_t head_room = 0) : head_room_(head_room) { reserve(capacity); }

  std::string_view data() const { return {start(), size_}; }
  // The head_room bytes before data(), the owner's to write.
  char* head() { return storage_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
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
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  char* start() const { return storage_.get() + head_room_; }

  size_t head_room_;
  std::unique_ptr<char, Free> storage_;  // head_room + capacity + kReadPadding bytes, zero-initialised
  size_t capacity_ = 0, size_ = 0;
};

// Number of '\n' bytes in `data` (line numbers for Origin).
uint64_t count_newlines(std::string_view data);

}  // namespace runnel
