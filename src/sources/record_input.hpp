// The parts every byte-carrying source (stdin, file, socket) builds from its
// node: schema, malformed-record accounting and the format's reader.
#pragma once
#include <memory>

#include "sources/source.hpp"

namespace runnel {

struct RecordInput {
  SchemaRef schema;
  std::unique_ptr<BadRecords> bad;       // declared before reader: the reader refers to it
  std::unique_ptr<RecordReader> reader;
};

// Validates the source's node against reader_options() + `own` + {type} and
// builds its reader (dead_letter resolved against the pipeline's directory).
RecordInput make_record_input(const SourceContext& ctx, const config::OptionTable& own);

}  // namespace runnel
