// The C interface of bench/qbench.h over Google Benchmark: the only C++ file of qinfer.
#include "qbench.h"

#include <benchmark/benchmark.h>

#include <vector>

struct qb_state {
  benchmark::State *state;
};

static bool any_failed; // a benchmark called qb_fail: qb_run's status says so

extern "C" void qb_register(const char *name, qb_fn fn, const void *arg, size_t arg_size) {
  const unsigned char *bytes = static_cast<const unsigned char *>(arg);
  std::vector<unsigned char> copy(bytes, bytes + arg_size);
  benchmark::RegisterBenchmark(name, [fn, copy](benchmark::State &st) {
    qb_state s{&st};
    fn(&s, copy.data());
  });
}

extern "C" bool qb_keep_running(qb_state *s) { return s->state->KeepRunning(); }
extern "C" void qb_pause_timing(qb_state *s) { s->state->PauseTiming(); }
extern "C" void qb_resume_timing(qb_state *s) { s->state->ResumeTiming(); }

extern "C" void qb_counter_rate(qb_state *s, const char *name, double per_iteration) {
  s->state->counters[name] = benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

extern "C" void qb_counter(qb_state *s, const char *name, double value) {
  s->state->counters[name] = benchmark::Counter(value);
}

extern "C" void qb_fail(qb_state *s, const char *message) {
  any_failed = true;
  s->state->SkipWithError(message);
}

extern "C" void qb_context(const char *key, const char *value) { benchmark::AddCustomContext(key, value); }

extern "C" int qb_run(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return any_failed ? 1 : 0;
}
