#include "sinks/kafka_sink.hpp"

#include "base/error.hpp"
#include "base/log.hpp"
#include "checkpoint/crash_point.hpp"
#include "expr/expression.hpp"
#include "kafka/client.hpp"

namespace runnel {

namespace {

const config::OptionTable kOwnOptions = {
    {"topic", config::OptionType::String, "topic of every record; without it each row's `topic` column", ""},
    {"key", config::OptionType::String, "expression (string or binary) for the record key", "no key"},
    {"value", config::OptionType::String, "expression (string or binary) for the record value",
     "the row as JSON"},
    {"headers", config::OptionType::String,
     "expression of type array<struct<key: string, value: string or binary>> for the record headers", "none"},
    {"transactional", config::OptionType::Bool,
     "exactly-once: one Kafka transaction per micro-batch (needs a checkpoint and `topic`)", "false"},
    {"delivery_timeout", config::OptionType::Duration,
     "how long a batch's commit waits for the brokers before the run stops with exit 69", "60 s"},
};

const config::OptionTable& all_options() {
  static const config::OptionTable table = kafka::with_client_options(kOwnOptions);
  return table;
}

struct KafkaSinkOptions {
  std::string name;
  std::string topic;                   // empty: the `topic` column
  std::optional<size_t> topic_column;  // index of `topic` when no option
  std::unique_ptr<expr::Expression> key, value, headers;
  bool transactional = false;
  int delivery_timeout_ms = 60000;
};

struct ErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
using TxnError = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

struct GroupMetadataDeleter {
  void operator()(rd_kafka_consumer_group_metadata_t* m) const {
    rd_kafka_consumer_group_metadata_destroy(m);
  }
};

std::string_view view_of(const Column& c, size_t row) { return c.data<std::string_view>()[row]; }

class KafkaSink final : public Sink {
 public:
  KafkaSink(const config::Node& node, KafkaSinkOptions options, SchemaRef schema)
      : node_(node), options_(std::move(options)), schema_(std::move(schema)) {
    if (!options_.value) json_ = make_json_writer(schema_);
  }

  ~KafkaSink() override {
    if (producer_) rd_kafka_flush(producer_.get(), 0);  // a failed run: nothing waits for the rest
  }

  void recover(const std::string& query_id) override {
    transactional_id_ = "runnel-" + query_id + "-" + options_.name;
  }

  void begin_batch(int64_t batch_id) override {
    rd_kafka_t* rk = producer();
    skipping_ = options_.transactional && batch_id < committed_through_;
    if (skipping_) {
      log::info(who() + ": batch " + std::to_string(batch_id) +
                " is already in a committed transaction; skipped");
      return;
    }
    if (options_.transactional) check(rd_kafka_begin_transaction(rk), "beginning a transaction");
  }

  void write(const Batch& input) override {
    if (skipping_ || input.size() == 0) return;
    rd_kafka_t* rk = producer();
    Batch batch = input.dense();
    expr::EvalContext ctx;
    ColumnRef key = options_.key ? options_.key->evaluate(batch, ctx) : nullptr;
    ColumnRef value = options_.value ? options_.value->evaluate(batch, ctx) : nullptr;
    ColumnRef headers = options_.headers ? options_.headers->evaluate(batch, ctx) : nullptr;
    std::vector<std::string_view> json_rows;
    if (!value) json_rows = rows_as_json(batch);
    const Column* topics = options_.topic_column ? batch.columns[*options_.topic_column].get() : nullptr;
    for (size_t row = 0; row < batch.num_rows; ++row) {
      std::string_view v =
          value ? (value->is_null(row) ? std::string_view() : view_of(*value, row)) : json_rows[row];
      bool null_value = value && value->is_null(row);
      std::string_view k = key && key->is_valid(row) ? view_of(*key, row) : std::string_view();
      produce(rk, topic_of(topics, row), key && key->is_valid(row) ? &k : nullptr, null_value ? nullptr : &v,
              headers ? make_headers(*headers, row) : nullptr);
      if (row % 1024 == 1023) rd_kafka_poll(rk, 0);  // delivery reports
    }
  }

