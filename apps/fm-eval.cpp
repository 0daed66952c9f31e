// fm-eval: evaluate one or many trained runs on a labelled dataset, in one process.

#include <string>
#include <vector>

#include "app_common.h"
#include "fm/jobs/eval.h"
#include "fm/model/runtime.h"

int main(int argc, char** argv) {
  const std::string program = "fm-eval";
  CLI::App app{"Evaluate trained runs on a labelled CSV/JSONL file: scikit-learn's classification\n"
               "report, confusion matrix, JSON with every number, and a predictions CSV.",
               program};
  fm::EvalJob job;
  std::string log_level;
  app.add_option("-r,--run", job.runs, "Run directory (repeatable: each run is loaded once)");
  app.add_option("-d,--data", job.data, "Labelled data file (.csv or .jsonl)");
  app.add_option("-f,--format", job.format, "Report format: text, json or markdown")
      ->capture_default_str();
  app.add_option("--digits", job.digits, "Digits in the text/markdown report")
      ->check(fm::app::kInt64)->capture_default_str();
  app.add_option("-p,--predictions", job.predictions,
                 "Write id,y_true,y_pred,p_<class>...,<groups> CSV here (with several runs, "
                 "-<run name> is added before the extension)");
  app.add_option("-o,--output", job.output, "Write the report here instead of stdout");
  app.add_option("--threads", job.threads, "LibTorch threads (0 = all cores)")
      ->check(fm::app::kInt64)->capture_default_str();
  app.add_option("--batch-size", job.batch_size, "Inference batch size")
      ->check(fm::app::kInt64)->capture_default_str();
  fm::app::add_common_flags(app, [&] { return fm::version_text(program); }, log_level);
  if (auto rc = fm::app::parse(app, program, argc, argv)) return *rc;

  return fm::guarded_main(program, [&] {
    fm::app::init_logging(program, log_level);
    if (job.runs.empty()) throw fm::ConfigError("--run: required");
    if (job.data.empty()) throw fm::ConfigError("--data: required");
    fm::run_eval(job);
    return 0;
  });
}
