#include "sources/kafka_source.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "base/error.hpp"
#include "base/log.hpp"
#include "base/uuid.hpp"
#include "checkpoint/log_file.hpp"
#include "kafka/client.hpp"
#include "kafka/offsets.hpp"
#include "sources/record_input.hpp"

namespace runnel {

namespace {

using kafka::PartitionOffsets;
using kafka::TopicPartition;

const config::OptionTable kOwnOptions = {
    {"subscribe", config::OptionType::Any, "topics to read: a list, or a comma-separated string", ""},
    {"subscribe_pattern", config::OptionType::String, "read every topic whose whole name matches this regex",
     ""},
    {"assign", config::OptionType::Any, "partitions to read, JSON or a map: {\"topic\": [0, 1]}", ""},
    {"starting_offsets", config::OptionType::Any,
     "where a new query starts: earliest, latest, or JSON {\"topic\": {\"0\": 23}} (-2 earliest, -1 latest)",
     "latest"},
    {"ending_offsets", config::OptionType::Any,
     "end the stream at these offsets: latest (as at the start) or JSON as starting_offsets", ""},
    {"max_offsets_per_trigger", config::OptionType::Int,
     "most records in one micro-batch, split over partitions in proportion to their lag", "no limit"},
    {"fail_on_data_loss", config::OptionType::Bool,
     "stop when offsets were deleted (retention) or a partition vanished; false: warn and go on", "true"},
    {"group_id", config::OptionType::String,
     "consumer group whose offsets are committed after each batch, for lag monitoring only", ""},
    {"fetch_offset_num_retries", config::OptionType::Int,
     "retries of a broker request before the run stops with exit 69", "3"},
    {"fetch_offset_retry_interval", config::OptionType::Duration,
     "wait before the first retry; doubles with each further one", "1 s"},
    {"request_timeout", config::OptionType::Duration, "how long one broker request may take", "10 s"},
};

const config::OptionTable& all_options() {
  static const config::OptionTable table = kafka::with_client_options(kOwnOptions);
  return table;
}

enum class Subscription { Topics, Pattern, Assign };

// starting_offsets / ending_offsets: earliest, latest, or offsets per
// partition (possibly holding the kEarliest/kLatest sentinels).
struct OffsetSpec {
  enum Kind { Earliest, Latest, Specific } kind = Latest;
  PartitionOffsets offsets;
};

struct KafkaSourceOptions {
  std::string name;
  Subscription subscription = Subscription::Topics;
  std::set<std::string> topics;  // Topics
  std::string pattern;           // Pattern
  std::shared_ptr<const RE2> pattern_re;
  std::set<TopicPartition> assigned;  // Assign
  OffsetSpec starting;
  std::optional<OffsetSpec> ending;
  std::optional<int64_t> max_offsets_per_trigger;
  bool fail_on_data_loss = true;
  std::string group_id;
  int64_t retries = 3;
  int64_t retry_interval_ms = 1000;
  int64_t request_timeout_ms = 10000;
  bool bounded_run = false;
  std::string format;  // of the values; empty: Spark's columns
};

// The lowest and the next offset of a partition (Kafka's low and high watermarks).
struct Watermarks {
  int64_t low = 0, high = 0;
};
using PartitionWatermarks = std::map<TopicPartition, Watermarks>;

Schema record_schema() {
  DataType binary = DataType::of(TypeId::Binary);
  DataType header = DataType::struct_of({{"key", DataType::of(TypeId::String)}, {"value", binary}});
  return Schema{{{"key", binary},
                 {"value", binary},
                 {"topic", DataType::of(TypeId::String)},
                 {"partition", DataType::of(TypeId::Int)},
                 {"offset", DataType::of(TypeId::Long)},
                 {"timestamp", DataType::of(TypeId::Timestamp)},
                 {"timestamp_type", DataType::of(TypeId::Int)},
                 {"headers", DataType::array_of(header)}}};
}

// Kafka's timestamp type ids as Spark reports them: -1 none, 0 CreateTime, 1 LogAppendTime.
int32_t spark_timestamp_type(rd_kafka_timestamp_type_t type) {
  switch (type) {
    case RD_KAFKA_TIMESTAMP_CREATE_TIME:
      return 0;
    case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME:
      return 1;
    default:
      return -1;
  }
}

std::string_view bytes_of(const void* data, size_t size) { return {static_cast<const char*>(data), size}; }

// Builds batches of Spark's Kafka columns, a record at a time.
class RecordColumns {
 public:
  explicit RecordColumns(SchemaRef schema) : schema_(std::move(schema)) { reset(); }

