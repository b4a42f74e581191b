#include "sources/rate_source.hpp"

#include <chrono>
#include <cmath>
#include <thread>

#include "base/error.hpp"

namespace runnel {

namespace {

const config::OptionTable kOptions = {
    {"rows_per_second", config::OptionType::Int, "rows generated per second", "1"},
    {"ramp_up_time", config::OptionType::Duration, "time to ramp up to rows_per_second (whole seconds)", "0"},
    {"num_partitions", config::OptionType::Int, "accepted for Spark compatibility; values form one sequence",
     "1"},
    {"total_rows", config::OptionType::Int, "end the stream after this many rows (runnel's extension)",
     "no limit"},
};

int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

class RateSource final : public Source {
 public:
  explicit RateSource(RateOptions options) : options_(std::move(options)) {
    if (!options_.now_ms) options_.now_ms = system_now_ms;
    start_ms_ = options_.now_ms();
    // Spark refuses configurations whose offsets could overflow a long.
    if (options_.ramp_up_seconds > INT64_MAX / options_.rows_per_second)
      fail(ErrorKind::Config, "rate source: ramp_up_time is too long for rows_per_second");
    schema_ = std::make_shared<const Schema>(
        Schema{{{"timestamp", DataType::of(TypeId::Timestamp)}, {"value", DataType::of(TypeId::Long)}}});
  }

  SchemaRef schema() const override { return schema_; }

  std::optional<nlohmann::json> latest_offset(std::chrono::milliseconds wait) override {
    if (ended()) return std::nullopt;
    int64_t seconds = elapsed_seconds();
    if (seconds <= offered_seconds_ && wait.count() > 0) {
      // Sleep until the next second begins, or `wait`, whichever is first.
      int64_t next_ms = start_ms_ + (offered_seconds_ + 1) * 1000 - options_.now_ms();
      std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(std::max<int64_t>(next_ms, 0))));
      seconds = elapsed_seconds();
    }
    if (seconds <= offered_seconds_) return std::nullopt;
    if (seconds > INT64_MAX / options_.rows_per_second)
      fail(ErrorKind::Internal, "rate source: value overflow after " + std::to_string(seconds) + " seconds");
    offered_seconds_ = seconds;
    return nlohmann::json{{"seconds", seconds}, {"value", capped_value(seconds)}, {"start_ms", start_ms_}};
  }

  void read(const nlohmann::json& start, const nlohmann::json& end, const Emit& out) override {
    int64_t start_s = start.is_null() ? 0 : start.at("seconds").get<int64_t>();
    int64_t end_s = end.at("seconds").get<int64_t>();
    int64_t start_ms = end.value("start_ms", start_ms_);
    int64_t first = rate_value_at_second(start_s, options_.rows_per_second, options_.ramp_up_seconds);
    int64_t stop = rate_value_at_second(end_s, options_.rows_per_second, options_.ramp_up_seconds);
    int64_t last = std::min(stop, capped_value(end_s));
    if (last > first) {
      double ms_per_value = double((end_s - start_s) * 1000) / double(stop - first);
      emit(first, last, start_ms + start_s * 1000, ms_per_value, out);
    }
    delivered_ = std::max(delivered_, last);
  }

  bool ended() const override { return options_.total_rows && delivered_ >= *options_.total_rows; }

  std::string description() const override {
    return "RateStreamV2[rowsPerSecond=" + std::to_string(options_.rows_per_second) +
           ", rampUpTimeSeconds=" + std::to_string(options_.ramp_up_seconds) + "]";
  }

 private:
  int64_t elapsed_seconds() const { return std::max<int64_t>(0, (options_.now_ms() - start_ms_) / 1000); }

  int64_t capped_value(int64_t seconds) const {
    int64_t v = rate_value_at_second(seconds, options_.rows_per_second, options_.ramp_up_seconds);
    return options_.total_rows ? std::min(v, *options_.total_rows) : v;
  }

  // Values [first, last) of a batch: row v is stamped batch_start_ms + round((v - first) * ms_per_value), as Spark does.
  void emit(int64_t first, int64_t last, int64_t batch_start_ms, double ms_per_value, const Emit& out) const {
    const int64_t rows_per_batch = static_cast<int64_t>(batch_rows());
    for (int64_t lo = first; lo < last; lo += rows_per_batch) {
      int64_t n = std::min(rows_per_batch, last - lo);
      Batch b = Batch::builder(schema_, static_cast<size_t>(n));
      b.columns[0]->resize(static_cast<size_t>(n));
      b.columns[1]->resize(static_cast<size_t>(n));
      int64_t* ts = b.columns[0]->data<int64_t>();
      int64_t* value = b.columns[1]->data<int64_t>();
      for (int64_t i = 0; i < n; ++i) {
        int64_t v = lo + i;
        value[i] = v;
        ts[i] = (batch_start_ms + std::llround(double(v - first) * ms_per_value)) * 1000;
      }
      b.num_rows = static_cast<size_t>(n);
      out(b);
    }
  }

  RateOptions options_;
  SchemaRef schema_;
  int64_t start_ms_ = 0;
  int64_t offered_seconds_ = 0;  // seconds of the latest offset handed out
  int64_t delivered_ = 0;        // values below this have been read
};

}  // namespace

int64_t rate_value_at_second(int64_t seconds, int64_t rows_per_second, int64_t ramp_up_seconds) {
  // During the ramp-up the speed grows by rows_per_second / (ramp_up + 1) each
  // second, so the count is an arithmetic series (halved first to avoid overflow).
  int64_t delta = rows_per_second / (ramp_up_seconds + 1);
  if (seconds <= ramp_up_seconds)
    return seconds % 2 == 1 ? (seconds + 1) / 2 * delta * seconds : seconds / 2 * delta * (seconds + 1);
  int64_t ramp = rate_value_at_second(ramp_up_seconds, rows_per_second, ramp_up_seconds);
  return ramp + (seconds - ramp_up_seconds) * rows_per_second;
}

const config::OptionTable& rate_source_options() { return kOptions; }

std::unique_ptr<Source> make_rate_source(RateOptions options) { return std::make_unique<RateSource>(std::move(options)); }

std::unique_ptr<Source> create_rate_source(const SourceContext& ctx) {
  const config::Node& node = ctx.config.node;
  config::validate_options(node, {&kOptions}, {"type"});
  RateOptions o;
  auto positive = [](const config::Node& n, const char* what) {
    int64_t v = n.integer();
    if (v <= 0) n.fail(std::string("must be a positive number of ") + what);
    return v;
  };
  if (auto n = node["rows_per_second"]; n.defined()) o.rows_per_second = positive(n, "rows");
  if (auto n = node["ramp_up_time"]; n.defined()) {
    o.ramp_up_seconds = n.duration_us() / 1000000;
    if (o.ramp_up_seconds < 0) n.fail("must not be negative");
  }
  if (auto n = node["num_partitions"]; n.defined()) positive(n, "partitions");
  if (auto n = node["total_rows"]; n.defined()) o.total_rows = positive(n, "rows");
  return make_rate_source(std::move(o));
}

}  // namespace runnel
