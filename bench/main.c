/* qinfer_microbench: every kernel family x every config of its qi_<family>_config_list() this CPU can run, at
 * cache-resident sizes and at layer shapes of the zoo (bench/shapes.h), on Google Benchmark through the C
 * interface of bench/qbench.h. Configs the CPU cannot run are listed as "skipped.<kernel>" in the context, next
 * to the peak probe's results (bench/peak.h). Options: Google Benchmark's (--benchmark_filter=REGEX,
 * --benchmark_min_time=SECONDS, --benchmark_format=json, ...). bench/README.md has the details. */
#include <stdio.h>
#include <string.h>

#include "bench/common.h"
#include "kernels/isa.h"

static void cpu_context(void) {
  char features[160] = "";
  const uint32_t have = qi_cpu_features();
  for (unsigned b = 0; b < QI_CPU_FEATURE_COUNT; b++)
    if (have & (1u << b)) {
      const size_t len = strlen(features);
      snprintf(features + len, sizeof features - len, "%s%s", len ? ", " : "", qi_cpu_feature_name(1u << b));
    }
  qb_context("qinfer.cpu_features", features[0] ? features : "none (scalar only)");
  qb_context("qinfer.best_isa", qi_isa_name(qi_isa_best()));
}

int main(int argc, char **argv) {
  cpu_context();
  qb_peak_measure();
  qb_register_f32_gemm();
  qb_register_f32_gemm_qb4w();
  qb_register_f32_conv();
  qb_register_f32_elementwise();
  qb_register_f32_rows();
  qb_register_f32_pool();
  qb_register_f32_attention();
  qb_register_qu8_gemm();
  qb_register_qu8_gemm_qb4w();
  qb_register_qu8_conv();
  qb_register_qu8_elementwise();
  qb_register_qu8_pool();
  qb_register_qs16_gemm();
  qb_register_qd8_f32_qb4w_gemm();
  return qb_run(argc, argv);
}
