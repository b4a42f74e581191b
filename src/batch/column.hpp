// Column: one typed vector of values with a validity bitmap.
//
// Physical layout by type (see physical_width):
//   Boolean -> uint8_t (0/1)      Int, Date -> int32_t     Long, Timestamp -> int64_t
//   Float -> float  Double -> double   String, Binary -> std::string_view into arena()
//   Struct -> children(), one per field, same length      Null -> no data, all null
//   Array  -> data<uint32_t>() holds size()+1 offsets into children()[0]
//
// Validity: bit i of validity words set = row i is not null. An empty bitmap
// means "all valid", so null-free columns cost nothing. Values of null rows
// are unspecified but initialised (kernels may compute on them and discard).
//
// A column is built (mutable) by one owner, then shared read-only through
// ColumnRef by batches and operators; never mutate a column others can see.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "base/large_allocator.hpp"
#include "batch/arena.hpp"
#include "types/data_type.hpp"

namespace runnel {

class Column;
using ColumnRef = std::shared_ptr<Column>;

class Column {
 public:
  explicit Column(DataType type, size_t capacity = 0);

  static ColumnRef make(DataType type, size_t capacity = 0) {
    return std::make_shared<Column>(std::move(type), capacity);
  }
  // A column of `rows` nulls of the given type.
  static ColumnRef nulls(DataType type, size_t rows);

  const DataType& type() const { return type_; }
  TypeId id() const { return type_.id; }
  size_t size() const { return size_; }

  template <class T> T* data() { return reinterpret_cast<T*>(data_.data()); }
  template <class T> const T* data() const { return reinterpret_cast<const T*>(data_.data()); }

  // --- validity ---
  bool all_valid() const { return validity_.empty(); }
  bool is_valid(size_t i) const { return validity_.empty() || (validity_[i >> 6] >> (i & 63)) & 1; }
  bool is_null(size_t i) const { return !is_valid(i); }
  void set_null(size_t i) {
    materialize_validity();
    validity_[i >> 6] &= ~(uint64_t{1} << (i & 63));
  }
  void set_valid(size_t i) {
    if (!validity_.empty()) validity_[i >> 6] |= uint64_t{1} << (i & 63);
  }
  // Word access for kernels that combine null masks 64 rows at a time.
  // Only meaningful when !all_valid(); size is (size()+63)/64.
  const uint64_t* validity_words() const { return validity_.data(); }
  uint64_t* mutable_validity_words() {
    materialize_validity();
    return validity_.data();
  }
  size_t null_count() const;

  // --- sizing ---
  // Sets the length; new rows are zeroed and valid. Children of structs resize too.
  void resize(size_t rows);
  void reserve(size_t rows);
  size_t capacity() const { return capacity_; }

  // --- appending (builders: readers, gather) ---
  template <class T> void append(T value) {
    if (size_ == capacity_) reserve(capacity_ ? capacity_ * 2 : 64);
    data<T>()[size_] = value;
    ++size_;
    grow_validity();
  }
  void append_string(std::string_view s) { append<std::string_view>(arena().copy(s)); }
  void append_null();  // any type, including Struct (children get a null) and Array (empty)
  // Array: appends one row holding the child rows added since the previous row.
  void end_array();
  // Array: the child rows of row i are [offsets[i], offsets[i+1]).
  const uint32_t* offsets() const { return data<uint32_t>(); }

  // --- strings ---
  Arena& arena();
  std::shared_ptr<Arena> arena_ref() { arena(); return arena_; }
  // Shares `other`'s arena (for columns whose views point into it).
  void share_arena(const Column& other);

  // --- nested ---
  std::vector<ColumnRef>& children() { return children_; }
  const std::vector<ColumnRef>& children() const { return children_; }

  // Copies rows sel[0..n) of this column into a new column (sel == nullptr: rows 0..n).
  ColumnRef gather(const uint32_t* sel, size_t n) const;
  // Keeps rows rows[0..n) (ascending) as rows 0..n, in place: a buffer that
  // drops rows again and again (a join side's compaction) reuses its memory
  // instead of faulting in a fresh copy each time. Strings are copied into a
  // fresh arena (views of the old one may still be shared), freeing the
  // dropped rows' bytes.
  void keep_rows(const uint32_t* rows, size_t n);
  // Appends row i of `src` (same type) to this column; for slow paths (explode, state).
  void append_from(const Column& src, size_t i);

 private:
  void materialize_validity();
  template <class T>
  void keep_values(const uint32_t* rows, size_t n) {
    T* values = data<T>();
    for (size_t k = 0; k < n; ++k) values[k] = values[rows[k]];
  }
  void keep_array_rows(const uint32_t* rows, size_t n);
  // After appending row size_-1: keep the bitmap covering it, marked valid.
  void grow_validity() {
    if (validity_.empty()) return;
    size_t word = (size_ - 1) >> 6;
    if (word >= validity_.size()) validity_.resize(word + 1, 0);
    validity_[word] |= uint64_t{1} << ((size_ - 1) & 63);
  }

  DataType type_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  LargeVector<uint8_t> data_;
  std::vector<uint64_t> validity_;
  std::shared_ptr<Arena> arena_;
  std::vector<ColumnRef> children_;
};

}  // namespace runnel
