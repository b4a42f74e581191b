// The pipeline form: runs the pipeline in-process, micro-batch by micro-batch,
// with scripted sources and capture sinks, and compares each batch's output.
#include <chrono>
#include <optional>
#include <set>

#include <stdlib.h>

#include "base/error.hpp"
#include "config/pipeline_config.hpp"
#include "exec/executor.hpp"
#include "testcase/row_diff.hpp"
#include "testcase/runner.hpp"
#include "testcase/scripted_source.hpp"

namespace runnel::testcase {
namespace {

// A case that cannot run as written (names a source the pipeline lacks, ...);
// reported as such rather than as a pipeline failure.
struct CaseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Sets the case's environment for the duration of the run.
class EnvScope {
 public:
  explicit EnvScope(const std::map<std::string, std::string>& env) {
    for (const auto& [name, value] : env) {
      const char* old = getenv(name.c_str());
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~EnvScope() {
    for (const auto& [name, value] : saved_) value ? setenv(name.c_str(), value->c_str(), 1) : unsetenv(name.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// A pipeline's checkpoint must never land beside a user's pipeline_file.
config::PipelineConfig load(const TestCase& test_case, const CaseDir& dir) {
  config::PipelineConfig config = config::load_pipeline(dir.pipeline(), test_case.overrides);
  if (config.checkpoint.empty()) return config;
  std::vector<std::string> overrides = test_case.overrides;
  overrides.push_back("checkpoint=" + dir.path() + "/checkpoint");
  return config::load_pipeline(dir.pipeline(), overrides);
}

class PipelineRun {
 public:
  PipelineRun(const TestCase& test_case, const config::PipelineConfig& config)
      : case_(test_case), config_(config), capture_(std::make_shared<Capture>()) {
    check_names();
    // Every source given input, and every stdin source (which must not read the
    // runner's own stdin), reads a feed.
    std::set<std::string> scripted;
    for (const Step& step : case_.steps)
      for (const auto& [name, bytes] : step.input) scripted.insert(name);
    for (const auto& source : config_.sources)
      if (source.type == "stdin") scripted.insert(source.name);
    for (const std::string& name : scripted) feeds_[name] = std::make_shared<InputFeed>();
  }

  // Runs all steps and the end batch, appending failures to `report`.
  void run(std::string& report) {
    start();
    for (size_t k = 0; k < case_.steps.size(); ++k) {
      const Step& step = case_.steps[k];
      where_ = "batch " + std::to_string(k) + " (line " + std::to_string(step.line) + ")";
      switch (step.kind) {
        case Step::Kind::Restart:
          executor_->stop();  // without the end-of-stream batch, like SIGTERM
          executor_.reset();
          start();
          break;
        case Step::Kind::Kill:
          throw CaseError("line " + std::to_string(step.line) + ": `kill` is not supported yet (needs crash points)");
        case Step::Kind::Batch:
          for (auto& [name, feed] : feeds_) {
            auto input = step.input.find(name);
            feed->chunks.push_back(input == step.input.end() ? std::string() : input->second);
          }
          executor_->run_batch(std::chrono::milliseconds(0));
          compare(step.expect, report);
          break;
      }
    }
    where_ = "end of stream";
    for (auto& [name, feed] : feeds_) feed->closed = true;
    executor_->finish();
    compare(case_.end, report);
  }

  const std::string& where() const { return where_; }

 private:
  void check_names() const {
    auto has = [](const auto& list, const std::string& name) {
      for (const auto& item : list)
        if (item.name == name) return true;
      return false;
    };
    for (const Step& step : case_.steps) {
      for (const auto& [name, bytes] : step.input)
        if (!has(config_.sources, name)) throw CaseError("line " + std::to_string(step.line) + ": input for unknown source '" + name + "'");
      for (const auto& [name, rows] : step.expect.rows)
        if (!has(config_.sinks, name)) throw CaseError("line " + std::to_string(step.line) + ": expect for unknown sink '" + name + "'");
    }
    for (const auto& [name, rows] : case_.end.rows)
      if (!has(config_.sinks, name)) throw CaseError("end: expect for unknown sink '" + name + "'");
  }

  void start() {
    RunOptions options;
    auto feeds = feeds_;
    options.make_source = [feeds](const SourceContext& context) -> std::unique_ptr<Source> {
      auto feed = feeds.find(context.config.name);
      if (feed == feeds.end()) return nullptr;  // not scripted: the real source
      return make_scripted_source(context, feed->second);
    };
    auto capture = capture_;
    options.make_sink = [capture](const SinkContext& context) { return make_capture_sink(context, capture); };
    executor_ = std::make_unique<Executor>(config_, std::move(options));
  }

  // Every sink is checked; one the expectation does not name must be empty.
  void compare(const Expectation& expect, std::string& report) {
    for (const auto& sink : config_.sinks) {
      auto expected = expect.rows.find(sink.name);
      const std::string diff =
          diff_rows(expected == expect.rows.end() ? Rows{} : expected->second, capture_->take(sink.name), expect.ordered);
      if (!diff.empty()) report += "  " + where_ + ", sink '" + sink.name + "':\n" + diff;
    }
  }

  const TestCase& case_;
  const config::PipelineConfig& config_;
  std::map<std::string, std::shared_ptr<InputFeed>> feeds_;
  std::shared_ptr<Capture> capture_;
  std::unique_ptr<Executor> executor_;
  std::string where_ = "loading";
};

}  // namespace

std::string run_pipeline_case(const TestCase& test_case, const CaseDir& dir) {
  EnvScope env(test_case.env);
  std::string report;
  std::optional<std::pair<int, std::string>> error;  // exit code, message
  std::string where = "loading";
  try {
    const config::PipelineConfig config = load(test_case, dir);
    PipelineRun run(test_case, config);
    try {
      run.run(report);
    } catch (...) {
      where = run.where();
      throw;
    }
  } catch (const CaseError& e) {
    return "  bad case: " + std::string(e.what()) + "\n";
  } catch (const Error& e) {
    error.emplace(e.exit_code(), e.what());
  } catch (const std::exception& e) {
    error.emplace(static_cast<int>(ErrorKind::Internal), e.what());
  }

  const auto& expected = test_case.expect_error;
  if (!expected) {
    if (error) report += "  " + where + ": unexpected error (exit " + std::to_string(error->first) + "): " + error->second + "\n";
    return report;
  }
  std::string wanted = "exit " + std::to_string(expected->exit);
  bool matches = error && error->first == expected->exit;
  for (const std::string& part : expected->messages) {
    wanted += ", containing '" + part + "'";
    matches = matches && error->second.find(part) != std::string::npos;
  }
  if (!error) report += "  expected an error (" + wanted + "), but the pipeline ran to the end\n";
  else if (!matches)
    report += "  " + where + ": wrong error\n    expected: " + wanted + "\n    actual:   exit " +
              std::to_string(error->first) + ": " + error->second + "\n";
  return report;
}

}  // namespace runnel::testcase