  void add(const rd_kafka_message_t& m, const Emit& out) {
    auto& c = batch_.columns;
    if (m.key)
      c[0]->append_string(bytes_of(m.key, m.key_len));
    else
      c[0]->append_null();
    if (m.payload)
      c[1]->append_string(bytes_of(m.payload, m.len));
    else
      c[1]->append_null();
    c[2]->append_string(rd_kafka_topic_name(m.rkt));
    c[3]->append<int32_t>(m.partition);
    c[4]->append<int64_t>(m.offset);
    rd_kafka_timestamp_type_t type;
    int64_t ms = rd_kafka_message_timestamp(&m, &type);
    c[5]->append<int64_t>(ms * 1000);
    c[6]->append<int32_t>(spark_timestamp_type(type));
    add_headers(m, *c[7]);
    if (++batch_.num_rows == batch_rows()) flush(out);
  }

  void flush(const Emit& out) {
    if (batch_.num_rows == 0) return;
    out(batch_);
    reset();
  }

 private:
  static void add_headers(const rd_kafka_message_t& m, Column& headers) {
    rd_kafka_headers_t* list = nullptr;
    if (rd_kafka_message_headers(&m, &list) != RD_KAFKA_RESP_ERR_NO_ERROR || rd_kafka_header_cnt(list) == 0) {
      headers.append_null();
      return;
    }
    Column& pairs = *headers.children()[0];
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(list, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      pairs.children()[0]->append_string(name);
      if (value)
        pairs.children()[1]->append_string(bytes_of(value, size));
      else
        pairs.children()[1]->append_null();
      pairs.resize(pairs.size() + 1);
    }
    headers.end_array();
  }

  void reset() { batch_ = Batch::builder(schema_, batch_rows()); }

  SchemaRef schema_;
  Batch batch_;
};

// With `format`: values of consecutive offsets of one partition, one per
// line, handed to the reader in chunks whose first line number is the first
// record's offset, so a malformed record is reported at its offset.
class ValueChunks {
 public:
  ValueChunks(RecordReader& reader, bool json) : reader_(reader), json_(json) {}

  void add(const rd_kafka_message_t& m, const Emit& out) {
    if (!m.payload) {  // a tombstone holds no record
      flush(out);
      return;
    }
    if (m.partition != partition_ || m.offset != next_offset_ || m.rkt != topic_ ||
        text_.size() > kChunkBytes)
      flush(out);
    if (text_.empty()) {
      topic_ = m.rkt;
      partition_ = m.partition;
      first_offset_ = m.offset;
    }
    next_offset_ = m.offset + 1;
    size_t at = text_.size();
    text_.append(static_cast<const char*>(m.payload), m.len);
    bool multi_line = std::memchr(text_.data() + at, '\n', m.len) != nullptr;
    // A line break in a JSON record can only be whitespace between tokens.
    if (multi_line && json_)
      std::replace(text_.begin() + static_cast<std::ptrdiff_t>(at), text_.end(), '\n', ' ');
    text_ += '\n';
    if (multi_line && !json_) flush(out);  // later records keep their offsets as line numbers
  }

  void flush(const Emit& out) {
    if (text_.empty()) return;
    size_t size = text_.size();
    text_.append(kReadPadding, '\0');
    Origin origin{rd_kafka_topic_name(topic_), static_cast<uint64_t>(first_offset_), 0, partition_};
    reader_.parse(std::string_view(text_.data(), size), origin, out);
    text_.clear();
  }

