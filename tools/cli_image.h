/* The image preprocessing options (--size, --resize, --crop-fraction, --mean, --std, --scale, --bgr / --rgb,
 * --layout, --preset), parsed into include/qinfer_quant.h's image setters: the one parser of `qinfer quantize`
 * and `sweep` (calibration images) and of `qinfer run`, `compare` and `bench` (image inputs, through
 * tools/cli_inputs.c), which read images with it too. Public API only (the image test driver
 * tests/image/image_tool.c uses it too). A build without the quantizer compiles tools/cli_image_none.c instead:
 * no image options, image inputs refused with a message. */
#ifndef QI_TOOLS_CLI_IMAGE_H
#define QI_TOOLS_CLI_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/quant/io/host_tensor.h"
#include "qinfer_quant.h"

/* The options, for a command's help text (one per line, indented by two spaces). */
extern const char qi_cli_image_usage[];

typedef struct qi_cli_image_args {
  qinfer_quant_options *options;
  bool std_given; /* --std or --scale seen: a second one is an error */
  bool owned;     /* options made by qi_cli_image_init (destroyed by qi_cli_image_free) */
} qi_cli_image_args;

/* For a command with no quantizer options of its own: options that hold only the image settings. Returns 0, or
 * -1 with a message in err. */
int qi_cli_image_init(qi_cli_image_args *a, char *err, size_t errlen);
void qi_cli_image_free(qi_cli_image_args *a);

/* Reads the image at path as model input `info` (qinfer_model_input_info) with the options' preprocessing into
 * t: a float tensor allocated here (qi_host_tensor_free). Returns 0, or -1 with a message in err. */
int qi_cli_image_read(qi_cli_image_args *a, const char *path, const qinfer_tensor_info *info, qi_host_tensor *t,
                      char *err, size_t errlen);

/* Matches an image option at argv[*i] ("--name VALUE" or "--name=VALUE"). Returns 0 when argv[*i] is none of
 * them, 1 when it was applied (*i then points at its last word), -1 on a bad or missing value (message in err).
 * An option overrides the preset's value whatever their order. */
int qi_cli_image_arg(qi_cli_image_args *a, int argc, char **argv, int *i, char *err, size_t errlen);

#endif /* QI_TOOLS_CLI_IMAGE_H */
