/* Image files for model inputs: PNG and JPEG decoded by our own code (no external library) into 8-bit RGB.
 *
 * PNG: every color type and bit depth, Adam7, all filters, CRCs checked; 16-bit samples keep their high
 * byte, 1/2/4-bit gray is scaled to 0..255 (v * 255 / (2^depth - 1)), palette entries are looked up,
 * alpha (and tRNS) is dropped. JPEG: baseline and extended sequential Huffman (SOF0/SOF1) and progressive
 * (SOF2), 8-bit, 1 or 3 components, any integral sampling factors, restart intervals; see jpeg.c for the
 * IDCT, upsampling and color conversion, which follow libjpeg's defaults (PIL's decoder) closely.
 *
 * Every function returns 0 on success and -1 on failure with a one-line message in err (errlen bytes;
 * err may be NULL). A malformed file is always an error, never a crash or an out-of-bounds access. */
#ifndef QI_QUANT_IMAGE_IMAGE_H
#define QI_QUANT_IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Limits on a decoded image; larger ones are refused before anything is allocated for them. */
#define QI_IMAGE_MAX_SIDE 16384
#define QI_IMAGE_MAX_PIXELS (1 << 28)

typedef struct qi_image {
  int width, height;
  uint8_t *rgb; /* height rows of width RGB triples, malloc'ed; NULL when empty */
} qi_image;

/* Reads and decodes the file at path (PNG or JPEG, chosen by the signature, not the name). Messages are
 * prefixed with the path and the format: "cat.png: PNG: CRC mismatch in chunk IDAT". */
int qi_image_load(const char *path, qi_image *img, char *err, size_t errlen);
/* Decodes an image held in memory. */
int qi_image_decode(const void *data, size_t size, qi_image *img, char *err, size_t errlen);
void qi_image_free(qi_image *img);
/* Whether a file name ends in .png, .jpg or .jpeg (any case): for picking the images out of a folder. */
int qi_image_has_image_extension(const char *path);

/* The format decoders behind qi_image_decode. */
int qi_png_decode(const uint8_t *data, size_t size, qi_image *img, char *err, size_t errlen);
int qi_jpeg_decode(const uint8_t *data, size_t size, qi_image *img, char *err, size_t errlen);

/* Shared by the decoders: formats a message into err and returns -1. */
int qi_image_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Checks width x height against the limits above (and that both are >= 1). */
int qi_image_check_size(uint64_t width, uint64_t height, char *err, size_t errlen);

#endif /* QI_QUANT_IMAGE_IMAGE_H */
