/* The `qinfer` command-line tool: one file per subcommand (cmd_<name>.c), shared helpers in cli_util.c.
 * Exit codes: 0 success, 1 a failure while doing the work, 2 a usage error. */
#ifndef QI_TOOLS_CLI_H
#define QI_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qinfer.h"

/* QI_EXIT_TARGET_MISSED: `qinfer quantize --target-sqnr` wrote its model but the output SQNR is below the target
 * (unless --allow-miss). */
enum { QI_EXIT_OK = 0, QI_EXIT_FAILURE = 1, QI_EXIT_USAGE = 2, QI_EXIT_TARGET_MISSED = 3 };

/* A subcommand receives argv starting after its name. */
typedef int (*qi_cli_command_fn)(int argc, char **argv);

/* The subcommands (tools/cmd_<name>.c) and their usage texts. */
int qi_cmd_info(int argc, char **argv);
int qi_cmd_run(int argc, char **argv);
int qi_cmd_bench(int argc, char **argv);
int qi_cmd_quantize(int argc, char **argv);
int qi_cmd_convert(int argc, char **argv);
int qi_cmd_compare(int argc, char **argv);
int qi_cmd_sweep(int argc, char **argv);
int qi_cmd_eval_verify(int argc, char **argv);
void qi_cmd_info_usage(void);
void qi_cmd_run_usage(void);
void qi_cmd_bench_usage(void);
void qi_cmd_quantize_usage(void);
void qi_cmd_convert_usage(void);
void qi_cmd_compare_usage(void);
void qi_cmd_sweep_usage(void);
void qi_cmd_eval_verify_usage(void);

/* ---- cli_util.c ---- */

/* "qinfer: error: <message>" on stderr; returns QI_EXIT_FAILURE. */
int qi_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "qinfer: <what>: <message>" followed by "Try 'qinfer help <cmd>'"; returns QI_EXIT_USAGE. */
int qi_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports a failed API call: "qinfer: error: <what>: <STATUS>: <detail>"; returns QI_EXIT_FAILURE. */
int qi_cli_api_error(const char *what, qinfer_status status, const char *detail);

/* Matches "--name VALUE" or "--name=VALUE" at argv[*i]; on a match sets *value, advances *i past the
 * value and returns 1; returns -1 when the value is missing, 0 when argv[*i] is another argument. */
int qi_cli_option(int argc, char **argv, int *i, const char *name, const char **value);
/* A command's argument that no option matched: an unknown option (reported), else the model path, which sets
 * *model (a second one is reported). Returns an exit code. */
int qi_cli_model_arg(const char *cmd, const char *arg, const char **model);
/* Parses a whole decimal integer in [min, max]. */
bool qi_cli_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out);
/* Splits "KEY=VALUE" at the first '='; key is copied into key_buf (cap bytes). False if malformed. */
bool qi_cli_split_assignment(const char *text, char *key_buf, size_t cap, const char **value);

/* "[batch,3,224,224]", symbolic names where known, "?" for unknown dims. */
const char *qi_cli_shape_str(const qinfer_tensor_info *info, char *buf, size_t size);
const char *qi_cli_dims_str(int rank, const int64_t *dims, char *buf, size_t size);
/* Creates dir and its missing parents (mkdir -p). */
bool qi_cli_make_dirs(const char *dir);
/* The monotonic clock in milliseconds. */
double qi_cli_now_ms(void);

#endif /* QI_TOOLS_CLI_H */
