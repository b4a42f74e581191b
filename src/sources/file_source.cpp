#include "sources/file_source.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/error.hpp"
#include "checkpoint/log_file.hpp"
#include "sources/chunk_buffer.hpp"

namespace runnel {

namespace {

const config::OptionTable kOptions = {
    {"path", config::OptionType::Path, "directory (read non-recursively) or glob of the input files", "", true},
    {"max_files_per_trigger", config::OptionType::Int, "most new files taken into one micro-batch", "no limit"},
    {"latest_first", config::OptionType::Bool, "take the newest files first (for catching up on a backlog)",
     "false"},
    {"max_file_age", config::OptionType::Duration,
     "ignore files older than this, relative to the newest file seen (not the clock)", "7 days"},
    {"clean_source", config::OptionType::Choice, "what to do with a file once its batch is committed", "off",
     false, {"off", "archive", "delete"}},
    {"source_archive_dir", config::OptionType::Path,
     "where clean_source: archive moves files, keeping their full path below it", ""},
};

struct FileInfo {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t mtime_ms() const { return floor_div_ms(mtime_ns); }
  static int64_t floor_div_ms(int64_t ns) { return ns / 1000000 - (ns % 1000000 < 0); }
};

bool is_glob(const std::string& path) { return path.find_first_of("*?[") != std::string::npos; }

// Spark skips these in listings: temporary files of writers and metadata (_SUCCESS, _spark_metadata).
bool is_hidden(std::string_view name) { return name.empty() || name[0] == '.' || name[0] == '_'; }

std::string_view base_name(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The directory that must exist for `path` to make sense: itself, a single
// file's (a table's `path: users.csv`), or a glob's longest wildcard-free
// directory prefix.
std::string fixed_directory(const std::string& path) {
  if (!is_glob(path) && is_regular_file(path)) return path.substr(0, path.rfind('/') + 1) + ".";
  if (!is_glob(path)) return path;
  size_t slash = path.rfind('/', path.find_first_of("*?["));
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void require_directory(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    fail(ErrorKind::NoInput, "file source: directory '" + dir + "' does not exist");
}

std::vector<std::string> glob_paths(const std::string& pattern) {
  glob_t g{};
  int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
  std::vector<std::string> paths;
  if (rc == 0) paths.assign(g.gl_pathv, g.gl_pathv + g.gl_pathc);
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) fail(ErrorKind::IO, "file source: cannot expand '" + pattern + "'");
  return paths;
}

std::vector<std::string> directory_paths(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) fail(ErrorKind::NoInput, "file source: directory '" + dir + "' does not exist");
    fail(ErrorKind::IO, "file source: cannot list '" + dir + "': " + std::strerror(errno));
  }
  std::string prefix = dir.back() == '/' ? dir : dir + "/";
  std::vector<std::string> paths;
  while (dirent* e = ::readdir(d)) paths.push_back(prefix + e->d_name);
  ::closedir(d);
  return paths;
}

// Regular, non-hidden files matching the source's path, unsorted.
std::vector<FileInfo> list_files(const std::string& path) {
  struct stat st;
  bool single_file = !is_glob(path) && is_regular_file(path);
  std::vector<std::string> candidates =
      single_file ? std::vector<std::string>{path} : is_glob(path) ? glob_paths(path) : directory_paths(path);
  std::vector<FileInfo> files;
  for (auto& p : candidates) {
    if (is_hidden(base_name(p))) continue;
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // vanished, or a directory
    int64_t ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    files.push_back(FileInfo{std::move(p), static_cast<uint64_t>(st.st_size), ns});
  }
  return files;
}

void warn(const std::string& message) { std::fprintf(stderr, "runnel: warning: %s\n", message.c_str()); }

// clean_source: archive keeps the file's absolute path below the archive
// directory (Spark's behaviour), so files of the same name never collide.
void archive_file(const std::string& path, const std::string& archive_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path from = fs::absolute(path, ec).lexically_normal();
  fs::path to = fs::path(archive_dir) / from.relative_path();
  fs::create_directories(to.parent_path(), ec);
  if (!ec) fs::rename(from, to, ec);
  if (ec == std::errc::cross_device_link) {
    ec.clear();
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::remove(from, ec);
  }
  if (ec) warn("clean_source: cannot archive '" + path + "' to '" + to.string() + "': " + ec.message());
}

void delete_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    warn("clean_source: cannot delete '" + path + "': " + std::strerror(errno));
}

