/* qinfer convert MODEL -o OUTPUT [--opset 13]: loads a model into qinfer's graph and writes it back with the ONNX
 * writer (engine/quant/writer/onnx_writer.c), changing nothing (the round trip the quantizer's output goes through)
 * or, with --opset 13, upgraded by the version converter the quantizer's output goes through
 * (engine/quant/writer/opset_upgrade.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "engine/quant/writer/onnx_writer.h"
#include "engine/quant/writer/opset_upgrade.h"
#include "loader/onnx_loader.h"
#include "tools/cli.h"

void qi_cmd_convert_usage(void) {
  printf(
      "usage: qinfer convert MODEL -o OUTPUT [--opset 13]\n\n"
      "Loads MODEL as qinfer reads it and writes it back to OUTPUT as one self-contained ONNX file, with no\n"
      "graph pass run: the same nodes (in execution order) and attributes, initializers as raw little-endian\n"
      "data (external data inlined, Constant nodes turned into initializers, constants no node reads left out),\n"
      "graph inputs and outputs with their types and symbolic shapes, the model's opset imports, producer\n"
      "'qinfer'. OUTPUT is written atomically (a temporary file in its folder, then renamed) and may be MODEL.\n"
      "Models with graph attributes (If, Loop, Scan) or over 2 GiB cannot be written.\n\n"
      "With --opset 13, a model below opset 13 is written at opset 13, each op in its opset-13 form (the\n"
      "conversion `qinfer quantize` applies to its output); an op that cannot be converted is named and\n"
      "nothing is written. A model at 13 or above is written as it is.\n\n"
      "  -o, --output FILE   the ONNX file to write\n"
      "  --opset 13          upgrade the default-domain opset to 13 (the only target)\n");
}

/* Maps and loads path; the graph takes the mapping (its weights point into it). */
static int load_model(const char *path, qi_graph **out) {
  qi_error err = {0};
  void *addr;
  size_t len;
  qi_status s = qi_map_file(path, &addr, &len, &err);
  if (s != QINFER_OK) return qi_cli_api_error("cannot read model", s, err.msg);
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
  if (!dir) {
    munmap(addr, len);
    return qi_cli_error("out of memory");
  }
  s = qi_onnx_load(addr, len, dir, out, &err);
  free(dir);
  if (s == QINFER_OK && (s = qi_graph_add_mapping(*out, addr, len, &err)) != QINFER_OK) {
    qi_graph_free(*out);
    *out = NULL;
  }
  if (s != QINFER_OK) {
    munmap(addr, len);
    return qi_cli_api_error("cannot load model", s, err.msg);
  }
  return QI_EXIT_OK;
}

int qi_cmd_convert(int argc, char **argv) {
  const char *model = NULL, *output = NULL, *opset = NULL;
  for (int i = 0; i < argc; i++) {
    const char *value;
    int m;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      qi_cmd_convert_usage();
      return QI_EXIT_OK;
    }
    if ((m = qi_cli_option(argc, argv, &i, "--output", &value)) != 0 ||
        (m = qi_cli_option(argc, argv, &i, "-o", &value)) != 0) {
      if (m < 0) return qi_cli_usage_error("convert", "%s needs a file name", argv[i]);
      output = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--opset", &value)) != 0) {
      if (m < 0) return qi_cli_usage_error("convert", "--opset needs a version");
      opset = value;
    } else if ((m = qi_cli_model_arg("convert", argv[i], &model)) != QI_EXIT_OK) {
      return m;
    }
  }
  if (!model) return qi_cli_usage_error("convert", "no model given");
  if (!output || !output[0]) return qi_cli_usage_error("convert", "no output file given (-o FILE)");
  if (opset && strcmp(opset, "13") != 0)
    return qi_cli_usage_error("convert", "--opset %s: the converter writes opset 13 only", opset);

  qi_graph *g = NULL;
  int rc = load_model(model, &g);
  if (rc != QI_EXIT_OK) return rc;
  qi_error err = {0};
  qi_status s = opset ? qi_opset_upgrade(g, NULL, &err) : QINFER_OK;
  if (s != QINFER_OK) {
    qi_graph_free(g);
    return qi_cli_api_error("cannot convert model to opset 13", s, err.msg);
  }
  int live = 0;
  for (int i = 0; i < g->n_nodes; i++) live += !g->nodes[i].dead;
  s = qi_onnx_write_file(g, output, &err);
  qi_graph_free(g);
  if (s != QINFER_OK) return qi_cli_api_error("cannot write model", s, err.msg);
  struct stat st;
  long long bytes = stat(output, &st) == 0 ? (long long)st.st_size : -1;
  printf("%s -> %s (%d nodes, %lld bytes)\n", model, output, live, bytes);
  return QI_EXIT_OK;
}
