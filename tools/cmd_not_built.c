/* `qinfer quantize`, `compare`, `convert`, `sweep` and `eval-verify` in a build without the quantizer (QINFER_WITH_QUANTIZER=OFF): the
 * library has no quantizer, ONNX writer or model comparison, and these commands say so. */
#include <stdio.h>

#include "tools/cli.h"

static int not_built(const char *cmd) {
  return qi_cli_error("'%s' is not part of this build (the library was configured with QINFER_WITH_QUANTIZER=OFF)",
                      cmd);
}

static void usage_not_built(const char *cmd) {
  printf("qinfer %s: not part of this build (configure with -DQINFER_WITH_QUANTIZER=ON)\n", cmd);
}

int qi_cmd_quantize(int argc, char **argv) {
  (void)argc, (void)argv;
  return not_built("quantize");
}
int qi_cmd_compare(int argc, char **argv) {
  (void)argc, (void)argv;
  return not_built("compare");
}
int qi_cmd_convert(int argc, char **argv) {
  (void)argc, (void)argv;
  return not_built("convert");
}
int qi_cmd_sweep(int argc, char **argv) {
  (void)argc, (void)argv;
  return not_built("sweep");
}
void qi_cmd_quantize_usage(void) { usage_not_built("quantize"); }
void qi_cmd_compare_usage(void) { usage_not_built("compare"); }
void qi_cmd_convert_usage(void) { usage_not_built("convert"); }
void qi_cmd_sweep_usage(void) { usage_not_built("sweep"); }
int qi_cmd_eval_verify(int argc, char **argv) {
  (void)argc, (void)argv;
  return not_built("eval-verify");
}
void qi_cmd_eval_verify_usage(void) { usage_not_built("eval-verify"); }
