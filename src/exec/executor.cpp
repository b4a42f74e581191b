#include "exec/executor.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <chrono>
#include <csignal>
#include <thread>
#include <unordered_map>

#include "base/error.hpp"
#include "base/log.hpp"
#include "checkpoint/checkpoint.hpp"
#include "checkpoint/crash_point.hpp"
#include "exec/progress.hpp"
#include "plan/graph.hpp"
#include "state/lmdb_state.hpp"
#include "types/timestamp.hpp"

namespace runnel {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

std::string iso_millis(int64_t ms) {
  std::string s;
  format_timestamp_iso(ms * 1000, s);
  return s;
}

// Spark's batchTimestampMs: current_timestamp() of a micro-batch, in milliseconds.
int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// How long one poll of the sources may block while the pipeline is idle;
// bounds the delay before a stop signal is noticed.
constexpr std::chrono::milliseconds kIdleWait{200};

}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking poll/read returns EINTR and the loop sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop.load(); }

struct Executor::State {
  config::PipelineConfig config;
  RunOptions options;
  Graph graph;
  int64_t batch_id = 0;
  BatchContext ctx;
  ProgressReporter progress;
  std::unordered_map<const GraphNode*, std::vector<Emit>> step_emits;
  // Event time (Spark's WatermarkTracker): each watermark step's own watermark
  // (ms; 0 until it sees data), the global one, and the one the last batch ran with.
  std::vector<Operator*> watermark_ops;
  std::vector<int64_t> op_watermarks_ms;
  int64_t watermark_ms = 0;
  int64_t last_batch_watermark_us = kNoWatermark;
  bool no_data_batch_pending = false;
  // With `checkpoint:`: the batch commit protocol, and a batch planned before
  // a crash that must re-run first, exactly as planned.
  std::unique_ptr<Checkpoint> checkpoint;
  std::optional<OffsetSeq> replay;
  // Committed but not yet settled: the sources to commit and the batch to purge before.
  std::vector<std::pair<Source*, nlohmann::json>> unsettled_sources;
  int64_t unsettled_batch = -1;
  // Spark 3.5's per-operator watermarks: per step of a transform downstream
  // of a stream-stream join, how far its input's watermark lags the query's
  // (us; transforms without lag are absent).
  std::unordered_map<const GraphNode*, std::vector<int64_t>> watermark_lags;

  State(const config::PipelineConfig& c, RunOptions o)
      : config(c), options(std::move(o)), graph(plan_graph(config, options)), progress(config, options) {
    for (auto& t : graph.transforms) {
      auto& emits = step_emits[t.get()];
      for (size_t step = 1; step <= t->ops.size(); ++step)
        emits.push_back([this, node = t.get(), step](Batch& b) { push(*node, step, b); });
      for (auto& op : t->ops)
        if (op->watermark_delay_ms()) watermark_ops.push_back(op.get());
    }
    plan_watermark_lags();
    op_watermarks_ms.assign(watermark_ops.size(), std::numeric_limits<int64_t>::min());
    last_batch_watermark_us = watermark_us();
    if (!config.checkpoint.empty()) recover();
  }

  // A step's input lags by the most of what its inputs' producers lag (the
  // stream it reads with `with` included), in topological order.
  void plan_watermark_lags() {
    std::unordered_map<std::string, int64_t> stream_lag;  // sources: 0
    for (auto& t : graph.transforms) {
      int64_t lag = stream_lag[t->from];
      std::vector<int64_t> lags;
      for (size_t step = 0; step < t->ops.size(); ++step) {
        const config::Node& v = t->steps[step].config->value;
        if (v.is_map() && v["with"].defined()) lag = std::max(lag, stream_lag[v["with"].str()]);
        lags.push_back(lag);
        lag += t->ops[step]->output_watermark_lag_us();
      }
      stream_lag[t->name] = lag;
      if (std::any_of(lags.begin(), lags.end(), [](int64_t l) { return l != 0; })) watermark_lags[t.get()] = lags;
    }
  }

  static int64_t behind(int64_t watermark_us, int64_t lag_us) {
    return watermark_us == kNoWatermark || watermark_us == kEndOfTime ? watermark_us : watermark_us - lag_us;
  }

