#include "cli/cli.hpp"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "base/log.hpp"
#include "checkpoint/inspect.hpp"
#include "config/pipeline_config.hpp"
#include "exec/executor.hpp"
#include "plan/graph.hpp"
#include "testcase/runner.hpp"

namespace runnel::cli {

namespace {

constexpr int kUsage = static_cast<int>(ErrorKind::Usage);

struct PipelineArgs {
  std::string file;
  std::vector<std::string> overrides;
};

void add_pipeline_args(CLI::App& cmd, PipelineArgs& args) {
  cmd.add_option("FILE", args.file, "The pipeline file (YAML)")->required();
  cmd.add_option("--set", args.overrides, "Override a value by its dotted path: --set sinks.out.path=/tmp/x "
                 "(sources.in.kafka.client.id=x sets the key kafka.client.id)")
      ->type_name("PATH=VALUE");
}

int run_pipeline(const PipelineArgs& args, RunOptions options) {
  auto config = config::load_pipeline(args.file, args.overrides);
  install_stop_signals();
  Executor executor(config, std::move(options));
  return executor.run();
}

int validate(const PipelineArgs& args) {
  auto config = config::load_pipeline(args.file, args.overrides);
  plan_graph(config, {});
  std::cerr << args.file << ": ok\n";
  return 0;
}

int explain(const PipelineArgs& args) {
  auto config = config::load_pipeline(args.file, args.overrides);
  std::cout << plan_graph(config, {}).explain();
  return 0;
}

int inspect(const std::string& dir, bool json) {
  nlohmann::json report = inspect_checkpoint(dir);
  if (json) std::cout << report.dump(2) << "\n";
  else print_checkpoint(report, std::cout);
  return 0;
}

int dispatch(CLI::App& app, const std::function<int()>& run) {
  try {
    return run();
  } catch (const Error& e) {
    log::error(e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    log::error("out of memory");
    return static_cast<int>(ErrorKind::Internal);
  } catch (const std::exception& e) {
    log::error(std::string("internal error: ") + e.what());
    return static_cast<int>(ErrorKind::Internal);
  }
  (void)app;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"runnel: Spark Structured Streaming semantics for the shell — run a YAML pipeline of "
               "sources, transforms and sinks as micro-batches."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("runnel ") + RUNNEL_VERSION);
  app.footer("Exit codes: 0 done, 64 usage, 65 bad data (fail_fast), 66 missing input, 69 service "
             "unavailable,\n70 internal error, 74 I/O error, 78 config error. See runnel(1), runnel-pipeline(5).");

  PipelineArgs run_args, validate_args, explain_args;
  RunOptions run_options;
  bool verbose = false;
  auto* run = app.add_subcommand("run", "Run a pipeline until its sources end, its trigger stops it, or a signal");
  add_pipeline_args(*run, run_args);
  run->add_option("--progress-log", run_options.progress_log,
                  "Append one JSON progress object per batch to FILE ('-' = stderr)")
      ->type_name("FILE");
  run->add_flag("-v,--verbose", verbose, "Log a one-line summary per batch on stderr");

  auto* val = app.add_subcommand("validate", "Check a pipeline file without running it (exit 0 or 78)");
  add_pipeline_args(*val, validate_args);

  auto* exp = app.add_subcommand("explain", "Print the operator graph with each step's output schema");
  add_pipeline_args(*exp, explain_args);

  std::vector<std::string> test_files;
  auto* test = app.add_subcommand("test", "Run test cases (.test files: a pipeline, input batches, expected output)");
  test->add_option("FILES", test_files, "Test case files")->required();
  test->add_flag("-v,--verbose", verbose, "Show each case's batches");

  std::string checkpoint_dir;
  bool inspect_json = false;
  auto* checkpoint = app.add_subcommand("checkpoint", "Look into a checkpoint directory");
  checkpoint->require_subcommand(1);
  auto* ins = checkpoint->add_subcommand(
      "inspect", "Show the last committed batch, source offsets, watermark and state operators of a checkpoint");
  ins->add_option("DIR", checkpoint_dir, "The checkpoint directory (the pipeline's `checkpoint:`)")->required();
  ins->add_flag("--json", inspect_json, "Print the report as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  }
  log::set_verbose(verbose);
  if (*run) return dispatch(app, [&] { return run_pipeline(run_args, std::move(run_options)); });
  if (*val) return dispatch(app, [&] { return validate(validate_args); });
  if (*exp) return dispatch(app, [&] { return explain(explain_args); });
  if (*ins) return dispatch(app, [&] { return inspect(checkpoint_dir, inspect_json); });
  if (*test) return dispatch(app, [&] { return testcase::run_test_files(test_files, verbose); });
  return kUsage;
}

}  // namespace runnel::cli
