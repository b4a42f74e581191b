// libFuzzer target: the pipeline loader must turn any input into a config or
// a runnel::Error, never crash, hang or leak. The first line, when it starts
// with "--set ", is used as an override, so the --set path parser is covered.
// After a successful load, every value is read through each typed accessor.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "config/pipeline_config.hpp"

namespace {

using runnel::config::Node;

template <class F>
void quietly(F&& f) {
  try {
    f();
  } catch (const runnel::Error&) {
  }
}

// Depth-limited: YAML anchors can make cycles (`&a [*a]`).
void read_everything(const Node& node, int depth) {
  if (depth > 20) return;
  quietly([&] { (void)node.str(); });
  quietly([&] { (void)node.integer(); });
  quietly([&] { (void)node.number(); });
  quietly([&] { (void)node.boolean(); });
  quietly([&] { (void)node.duration_us(); });
  quietly([&] { (void)node.strings(); });
  quietly([&] { node.check_keys({"type", "from"}); });
  quietly([&] {
    for (const auto& [key, value] : node.entries()) read_everything(value, depth + 1);
  });
  quietly([&] {
    for (const Node& item : node.items()) read_everything(item, depth + 1);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  if (text.rfind("--set ", 0) == 0) {
    size_t eol = text.find('\n');
    overrides.push_back(text.substr(6, eol == std::string::npos ? std::string::npos : eol - 6));
    text = eol == std::string::npos ? "" : text.substr(eol + 1);
  }
  try {
    runnel::config::PipelineConfig p = runnel::config::load_pipeline_text(text, "fuzz.yaml", overrides);
    read_everything(p.root, 0);
  } catch (const runnel::Error&) {
  }
  return 0;
}
