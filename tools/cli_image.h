/* The image preprocessing options of `qinfer quantize` (--size, --resize, --crop-fraction, --mean, --std, --scale,
 * --bgr / --rgb, --layout, --preset), parsed into include/qinfer_quant.h's image setters. Public API only (the
 * image test driver tests/image/image_tool.c uses it too). */
#ifndef QI_TOOLS_CLI_IMAGE_H
#define QI_TOOLS_CLI_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "qinfer_quant.h"

/* The options, for a command's help text (one per line, indented by two spaces). */
extern const char qi_cli_image_usage[];

typedef struct qi_cli_image_args {
  qinfer_quant_options *options;
  bool std_given; /* --std or --scale seen: a second one is an error */
} qi_cli_image_args;

/* Matches an image option at argv[*i] ("--name VALUE" or "--name=VALUE"). Returns 0 when argv[*i] is none of
 * them, 1 when it was applied (*i then points at its last word), -1 on a bad or missing value (message in err).
 * An option overrides the preset's value whatever their order. */
int qi_cli_image_arg(qi_cli_image_args *a, int argc, char **argv, int *i, char *err, size_t errlen);

#endif /* QI_TOOLS_CLI_IMAGE_H */
