#include "checkpoint/checkpoint.hpp"

#include <sys/stat.h>

#include <cctype>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/error.hpp"
#include "base/uuid.hpp"
#include "checkpoint/crash_point.hpp"
#include "checkpoint/log_file.hpp"
#include "plan/graph.hpp"
#include "state/lmdb_state.hpp"

namespace runnel {

namespace {

constexpr int kMetadataVersion = 1;

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Reads a field of a checkpoint entry; a missing or mistyped one means the file is not ours.
template <typename Fn>
auto parse_entry(const std::string& path, Fn&& fn) {
  try {
    return fn();
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::IO, "checkpoint file '" + path + "' is not a runnel checkpoint entry (" + e.what() + ")");
  }
}

// Whether a session_window() key comes before another key. The state's keys
// put a session's start last (so one key's sessions are adjacent in the
// store); a checkpoint made before that wrote them in group_by order, which
// differs only then, and cannot be read.
bool session_key_moves(const std::vector<std::string>& keys) {
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    std::string text;
    for (char c : keys[i])
      if (c != ' ') text += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (text.starts_with("session_window(")) return true;
  }
  return false;
}

nlohmann::json stateful_step_shape(const config::StepConfig& step) {
  nlohmann::json shape{{"kind", step.kind}};
  if (step.kind == "aggregate") {
    const std::vector<std::string> keys =
        step.value["group_by"].defined() ? step.value["group_by"].strings() : std::vector<std::string>{};
    shape["keys"] = keys;
    shape["values"] = step.value["aggregates"].defined() ? step.value["aggregates"].strings() : std::vector<std::string>{};
    if (session_key_moves(keys)) shape["sessionStartLast"] = true;
  } else {
    shape["definition"] = YAML::Dump(step.value.yaml());
  }
  return shape;
}

std::string quoted(const nlohmann::json& j) { return j.is_string() ? "'" + j.get<std::string>() + "'" : j.dump(); }

}  // namespace

nlohmann::json pipeline_fingerprint(const config::PipelineConfig& config, const Graph& graph) {
  nlohmann::json sources = nlohmann::json::object();
  for (auto& s : config.sources) sources[s.name] = s.type;
  nlohmann::json stateful = nlohmann::json::object();
  for (auto& t : graph.transforms) {
    const config::TransformConfig* tc = nullptr;
    for (auto& c : config.transforms)
      if (c.name == t->name) tc = &c;
    RUNNEL_ASSERT(tc && tc->steps.size() == t->ops.size());
    for (size_t step = 0; step < t->ops.size(); ++step) {
      if (!t->ops[step]->stateful()) continue;
      nlohmann::json shape = stateful_step_shape(tc->steps[step]);
      // A TTL adds the last-touched time to every state value.
      if (step + 1 < tc->steps.size() && tc->steps[step + 1].kind == "state_ttl") shape["stateTtl"] = true;
      stateful[t->name + "/" + std::to_string(step)] = std::move(shape);
    }
  }
  return {{"sources", sources}, {"statefulSteps", stateful}};
}

std::string fingerprint_change(const nlohmann::json& then, const nlohmann::json& now) {
  const auto& old_sources = then.at("sources");
  const auto& new_sources = now.at("sources");
  for (auto& [name, type] : old_sources.items()) {
    if (!new_sources.contains(name)) return "source '" + name + "' was removed";
    if (new_sources[name] != type)
      return "source '" + name + "' changed type from " + quoted(type) + " to " + quoted(new_sources[name]);
  }
  for (auto& [name, type] : new_sources.items())
    if (!old_sources.contains(name)) return "source '" + name + "' was added";
  const auto& old_steps = then.at("statefulSteps");
  const auto& new_steps = now.at("statefulSteps");
  for (auto& [id, shape] : old_steps.items()) {
    std::string step = "stateful step '" + id + "' (" + shape.value("kind", "?") + ")";
    if (!new_steps.contains(id)) return step + " was removed or moved";
    const auto& now_shape = new_steps[id];
    for (auto& [field, value] : shape.items())
      if (now_shape.value(field, nlohmann::json()) != value)
        return step + ": " + field + " changed from " + value.dump() + " to " + now_shape.value(field, nlohmann::json()).dump();
    for (auto& [field, value] : now_shape.items())
      if (!shape.contains(field)) return step + ": " + field + " is new (" + value.dump() + "), the state was written without it";
  }
  for (auto& [id, shape] : new_steps.items())
    if (!old_steps.contains(id)) return "stateful step '" + id + "' (" + shape.value("kind", "?") + ") was added";
  return "";
}

nlohmann::json to_json(const OffsetSeq& o) {
  nlohmann::json j{{"sources", o.sources},
                   {"batchWatermarkMs", o.batch_watermark_ms},
                   {"batchTimestampMs", o.batch_timestamp_ms}};
  if (o.end_of_stream) j["endOfStream"] = true;
  return j;
}

OffsetSeq offset_seq_from_json(const nlohmann::json& j, const std::string& path) {
  return parse_entry(path, [&] {
    OffsetSeq o;
    o.sources = j.at("sources");
    if (!o.sources.is_object()) throw nlohmann::json::type_error::create(302, "sources is not an object", nullptr);
    o.batch_watermark_ms = j.at("batchWatermarkMs").get<int64_t>();
    o.batch_timestamp_ms = j.at("batchTimestampMs").get<int64_t>();
    o.end_of_stream = j.value("endOfStream", false);
    return o;
  });
}

nlohmann::json to_json(const CommitEntry& c) {
  return {{"nextBatchWatermarkMs", c.next_batch_watermark_ms}, {"watermarksMs", c.watermarks_ms}};
}

