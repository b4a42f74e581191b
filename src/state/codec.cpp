#include "state/codec.hpp"

namespace runnel::codec {

void put_value(std::string& out, const Column& c, size_t i) {
  const bool is_null = c.is_null(i);
  put<uint8_t>(out, is_null);
  if (is_null) return;
  switch (c.id()) {
    case TypeId::Boolean: return put(out, c.data<uint8_t>()[i]);
    case TypeId::Int:
    case TypeId::Date: return put(out, c.data<int32_t>()[i]);
    case TypeId::Float: return put(out, c.data<float>()[i]);
    case TypeId::Double: return put(out, c.data<double>()[i]);
    case TypeId::String:
    case TypeId::Binary: {
      std::string_view s = c.data<std::string_view>()[i];
      put(out, static_cast<uint32_t>(s.size()));
      out.append(s);
      return;
    }
    default: return put(out, c.data<int64_t>()[i]);
  }
}

void append_value(std::string_view& in, Column& c) {
  if (get<uint8_t>(in)) return c.append_null();
  switch (c.id()) {
    case TypeId::Boolean: return c.append(get<uint8_t>(in));
    case TypeId::Int:
    case TypeId::Date: return c.append(get<int32_t>(in));
    case TypeId::Float: return c.append(get<float>(in));
    case TypeId::Double: return c.append(get<double>(in));
    case TypeId::String:
    case TypeId::Binary: {
      uint32_t n = get<uint32_t>(in);
      if (in.size() < n) fail(ErrorKind::Internal, "corrupt state value: truncated string");
      c.append_string(in.substr(0, n));
      in.remove_prefix(n);
      return;
    }
    default: return c.append(get<int64_t>(in));
  }
}

}  // namespace runnel::codec