 private:
  static constexpr size_t kChunkBytes = size_t{1} << 20;
  RecordReader& reader_;
  bool json_;
  std::string text_;
  const rd_kafka_topic_t* topic_ = nullptr;
  int32_t partition_ = -1;
  int64_t first_offset_ = 0, next_offset_ = -1;
};

class KafkaSource final : public Source {
 public:
  KafkaSource(const config::Node& node, KafkaSourceOptions options, std::optional<RecordInput> input)
      : node_(node), options_(std::move(options)), input_(std::move(input)) {
    schema_ = input_ ? input_->schema : std::make_shared<const Schema>(record_schema());
  }

  SchemaRef schema() const override { return schema_; }

  std::optional<nlohmann::json> latest_offset(std::chrono::milliseconds wait) override {
    std::optional<PartitionOffsets> end = plan();
    if (!end && wait.count() > 0) {
      std::this_thread::sleep_for(wait);
      end = plan();
    }
    if (!end) return std::nullopt;
    planned_ = *end;
    return kafka::offsets_to_json(*end);
  }

  void read(const nlohmann::json& start, const nlohmann::json& end, const Emit& out) override {
    PartitionOffsets from = start.is_null() ? initial() : kafka::offsets_from_json(start);
    PartitionOffsets until = kafka::offsets_from_json(end);
    std::vector<std::pair<TopicPartition, std::pair<int64_t, int64_t>>> ranges;
    for (const auto& [tp, stop] : until) {
      auto it = from.find(tp);
      int64_t begin = it == from.end() ? RD_KAFKA_OFFSET_BEGINNING : it->second;
      if (begin == RD_KAFKA_OFFSET_BEGINNING || begin < stop) ranges.push_back({tp, {begin, stop}});
    }
    if (!ranges.empty()) consume(ranges, out);
  }

  void commit(const nlohmann::json& end) override {
    if (options_.group_id.empty() || !client_) return;
    kafka::PartitionList list(rd_kafka_topic_partition_list_new(0));
    for (const auto& [tp, offset] : kafka::offsets_from_json(end))
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
    // For lag dashboards only: a failed commit is a warning and changes nothing here.
    // Synchronous, so the last batch's offsets are not lost when the run ends.
    if (rd_kafka_resp_err_t err = rd_kafka_commit(client_.get(), list.get(), 0))
      log::warn(who() + ": committing offsets to group '" + options_.group_id +
                "' failed: " + kafka::error_text(err));
  }

  void recover(const std::string& dir, const nlohmann::json& committed,
               const nlohmann::json& replay) override {
    make_directories(dir);
    initial_path_ = dir + "/initial";
    try {
      if (std::filesystem::exists(initial_path_))
        initial_ = kafka::offsets_from_json(read_log_file(initial_path_));
      const nlohmann::json& last = replay.is_null() ? committed : replay;
      if (!last.is_null()) planned_ = kafka::offsets_from_json(last);
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::IO,
           "checkpoint: the Kafka offsets in '" + dir + "' are not readable (" + e.what() + ")");
    }
  }

  bool ended() const override {
    // Through the last planned batch, or where the query started when none had data.
    const std::optional<PartitionOffsets>& at = planned_ ? planned_ : initial_;
    if (!options_.ending || !cap_ || !at) return false;
    for (const auto& [tp, stop] : *cap_)
      if (at->count(tp) == 0 ? stop > 0 : at->at(tp) < stop) return false;
    return true;
  }

  BadRecords* bad_records() override { return input_ ? input_->bad.get() : nullptr; }

  std::string description() const override {
    switch (options_.subscription) {
      case Subscription::Topics:
        return "KafkaV2[Subscribe[" + join(options_.topics) + "]]";
      case Subscription::Pattern:
        return "KafkaV2[SubscribePattern[" + options_.pattern + "]]";
      case Subscription::Assign:
        break;
    }
    std::set<std::string> names;
    for (auto& tp : options_.assigned) names.insert(kafka::partition_name(tp));
    return "KafkaV2[Assign[" + join(names) + "]]";
  }

