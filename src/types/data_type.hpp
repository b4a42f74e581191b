// The logical types of the pipeline format (contract: "Types and schemas").
// A Schema is an ordered list of named fields; names are matched
// case-insensitively, as Spark does by default (spark.sql.caseSensitive=false).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runnel {

enum class TypeId : uint8_t {
  Null,  // the type of the literal NULL; coerces to any type
  Boolean,
  Int,
  Long,
  Float,
  Double,
  String,
  Binary,
  Timestamp,  // microseconds since the epoch, UTC
  Date,       // days since the epoch
  Struct,
  Array,
};

struct Field;

struct DataType {
  TypeId id = TypeId::Null;
  std::vector<Field> fields;             // Struct only
  std::shared_ptr<const DataType> element;  // Array only

  static DataType of(TypeId id);
  static DataType array_of(DataType element);
  static DataType struct_of(std::vector<Field> fields);

  bool is_numeric() const;   // Int, Long, Float, Double
  bool is_integral() const;  // Int, Long
  bool is_string_like() const { return id == TypeId::String || id == TypeId::Binary; }
  std::string to_string() const;  // Spark's simpleString: "bigint", "struct<start:timestamp,end:timestamp>"
  bool operator==(const DataType& other) const;
  bool operator!=(const DataType& other) const { return !(*this == other); }
};

struct Field {
  std::string name;
  DataType type;
  bool operator==(const Field& o) const { return name == o.name && type == o.type; }
};

struct Schema {
  std::vector<Field> fields;

  size_t size() const { return fields.size(); }
  const Field& operator[](size_t i) const { return fields[i]; }
  // Index of the field named `name` (case-insensitive), or nullopt.
  std::optional<size_t> find(std::string_view name) const;
  std::string to_string() const;  // "a: bigint, b: string"
  bool operator==(const Schema& o) const { return fields == o.fields; }
};

// Parses a type name as written in schemas and CAST: boolean, int/integer, long/bigint,
// float/real, double, string, timestamp, date, binary, array<T>, struct<a: T, ...>.
// Returns nullopt for an unknown name.
std::optional<DataType> parse_type_name(std::string_view text);

// Parses a Spark DDL schema string "name TYPE, name TYPE" (backticks allowed).
// Throws Error(Config) describing the problem; `where` prefixes the message.
Schema parse_ddl_schema(std::string_view ddl, const std::string& where);

// Width in bytes of one value in a column of this type (0 for Struct/Null).
size_t physical_width(TypeId id);

}  // namespace runnel