  void commit(int64_t batch_id) override {
    if (skipping_) {
      skipping_ = false;
      return;
    }
    rd_kafka_t* rk = producer();
    rd_kafka_flush(rk, options_.delivery_timeout_ms);
    if (rd_kafka_outq_len(rk) > 0)
      fail(ErrorKind::Unavailable, who() + ": records of batch " + std::to_string(batch_id) +
                                       " not delivered within " +
                                       std::to_string(options_.delivery_timeout_ms) + " ms");
    throw_delivery_error();
    crash_point("after_sink_write", batch_id);
    if (!options_.transactional) return;
    record_batch_in_transaction(rk, batch_id);
    TxnError err(rd_kafka_commit_transaction(rk, options_.delivery_timeout_ms));
    if (err) {
      if (rd_kafka_error_txn_requires_abort(err.get()))
        TxnError(rd_kafka_abort_transaction(rk, options_.delivery_timeout_ms));
      fail(ErrorKind::Unavailable, who() + ": committing the transaction of batch " +
                                       std::to_string(batch_id) +
                                       " failed: " + rd_kafka_error_string(err.get()));
    }
    crash_point("after_sink_commit", batch_id);
    committed_through_ = batch_id + 1;
  }

  void close() override {
    if (producer_ && !options_.transactional) rd_kafka_flush(producer_.get(), options_.delivery_timeout_ms);
  }

  std::string description() const override {
    return "KafkaSink[" + (options_.topic.empty() ? std::string("topic column") : options_.topic) + "]";
  }

 private:
  std::string who() const { return "sink '" + options_.name + "'"; }

  rd_kafka_t* producer() {
    if (producer_) return producer_.get();
    kafka::Conf conf = kafka::make_conf(node_);
    kafka::set(conf.get(), "enable.idempotence", "true");
    if (options_.transactional) {
      RUNNEL_ASSERT(!transactional_id_.empty());  // recover() ran: the executor has a checkpoint
      kafka::set(conf.get(), "transactional.id", transactional_id_);
    }
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
    producer_ = kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf), who());
    if (!options_.topic.empty()) topic_ = open_topic(options_.topic);
    if (options_.transactional) start_transactions();
    return producer_.get();
  }