 private:
  static std::string join(const std::set<std::string>& names) {
    std::string s;
    for (auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
  }

  std::string who() const { return "source '" + options_.name + "'"; }

  // --- talking to the brokers ---

  rd_kafka_t* client() {
    if (client_) return client_.get();
    kafka::Conf conf = kafka::make_conf(node_);
    kafka::set(conf.get(), "enable.auto.commit", "false");
    kafka::set(conf.get(), "enable.auto.offset.store", "false");
    kafka::set(conf.get(), "enable.partition.eof", "true");
    // A batch reads records that exist already, so a broker holding a fetch
    // open for new ones (500 ms by default) only delays it: that fetch, sent
    // past the batch's end, held up the next batch's requests on the same
    // connections (a broker answers them in order).
    kafka::set_default(conf.get(), node_, "fetch.wait.max.ms", "10");
    // Past queued.min.messages queued records (all partitions together, in
    // the one consumer queue) librdkafka 2.0.2 stops fetching and looks again
    // only once a second: a batch of more than 100,000 records (the default)
    // stalled a second per 100,000. The prefetch stays bounded by
    // queued.max.messages.kbytes (64 MB by default).
    kafka::set_default(conf.get(), node_, "queued.min.messages", "1000000");
    // Deleted offsets surface as an error (fail_on_data_loss) instead of a silent jump.
    kafka::set(conf.get(), "auto.offset.reset", options_.fail_on_data_loss ? "error" : "earliest");
    // librdkafka's consumer needs a group even when assigned; without group_id
    // a private one that is never joined or committed to (as Spark's generated ids).
    kafka::set(conf.get(), "group.id",
               options_.group_id.empty() ? "runnel-kafka-source-" + random_uuid() : options_.group_id);
    client_ = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), who());
    rd_kafka_poll_set_consumer(client_.get());
    return client_.get();
  }

  // Runs `request` (returning a librdkafka error code) until it succeeds,
  // retrying with a doubling backoff; past the retry limit the run stops
  // with exit 69.
  template <typename Request>
  void with_retries(const char* what, Request&& request) {
    int64_t backoff = options_.retry_interval_ms;
    for (int64_t attempt = 0;; ++attempt) {
      rd_kafka_resp_err_t err = request();
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
      std::string why = who() + ": " + what + " failed: " + kafka::error_text(err) + " (brokers " +
                        node_["bootstrap_servers"].str() + ")";
      if (attempt >= options_.retries)
        fail(ErrorKind::Unavailable,
             why + "; giving up after " + std::to_string(attempt + 1) + " attempt(s)");
      log::warn(why + "; retry " + std::to_string(attempt + 1) + " of " + std::to_string(options_.retries) +
                " in " + std::to_string(backoff) + " ms");
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
      backoff *= 2;
    }
  }