  int64_t lag_at(const GraphNode& node, size_t step) const {
    auto it = watermark_lags.find(&node);
    return it == watermark_lags.end() ? 0 : it->second[step];
  }

  // The batch's context as operator `step` of `node` sees it.
  BatchContext context_at(const GraphNode& node, size_t step) const {
    const int64_t lag = lag_at(node, step);
    if (lag == 0) return ctx;
    BatchContext shifted = ctx;
    shifted.watermark_us = behind(ctx.watermark_us, lag);
    shifted.late_watermark_us = behind(ctx.late_watermark_us, lag);
    return shifted;
  }

  // Resumes from the checkpoint: state, watermarks and source offsets as of
  // the last committed batch, and the uncommitted batch after it to re-run.
  void recover() {
    checkpoint = std::make_unique<Checkpoint>(config, pipeline_fingerprint(config, graph));
    Recovery r = checkpoint->recover(has_state());
    progress.set_query_id(checkpoint->query_id());  // Spark's id: the same across restarts
    batch_id = r.next_batch;
    replay = std::move(r.replay);
    if (config.state_memory_limit > 0) {
      size_t stateful = 0;
      for_each_stateful([&](Operator&, const std::string&) { ++stateful; });
      for_each_stateful([&](Operator& op, const std::string&) {
        op.set_state_memory(static_cast<size_t>(config.state_memory_limit) / stateful);
      });
    }
    if (r.commit) {
      for_each_stateful([&](Operator& op, const std::string& id) { op.load_state(checkpoint->state().store(id)); });
      watermark_ms = r.commit->next_batch_watermark_ms;
      if (r.commit->watermarks_ms.size() == op_watermarks_ms.size()) op_watermarks_ms = r.commit->watermarks_ms;
      if (!watermark_ops.empty()) last_batch_watermark_us = r.committed->batch_watermark_ms * 1000;
    }
    for (auto& s : graph.sources) {
      s->committed_offset = r.committed ? r.committed->sources.value(s->name, nlohmann::json()) : nlohmann::json();
      nlohmann::json replay_end = replay ? replay->sources.value(s->name, nlohmann::json()) : nlohmann::json();
      s->source->recover(checkpoint->source_dir(s->name), s->committed_offset, replay_end);
    }
    for (auto& k : graph.sinks) k->sink->recover(checkpoint->query_id());
    no_data_batch_pending = !replay && r.commit && needs_batch(watermark_us());
    if (r.commit || replay)
      log::info("checkpoint '" + checkpoint->dir() + "': resuming at batch " + std::to_string(batch_id) +
                (replay ? " (re-running it as planned before the restart)" : ""));
  }

  // Stateful operators with their state store ids, "<transform>/<step index>".
  template <typename Fn>
  void for_each_stateful(Fn&& fn) {
    for (auto& t : graph.transforms)
      for (size_t step = 0; step < t->ops.size(); ++step)
        if (t->ops[step]->stateful()) fn(*t->ops[step], t->name + "/" + std::to_string(step));
  }

  // The offsets of a batch as the checkpoint records them: per source its new
  // end, or the committed one when it has no new data (cumulative, as Spark's).
  OffsetSeq offset_seq(const std::vector<std::optional<nlohmann::json>>& ends, bool end_of_stream) const {
    OffsetSeq seq;
    for (size_t i = 0; i < graph.sources.size(); ++i)
      seq.sources[graph.sources[i]->name] = ends[i] ? *ends[i] : graph.sources[i]->committed_offset;
    seq.batch_watermark_ms = watermark_ops.empty() ? 0 : watermark_ms;
    seq.batch_timestamp_ms = ctx.eval.batch_timestamp_us / 1000;
    seq.end_of_stream = end_of_stream;
    return seq;
  }

  // The inverse: a source has data in the batch when its end moved.
  std::vector<std::optional<nlohmann::json>> ends_of(const OffsetSeq& seq) const {
    std::vector<std::optional<nlohmann::json>> ends;
    for (auto& s : graph.sources) {
      nlohmann::json end = seq.sources.value(s->name, nlohmann::json());
      if (!end.is_null() && end != s->committed_offset) ends.emplace_back(std::move(end));
      else ends.emplace_back();
    }
    return ends;
  }

