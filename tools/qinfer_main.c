/* qinfer: command-line front end. Each subcommand lives in its own cmd_<name>.c and is listed here. */
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

typedef struct command {
  const char *name;
  qi_cli_command_fn run;
  void (*usage)(void);
  const char *summary;
  int needs_quantizer; /* absent from a runtime-only build (QINFER_WITH_QUANTIZER=OFF: QI_CLI_WITH_QUANTIZER 0) */
} command;

static const command commands[] = {
    {"info", qi_cmd_info, qi_cmd_info_usage, "show a model's inputs, outputs, ops, parameters and MACs", 0},
    {"run", qi_cmd_run, qi_cmd_run_usage, "run a model on .npy / .pb inputs and write its outputs as .npy", 0},
    {"bench", qi_cmd_bench, qi_cmd_bench_usage, "time session creation and runs: median, min, mean, p90, max", 0},
    {"quantize", qi_cmd_quantize, qi_cmd_quantize_usage, "static INT8 quantization with calibration: writes a QDQ model", 1},
    {"convert", qi_cmd_convert, qi_cmd_convert_usage, "load a model and write it back as ONNX (the writer round trip)", 1},
    {"compare", qi_cmd_compare, qi_cmd_compare_usage, "compare two models' outputs and tensors (FP32 vs INT8): SQNR, cosine", 1},
    {"sweep", qi_cmd_sweep, qi_cmd_sweep_usage, "quantize in every weight x activation precision: SQNR, size, latency", 1},
    {"eval-verify", qi_cmd_eval_verify, qi_cmd_eval_verify_usage, "face verification on image pairs: accuracy, AUC, TAR@FAR", 1},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static const command *find_command(const char *name) {
  for (int i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

static void print_usage(FILE *f) {
  fprintf(f, "usage: qinfer <command> [options]\n\ncommands:\n");
  for (int i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-11s %s%s\n", commands[i].name, commands[i].summary,
            commands[i].needs_quantizer && !QI_CLI_WITH_QUANTIZER ? " [not in this runtime-only build]" : "");
  fprintf(f, "  %-11s %s\n", "help", "show this help, or a command's ('qinfer help run')");
  fprintf(f, "\n  qinfer --version   print the version\n");
}

static int cmd_help(int argc, char **argv) {
  if (argc == 0) {
    print_usage(stdout);
    return QI_EXIT_OK;
  }
  const command *c = find_command(argv[0]);
  if (!c) return qi_cli_usage_error(NULL, "unknown command '%s'", argv[0]);
  c->usage();
  return QI_EXIT_OK;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return QI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (!strcmp(name, "--version") || !strcmp(name, "version")) {
    printf("qinfer %s%s\n", qinfer_version(),
           QI_CLI_WITH_QUANTIZER ? "" : " (runtime-only build: no quantize, convert, compare or sweep)");
    return QI_EXIT_OK;
  }
  if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) return cmd_help(argc - 2, argv + 2);
  const command *c = find_command(name);
  if (!c) return qi_cli_usage_error(NULL, "unknown command '%s'", name);
  return c->run(argc - 2, argv + 2);
}