  // Partition counts of the topics this source reads.
  std::set<TopicPartition> partitions() {
    if (options_.subscription == Subscription::Assign) return options_.assigned;
    const rd_kafka_metadata_t* md = nullptr;
    with_retries("fetching topic metadata", [&] {
      return rd_kafka_metadata(client(), 1, nullptr, &md, static_cast<int>(options_.request_timeout_ms));
    });
    std::set<TopicPartition> found;
    for (int t = 0; t < md->topic_cnt; ++t) {
      const rd_kafka_metadata_topic_t& topic = md->topics[t];
      if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR || !reads_topic(topic.topic)) continue;
      for (int p = 0; p < topic.partition_cnt; ++p) found.insert({topic.topic, topic.partitions[p].id});
    }
    rd_kafka_metadata_destroy(md);
    return found;
  }

  bool reads_topic(const std::string& topic) const {
    if (options_.subscription == Subscription::Topics) return options_.topics.count(topic) > 0;
    // Internal topics (__consumer_offsets, __transaction_state) are not data, as Kafka's consumer excludes
    // them.
    if (topic.rfind("__", 0) == 0) return false;
    return RE2::FullMatch(topic, *options_.pattern_re);
  }

  PartitionWatermarks watermarks(const std::set<TopicPartition>& partitions) {
    PartitionWatermarks marks;
    for (const auto& tp : partitions) {
      Watermarks w;
      with_retries("fetching the offsets of a partition", [&] {
        return rd_kafka_query_watermark_offsets(client(), tp.topic.c_str(), tp.partition, &w.low, &w.high,
                                                static_cast<int>(options_.request_timeout_ms));
      });
      marks[tp] = w;
    }
    return marks;
  }

  // --- planning ---

  // The next batch's end offsets, or nullopt when no partition has new records.
  std::optional<PartitionOffsets> plan() {
    PartitionWatermarks marks = watermarks(partitions());
    if (!initial_) start_query(marks);
    if (!cap_ && (options_.bounded_run || options_.ending)) cap_ = resolve_cap(marks);
    PartitionOffsets from = planned_ ? *planned_ : *initial_;
    check_data_loss(from, marks);
    PartitionOffsets until;
    for (const auto& [tp, w] : marks) {
      if (!from.count(tp)) from[tp] = w.low;  // a new partition: from its start, as Spark
      until[tp] = w.high;
      if (cap_) until[tp] = cap_->count(tp) ? std::min(w.high, cap_->at(tp)) : from[tp];
      until[tp] = std::max(until[tp], std::min(from[tp], w.high));
    }
    if (options_.max_offsets_per_trigger)
      until = kafka::rate_limit(from, until, *options_.max_offsets_per_trigger);
    bool moved = false;
    for (const auto& [tp, stop] : until) moved |= stop > from[tp];
    for (const auto& [tp, stop] : from)
      if (!until.count(tp))
        until[tp] = stop;  // vanished partitions keep their offsets (fail_on_data_loss: false)
    if (!moved) return std::nullopt;
    return until;
  }

  // Resolves starting_offsets against the brokers and keeps the result in the checkpoint.
  void start_query(const PartitionWatermarks& marks) {
    initial_ = resolve(options_.starting, marks, "starting_offsets");
    if (!initial_path_.empty()) write_log_file(initial_path_, kafka::offsets_to_json(*initial_));
  }

  // Where the run ends: ending_offsets, or under available_now/once what is latest now.
  PartitionOffsets resolve_cap(const PartitionWatermarks& marks) const {
    if (options_.ending) return resolve(*options_.ending, marks, "ending_offsets");
    return resolve(OffsetSpec{OffsetSpec::Latest, {}}, marks, "");
  }

  PartitionOffsets resolve(const OffsetSpec& spec, const PartitionWatermarks& marks,
                           const char* option) const {
    PartitionOffsets offsets;
    for (const auto& [tp, w] : marks) {
      if (spec.kind != OffsetSpec::Specific) {
        offsets[tp] = spec.kind == OffsetSpec::Earliest ? w.low : w.high;
        continue;
      }
      auto it = spec.offsets.find(tp);
      if (it == spec.offsets.end())  // Spark: specific offsets must name every partition
        node_[option].fail(std::string(option) + " names no offset for partition " +
                           kafka::partition_name(tp));
      offsets[tp] = it->second == kafka::kEarliest ? w.low
                    : it->second == kafka::kLatest ? w.high
                                                   : it->second;
    }
    return offsets;
  }

  // Spark's failOnDataLoss: records deleted before they were read, or a
  // partition that is gone, stop the run; with false a warning, and the read
  // goes on from what is there.
  void check_data_loss(const PartitionOffsets& from, const PartitionWatermarks& marks) {
    for (const auto& [tp, offset] : from) {
      auto it = marks.find(tp);
      std::string problem;
      if (it == marks.end())
        problem = "partition " + kafka::partition_name(tp) + " is gone";
      else if (offset < it->second.low)
        problem = "records " + std::to_string(offset) + " to " + std::to_string(it->second.low - 1) + " of " +
                  kafka::partition_name(tp) + " were deleted before they were read";
      else if (offset > it->second.high)
        problem = "partition " + kafka::partition_name(tp) + " went back from offset " +
                  std::to_string(offset) + " to " + std::to_string(it->second.high);
      if (problem.empty() || !lost_.insert(problem).second) continue;
      if (options_.fail_on_data_loss)
        fail(ErrorKind::BadData, who() + ": some data may have been lost: " + problem +
                                     "; set fail_on_data_loss: false to go on without it");
      log::warn(who() + ": some data was lost: " + problem);
    }
  }

  PartitionOffsets initial() {
    RUNNEL_ASSERT(initial_.has_value());
    return *initial_;
  }

  // --- reading ---

  struct Range {
    int64_t end;
    bool done = false;
  };
  struct QueueDeleter {
    void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
  };
  static constexpr size_t kPollBatch = 1024;

  // Reads [begin, end) of each partition: assigned at `begin`, done when a
  // record at or past end-1 arrives or the partition's end (EOF) is at or past `end`.
  void consume(const std::vector<std::pair<TopicPartition, std::pair<int64_t, int64_t>>>& ranges,
               const Emit& out) {
    rd_kafka_t* rk = client();
    kafka::PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size())));
    std::map<std::pair<std::string, int32_t>, Range> open;
    for (const auto& [tp, range] : ranges) {
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = range.first;
      open[{tp.topic, tp.partition}] = Range{range.second};
    }
    if (rd_kafka_resp_err_t err = rd_kafka_assign(rk, list.get()))
      fail(ErrorKind::Unavailable, who() + ": cannot assign partitions: " + kafka::error_text(err));
    RecordColumns columns(schema_);
    std::optional<ValueChunks> values;
    if (input_) values.emplace(*input_->reader, options_.format == "json");
    size_t remaining = open.size();
    Range* last = nullptr;
    const rd_kafka_topic_t* last_topic = nullptr;
    int32_t last_partition = -1;
    auto take = [&](const rd_kafka_message_t* m) {
      if (m->rkt != last_topic || m->partition != last_partition) {  // records come in runs per partition
        auto it = m->rkt ? open.find({rd_kafka_topic_name(m->rkt), m->partition}) : open.end();
        last = it == open.end() ? nullptr : &it->second;
        last_topic = m->rkt;
        last_partition = m->partition;
      }
      if (m->err) {
        handle_event(*m, last, remaining);
      } else if (last && !last->done) {
        if (m->offset < last->end) {
          if (values)
            values->add(*m, out);
          else
            columns.add(*m, out);
        }
        if (m->offset >= last->end - 1) {
          last->done = true;
          --remaining;
        }
      }
    };
    std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_get_consumer(rk));
    std::vector<rd_kafka_message_t*> polled(kPollBatch);
    std::vector<kafka::Message> owned;
    auto idle_since = std::chrono::steady_clock::now();
    while (remaining > 0) {
      // What is queued, without waiting: librdkafka's batch call blocks until
      // it has a full batch or times out, which held up the end of every
      // micro-batch by the timeout. Then a wait for the next one record.
      ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 0, polled.data(), polled.size());
      if (n == 0) n = rd_kafka_consume_batch_queue(queue.get(), 100, polled.data(), 1);
      owned.clear();
      for (ssize_t i = 0; i < n; ++i)
        owned.emplace_back(polled[static_cast<size_t>(i)]);  // destroyed even if take() throws
      if (n <= 0) {
        check_stall(idle_since);
        continue;
      }
      idle_since = std::chrono::steady_clock::now();
      for (auto& m : owned) take(m.get());
    }
    rd_kafka_assign(rk, nullptr);
    if (values) values->flush(out);
    columns.flush(out);
  }

  void handle_event(const rd_kafka_message_t& m, Range* range, size_t& remaining) {
    if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (range && !range->done && m.offset >= range->end) {
        range->done = true;
        --remaining;
      }
      return;
    }
    std::string where =
        m.rkt ? " (" + std::string(rd_kafka_topic_name(m.rkt)) + "/" + std::to_string(m.partition) + ")" : "";
    if (m.err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m.err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
        m.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
      fail(ErrorKind::BadData, who() + ": some data may have been lost" + where + ": " +
                                   kafka::error_text(m.err) +
                                   "; set fail_on_data_loss: false to go on without it");
    log::warn(who() + ": " + kafka::error_text(m.err) + where);  // transient: librdkafka retries
  }

  // No record for request_timeout: a log line; past the retry limit, exit 69.
  void check_stall(std::chrono::steady_clock::time_point since) {
    auto idle =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since);
    int64_t stalls = idle.count() / options_.request_timeout_ms;
    if (stalls > options_.retries)
      fail(ErrorKind::Unavailable, who() + ": no records from the Kafka brokers (" +
                                       node_["bootstrap_servers"].str() + ") for " +
                                       std::to_string(idle.count()) + " ms; giving up");
    if (stalls > reported_stalls_)
      log::warn(who() + ": no records from the Kafka brokers for " + std::to_string(idle.count()) +
                " ms; waiting");
    reported_stalls_ = stalls;
  }

  config::Node node_;
  KafkaSourceOptions options_;
  std::optional<RecordInput> input_;
  SchemaRef schema_;
  kafka::Client client_;                     // created at the first request (no socket at load time)
  std::optional<PartitionOffsets> initial_;  // where the query started
  std::optional<PartitionOffsets> planned_;  // the end of the last planned batch
  std::optional<PartitionOffsets> cap_;      // ending_offsets, or what was latest at an available_now start
  std::string initial_path_;                 // with a checkpoint: where initial_ is kept
  std::set<std::string> lost_;               // data losses already reported
  int64_t reported_stalls_ = 0;
};

