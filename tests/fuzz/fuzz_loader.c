/* libFuzzer target: the bytes are an ONNX model, loaded from a buffer and inspected (inputs, outputs, their
 * shapes and names), never run. Much faster per input than fuzz_model.c, so it reaches deeper into the
 * protobuf decoder, the graph builder and the external-data checks. External data resolves against a folder
 * made once, holding a small "weights.bin", a sub-folder and a link that leaves it, so a mutated location,
 * offset or length meets a real file. Built with -DQINFER_BUILD_FUZZ=ON and clang (tools/fuzz.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qinfer.h"

static char dir[64];

static void remove_data_dir(void) {
  static const char *const entries[] = {"sub/escape", "sub", "weights.bin", ""};
  char path[128];
  for (size_t i = 0; i < sizeof entries / sizeof *entries; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, entries[i]);
    remove(path);
  }
}

/* The folder external data resolves against; NULL when it could not be made (external data is then refused). */
static const char *data_dir(void) {
  static int made = -1;
  if (made < 0) {
    made = 0;
    strcpy(dir, "/tmp/qinfer-fuzz-XXXXXX");
    if (mkdtemp(dir)) {
      char path[128];
      snprintf(path, sizeof path, "%s/weights.bin", dir);
      FILE *f = fopen(path, "wb");
      if (f) {
        for (int i = 0; i < 4096; i++) fputc(i * 37 & 0xff, f);
        fclose(f);
      }
      snprintf(path, sizeof path, "%s/sub", dir);
      mkdir(path, 0700);
      snprintf(path, sizeof path, "%s/sub/escape", dir);
      if (symlink("/etc/hostname", path) != 0) { /* the link is optional */
      }
      made = 1;
      atexit(remove_data_dir);
    }
  }
  return made ? dir : NULL;
}

static void inspect(const qinfer_tensor_info *info) {
  volatile size_t sink = strlen(info->name) + (size_t)info->rank;
  for (int d = 0; d < info->rank; d++)
    sink += (size_t)info->dims[d] + (info->dim_names[d] ? strlen(info->dim_names[d]) : 0);
  (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qinfer_model *model = NULL;
  if (qinfer_model_load_buffer(data, size, data_dir(), &model) != QINFER_OK) return 0;
  qinfer_tensor_info info;
  for (size_t i = 0; i < qinfer_model_input_count(model); i++)
    if (qinfer_model_input_info(model, i, &info) == QINFER_OK) inspect(&info);
  for (size_t i = 0; i < qinfer_model_output_count(model); i++)
    if (qinfer_model_output_info(model, i, &info) == QINFER_OK) inspect(&info);
  qinfer_model_destroy(model);
  return 0;
}
