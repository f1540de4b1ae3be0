/* tools/cli_image.h in a build without the quantizer (QINFER_WITH_QUANTIZER=OFF): the image decoders and the
 * preprocessing are the quantizer's, so there are no image options and image inputs are refused. */
#include <stdio.h>
#include <string.h>

#include "tools/cli_image.h"

const char qi_cli_image_usage[] = "  (no image options: this qinfer was built without the quantizer)\n";

int qi_cli_image_arg(qi_cli_image_args *a, int argc, char **argv, int *i, char *err, size_t errlen) {
  (void)a, (void)argc, (void)argv, (void)i, (void)err, (void)errlen;
  return 0;
}

int qi_cli_image_init(qi_cli_image_args *a, char *err, size_t errlen) {
  (void)err, (void)errlen;
  memset(a, 0, sizeof *a);
  return 0;
}

void qi_cli_image_free(qi_cli_image_args *a) { memset(a, 0, sizeof *a); }

int qi_cli_image_read(qi_cli_image_args *a, const char *path, const qinfer_tensor_info *info, qi_host_tensor *t,
                      char *err, size_t errlen) {
  (void)a, (void)info;
  memset(t, 0, sizeof *t);
  snprintf(err, errlen, "%s: image inputs need the image decoders, which this qinfer was built without "
                        "(QINFER_WITH_QUANTIZER=OFF): give the preprocessed tensor as .npy", path);
  return -1;
}