// --- options ---

std::set<std::string> topic_list(const config::Node& n) {
  std::set<std::string> topics;
  auto add = [&](std::string list) {
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = std::min(list.find(',', pos), list.size());
      std::string name = list.substr(pos, comma - pos);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      if (!name.empty()) topics.insert(name);
      pos = comma + 1;
    }
  };
  if (n.is_seq()) {
    for (auto& item : n.items()) add(item.str());
  } else {
    add(n.str());
  }
  if (topics.empty()) n.fail("needs at least one topic");
  return topics;
}

// A JSON string, or the same as a YAML map.
nlohmann::json json_value(const config::Node& n) {
  try {
    if (n.is_map()) {
      nlohmann::json j = nlohmann::json::object();
      for (auto& [key, value] : n.entries()) j[key] = json_value(value);
      return j;
    }
    if (n.is_seq()) {
      nlohmann::json j = nlohmann::json::array();
      for (auto& item : n.items()) j.push_back(json_value(item));
      return j;
    }
    std::string text = n.str();
    if (text.find_first_of("{[") == std::string::npos) return std::stoll(text);
    return nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    n.fail(std::string("not valid JSON: ") + e.what());
  }
}

std::set<TopicPartition> assigned_partitions(const config::Node& n) {
  nlohmann::json j = json_value(n);
  std::set<TopicPartition> partitions;
  if (!j.is_object()) n.fail("expected {\"topic\": [partitions]}");
  for (auto& [topic, list] : j.items()) {
    if (!list.is_array()) n.fail("expected a list of partitions for topic '" + topic + "'");
    for (auto& p : list) {
      if (!p.is_number_integer() || p.get<int64_t>() < 0)
        n.fail("partitions of '" + topic + "' must be numbers >= 0");
      partitions.insert({topic, p.get<int32_t>()});
    }
  }
  if (partitions.empty()) n.fail("needs at least one partition");
  return partitions;
}

