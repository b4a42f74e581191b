#include "sources/record_input.hpp"

namespace runnel {

RecordInput make_record_input(const SourceContext& ctx, const config::OptionTable& own) {
  const config::Node& node = ctx.config.node;
  config::validate_options(node, {&reader_options(), &own}, {"type"});
  RecordInput in;
  in.schema = std::make_shared<const Schema>(read_schema(node));
  in.bad = make_bad_records(node, ctx.config.name,
                            [&](const std::string& path) { return ctx.pipeline.resolve_path(path); });
  in.reader = make_reader(node, in.schema, *in.bad);
  return in;
}

}  // namespace runnel