class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() { ::close(fd_); }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;

 private:
  int fd_;
};

class FileSource final : public Source {
 public:
  FileSource(RecordInput input, FileSourceOptions options)
      : in_(std::move(input)), options_(std::move(options)), buffer_(options_.chunk_bytes) {
    require_directory(fixed_directory(options_.path));
    // Spark: with latest_first and a file limit, old files are still wanted.
    if (options_.latest_first && options_.max_files_per_trigger) options_.max_file_age_ms = INT64_MAX;
  }

  SchemaRef schema() const override { return in_.schema; }

  std::optional<nlohmann::json> latest_offset(std::chrono::milliseconds wait) override {
    std::vector<FileInfo> files = new_files();
    if (files.empty() && wait.count() > 0) {
      std::this_thread::sleep_for(wait);
      files = new_files();
    }
    if (files.empty()) return std::nullopt;
    nlohmann::json list = nlohmann::json::array();
    for (auto& f : files) {
      list.push_back({{"path", f.path}, {"size", f.size}, {"mtime", f.mtime_ms()}});
      take(f.path, f.mtime_ms());
    }
    purge();
    log_batch(list);
    return nlohmann::json{{"batch", next_batch_++}, {"files", std::move(list)}};
  }

  // Reads the files listed in `end` (whatever they hold now, as Spark does).
  void read(const nlohmann::json&, const nlohmann::json& end, const Emit& out) override {
    for (auto& f : end.at("files")) read_file(f.at("path").get<std::string>(), out);
  }

  void commit(const nlohmann::json& end) override {
    drop_compacted_entries(end.at("batch").get<int64_t>());
    if (options_.clean_source == CleanSource::Off) return;
    for (auto& f : end.at("files")) {
      std::string path = f.at("path").get<std::string>();
      if (options_.clean_source == CleanSource::Delete) delete_file(path);
      else archive_file(path, options_.source_archive_dir);
    }
  }

