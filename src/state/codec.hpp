// Byte encoding of state values for a StateStore: fixed-width values as
// their bytes (little-endian, as the host), strings as a 32-bit length and
// the bytes, each column value preceded by a null flag. Decoding a truncated
// or corrupt buffer throws Error(Internal) instead of reading past its end.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "batch/column.hpp"

namespace runnel::codec {

template <class T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <class T>
T get(std::string_view& in) {
  if (in.size() < sizeof(T)) fail(ErrorKind::Internal, "corrupt state value: truncated");
  T value;
  std::memcpy(&value, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return value;
}

// Row i of column c (any flat type), with its null flag.
void put_value(std::string& out, const Column& c, size_t i);
// Appends one value read from `in` to c (strings are copied into c's arena).
void append_value(std::string_view& in, Column& c);

}  // namespace runnel::codec