  // Fences any earlier producer of this transactional id (its open
  // transaction is aborted) and reads which batches are committed already.
  void start_transactions() {
    check(rd_kafka_init_transactions(producer_.get(), options_.delivery_timeout_ms),
          "initialising transactions");
    kafka::Conf conf = kafka::make_conf(node_);
    kafka::set(conf.get(), "group.id", transactional_id_);
    kafka::Client consumer = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf), who());
    kafka::PartitionList marker(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(marker.get(), options_.topic.c_str(), 0);
    rd_kafka_resp_err_t err = rd_kafka_committed(consumer.get(), marker.get(), options_.delivery_timeout_ms);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = marker->elems[0].err;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      fail(ErrorKind::Unavailable,
           who() + ": reading the last committed batch failed: " + kafka::error_text(err));
    committed_through_ = std::max<int64_t>(0, marker->elems[0].offset);
    log::info(who() + ": transactional id " + transactional_id_ + ", batches before " +
              std::to_string(committed_through_) + " committed");
    rd_kafka_consumer_close(consumer.get());
  }

  // The batch id, as an offset of the group named after the transactional
  // id, commits or aborts with the batch's records.
  void record_batch_in_transaction(rd_kafka_t* rk, int64_t batch_id) {
    kafka::PartitionList marker(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(marker.get(), options_.topic.c_str(), 0)->offset = batch_id + 1;
    std::unique_ptr<rd_kafka_consumer_group_metadata_t, GroupMetadataDeleter> group(
        rd_kafka_consumer_group_metadata_new(transactional_id_.c_str()));
    check(rd_kafka_send_offsets_to_transaction(rk, marker.get(), group.get(), options_.delivery_timeout_ms),
          "recording the batch in its transaction");
  }

  void check(rd_kafka_error_t* raw, const char* what) {
    TxnError err(raw);
    if (err)
      fail(ErrorKind::Unavailable, who() + ": " + what + " failed: " + rd_kafka_error_string(err.get()));
  }

  std::vector<std::string_view> rows_as_json(const Batch& batch) {
    json_text_.clear();
    json_->write(batch, json_text_);
    const std::string_view text = json_text_.view();
    std::vector<std::string_view> rows;
    rows.reserve(batch.num_rows);
    size_t start = 0;
    for (size_t nl = text.find('\n'); nl != std::string_view::npos; nl = text.find('\n', start)) {
      rows.emplace_back(text.data() + start, nl - start);
      start = nl + 1;
    }
    RUNNEL_ASSERT(rows.size() == batch.num_rows);
    return rows;
  }

  // The topic option's handle, or the handle of this row's topic column
  // (kept while consecutive rows name the same topic).
  rd_kafka_topic_t* topic_of(const Column* topics, size_t row) {
    if (!topics) return topic_.get();
    if (topics->is_null(row)) fail(ErrorKind::BadData, who() + ": a row's topic column is null");
    std::string_view name = view_of(*topics, row);
    if (!row_topic_ || name != row_topic_name_) {
      row_topic_name_.assign(name);
      row_topic_ = open_topic(row_topic_name_);
    }
    return row_topic_.get();
  }

  // A handle asks the brokers for the topic's partitions at once; a record
  // produced by topic name alone waits for librdkafka's topic scan (every
  // second), which delayed every run's first batch by up to a second.
  kafka::Topic open_topic(const std::string& name) {
    kafka::Topic topic(rd_kafka_topic_new(producer_.get(), name.c_str(), nullptr));
    if (!topic)
      fail(ErrorKind::Unavailable,
           who() + ": cannot produce to '" + name + "': " + kafka::error_text(rd_kafka_last_error()));
    return topic;
  }

  // Headers of one row; librdkafka takes them over when the record is queued.
  static rd_kafka_headers_t* make_headers(const Column& headers, size_t row) {
    if (headers.is_null(row)) return nullptr;
    const uint32_t* off = headers.offsets();
    const Column& pairs = *headers.children()[0];
    rd_kafka_headers_t* list = rd_kafka_headers_new(off[row + 1] - off[row]);
    for (uint32_t i = off[row]; i < off[row + 1]; ++i) {
      if (pairs.is_null(i) || pairs.children()[0]->is_null(i)) continue;
      std::string_view name = view_of(*pairs.children()[0], i);
      const Column& values = *pairs.children()[1];
      std::string_view value = values.is_null(i) ? std::string_view() : view_of(values, i);
      rd_kafka_header_add(list, name.data(), static_cast<ssize_t>(name.size()),
                          values.is_null(i) ? nullptr : value.data(), static_cast<ssize_t>(value.size()));
    }
    return list;
  }

  void produce(rd_kafka_t* rk, rd_kafka_topic_t* topic, const std::string_view* key,
               const std::string_view* value, rd_kafka_headers_t* headers) {
    for (;;) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key ? key->data() : nullptr, key ? key->size() : 0),
          RD_KAFKA_V_VALUE(value ? const_cast<char*>(value->data()) : nullptr, value ? value->size() : 0),
          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        if (headers) rd_kafka_headers_destroy(headers);
        fail(ErrorKind::Unavailable,
             who() + ": cannot produce to '" + rd_kafka_topic_name(topic) + "': " + kafka::error_text(err));
      }
      rd_kafka_poll(rk, 100);  // the local queue is full: let deliveries drain it
    }
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<KafkaSink*>(opaque);
    if (m->err && self->delivery_error_.empty())
      self->delivery_error_ = std::string(rd_kafka_topic_name(m->rkt)) + ": " + kafka::error_text(m->err);
  }

  void throw_delivery_error() {
    if (delivery_error_.empty()) return;
    fail(ErrorKind::Unavailable, who() + ": a record was not delivered (" + delivery_error_ + ")");
  }

  config::Node node_;
  KafkaSinkOptions options_;
  SchemaRef schema_;
  std::unique_ptr<RecordWriter> json_;  // the default value: the row as JSON
  AlignedBytes json_text_;
  kafka::Client producer_;  // created at the first batch (no socket at load time)
  kafka::Topic topic_;      // the topic option's; declared after producer_, so destroyed before it
  kafka::Topic row_topic_;  // the last row's topic column
  std::string row_topic_name_;
  std::string transactional_id_;
  int64_t committed_through_ = 0;  // batches below this are in committed transactions
  bool skipping_ = false;
  std::string delivery_error_;
};