  // After the sinks committed batch N: every operator's state as version N.
  void commit_state() {
    if (!has_state()) return;
    for_each_stateful([&](Operator& op, const std::string& id) { op.save_state(checkpoint->state().store(id)); });
    checkpoint->commit_state(batch_id);
    if (config.state_memory_limit > 0)
      for_each_stateful([&](Operator& op, const std::string& id) { op.spill(checkpoint->state().store(id)); });
  }

  // The checkpoint's barrier (Checkpoint::settle): every deferred write is
  // durable, the last committed batch's commit marker among them. Only then
  // may its sources clean up (trim the write-ahead log, drop compacted log
  // entries, move processed files) and old batch logs go: a restart before
  // the marker is durable re-runs that batch and needs them.
  void settle() {
    if (!checkpoint) return;
    checkpoint->settle();
    for (auto& [source, end] : unsettled_sources) source->commit(end);
    unsettled_sources.clear();
    if (unsettled_batch >= 0) checkpoint->purge(unsettled_batch);
    unsettled_batch = -1;
  }

  // The watermark the next batch runs with (Spark starts at 0 once a query has one).
  int64_t watermark_us() const { return watermark_ops.empty() ? kNoWatermark : watermark_ms * 1000; }

  // After a batch: each watermark step's max event time - delay (never moving
  // back; 0 until it has seen data), combined by watermark_policy into the
  // global watermark, which never moves back either. Returns the event-time
  // stats of the first step that saw data, for progress (as Spark reports).
  EventTimeStats advance_watermark() {
    EventTimeStats reported;
    for (size_t i = 0; i < watermark_ops.size(); ++i) {
      EventTimeStats stats = watermark_ops[i]->take_event_time_stats();
      if (stats.count > 0) {
        op_watermarks_ms[i] = std::max(op_watermarks_ms[i], stats.max - *watermark_ops[i]->watermark_delay_ms());
        if (reported.count == 0) reported = stats;
      }
      if (op_watermarks_ms[i] == std::numeric_limits<int64_t>::min()) op_watermarks_ms[i] = 0;
    }
    if (!watermark_ops.empty()) {
      int64_t global = config.watermark_policy == "max"
                           ? *std::max_element(op_watermarks_ms.begin(), op_watermarks_ms.end())
                           : *std::min_element(op_watermarks_ms.begin(), op_watermarks_ms.end());
      watermark_ms = std::max(watermark_ms, global);
    }
    return reported;
  }

  // Spark's shouldRunAnotherBatch: a stateful operator has something to emit
  // or evict with the watermark the next batch would run with.
  bool needs_batch(int64_t next_watermark_us) const {
    for (auto& t : graph.transforms)
      for (size_t step = 0; step < t->ops.size(); ++step)
        if (t->ops[step]->needs_batch(behind(next_watermark_us, lag_at(*t, step)))) return true;
    return false;
  }

  void deliver(const std::vector<Edge>& consumers, Batch& batch) {
    for (const Edge& e : consumers) {
      if (e.node->sink) {
        e.node->sink->write(batch);
        e.node->rows_out += batch.size();
      } else {
        push(*e.node, e.step, batch, e.port);
      }
    }
  }

  // Pushes `batch` into transform `node` at operator `step`, input `port`
  // (step ops.size() = its output).
  void push(GraphNode& node, size_t step, Batch& batch, int port = 0) {
    if (step == node.ops.size()) return deliver(node.consumers, batch);
    node.ops[step]->push_port(port, context_at(node, step), batch, step_emits[&node][step]);
  }

  bool all_sources_ended() const {
    for (auto& s : graph.sources)
      if (!s->source->ended()) return false;
    return true;
  }

  bool has_state() const {
    for (auto& t : graph.transforms)
      for (auto& op : t->ops)
        if (op->stateful()) return true;
    return false;
  }