OffsetSpec offset_spec(const config::Node& n, bool allow_earliest) {
  if (!n.is_map() && n.str().find('{') == std::string::npos) {
    std::string kind = allow_earliest ? n.choice({"earliest", "latest"}) : n.choice({"latest"});
    return OffsetSpec{kind == "earliest" ? OffsetSpec::Earliest : OffsetSpec::Latest, {}};
  }
  OffsetSpec spec{OffsetSpec::Specific, {}};
  try {
    spec.offsets = kafka::offsets_from_json(json_value(n));
  } catch (const std::exception& e) {
    n.fail(std::string("expected {\"topic\": {\"partition\": offset}}: ") + e.what());
  }
  for (auto& [tp, offset] : spec.offsets)
    if (offset < kafka::kEarliest || (offset == kafka::kEarliest && !allow_earliest))
      n.fail("offset " + std::to_string(offset) + " of " + kafka::partition_name(tp) +
             (allow_earliest ? " is not an offset, -2 (earliest) or -1 (latest)"
                             : " is not an offset or -1 (latest)"));
  return spec;
}

int64_t positive(const config::Node& n, const char* what) {
  int64_t v = n.integer();
  if (v <= 0) n.fail(std::string("must be a positive number of ") + what);
  return v;
}

int64_t positive_ms(const config::Node& n) {
  int64_t ms = n.duration_us() / 1000;
  if (ms <= 0) n.fail("must be a positive duration");
  return ms;
}