CommitEntry commit_entry_from_json(const nlohmann::json& j, const std::string& path) {
  return parse_entry(path, [&] {
    CommitEntry c;
    c.next_batch_watermark_ms = j.at("nextBatchWatermarkMs").get<int64_t>();
    c.watermarks_ms = j.at("watermarksMs").get<std::vector<int64_t>>();
    return c;
  });
}

Checkpoint::Checkpoint(const config::PipelineConfig& config, const nlohmann::json& fingerprint)
    : dir_(config.checkpoint), retain_(config.min_batches_to_retain) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  make_directories(dir_ + "/offsets");
  make_directories(dir_ + "/commits");
  const std::string path = dir_ + "/metadata";
  if (!exists(path)) {
    query_id_ = random_uuid();
    write_log_file(path, {{"version", kMetadataVersion},
                          {"id", query_id_},
                          {"name", config.name},
                          {"fingerprint", fingerprint}});
    return;
  }
  nlohmann::json meta = read_log_file(path);
  std::string change = parse_entry(path, [&] {
    if (meta.at("version").get<int>() != kMetadataVersion)
      fail(ErrorKind::IO, "checkpoint '" + dir_ + "' was written by an unknown runnel version (metadata version " +
                              meta.at("version").dump() + ")");
    query_id_ = meta.at("id").get<std::string>();
    return fingerprint_change(meta.at("fingerprint"), fingerprint);
  });
  if (!change.empty())
    fail(ErrorKind::Config, config.file + ": the pipeline cannot resume from checkpoint '" + dir_ + "': " + change +
                                " since the checkpoint was made; restore that part or use a new checkpoint directory");
}

Checkpoint::~Checkpoint() = default;

Recovery Checkpoint::recover(bool state) {
  Recovery r;
  std::vector<int64_t> commits = list_batch_files(dir_ + "/commits");
  std::vector<int64_t> offsets = list_batch_files(dir_ + "/offsets");
  int64_t last_commit = commits.empty() ? -1 : commits.back();
  if (last_commit >= 0) {
    std::string c = dir_ + "/commits/" + std::to_string(last_commit);
    std::string o = dir_ + "/offsets/" + std::to_string(last_commit);
    r.commit = commit_entry_from_json(read_log_file(c), c);
    if (!exists(o)) fail(ErrorKind::IO, "checkpoint '" + dir_ + "': " + c + " has no offsets file " + o);
    r.committed = offset_seq_from_json(read_log_file(o), o);
  }
  r.next_batch = last_commit + 1;
  if (!offsets.empty() && offsets.back() > r.next_batch)
    fail(ErrorKind::IO, "checkpoint '" + dir_ + "': offsets of batch " + std::to_string(offsets.back()) +
                            " but the last commit is batch " + std::to_string(last_commit));
  if (!offsets.empty() && offsets.back() == r.next_batch) {
    std::string o = dir_ + "/offsets/" + std::to_string(r.next_batch);
    r.replay = offset_seq_from_json(read_log_file(o), o);
  }
  if (state) {
    state_ = std::make_unique<LmdbStateEnv>(dir_ + "/state");
    int64_t version = state_->version();
    if (version == last_commit + 1) state_->rollback_to(last_commit);
    else if (version != last_commit)
      fail(ErrorKind::IO, "checkpoint '" + dir_ + "': the state is at batch " + std::to_string(version) +
                              " but the last commit is batch " + std::to_string(last_commit));
  }
  return r;
}

LmdbStateEnv& Checkpoint::state() {
  RUNNEL_ASSERT(state_);
  return *state_;
}

void Checkpoint::write_offsets(int64_t batch_id, const OffsetSeq& offsets) {
  write_log_file_deferred(dir_ + "/offsets/" + std::to_string(batch_id), to_json(offsets));
}

void Checkpoint::settle() {
  wait_for_log_writes();
  if (unsettled_commit_ >= 0) crash_point("after_commit_marker", unsettled_commit_);
  unsettled_commit_ = -1;
}

void Checkpoint::commit_state(int64_t batch_id) {
  if (!state_) return;
  // Written on the background thread while the next batch runs; its commit
  // marker (write_commit) waits for it, and so does the next batch's settle().
  defer_log_task([job = state_->prepare_commit(batch_id), batch_id] {
    crash_point("before_state_commit", batch_id);
    job();
    crash_point("after_state_commit", batch_id);
  });
}

void Checkpoint::write_commit(int64_t batch_id, const CommitEntry& entry) {
  // The marker vouches for the state of batch N: that is made durable first.
  std::function<void()> sync_state;
  if (state_) sync_state = [state = state_.get()] { state->sync(); };
  write_log_file_deferred(dir_ + "/commits/" + std::to_string(batch_id), to_json(entry), std::move(sync_state));
  unsettled_commit_ = batch_id;
}

void Checkpoint::purge(int64_t batch_id) {
  int64_t keep_from = batch_id - retain_ + 1;
  if (keep_from <= 0) return;
  std::vector<std::string> old;
  for (const char* log : {"/offsets", "/commits"}) {
    std::string d = dir_ + log;
    for (int64_t id : list_batch_files(d))
      if (id < keep_from) old.push_back(d + "/" + std::to_string(id));
  }
  retire_log_files(std::move(old));  // their files serve the next batches' logs
}

std::string Checkpoint::source_dir(const std::string& source_name) const {
  std::string d = dir_ + "/sources/" + source_name;
  make_directories(d);
  return d;
}

}  // namespace runnel
