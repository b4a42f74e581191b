// TEMPORARY link stub for the formats helper's work (delete at merge): lets
// the connectors' unit tests link before src/formats/*.cpp lands on main.
#include "base/error.hpp"
#include "formats/format.hpp"

namespace runnel {

class DeadLetterWriter {};

namespace {
[[noreturn]] void stub() { fail(ErrorKind::Internal, "TEMP stub: formats not merged yet"); }
}  // namespace

BadRecords::BadRecords(std::string, ParseMode mode, std::string) : mode_(mode) {}
BadRecords::~BadRecords() = default;
const config::OptionTable& reader_options() { static const config::OptionTable t; return t; }
const config::OptionTable& writer_options() { static const config::OptionTable t; return t; }
Schema read_schema(const config::Node&) { stub(); }
std::unique_ptr<RecordReader> make_reader(const config::Node&, SchemaRef, BadRecords&) { stub(); }
std::unique_ptr<BadRecords> make_bad_records(const config::Node&, const std::string&,
                                             const std::function<std::string(const std::string&)>&) { stub(); }
std::unique_ptr<RecordWriter> make_writer(const config::Node&, std::string_view, SchemaRef) { stub(); }

}  // namespace runnel
