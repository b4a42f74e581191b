// Files written around the page cache (O_DIRECT). On this kind of machine
// (virtual disks) the kernel's copy of written bytes into the page cache costs
// more than the disk itself: the file sink's output and the stdin write-ahead
// log, written once and not read back soon, go straight from an aligned buffer
// to the device. A file system that refuses O_DIRECT (tmpfs) gets plain writes.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace runnel {

// A growable byte buffer aligned to DirectFile's block size. Record writers
// format into it, so the file sink hands their bytes to DirectFile without a
// copy; it grows without zeroing (the JSON writer sizes a batch's text once,
// then writes through data()).
class AlignedBytes {
 public:
  AlignedBytes() = default;
  ~AlignedBytes();
  AlignedBytes(AlignedBytes&& other) noexcept;
  AlignedBytes& operator=(AlignedBytes&& other) noexcept;
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;

  void append(std::string_view bytes);
  void push_back(char c) { append(std::string_view(&c, 1)); }
  // Grows (new bytes are uninitialised) or shrinks to `n` bytes.
  void resize(size_t n);
  void clear() { size_ = 0; }
  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {data_, size_}; }
  // Keeps the last `n` bytes, moved to the front.
  void keep_tail(size_t n);

 private:
  friend class DirectFile;
  // Room for `n` bytes and the padding of their last block.
  void reserve(size_t n);
  // Zeroes the bytes after size() up to the next block boundary; returns that length.
  size_t pad_to_block();

  char* data_ = nullptr;
  size_t size_ = 0, capacity_ = 0;
};

class DirectFile {
 public:
  static constexpr size_t kBlock = 4096;

  // Creates (or truncates) `path` for writing. With `overwrite` an existing
  // file is written over instead, its blocks kept rather than freed and
  // allocated again (ext4 takes milliseconds for either on a file of
  // megabytes); write_last() cuts it to its new length. Throws Error(IO) naming it.
  explicit DirectFile(std::string path, bool overwrite = false);
  ~DirectFile();  // closes the file if still open
  DirectFile(DirectFile&& other) noexcept;
  DirectFile& operator=(DirectFile&& other) noexcept;
  DirectFile(const DirectFile&) = delete;
  DirectFile& operator=(const DirectFile&) = delete;

  // Writes the whole blocks of `bytes` and keeps the rest in it, for the next call.
  void write_blocks(AlignedBytes& bytes);
  // Writes whole blocks from the caller's memory, which starts on a block.
  void write_blocks(std::string_view blocks);
  // Writes all of `bytes` (the last block padded, the file then cut to its
  // length); `bytes` is left empty. The file stays open for fsync.
  void write_last(AlignedBytes& bytes);
  int fd() const { return fd_; }
  void close();

 private:
  void write_fully(std::string_view bytes);

  std::string path_;
  int fd_ = -1;
  bool direct_ = false;
  bool overwrite_ = false;
  size_t written_ = 0;  // bytes in the file
};

}  // namespace runnel