  void recover(const std::string& dir, const nlohmann::json& committed, const nlohmann::json& replay) override {
    try {
      recover_log(dir, committed, replay);
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::IO, "checkpoint: the file source log in '" + dir + "' does not match its offsets (" + e.what() + ")");
    }
  }

  BadRecords* bad_records() override { return in_.bad.get(); }
  std::string description() const override { return "FileStreamSource[" + options_.path + "]"; }

 private:
  // Rebuilds the files taken from the log, through the replayed batch if
  // any, else the committed one; entries after it were planned but never
  // reached the checkpoint's offsets, so they are dropped and planned again.
  void recover_log(const std::string& dir, const nlohmann::json& committed, const nlohmann::json& replay) {
    log_dir_ = dir;
    const nlohmann::json& last = replay.is_null() ? committed : replay;
    int64_t through = last.is_null() ? -1 : last.at("batch").get<int64_t>();
    std::vector<int64_t> ids = list_batch_files(dir);
    auto first = ids.begin();
    for (auto it = ids.begin(); it != ids.end() && *it <= through; ++it)
      if (read_log(*it).value("compact", false)) first = it;
    for (auto it = first; it != ids.end(); ++it) {
      if (*it > through) {
        remove_file(log_path(*it));
        continue;
      }
      nlohmann::json entry = read_log(*it);
      for (auto& f : entry.at("files")) take(f.at("path").get<std::string>(), f.at("mtime").get<int64_t>());
    }
    purge();
    next_batch_ = through + 1;
  }

  // The files the next batch takes, in order, at most max_files_per_trigger.
  std::vector<FileInfo> new_files() {
    std::vector<FileInfo> all = list_files(options_.path);
    if (options_.bounded_run && !snapshot_taken_) {
      for (auto& f : all) present_at_start_.insert(f.path);
      snapshot_taken_ = true;
    }
    std::erase_if(all, [&](const FileInfo& f) { return !is_new(f); });
    auto by_age = [&](const FileInfo& a, const FileInfo& b) {
      if (a.mtime_ns != b.mtime_ns) return options_.latest_first ? a.mtime_ns > b.mtime_ns : a.mtime_ns < b.mtime_ns;
      return a.path < b.path;
    };
    std::sort(all.begin(), all.end(), by_age);
    if (options_.max_files_per_trigger && all.size() > static_cast<size_t>(*options_.max_files_per_trigger))
      all.resize(static_cast<size_t>(*options_.max_files_per_trigger));
    return all;
  }

  bool is_new(const FileInfo& f) const {
    if (options_.bounded_run && !present_at_start_.count(f.path)) return false;
    return f.mtime_ms() >= purge_before_ms_ && !seen_.count(f.path);
  }

  void take(const std::string& path, int64_t mtime_ms) {
    seen_.emplace(path, mtime_ms);
    latest_ms_ = std::max(latest_ms_, mtime_ms);
  }

  // With a checkpoint: the files of each batch, written before the batch's
  // offsets (so a restart never offers them again). Every 10th entry is a
  // compaction holding every file still remembered (Spark's
  // FileStreamSourceLog, compactInterval 10); older entries are removed once
  // its batch commits.
  void log_batch(const nlohmann::json& files) {
    if (log_dir_.empty()) return;
    int64_t batch = next_batch_;
    if (batch % kCompactInterval != kCompactInterval - 1) {
      write_log_file_deferred(log_path(batch), {{"files", files}});
      return;
    }
    nlohmann::json all = nlohmann::json::array();
    for (auto& [path, mtime] : seen_) all.push_back({{"path", path}, {"mtime", mtime}});
    write_log_file_deferred(log_path(batch), {{"compact", true}, {"files", std::move(all)}});
  }

  // The entries a committed compaction replaces. Not earlier: until its batch
  // commits, a restart goes back to the entries before it.
  void drop_compacted_entries(int64_t batch) {
    if (log_dir_.empty() || batch % kCompactInterval != kCompactInterval - 1) return;
    std::vector<std::string> replaced;
    for (int64_t id : list_batch_files(log_dir_))
      if (id < batch) replaced.push_back(log_path(id));
    retire_log_files(std::move(replaced));  // their files serve the next entries
  }

  std::string log_path(int64_t batch) const { return log_dir_ + "/" + std::to_string(batch); }

  nlohmann::json read_log(int64_t batch) const {
    std::string path = log_path(batch);
    nlohmann::json entry = read_log_file(path);
    if (!entry.is_object() || !entry.contains("files") || !entry["files"].is_array())
      fail(ErrorKind::IO, "checkpoint file '" + path + "' is not a file source log entry");
    return entry;
  }

  static constexpr int64_t kCompactInterval = 10;

  // Spark's SeenFilesMap.purge: forget files older than the age limit (they
  // can never be new again), which keeps the map bounded.
  void purge() {
    if (options_.max_file_age_ms == INT64_MAX || latest_ms_ == INT64_MIN) return;
    purge_before_ms_ = latest_ms_ - options_.max_file_age_ms;
    std::erase_if(seen_, [&](const auto& entry) { return entry.second < purge_before_ms_; });
  }

  // Reads a file in chunks cut at record boundaries; a record longer than a
  // chunk grows the buffer. The reader sees byte_offset 0 at each file's start
  // (the csv header applies per file).
  void read_file(const std::string& path, const Emit& out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) fail(ErrorKind::NoInput, "file source: '" + path + "' disappeared before it was read");
      fail(ErrorKind::IO, "file source: cannot open '" + path + "': " + std::strerror(errno));
    }
    FdGuard guard(fd);
    buffer_.consume(buffer_.size());
    uint64_t offset = 0, lines = 0;
    bool eof = false;
    while (!eof) {
      while (!buffer_.full() && !eof) eof = buffer_.read_from(fd, path) == 0;
      size_t cut = eof ? buffer_.size() : in_.reader->complete_prefix(buffer_.data());
      if (cut == 0) {
        if (!eof) buffer_.reserve(buffer_.capacity() * 2);
        continue;
      }
      std::string_view records = buffer_.data().substr(0, cut);
      in_.reader->parse(records, Origin{path, lines + 1, offset}, out);
      lines += count_newlines(records);
      offset += cut;
      buffer_.consume(cut);
    }
  }

  RecordInput in_;
  FileSourceOptions options_;
  ChunkBuffer buffer_;
  std::unordered_map<std::string, int64_t> seen_;  // path -> mtime (ms) of files taken
  int64_t latest_ms_ = INT64_MIN;                  // newest file taken
  int64_t purge_before_ms_ = INT64_MIN;            // files older than this are never new
  std::unordered_set<std::string> present_at_start_;
  bool snapshot_taken_ = false;
  int64_t next_batch_ = 0;
  std::string log_dir_;  // with a checkpoint: DIR/sources/<name>/
};

}  // namespace

