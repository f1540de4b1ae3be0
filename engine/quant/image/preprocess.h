/* Turning an image into a model's float input: resize, normalize, channel order and layout.
 *
 * Conventions (docs/cli.md, "Image inputs and preprocessing"):
 * - resize: bilinear with half-pixel centers and no antialiasing, as cv2.INTER_LINEAR and PyTorch's
 *   interpolate(mode="bilinear", align_corners=False): output pixel x samples the input at
 *   sx = (x + 0.5) * in / out - 0.5, clamped below at 0; the two neighbours floor(sx) and floor(sx) + 1
 *   (clamped to the last pixel) are mixed linearly, rows and columns alike; results are not rounded.
 *   "stretch" resizes straight to H x W; "shorter-crop" scales both sides by
 *   s = max(H / h, W / w) / crop_fraction to round(h * s) x round(w * s) (at least H x W), then keeps the
 *   centered H x W window (offsets floored), like torchvision's Resize + CenterCrop.
 * - values: (pixel - mean[c]) / std[c] on 0..255 pixels, c counting the channels in the order the model gets
 *   them (B, G, R with --bgr).
 * - layout: NCHW [1,3,H,W] or NHWC [1,H,W,3]; by default taken from the model input (the dimension of size 3).
 */
#ifndef QI_QUANT_IMAGE_PREPROCESS_H
#define QI_QUANT_IMAGE_PREPROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/quant/image/image.h"

typedef enum qi_resize_mode { QI_RESIZE_STRETCH, QI_RESIZE_SHORTER_CROP } qi_resize_mode;
typedef enum qi_layout { QI_LAYOUT_AUTO, QI_LAYOUT_NCHW, QI_LAYOUT_NHWC } qi_layout;

typedef struct qi_preprocess {
  int height, width; /* 0: the model input's fixed size */
  qi_resize_mode resize;
  float crop_fraction; /* shorter-crop: the crop's share of the resized shorter side, (0, 1] */
  double mean[3], std[3];
  int bgr; /* channels in B, G, R order */
  qi_layout layout;
  unsigned explicit_set; /* fields given by a setter, which a preset leaves alone (internal) */
} qi_preprocess;

/* Defaults: size from the model, stretch, crop fraction 1, mean 0, std 1 (raw 0..255 values), RGB, layout
 * from the model. */
void qi_preprocess_init(qi_preprocess *p);

/* Setters (include/qinfer_quant.h's image options, values already checked): each marks its field as given
 * explicitly, which a preset then leaves alone whatever the order. */
void qi_preprocess_set_size(qi_preprocess *p, int height, int width);
void qi_preprocess_set_resize(qi_preprocess *p, qi_resize_mode resize);
void qi_preprocess_set_crop_fraction(qi_preprocess *p, double fraction);
void qi_preprocess_set_mean(qi_preprocess *p, const double mean[3]);
void qi_preprocess_set_std(qi_preprocess *p, const double std[3]);
void qi_preprocess_set_bgr(qi_preprocess *p, bool bgr);
void qi_preprocess_set_layout(qi_preprocess *p, qi_layout layout);
/* Applies preset imagenet, facenet, arcface or adaface to the fields not given explicitly; false for another name. */
bool qi_preprocess_apply_preset(qi_preprocess *p, const char *name);

/* Resolves the tensor shape for a model input of rank model_rank and dims model_dims (negative = symbolic or
 * unknown): rank 4, batch 1 unless fixed, channels 3 in the chosen or detected layout, H and W from --size, else
 * the model's fixed ones; a symbolic H or W (no --size) comes from the image (image_h x image_w; 0, 0 when not
 * known: an error): its own side when both are symbolic, else scaled to keep the image's aspect ratio at the
 * fixed other side, rounded up. A mismatch is an error. dims gets the shape, *layout the layout. */
int qi_preprocess_shape(const qi_preprocess *p, int model_rank, const int64_t *model_dims, int image_h, int image_w,
                        int64_t dims[4], qi_layout *layout, char *err, size_t errlen);

/* Writes one image as 3 x H x W floats (NCHW) or H x W x 3 (NHWC) into out. */
int qi_preprocess_image(const qi_preprocess *p, const qi_image *img, int height, int width, qi_layout layout,
                        float *out, char *err, size_t errlen);

/* qi_image_load + qi_preprocess_image: one image file into out (3 x height x width floats). */
int qi_preprocess_file(const qi_preprocess *p, const char *path, int height, int width, qi_layout layout, float *out,
                       char *err, size_t errlen);

#endif /* QI_QUANT_IMAGE_PREPROCESS_H */