void read_subscription(const config::Node& node, KafkaSourceOptions& o) {
  int given = 0;
  if (auto n = node["subscribe"]; n.defined()) {
    o.subscription = Subscription::Topics;
    o.topics = topic_list(n);
    ++given;
  }
  if (auto n = node["subscribe_pattern"]; n.defined()) {
    o.subscription = Subscription::Pattern;
    o.pattern = n.str();
    ++given;
  }
  if (auto n = node["assign"]; n.defined()) {
    o.subscription = Subscription::Assign;
    o.assigned = assigned_partitions(n);
    ++given;
  }
  if (given != 1) node.fail("a kafka source needs exactly one of subscribe, subscribe_pattern or assign");
}

KafkaSourceOptions read_options(const SourceContext& ctx) {
  const config::Node& node = ctx.config.node;
  KafkaSourceOptions o;
  o.name = ctx.config.name;
  o.bounded_run = ctx.bounded_run;
  read_subscription(node, o);
  if (auto n = node["starting_offsets"]; n.defined()) o.starting = offset_spec(n, true);
  if (auto n = node["ending_offsets"]; n.defined()) o.ending = offset_spec(n, false);
  if (auto n = node["max_offsets_per_trigger"]; n.defined()) {
    o.max_offsets_per_trigger = positive(n, "records");
    // Trigger.Once takes everything available in its single batch (Spark ignores the limit there).
    if (ctx.pipeline.trigger.kind == config::TriggerKind::Once) o.max_offsets_per_trigger.reset();
  }
  if (auto n = node["fail_on_data_loss"]; n.defined()) o.fail_on_data_loss = n.boolean();
  if (auto n = node["group_id"]; n.defined()) o.group_id = n.str();
  if (auto n = node["fetch_offset_num_retries"]; n.defined()) {
    o.retries = n.integer();
    if (o.retries < 0) n.fail("must not be negative");
  }
  if (auto n = node["fetch_offset_retry_interval"]; n.defined()) o.retry_interval_ms = positive_ms(n);
  if (auto n = node["request_timeout"]; n.defined()) o.request_timeout_ms = positive_ms(n);
  return o;
}

}  // namespace

const config::OptionTable& kafka_source_options() { return all_options(); }

std::unique_ptr<Source> create_kafka_source(const SourceContext& ctx) {
  const config::Node& node = ctx.config.node;
  std::optional<RecordInput> input;
  if (node["format"].defined()) {
    input = make_record_input(ctx, all_options());
    if (node["header"].defined() && node["header"].boolean())
      node["header"].fail("a Kafka record has no header line");
  } else {
    config::validate_options(node, {&all_options()}, {"type"});  // schema, mode etc. need a format
  }
  kafka::make_conf(node);  // unknown kafka.* properties fail at load time
  KafkaSourceOptions options = read_options(ctx);
  if (input) options.format = node["format"].str();
  if (options.subscription == Subscription::Pattern) {
    options.pattern_re = std::make_shared<const RE2>(options.pattern, RE2::Quiet);
    if (!options.pattern_re->ok())
      node["subscribe_pattern"].fail("not a valid regex: " + options.pattern_re->error());
  }
  return std::make_unique<KafkaSource>(node, std::move(options), std::move(input));
}

}  // namespace runnel
