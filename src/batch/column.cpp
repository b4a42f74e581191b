#include "batch/column.hpp"

#include "base/error.hpp"

namespace runnel {

namespace {
// Arrays keep size()+1 offsets, so their buffer holds one slot more.
size_t slots(TypeId id, size_t rows) { return id == TypeId::Array ? rows + 1 : rows; }
}  // namespace

Column::Column(DataType type, size_t capacity) : type_(std::move(type)) {
  if (type_.id == TypeId::Struct)
    for (auto& f : type_.fields) children_.push_back(make(f.type, capacity));
  if (type_.id == TypeId::Array) children_.push_back(make(*type_.element, capacity));
  reserve(capacity);
}

ColumnRef Column::nulls(DataType type, size_t rows) {
  auto c = make(std::move(type), rows);
  c->resize(rows);
  c->materialize_validity();
  std::fill(c->validity_.begin(), c->validity_.end(), 0);
  return c;
}

void Column::reserve(size_t rows) {
  if (rows <= capacity_ && !data_.empty()) return;
  if (rows < capacity_) rows = capacity_;
  data_.resize(slots(type_.id, rows) * physical_width(type_.id));  // not zeroed: rows are written as they are added
  capacity_ = rows;
  if (type_.id == TypeId::Array && size_ == 0) data<uint32_t>()[0] = 0;  // the first row's start
}

void Column::resize(size_t rows) {
  reserve(rows);
  size_t width = physical_width(type_.id);
  if (rows > size_ && width) {
    if (type_.id == TypeId::Array) {
      uint32_t last = data<uint32_t>()[size_];
      for (size_t i = size_ + 1; i <= rows; ++i) data<uint32_t>()[i] = last;
    } else {
      std::memset(data_.data() + size_ * width, 0, (rows - size_) * width);
    }
  }
  if (!validity_.empty()) {
    size_t old = size_;
    validity_.resize((rows + 63) / 64, 0);
    for (size_t i = old; i < rows; ++i) validity_[i >> 6] |= uint64_t{1} << (i & 63);
  }
  size_ = rows;
  if (type_.id == TypeId::Struct)
    for (auto& c : children_) c->resize(rows);
}

void Column::materialize_validity() {
  if (!validity_.empty()) return;
  validity_.assign((size_ + 63) / 64 + 1, ~uint64_t{0});
}

size_t Column::null_count() const {
  if (validity_.empty()) return 0;
  size_t valid = 0;
  for (size_t w = 0; w < validity_.size(); ++w) {
    uint64_t word = validity_[w];
    if (w * 64 >= size_) break;
    if (size_ - w * 64 < 64) word &= (uint64_t{1} << (size_ - w * 64)) - 1;
    valid += __builtin_popcountll(word);
  }
  return size_ - valid;
}

void Column::append_null() {
  switch (type_.id) {
    case TypeId::Struct:
      for (auto& c : children_) c->append_null();
      if (size_ == capacity_) reserve(capacity_ ? capacity_ * 2 : 64);
      ++size_;
      break;
    case TypeId::Array:
      end_array();
      break;
    case TypeId::Null:
      ++size_;
      break;
    default:
      if (size_ == capacity_) reserve(capacity_ ? capacity_ * 2 : 64);
      std::memset(data_.data() + size_ * physical_width(type_.id), 0, physical_width(type_.id));
      ++size_;
  }
  // Struct/Array paths above may have marked the row valid already.
  materialize_validity();
  validity_.resize((size_ + 63) / 64, 0);
  validity_[(size_ - 1) >> 6] &= ~(uint64_t{1} << ((size_ - 1) & 63));
}

void Column::end_array() {
  RUNNEL_ASSERT(type_.id == TypeId::Array);
  if (size_ == capacity_) reserve(capacity_ ? capacity_ * 2 : 64);
  data<uint32_t>()[size_ + 1] = static_cast<uint32_t>(children_[0]->size());
  ++size_;
  grow_validity();
}

Arena& Column::arena() {
  if (!arena_) arena_ = std::make_shared<Arena>();
  return *arena_;
}

void Column::share_arena(const Column& other) {
  if (!other.arena_) return;
  if (!arena_) {
    arena_ = other.arena_;
  } else if (arena_ != other.arena_) {
    arena_->adopt(other.arena_);
  }
}

void Column::append_from(const Column& src, size_t i) {
  if (src.is_null(i)) {
    append_null();
    return;
  }
  switch (type_.id) {
    case TypeId::Boolean: append(src.data<uint8_t>()[i]); break;
    case TypeId::Int:
    case TypeId::Date: append(src.data<int32_t>()[i]); break;
    case TypeId::Long:
    case TypeId::Timestamp: append(src.data<int64_t>()[i]); break;
    case TypeId::Float: append(src.data<float>()[i]); break;
    case TypeId::Double: append(src.data<double>()[i]); break;
    case TypeId::String:
    case TypeId::Binary:
      share_arena(src);
      append(src.data<std::string_view>()[i]);
      break;
    case TypeId::Struct:
      for (size_t c = 0; c < children_.size(); ++c) children_[c]->append_from(*src.children_[c], i);
      if (size_ == capacity_) reserve(capacity_ ? capacity_ * 2 : 64);
      ++size_;
      grow_validity();
      break;
    case TypeId::Array: {
      const uint32_t* off = src.offsets();
      for (uint32_t k = off[i]; k < off[i + 1]; ++k) children_[0]->append_from(*src.children_[0], k);
      end_array();
      break;
    }
    case TypeId::Null: append_null(); break;
  }
}

void Column::keep_rows(const uint32_t* rows, size_t n) {
  // rows[k] >= k, so each read comes before the write that could overwrite it.
  switch (type_.id) {
    case TypeId::Null: break;
    case TypeId::Struct:
      for (auto& c : children_) c->keep_rows(rows, n);
      break;
    case TypeId::Array: keep_array_rows(rows, n); break;
    default:
      if (type_.is_string_like()) {
        const std::shared_ptr<Arena> old = std::exchange(arena_, std::make_shared<Arena>());
        std::string_view* views = data<std::string_view>();
        for (size_t k = 0; k < n; ++k) views[k] = is_valid(rows[k]) ? arena_->copy(views[rows[k]]) : std::string_view{};
      } else {
        switch (physical_width(type_.id)) {
          case 1: keep_values<uint8_t>(rows, n); break;
          case 4: keep_values<uint32_t>(rows, n); break;
          default: keep_values<uint64_t>(rows, n); break;
        }
      }
  }
  if (!validity_.empty()) {
    for (size_t k = 0; k < n; ++k) {
      const uint64_t bit = uint64_t{1} << (k & 63);
      validity_[k >> 6] = is_valid(rows[k]) ? validity_[k >> 6] | bit : validity_[k >> 6] & ~bit;
    }
    validity_.resize((n + 63) / 64);
  }
  size_ = n;
}

// The kept rows' elements and lengths are read before any offset is overwritten.
void Column::keep_array_rows(const uint32_t* rows, size_t n) {
  uint32_t* offsets = data<uint32_t>();
  std::vector<uint32_t> elements, lengths(n);
  for (size_t k = 0; k < n; ++k) {
    lengths[k] = offsets[rows[k] + 1] - offsets[rows[k]];
    for (uint32_t e = offsets[rows[k]]; e < offsets[rows[k] + 1]; ++e) elements.push_back(e);
  }
  for (size_t k = 0; k < n; ++k) offsets[k + 1] = offsets[k] + lengths[k];
  children_[0]->keep_rows(elements.data(), elements.size());
}

ColumnRef Column::gather(const uint32_t* sel, size_t n) const {
  auto out = make(type_, n);
  size_t width = physical_width(type_.id);
  bool flat = type_.id != TypeId::Struct && type_.id != TypeId::Array && type_.id != TypeId::Null;
  if (!flat) {
    for (size_t k = 0; k < n; ++k) out->append_from(*this, sel ? sel[k] : k);
    return out;
  }
  out->size_ = n;  // every row is written below: no zeroing first
  if (!sel) {
    if (n) std::memcpy(out->data_.data(), data_.data(), n * width);  // data() may be null when empty
  } else {
    switch (width) {
      case 1: for (size_t k = 0; k < n; ++k) out->data<uint8_t>()[k] = data<uint8_t>()[sel[k]]; break;
      case 4: for (size_t k = 0; k < n; ++k) out->data<uint32_t>()[k] = data<uint32_t>()[sel[k]]; break;
      case 8: for (size_t k = 0; k < n; ++k) out->data<uint64_t>()[k] = data<uint64_t>()[sel[k]]; break;
      default:
        for (size_t k = 0; k < n; ++k) out->data<std::string_view>()[k] = data<std::string_view>()[sel[k]];
    }
  }
  if (!validity_.empty()) {
    out->materialize_validity();
    for (size_t k = 0; k < n; ++k)
      if (is_null(sel ? sel[k] : k)) out->set_null(k);
  }
  if (type_.is_string_like()) out->arena_ = arena_;
  return out;
}

}  // namespace runnel
