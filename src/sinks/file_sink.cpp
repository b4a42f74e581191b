#include "sinks/file_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <unordered_map>

#include "base/direct_file.hpp"
#include "base/error.hpp"
#include "checkpoint/crash_point.hpp"
#include "checkpoint/log_file.hpp"
#include "sinks/value_text.hpp"

namespace runnel {

namespace {

const config::OptionTable kOptions = {
    {"path", config::OptionType::Path, "output directory", "", true},
    {"format", config::OptionType::Choice, "file format", "", true, {"json", "csv"}},
    {"partition_by", config::OptionType::StringList, "columns whose values name subdirectories (col=value/)", ""},
};

constexpr std::string_view kDefaultPartition = "__HIVE_DEFAULT_PARTITION__";

[[noreturn]] void io_fail(const std::string& what, const std::string& path) {
  fail(ErrorKind::IO, "file sink: cannot " + what + " '" + path + "': " + std::strerror(errno));
}

constexpr std::string_view kLogDir = "_runnel_log";
// Spark's FileStreamSinkLog compaction: every 10th batch's entry, N.compact,
// lists the files of every batch through N, and the entries before it go, so
// the log stays a few files however long the query runs.
constexpr int64_t kCompactInterval = 10;
constexpr std::string_view kCompactSuffix = ".compact";

// The batch id in a data file's name (part-...-b<id>.c000.<ext>), or -1.
int64_t batch_of_data_file(std::string_view name) {
  if (!name.starts_with("part-")) return -1;
  size_t end = name.rfind(".c000.");
  size_t start = end == std::string_view::npos ? end : name.rfind("-b", end);
  if (start == std::string_view::npos) return -1;
  int64_t id = -1;
  auto [ptr, ec] = std::from_chars(name.data() + start + 2, name.data() + end, id);
  return ec == std::errc() && ptr == name.data() + end ? id : -1;
}

bool is_temp_file(std::string_view name) { return name.starts_with(".part-") && name.ends_with(".tmp"); }

std::string random_uuid(std::mt19937_64& rng) {
  uint64_t hi = rng(), lo = rng();
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                 // version 4
  lo = (lo & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);  // variant 10
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", unsigned(hi >> 32), unsigned(hi >> 16 & 0xFFFF),
                unsigned(hi & 0xFFFF), unsigned(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return text;
}

// A data file being written in this batch, under its temporary name.
struct PendingFile {
  std::string dir;
  std::string name;       // final name
  std::string temp_path;  // dir/.name.tmp
  std::optional<DirectFile> file;
  AlignedBytes buffer;  // what the writer formatted and the file has not taken yet
};

class FileSink final : public Sink {
 public:
  FileSink(SchemaRef schema, FileSinkOptions options, const WriterFactory& make_writer)
      : options_(std::move(options)), rng_(std::random_device{}()) {
    while (options_.path.size() > 1 && options_.path.back() == '/') options_.path.pop_back();
    split_columns(*schema);
    writer_ = make_writer(data_schema_);
  }
  ~FileSink() override { abort_pending(); }

  void begin_batch(int64_t batch_id) override {
    abort_pending();  // leftovers of a batch that never committed
    batch_id_ = batch_id;
    uuid_ = random_uuid(rng_);
    if (options_.checkpoint.empty()) return;
    if (!manifest_checked_) {
      try {
        recover_directory(batch_id);
      } catch (const nlohmann::json::exception& e) {
        fail(ErrorKind::IO, "file sink: '" + log_dir() + "' is not a runnel manifest log (" + e.what() + ")");
      }
    }
    skip_batch_ = batch_id <= last_compact_ || ::access(manifest_path(batch_id).c_str(), F_OK) == 0;
  }

  void write(const Batch& batch) override {
    if (batch.empty() || skip_batch_) return;
    Batch data{data_schema_, {}, batch.num_rows, batch.sel};
    for (size_t c : data_columns_) data.columns.push_back(batch.columns[c]);
    if (partition_columns_.empty()) {
      append(file_for(""), data);
      return;
    }
    for (auto& [index, rows] : rows_by_partition(batch)) {
      data.sel = std::make_shared<const std::vector<uint32_t>>(std::move(rows));
      append(files_[index], data);
    }
  }

  void commit(int64_t batch_id) override {
    if (skip_batch_) return;
    for (auto& f : files_) f.file->write_last(f.buffer);
    crash_point("after_sink_write", batch_id);
    std::set<std::string> dirs;
    for (auto& f : files_) {
      if (::fsync(f.file->fd()) != 0) io_fail("fsync", f.temp_path);
      f.file.reset();
      if (::rename(f.temp_path.c_str(), (f.dir + "/" + f.name).c_str()) != 0) io_fail("rename", f.temp_path);
      // New partition directories must reach their parents' entries too.
      for (std::filesystem::path d = f.dir; d.string().size() >= options_.path.size(); d = d.parent_path()) {
        dirs.insert(d.string());
        if (d == d.parent_path()) break;
      }
    }
    for (auto& d : dirs) fsync_directory(d);
    if (!options_.checkpoint.empty()) write_manifest(batch_id);
    if (!files_.empty()) spare_buffer_ = std::move(files_[0].buffer);
    files_.clear();
    index_.clear();
  }

  void close() override { abort_pending(); }
  std::string description() const override { return "FileSink[" + options_.path + "]"; }

 private:
  void split_columns(const Schema& schema) {
    std::vector<bool> is_partition(schema.size(), false);
    for (auto& name : options_.partition_by) {
      auto i = schema.find(name);
      if (!i) fail(ErrorKind::Config, "file sink: partition column '" + name + "' is not in " + schema.to_string());
      TypeId id = schema[*i].type.id;
      if (id == TypeId::Struct || id == TypeId::Array)
        fail(ErrorKind::Config, "file sink: cannot partition by '" + name + "' of type " + schema[*i].type.to_string());
      is_partition[*i] = true;
      partition_columns_.push_back(*i);
    }
    Schema data;
    for (size_t c = 0; c < schema.size(); ++c) {
      if (is_partition[c]) continue;
      data_columns_.push_back(c);
      data.fields.push_back(schema[c]);
    }
    if (data.fields.empty() && !schema.fields.empty())
      fail(ErrorKind::Config, "file sink: cannot use all columns as partition columns");
    data_schema_ = std::make_shared<const Schema>(std::move(data));
  }

  // "a=1/b=x" for physical row r (Spark's getPartitionPathString).
  void partition_dir(const Batch& batch, uint32_t r, std::string& out) const {
    out.clear();
    std::string value;
    for (size_t k = 0; k < partition_columns_.size(); ++k) {
      size_t c = partition_columns_[k];
      if (k) out += '/';
      out += escape_path_name(batch.schema->fields[c].name);
      out += '=';
      const Column& column = *batch.columns[c];
      value.clear();
      if (column.is_valid(r)) append_value_text(column, r, value);
      out += value.empty() ? std::string(kDefaultPartition) : escape_path_name(value);
    }
  }

  // Visible rows grouped by partition, as (file index, physical rows). Runs of
  // equal partitions (the common case) cost one comparison per row.
  std::vector<std::pair<size_t, std::vector<uint32_t>>> rows_by_partition(const Batch& batch) {
    std::vector<std::pair<size_t, std::vector<uint32_t>>> groups;
    std::unordered_map<size_t, size_t> group_of_file;
    std::string dir, previous;
    size_t group = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      uint32_t r = batch.row(i);
      partition_dir(batch, r, dir);
      if (i == 0 || dir != previous) {
        size_t file = file_index(dir);
        auto [it, added] = group_of_file.emplace(file, groups.size());
        if (added) groups.emplace_back(file, std::vector<uint32_t>{});
        group = it->second;
        previous.swap(dir);
      }
      groups[group].second.push_back(r);
    }
    return groups;
  }

  PendingFile& file_for(const std::string& partition) { return files_[file_index(partition)]; }

  size_t file_index(const std::string& partition) {
    auto [it, added] = index_.emplace(partition, files_.size());
    if (added) open_file(partition);
    return it->second;
  }

  void open_file(const std::string& partition) {
    PendingFile f;
    f.dir = partition.empty() ? options_.path : options_.path + "/" + partition;
    char index[16];
    std::snprintf(index, sizeof index, "%05zu", files_.size());
    f.name = "part-" + std::string(index) + "-" + uuid_ + "-b" + std::to_string(batch_id_) + ".c000." +
             options_.extension;
    f.temp_path = f.dir + "/." + f.name + ".tmp";
    std::error_code ec;
    std::filesystem::create_directories(f.dir, ec);
    if (ec) fail(ErrorKind::IO, "file sink: cannot create directory '" + f.dir + "': " + ec.message());
    f.file.emplace(f.temp_path);
    f.buffer = std::move(spare_buffer_);
    f.buffer.clear();
    writer_->begin(f.buffer);  // the csv header, once per file
    files_.push_back(std::move(f));
  }

  void append(PendingFile& f, const Batch& data) {
    writer_->write(data, f.buffer);
    if (f.buffer.size() >= options_.flush_bytes) flush(f);
  }

  // Whole blocks go to the file; the rest waits for the next flush or the commit.
  void flush(PendingFile& f) {
    f.file->write_blocks(f.buffer);
  }

  std::string log_dir() const { return options_.path + "/" + std::string(kLogDir); }
  std::string manifest_path(int64_t batch_id) const { return log_dir() + "/" + std::to_string(batch_id); }
  std::string compact_path(int64_t batch_id) const { return manifest_path(batch_id) + std::string(kCompactSuffix); }

  // The log's entries: the plain batch ids and the compactions' ids, ascending.
  std::pair<std::vector<int64_t>, std::vector<int64_t>> log_entries() const {
    std::vector<int64_t> compacts;
    for (const auto& entry : std::filesystem::directory_iterator(log_dir())) {
      std::string name = entry.path().filename().string();
      int64_t id = -1;
      auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
      if (ec == std::errc() && std::string_view(end, name.data() + name.size() - end) == kCompactSuffix)
        compacts.push_back(id);
    }
    std::sort(compacts.begin(), compacts.end());
    return {list_batch_files(log_dir()), compacts};
  }
  int64_t newest_compact() const {
    auto compacts = log_entries().second;
    return compacts.empty() ? -1 : compacts.back();
  }

  static nlohmann::json entry_files(const std::string& path) { return read_log_file(path).at("files"); }

  // The files of the entries from `first_batch` on (a compaction's: those its data file names give a batch of).
  std::set<std::string> committed_files(int64_t first_batch) const {
    auto [ids, compacts] = log_entries();
    const int64_t compact = compacts.empty() ? -1 : compacts.back();
    std::set<std::string> files;
    if (compact >= first_batch)
      for (auto& f : entry_files(compact_path(compact)))
        if (batch_of_data_file(std::filesystem::path(f.get<std::string>()).filename().string()) >= first_batch)
          files.insert(f.get<std::string>());
    for (int64_t id : ids)
      if (id >= first_batch)
        for (auto& f : entry_files(manifest_path(id))) files.insert(f.get<std::string>());
    return files;
  }

  // The committed files of the batch, relative to the output directory; every
  // kCompactInterval-th batch writes a compaction instead and drops the entries before it.
  void write_manifest(int64_t batch_id) {
    nlohmann::json files = nlohmann::json::array();
    for (auto& f : files_)
      files.push_back(f.dir.size() > options_.path.size() ? f.dir.substr(options_.path.size() + 1) + "/" + f.name : f.name);
    if ((batch_id + 1) % kCompactInterval != 0) {
      write_log_file(manifest_path(batch_id), {{"queryId", query_id_}, {"files", std::move(files)}});
      crash_point("after_sink_commit", batch_id);
      return;
    }
    auto [ids, compacts] = log_entries();
    const int64_t compact = compacts.empty() ? -1 : compacts.back();
    nlohmann::json all = compact >= 0 ? entry_files(compact_path(compact)) : nlohmann::json::array();
    for (int64_t id : ids)
      if (id > compact && id < batch_id)
        for (auto& f : entry_files(manifest_path(id))) all.push_back(f);
    for (auto& f : files) all.push_back(f);
    write_log_file(compact_path(batch_id), {{"queryId", query_id_}, {"files", std::move(all)}});
    last_compact_ = batch_id;
    crash_point("after_sink_commit", batch_id);
    for (int64_t id : ids)
      if (id < batch_id) remove_file(manifest_path(id));
    for (int64_t id : compacts)
      if (id < batch_id) remove_file(compact_path(id));
  }

  // At the first batch of a run: claims the directory for this query (or
  // refuses another's), then removes what a crashed batch left: temporary
  // files, and data files of batches from `first_batch` on that no log entry
  // names — only those written since the claim, so files that were there
  // before the query are never touched.
  void recover_directory(int64_t first_batch) {
    manifest_checked_ = true;
    query_id_ = read_log_file(options_.checkpoint + "/metadata").at("id").get<std::string>();
    make_directories(log_dir());
    const std::string claim = log_dir() + "/query";
    if (::access(claim.c_str(), F_OK) != 0) write_log_file(claim, {{"queryId", query_id_}});
    std::string owner = read_log_file(claim).value("queryId", "");
    if (owner != query_id_)
      fail(ErrorKind::Config, "file sink: '" + options_.path + "' holds the output of another query (" + owner +
                                  "); give this checkpoint its own output directory");
    last_compact_ = newest_compact();
    const std::set<std::string> committed = committed_files(first_batch);
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::file_time_type claimed = fs::last_write_time(claim, ec);
    for (auto it = fs::recursive_directory_iterator(options_.path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (it->is_directory() && name == kLogDir) {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file()) continue;
      std::string relative = it->path().string().substr(options_.path.size() + 1);
      bool orphan = batch_of_data_file(name) >= first_batch && !committed.count(relative) &&
                    it->last_write_time() >= claimed;
      if (is_temp_file(name) || orphan) remove_file(it->path().string());
    }
    if (ec) fail(ErrorKind::IO, "file sink: cannot list '" + options_.path + "': " + ec.message());
  }

  void abort_pending() {
    for (auto& f : files_) {
      f.file.reset();
      ::unlink(f.temp_path.c_str());
    }
    files_.clear();
    index_.clear();
  }

  FileSinkOptions options_;
  std::vector<size_t> partition_columns_, data_columns_;
  SchemaRef data_schema_;
  std::unique_ptr<RecordWriter> writer_;
  std::mt19937_64 rng_;
  int64_t batch_id_ = 0;
  std::string uuid_;
  std::string query_id_;           // with a checkpoint: the query that owns the directory
  bool manifest_checked_ = false;  // recover_directory ran
  bool skip_batch_ = false;        // this batch is already in the manifest log
  int64_t last_compact_ = -1;      // the newest compaction: it covers every batch through it
  std::vector<PendingFile> files_;                 // this batch's files, in creation order
  // The first file's buffer, for the next batch's: a batch's output grows it to
  // tens of MB, which a fresh buffer would allocate, fault in and copy again each batch.
  AlignedBytes spare_buffer_;
  std::unordered_map<std::string, size_t> index_;  // partition dir -> files_ index
};

bool needs_escaping(unsigned char c) {
  if (c >= 0x01 && c <= 0x1F) return true;
  switch (c) {
    case '"': case '#': case '%': case '\'': case '*': case '/': case ':': case '=': case '?':
    case '\\': case 0x7F: case '{': case '[': case ']': case '^':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string escape_path_name(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (!needs_escaping(c)) {
      out += ch;
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

const config::OptionTable& file_sink_options() { return kOptions; }

std::unique_ptr<Sink> make_file_sink(SchemaRef schema, FileSinkOptions options, const WriterFactory& make_writer) {
  return std::make_unique<FileSink>(std::move(schema), std::move(options), make_writer);
}

std::unique_ptr<Sink> create_file_sink(const SinkContext& ctx) {
  const config::Node& node = ctx.config.node;
  config::validate_options(node, {&kOptions, &writer_options()}, {"type", "from", "output_mode"});
  FileSinkOptions o;
  o.path = ctx.pipeline.resolve_path(node.required("path").str());
  o.extension = node.required("format").choice({"json", "csv"});
  if (auto n = node["partition_by"]; n.defined()) o.partition_by = n.strings();
  o.checkpoint = ctx.pipeline.checkpoint;
  std::string format = o.extension;
  return make_file_sink(ctx.schema, std::move(o), [node, format](SchemaRef data_schema) {
    return make_writer(node, format, std::move(data_schema));
  });
}

}  // namespace runnel