const config::OptionTable& file_source_options() { return kOptions; }

SourceFiles list_source_files(const std::string& path) {
  require_directory(fixed_directory(path));
  std::vector<FileInfo> files = list_files(path);
  std::sort(files.begin(), files.end(), [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  SourceFiles out;
  for (auto& f : files) {
    out.listing += f.path + '\t' + std::to_string(f.size) + '\t' + std::to_string(f.mtime_ns) + '\n';
    out.bytes += f.size;
  }
  return out;
}

std::unique_ptr<Source> make_file_source(RecordInput input, FileSourceOptions options) {
  return std::make_unique<FileSource>(std::move(input), std::move(options));
}

std::unique_ptr<Source> create_file_source(const SourceContext& ctx) {
  RecordInput input = make_record_input(ctx, kOptions);
  const config::Node& node = ctx.config.node;
  FileSourceOptions o;
  o.path = ctx.pipeline.resolve_path(node.required("path").str());
  o.bounded_run = ctx.bounded_run;
  if (ctx.chunk_bytes) o.chunk_bytes = ctx.chunk_bytes;
  if (auto n = node["max_files_per_trigger"]; n.defined()) {
    o.max_files_per_trigger = n.integer();
    if (*o.max_files_per_trigger <= 0) n.fail("must be a positive number of files");
    // Trigger.Once takes everything available in its single batch (Spark ignores the limit there).
    if (ctx.pipeline.trigger.kind == config::TriggerKind::Once) o.max_files_per_trigger.reset();
  }
  if (auto n = node["latest_first"]; n.defined()) o.latest_first = n.boolean();
  if (auto n = node["max_file_age"]; n.defined()) o.max_file_age_ms = n.duration_us() / 1000;
  if (auto n = node["clean_source"]; n.defined()) {
    std::string c = n.choice({"off", "archive", "delete"});
    o.clean_source = c == "archive" ? CleanSource::Archive : c == "delete" ? CleanSource::Delete : CleanSource::Off;
  }
  if (auto n = node["source_archive_dir"]; n.defined()) o.source_archive_dir = ctx.pipeline.resolve_path(n.str());
  if (o.clean_source == CleanSource::Archive && o.source_archive_dir.empty())
    node.fail("clean_source: archive needs source_archive_dir");
  return make_file_source(std::move(input), std::move(o));
}

}  // namespace runnel
