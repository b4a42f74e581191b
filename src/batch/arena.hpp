// An append-only byte arena owning the bytes of string values. Columns keep
// their arena alive through a shared_ptr, so a projection can pass a string
// column on without copying; an arena may also keep other arenas alive
// (`adopt`) when a column mixes strings from several sources.
#pragma once
#include <memory>
#include <string_view>
#include <vector>

namespace runnel {

class Arena {
 public:
  explicit Arena(size_t chunk_size = 64 * 1024) : chunk_size_(chunk_size) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Copies `bytes` into the arena; the view stays valid while the arena lives.
  std::string_view copy(std::string_view bytes) {
    if (bytes.empty()) return {};
    char* dst = allocate(bytes.size());
    __builtin_memcpy(dst, bytes.data(), bytes.size());
    return {dst, bytes.size()};
  }
  // Reserves n bytes to be filled by the caller.
  char* allocate(size_t n) {
    if (n > left_) grow(n);
    char* p = cursor_;
    cursor_ += n;
    left_ -= n;
    return p;
  }
  // Gives back the unused tail of the last allocate() (n <= last allocation).
  void shrink_last(size_t unused) {
    cursor_ -= unused;
    left_ += unused;
  }
  void adopt(std::shared_ptr<const Arena> other) {
    if (other && other.get() != this) kept_.push_back(std::move(other));
  }
  size_t bytes_used() const { return used_; }

 private:
  void grow(size_t n) {
    size_t size = n > chunk_size_ ? n : chunk_size_;
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(size));  // not zeroed: every byte is written before it is read
    cursor_ = chunks_.back().get();
    left_ = size;
    used_ += size;
    if (chunk_size_ < (1u << 22)) chunk_size_ *= 2;
  }
  size_t chunk_size_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<std::shared_ptr<const Arena>> kept_;
  char* cursor_ = nullptr;
  size_t left_ = 0;
  size_t used_ = 0;
};

}  // namespace runnel