std::unique_ptr<expr::Expression> bytes_expression(const config::Node& n, const Schema& schema) {
  auto e = expr::compile(n.str(), schema, n.where());
  if (!e->type().is_string_like())
    n.fail("must be a string or binary expression (not " + e->type().to_string() + ")");
  return e;
}

std::unique_ptr<expr::Expression> headers_expression(const config::Node& n, const Schema& schema) {
  auto e = expr::compile(n.str(), schema, n.where());
  const DataType& t = e->type();
  bool ok = t.id == TypeId::Array && t.element->id == TypeId::Struct && t.element->fields.size() == 2 &&
            t.element->fields[0].type.id == TypeId::String && t.element->fields[1].type.is_string_like();
  if (!ok)
    n.fail("must be an array<struct<key: string, value: string or binary>> (not " + t.to_string() + ")");
  return e;
}

}  // namespace

const config::OptionTable& kafka_sink_options() { return all_options(); }

std::unique_ptr<Sink> create_kafka_sink(const SinkContext& ctx) {
  const config::Node& node = ctx.config.node;
  config::validate_options(node, {&all_options()}, {"type", "from", "output_mode"});
  kafka::make_conf(node);  // unknown kafka.* properties fail at load time
  const Schema& schema = *ctx.schema;
  KafkaSinkOptions o;
  o.name = ctx.config.name;
  if (auto n = node["topic"]; n.defined()) o.topic = n.str();
  if (o.topic.empty()) {
    o.topic_column = schema.find("topic");
    if (!o.topic_column || schema.fields[*o.topic_column].type.id != TypeId::String)
      node.fail("a kafka sink needs a `topic` option or a string column named topic");
  }
  if (auto n = node["key"]; n.defined()) o.key = bytes_expression(n, schema);
  if (auto n = node["value"]; n.defined()) o.value = bytes_expression(n, schema);
  if (auto n = node["headers"]; n.defined()) o.headers = headers_expression(n, schema);
  if (auto n = node["transactional"]; n.defined()) o.transactional = n.boolean();
  if (auto n = node["delivery_timeout"]; n.defined()) {
    int64_t ms = n.duration_us() / 1000;
    if (ms <= 0 || ms > INT32_MAX) n.fail("must be a positive duration");
    o.delivery_timeout_ms = static_cast<int>(ms);
  }
  if (o.transactional && ctx.pipeline.checkpoint.empty())
    node["transactional"].fail(
        "transactional: true needs a checkpoint (the transactional id is derived from it)");
  if (o.transactional && o.topic.empty())
    node["transactional"].fail(
        "transactional: true needs the `topic` option (it records the committed batches)");
  return std::make_unique<KafkaSink>(node, std::move(o), ctx.schema);
}

}  // namespace runnel