  // Asks each source for new data: the first waits up to `wait`, the rest not at all.
  std::vector<std::optional<nlohmann::json>> plan_offsets(std::chrono::milliseconds wait) {
    std::vector<std::optional<nlohmann::json>> ends;
    bool any = false;
    for (auto& s : graph.sources) {
      ends.push_back(s->source->latest_offset(any ? std::chrono::milliseconds{0} : wait));
      any |= ends.back().has_value();
    }
    if (!any && graph.sources.size() > 1 && wait.count() > 0) {
      // Nothing anywhere: give the others a chance to block too.
      for (size_t i = 1; i < graph.sources.size() && !ends[i]; ++i)
        ends[i] = graph.sources[i]->source->latest_offset(wait / static_cast<int>(graph.sources.size()));
    }
    return ends;
  }

  // One micro-batch; `replayed` is the checkpoint's record of a batch that
  // ran before a crash: it runs again with the same watermark and timestamp.
  void execute(const std::vector<std::optional<nlohmann::json>>& ends, bool end_of_stream,
               const OffsetSeq* replayed = nullptr) {
    BatchProgress bp = progress.begin(batch_id);
    ctx.batch_id = batch_id;
    ctx.end_of_stream = end_of_stream;
    ctx.late_watermark_us = last_batch_watermark_us;
    ctx.watermark_us = end_of_stream ? kEndOfTime : watermark_us();
    if (replayed && !end_of_stream && !watermark_ops.empty()) ctx.watermark_us = replayed->batch_watermark_ms * 1000;
    ctx.eval.batch_timestamp_us = (replayed ? replayed->batch_timestamp_ms : now_ms()) * 1000;
    if (checkpoint && !replayed) {
      checkpoint->write_offsets(batch_id, offset_seq(ends, end_of_stream));
      bp.lap("walCommit");
    }
    for (auto& k : graph.sinks) {
      k->rows_out = 0;
      k->sink->begin_batch(batch_id);
    }
    for (size_t i = 0; i < graph.sources.size(); ++i) {
      auto& s = *graph.sources[i];
      uint64_t rows = 0;
      if (ends[i]) {
        s.source->read(s.committed_offset, *ends[i], [&](Batch& b) {
          rows += b.size();
          deliver(s.consumers, b);
        });
      }
      bp.source(s, ends[i], rows);
    }
    for (auto& t : graph.transforms)
      for (size_t step = 0; step < t->ops.size(); ++step)
        t->ops[step]->end_batch(context_at(*t, step), step_emits[t.get()][step]);
    if (checkpoint) {
      settle();
      crash_point("after_offsets", batch_id);
    }
    for (auto& k : graph.sinks) k->sink->commit(batch_id);
    if (checkpoint) commit_state();
    bp.lap("addBatch");
    EventTimeStats stats = advance_watermark();
    if (checkpoint) {
      checkpoint->write_commit(batch_id, CommitEntry{watermark_ms, op_watermarks_ms});
      bp.lap("commitOffsets");
    }
    for (size_t i = 0; i < graph.sources.size(); ++i) {
      auto& s = *graph.sources[i];
      if (!ends[i]) continue;
      if (checkpoint) unsettled_sources.emplace_back(s.source.get(), *ends[i]);
      else s.source->commit(*ends[i]);
      s.committed_offset = *ends[i];
      if (BadRecords* bad = s.source->bad_records())
        if (uint64_t n = bad->take_batch_count())
          log::warn("source '" + s.name + "': " + std::to_string(n) + " malformed record(s) in batch " +
                    std::to_string(batch_id) + " (mode " + mode_name(bad->mode()) + ")");
    }
    if (checkpoint) unsettled_batch = batch_id;
    bp.event_time = event_time_progress(stats, end_of_stream);
    progress.end(bp, graph);
    last_batch_watermark_us = ctx.watermark_us;
    no_data_batch_pending = !end_of_stream && needs_batch(watermark_us());
    ++batch_id;
  }

