#include "checkpoint/inspect.hpp"

#include <sys/stat.h>

#include "base/error.hpp"
#include "checkpoint/checkpoint.hpp"
#include "checkpoint/log_file.hpp"
#include "state/lmdb_state.hpp"
#include "types/timestamp.hpp"

namespace runnel {

namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string iso_millis(int64_t ms) {
  std::string s;
  format_timestamp_iso(ms * 1000, s);
  return s;
}

nlohmann::json state_operators(const std::string& dir) {
  nlohmann::json ops = nlohmann::json::array();
  if (!exists(dir + "/state")) return ops;
  LmdbStateEnv env(dir + "/state");
  for (const StateStoreStats& s : env.stats())
    ops.push_back({{"operatorId", s.operator_id}, {"numRowsTotal", s.rows}, {"bytes", s.bytes}});
  return ops;
}

nlohmann::json inspect(const std::string& dir) {
  const std::string meta_path = dir + "/metadata";
  if (!exists(meta_path))
    fail(ErrorKind::NoInput, "'" + dir + "' is not a runnel checkpoint (it has no metadata file)");
  nlohmann::json meta = read_log_file(meta_path);
  nlohmann::json report{{"checkpoint", dir},
                        {"id", meta.value("id", "")},
                        {"name", meta.value("name", "")},
                        {"lastCommittedBatch", nullptr},
                        {"uncommittedBatch", nullptr},
                        {"sources", nlohmann::json::object()},
                        {"stateOperators", state_operators(dir)}};
  std::vector<int64_t> commits = list_batch_files(dir + "/commits");
  std::vector<int64_t> offsets = list_batch_files(dir + "/offsets");
  int64_t last = commits.empty() ? -1 : commits.back();
  if (last >= 0) {
    std::string c = dir + "/commits/" + std::to_string(last), o = dir + "/offsets/" + std::to_string(last);
    CommitEntry commit = commit_entry_from_json(read_log_file(c), c);
    OffsetSeq seq = offset_seq_from_json(read_log_file(o), o);
    report["lastCommittedBatch"] = last;
    report["sources"] = seq.sources;
    report["batchTimestamp"] = iso_millis(seq.batch_timestamp_ms);
    report["watermark"] = iso_millis(commit.next_batch_watermark_ms);
  }
  if (!offsets.empty() && offsets.back() > last) report["uncommittedBatch"] = offsets.back();
  if (!offsets.empty()) report["retainedBatches"] = {offsets.front(), offsets.back()};
  return report;
}

}  // namespace

nlohmann::json inspect_checkpoint(const std::string& dir) {
  try {
    return inspect(dir);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::IO, "'" + dir + "' holds a checkpoint file that is not a runnel checkpoint entry (" + e.what() + ")");
  }
}

void print_checkpoint(const nlohmann::json& r, std::ostream& out) {
  out << "checkpoint:            " << r["checkpoint"].get<std::string>() << "\n";
  out << "query id:              " << r["id"].get<std::string>() << " (pipeline " << r["name"].get<std::string>() << ")\n";
  out << "last committed batch:  " << (r["lastCommittedBatch"].is_null() ? "none" : r["lastCommittedBatch"].dump()) << "\n";
  if (!r["uncommittedBatch"].is_null())
    out << "uncommitted batch:     " << r["uncommittedBatch"].dump() << " (re-runs with its recorded offsets on restart)\n";
  if (r.contains("watermark")) out << "watermark:             " << r["watermark"].get<std::string>() << "\n";
  for (auto& [name, offset] : r["sources"].items()) out << "source " << name << ": " << offset.dump() << "\n";
  for (auto& op : r["stateOperators"])
    out << "state " << op["operatorId"].get<std::string>() << ": " << op["numRowsTotal"].dump() << " rows, "
        << op["bytes"].dump() << " bytes\n";
}

}  // namespace runnel
