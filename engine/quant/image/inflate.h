/* zlib / DEFLATE decoding (RFC 1950 / RFC 1951) into a caller-sized buffer, for the PNG reader.
 *
 * Every block type is decoded (stored, fixed and dynamic Huffman). Output is bounded: a stream that would
 * write more than dst_cap bytes is an error, never a reallocation. Malformed input (truncation, bad block
 * type, over-subscribed or incomplete code sets, a distance before the start of the output, a wrong Adler-32)
 * returns a message and leaves dst partly written. */
#ifndef QI_QUANT_IMAGE_INFLATE_H
#define QI_QUANT_IMAGE_INFLATE_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the raw DEFLATE stream at src into dst. *out_len gets the bytes written, *in_used (may be NULL) the
 * bytes of src read through the final block. Returns NULL on success, else a static error message. */
const char *qi_inflate(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap, size_t *out_len,
                       size_t *in_used);

/* Decodes a zlib stream: 2-byte header (method 8, window <= 32K, no preset dictionary, check bits), DEFLATE
 * data, then the big-endian Adler-32 of the output, which must match. Bytes after it are ignored. */
const char *qi_zlib_decode(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap, size_t *out_len);

/* Running Adler-32 (start with 1). */
uint32_t qi_adler32(uint32_t adler, const uint8_t *p, size_t n);

#endif /* QI_QUANT_IMAGE_INFLATE_H */
