// Building blocks for scalar function kernels (private to src/functions/).
//
// A function's row logic is written once as a small callable; `simple<Out,
// In...>(op)` wraps it into a Signature whose kernel runs the column loop:
// the result's null mask is the AND of the arguments' masks (null in -> null
// out), and `op` is called only for rows where every argument is valid.
//
//   op(out, in...)            returns void (always valid) or bool (false = null)
//   out is Out::Value&        for fixed-width results
//   out is StringOut&         for string/binary results (views or arena bytes)
//
// Type tags (LongT, StringT, ...) name both the logical type and the C++
// value type, so a signature and its loop cannot disagree.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "functions/function.hpp"

namespace runnel::fn {

struct BoolT {
  using Value = bool;
  static constexpr TypeId id = TypeId::Boolean;
};
struct IntT {
  using Value = int32_t;
  static constexpr TypeId id = TypeId::Int;
};
struct LongT {
  using Value = int64_t;
  static constexpr TypeId id = TypeId::Long;
};
struct FloatT {
  using Value = float;
  static constexpr TypeId id = TypeId::Float;
};
struct DoubleT {
  using Value = double;
  static constexpr TypeId id = TypeId::Double;
};
struct StringT {
  using Value = std::string_view;
  static constexpr TypeId id = TypeId::String;
};
struct BinaryT {
  using Value = std::string_view;
  static constexpr TypeId id = TypeId::Binary;
};
struct TimestampT {
  using Value = int64_t;
  static constexpr TypeId id = TypeId::Timestamp;
};
struct DateT {
  using Value = int32_t;
  static constexpr TypeId id = TypeId::Date;
};

// The result slot of a string-producing op. The result column keeps the
// arenas of its string arguments alive, so an op may return a view of an
// input (substring, trim) without copying; new bytes go into the result's arena.
class StringOut {
 public:
  explicit StringOut(Arena& arena) : arena_(arena) {}
  void view(std::string_view s) { value = s; }
  void copy(std::string_view s) { value = arena_.copy(s); }
  // Reserve up to n bytes, write them, then commit() the bytes actually used.
  char* reserve(size_t n) {
    buffer_ = arena_.allocate(n);
    reserved_ = n;
    return buffer_;
  }
  void commit(size_t used) {
    arena_.shrink_last(reserved_ - used);
    value = {buffer_, used};
  }
  std::string_view value;

