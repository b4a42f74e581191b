#include "exec/executor.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <unordered_map>

#include "base/error.hpp"
#include "base/log.hpp"
#include "exec/progress.hpp"
#include "plan/graph.hpp"

namespace runnel {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
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

  State(const config::PipelineConfig& c, RunOptions o)
      : config(c), options(std::move(o)), graph(plan_graph(config, options)), progress(config, options) {
    for (auto& t : graph.transforms) {
      auto& emits = step_emits[t.get()];
      for (size_t step = 1; step <= t->ops.size(); ++step)
        emits.push_back([this, node = t.get(), step](Batch& b) { push(*node, step, b); });
    }
  }

  void deliver(const std::vector<GraphNode*>& consumers, Batch& batch) {
    for (GraphNode* c : consumers) {
      if (c->sink) {
        c->sink->write(batch);
        c->rows_out += batch.size();
      } else {
        push(*c, 0, batch);
      }
    }
  }

  // Pushes `batch` into transform `node` at operator `step` (ops.size() = its output).
  void push(GraphNode& node, size_t step, Batch& batch) {
    if (step == node.ops.size()) return deliver(node.consumers, batch);
    node.ops[step]->push(ctx, batch, step_emits[&node][step]);
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

  void execute(const std::vector<std::optional<nlohmann::json>>& ends, bool end_of_stream) {
    BatchProgress bp = progress.begin(batch_id);
    ctx.batch_id = batch_id;
    ctx.end_of_stream = end_of_stream;
    ctx.watermark_us = end_of_stream ? kEndOfTime : kNoWatermark;
    ctx.eval.batch_timestamp_us = now_us();
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
      for (size_t step = 0; step < t->ops.size(); ++step) t->ops[step]->end_batch(ctx, step_emits[t.get()][step]);
    for (auto& k : graph.sinks) k->sink->commit(batch_id);
    for (size_t i = 0; i < graph.sources.size(); ++i) {
      auto& s = *graph.sources[i];
      if (!ends[i]) continue;
      s.source->commit(*ends[i]);
      s.committed_offset = *ends[i];
      if (BadRecords* bad = s.source->bad_records())
        if (uint64_t n = bad->take_batch_count())
          log::warn("source '" + s.name + "': " + std::to_string(n) + " malformed record(s) in batch " +
                    std::to_string(batch_id) + " (mode " + mode_name(bad->mode()) + ")");
    }
    progress.end(bp, graph);
    ++batch_id;
  }

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

bool Executor::run_batch(std::chrono::milliseconds wait) {
  auto ends = state_->plan_offsets(wait);
  bool any = false;
  for (auto& e : ends) any |= e.has_value();
  if (!any) return false;
  state_->execute(ends, false);
  return true;
}

void Executor::finish() {
  if (state_->has_state())
    state_->execute(std::vector<std::optional<nlohmann::json>>(state_->graph.sources.size()), true);
  for (auto& k : state_->graph.sinks) k->sink->close();
}

int Executor::run() {
  using clock = std::chrono::steady_clock;
  const auto& trigger = state_->config.trigger;
  try {
    switch (trigger.kind) {
      case config::TriggerKind::Once:
        run_batch(std::chrono::milliseconds{0});
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
    for (auto& k : state_->graph.sinks) k->sink->close();
  }
  return 0;
}

}  // namespace runnel