  // Spark's eventTime progress: the first watermark step's stats of this batch
  // and the watermark the batch ran with (left out in the end-of-stream batch,
  // whose watermark is +infinity).
  nlohmann::json event_time_progress(const EventTimeStats& stats, bool end_of_stream) const {
    nlohmann::json e = nlohmann::json::object();
    if (watermark_ops.empty()) return e;
    if (stats.count > 0) {
      e["min"] = iso_millis(stats.min);
      e["max"] = iso_millis(stats.max);
      e["avg"] = iso_millis(static_cast<int64_t>(stats.sum / static_cast<double>(stats.count)));
    }
    if (!end_of_stream) e["watermark"] = iso_millis(ctx.watermark_us / 1000);
    return e;
  }

  // A batch with the data the sources have now; false when none has any.
  bool run_data_batch(std::chrono::milliseconds wait) {
    if (replay) {
      OffsetSeq planned = std::move(*replay);
      replay.reset();
      execute(ends_of(planned), planned.end_of_stream, &planned);
      return true;
    }
    auto ends = plan_offsets(wait);
    bool any = false;
    for (auto& e : ends) any |= e.has_value();
    if (any) execute(ends, false);
    return any;
  }

  void run_no_data_batch() { execute(std::vector<std::optional<nlohmann::json>>(graph.sources.size()), false); }

  static std::string mode_name(ParseMode m) {
    switch (m) {
      case ParseMode::Permissive: return "permissive";
      case ParseMode::DropMalformed: return "drop_malformed";
      case ParseMode::FailFast: return "fail_fast";
    }
    return "?";
  }
};

Executor::Executor(const config::PipelineConfig& config, RunOptions options)
    : state_(std::make_unique<State>(config, std::move(options))) {}

Executor::~Executor() = default;

int64_t Executor::next_batch_id() const { return state_->batch_id; }

// A data batch; then, as long as the moved watermark makes another batch due,
// the next one: with new data when a source has some (it evicts as well),
// else without (Spark's constructNextBatch: a busy stream never runs no-data
// batches; an idle one gets its results at once, as processAllAvailable()).
bool Executor::run_batch(std::chrono::milliseconds wait) {
  bool ran = state_->run_data_batch(wait);
  if (!ran && !state_->no_data_batch_pending) {
    state_->settle();  // idle: let the last batch's cleanup happen now
    return false;
  }
  while (state_->no_data_batch_pending && !stop_requested())
    if (!state_->run_data_batch(std::chrono::milliseconds{0})) state_->run_no_data_batch();
  return true;
}

void Executor::finish() {
  if (state_->has_state() && state_->needs_batch(kEndOfTime))
    state_->execute(std::vector<std::optional<nlohmann::json>>(state_->graph.sources.size()), true);
  state_->settle();
  for (auto& k : state_->graph.sinks) k->sink->close();
}

void Executor::stop() {
  state_->settle();
  for (auto& k : state_->graph.sinks) k->sink->close();
}

int Executor::run() {
  using clock = std::chrono::steady_clock;
  const auto& trigger = state_->config.trigger;
  try {
    switch (trigger.kind) {
      case config::TriggerKind::Once:  // one batch, no trailing no-data batch (as Spark's Trigger.Once)
        state_->run_data_batch(std::chrono::milliseconds{0});
        break;
      case config::TriggerKind::AvailableNow:
        while (!stop_requested() && run_batch(std::chrono::milliseconds{0})) {
        }
        break;
      case config::TriggerKind::Continuous:  // rejected by plan_graph
      case config::TriggerKind::ProcessingTime: {
        const auto interval = std::chrono::microseconds{trigger.interval_us};
        auto next = clock::now();
        while (!stop_requested()) {
          bool ran = run_batch(kIdleWait);
          if (!ran && state_->all_sources_ended()) break;
          if (ran && interval.count() > 0) {
            next += interval;
            auto now = clock::now();
            if (next < now) next = now;  // a batch overran: start the next one at once, as Spark
            while (!stop_requested() && clock::now() < next)
              std::this_thread::sleep_for(std::min<clock::duration>(next - clock::now(), kIdleWait));
          }
        }
        break;
      }
    }
  } catch (const OutputClosed&) {
    log::info("output closed; stopping");
    return 0;
  }
  if (state_->all_sources_ended() && !stop_requested()) {
    finish();
  } else {
    stop();
  }
  return 0;
}

}  // namespace runnel