 private:
  Arena& arena_;
  char* buffer_ = nullptr;
  size_t reserved_ = 0;
};

template <class T>
constexpr bool is_string_tag = std::is_same_v<T, StringT> || std::is_same_v<T, BinaryT>;

template <class T>
typename T::Value read_value(const Column& c, size_t i) {
  if constexpr (std::is_same_v<T, BoolT>) {
    return c.data<uint8_t>()[i] != 0;
  } else {
    return c.data<typename T::Value>()[i];
  }
}

template <class T>
void write_value(Column& c, size_t i, typename T::Value v) {
  if constexpr (std::is_same_v<T, BoolT>) {
    c.data<uint8_t>()[i] = v ? 1 : 0;
  } else {
    c.data<typename T::Value>()[i] = v;
  }
}

// A column of `rows` rows of `type`, null wherever any of `args` is null.
ColumnRef result_with_nulls_of(const DataType& type, size_t rows, const std::vector<ColumnRef>& args);
// Makes `out` own an arena and keep those of its string arguments alive.
void share_string_arenas(Column& out, const std::vector<ColumnRef>& args);

namespace detail {

// The value an op writes: StringOut for strings, the plain value otherwise.
template <class Out>
using Slot = std::conditional_t<is_string_tag<Out>, StringOut, typename Out::Value>;

template <class Out>
Slot<Out> make_slot([[maybe_unused]] Arena* arena) {
  if constexpr (is_string_tag<Out>) {
    return StringOut(*arena);
  } else {
    return typename Out::Value{};
  }
}

template <class Out>
void store(Column& out, size_t i, const Slot<Out>& slot) {
  if constexpr (is_string_tag<Out>) {
    out.data<std::string_view>()[i] = slot.value;
  } else {
    write_value<Out>(out, i, slot);
  }
}

template <class Out, class... In, class Op, size_t... I>
void run_rows(Column& out, const std::vector<ColumnRef>& args, size_t rows, Op& op,
              std::index_sequence<I...>) {
  const bool check_nulls = !out.all_valid();
  Arena* arena = is_string_tag<Out> ? &out.arena() : nullptr;
  for (size_t i = 0; i < rows; ++i) {
    if (check_nulls && out.is_null(i)) continue;
    Slot<Out> slot = make_slot<Out>(arena);
    using R = decltype(op(slot, read_value<In>(*args[I], i)...));
    if constexpr (std::is_void_v<R>) {
      op(slot, read_value<In>(*args[I], i)...);
    } else if (!op(slot, read_value<In>(*args[I], i)...)) {
      out.set_null(i);
      continue;
    }
    store<Out>(out, i, slot);
  }
}

}  // namespace detail

// Runs `op` over whole columns (see the file comment).
template <class Out, class... In, class Op>
ColumnRef map_rows(const DataType& result, const std::vector<ColumnRef>& args, size_t rows, Op& op) {
  RUNNEL_ASSERT(args.size() == sizeof...(In));
  ColumnRef out = result_with_nulls_of(result, rows, args);
  if constexpr (is_string_tag<Out>) share_string_arenas(*out, args);
  detail::run_rows<Out, In...>(*out, args, rows, op, std::index_sequence_for<In...>{});
  return out;
}

// A Signature taking In... and returning Out, computed row by row by `op`.
template <class Out, class... In, class Op>
Signature simple(Op op) {
  DataType result = DataType::of(Out::id);
  Kernel kernel = [result, op](const std::vector<ColumnRef>& args, size_t rows, const expr::EvalContext&) {
    return map_rows<Out, In...>(result, args, rows, op);
  };
  return Signature{{DataType::of(In::id)...}, result, std::move(kernel)};
}

// Calls f(Tag{}) with the tag of a numeric type id (Int, Long, Float, Double).
template <class F>
auto with_numeric_tag(TypeId id, F&& f) {
  switch (id) {
    case TypeId::Int:
      return f(IntT{});
    case TypeId::Long:
      return f(LongT{});
    case TypeId::Float:
      return f(FloatT{});
    default:
      return f(DoubleT{});
  }
}

// Spark's ordering: NaN above every number, -0.0 equal to 0.0, strings by bytes.
template <class T>
int compare_values(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a == b) return 0;
    if (std::isnan(a)) return std::isnan(b) ? 0 : 1;
    if (std::isnan(b)) return -1;
  }
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Calls f(Tag{}) for a type with a total order, or throws BindError.
template <class F>
auto with_ordered_tag(std::string_view name, const DataType& t, F&& f) {
  switch (t.id) {
    case TypeId::Boolean:
      return f(BoolT{});
    case TypeId::Int:
      return f(IntT{});
    case TypeId::Long:
      return f(LongT{});
    case TypeId::Float:
      return f(FloatT{});
    case TypeId::Double:
      return f(DoubleT{});
    case TypeId::String:
      return f(StringT{});
    case TypeId::Binary:
      return f(BinaryT{});
    case TypeId::Timestamp:
      return f(TimestampT{});
    case TypeId::Date:
      return f(DateT{});
    case TypeId::Null:
      return f(BoolT{});  // every row is null; any comparator will do
    default:
      throw BindError(std::string(name) + " does not support type " + t.to_string());
  }
}

// --- bind helpers: messages read like Spark's ---

// Throws "<name> expects N arguments, got M" (or "N or M", "at least N").
void expect_arg_count(std::string_view name, const std::vector<Arg>& args, size_t min, size_t max);
// The type all of `types` coerce to (expr::common_type, Spark's findWiderCommonType),
// or a BindError naming `name`.
DataType common_type_of(std::string_view name, const std::vector<DataType>& types);

// A literal string argument (pattern, format, unit); nullptr when not constant or NULL.
const std::string* literal_string(const Arg& arg);
// A literal integral argument; nullopt when not constant or NULL.
std::optional<int64_t> literal_integer(const Arg& arg);

// UTF-8: number of characters, and byte offset of character `chars` (clamped to the end).
size_t utf8_length(std::string_view s);
size_t utf8_offset(std::string_view s, size_t chars);
inline bool utf8_is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace runnel::fn
