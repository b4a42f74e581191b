// `runnel checkpoint inspect DIR`: what a checkpoint holds — the last
// committed batch, a batch planned but not committed, each source's offset,
// the watermark, and each state operator's rows and bytes.
#pragma once
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace runnel {

// Error(NoInput) when `dir` is not a checkpoint, Error(IO) when a file is corrupt.
nlohmann::json inspect_checkpoint(const std::string& dir);
// The same as text for people, one fact per line.
void print_checkpoint(const nlohmann::json& report, std::ostream& out);

}  // namespace runnel
