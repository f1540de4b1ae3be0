/* im2col / col2im over CHW planes for convolution through GEMM.
 *
 * The column matrix has one row per (channel c, tap ky, tap kx), row index (c * kernel_h + ky) * kernel_w + kx,
 * and one column per output pixel oy * out_w + ox: col[row][pixel] = input[c][iy][ix] (0 for padding), which
 * is exactly the B operand of the gemm ukernel (K = C*kh*kw rows of N = out_h*out_w floats). */
#ifndef QI_F32_IM2COL_H
#define QI_F32_IM2COL_H

#include "kernels/f32-im2col/window2d.h"
#include "kernels/f32-im2col/windownd.h"
#include "kernels/ukernel.h"

/* Writes col rows [row_begin, row_end) from input (channels x in_h x in_w). */
#define QI_F32_IM2COL_DECL(fn) \
  void fn(const qi_window2d *g, size_t row_begin, size_t row_end, const float *input, float *col)
/* The same restricted to the output pixels [pix_begin, pix_end), in column blocks of `block` pixels: pixel p
 * of row `row` goes to col[(q / block) * rows * block + row * block + q % block], q = p - pix_begin, where rows
 * is the column matrix's row count (block = pix_end - pix_begin: the plain layout; a wider block: one block
 * whose rows are `block` floats apart).
 * Lets Conv build the column matrix one cache-sized column tile at a time, each block of NR pixels K rows of
 * NR contiguous floats, so the gemm ukernel reads it as rows of b_stride NR, one cache line a row. The last
 * block's floats past pix_end are not written. */
#define QI_F32_IM2COL_TILE_DECL(fn)                                                                             \
  void fn(const qi_window2d *g, size_t row_begin, size_t row_end, size_t pix_begin, size_t pix_end,             \
          size_t block, size_t rows, const float *input, float *col)
/* Transpose: adds col rows of channels [c_begin, c_end) into output (channels x in_h x in_w, i.e. the window's
 * input grid), which the caller has initialised (with the bias). Used by ConvTranspose. */
#define QI_F32_COL2IM_DECL(fn) \
  void fn(const qi_window2d *g, size_t c_begin, size_t c_end, const float *col, float *output)
/* The same for any spatial rank: a row per (channel, tap) with the taps row-major over the kernel dims, a
 * column per output point row-major over the output dims. */
#define QI_F32_IM2COL_ND_DECL(fn) \
  void fn(const qi_windownd *g, size_t row_begin, size_t row_end, const float *input, float *col)
#define QI_F32_COL2IM_ND_DECL(fn) \
  void fn(const qi_windownd *g, size_t c_begin, size_t c_end, const float *col, float *output)
typedef QI_F32_IM2COL_DECL((*qi_f32_im2col_fn));
typedef QI_F32_IM2COL_TILE_DECL((*qi_f32_im2col_tile_fn));
typedef QI_F32_COL2IM_DECL((*qi_f32_col2im_fn));
typedef QI_F32_IM2COL_ND_DECL((*qi_f32_im2col_nd_fn));
typedef QI_F32_COL2IM_ND_DECL((*qi_f32_col2im_nd_fn));

QI_F32_IM2COL_DECL(qi_f32_im2col_chw__scalar);
QI_F32_IM2COL_TILE_DECL(qi_f32_im2col_tile_chw__scalar);
QI_F32_COL2IM_DECL(qi_f32_col2im_chw__scalar);
QI_F32_IM2COL_ND_DECL(qi_f32_im2col_nd__scalar);
QI_F32_COL2IM_ND_DECL(qi_f32_col2im_nd__scalar);

typedef struct qi_f32_im2col_config {
  qi_f32_im2col_fn im2col;
  const char *name_im2col;
  qi_f32_im2col_tile_fn im2col_tile;
  const char *name_im2col_tile;
  qi_f32_col2im_fn col2im;
  const char *name_col2im;
  qi_f32_im2col_nd_fn im2col_nd;
  const char *name_im2col_nd;
  qi_f32_col2im_nd_fn col2im_nd;
  const char *name_col2im_nd;
  uint32_t features; /* QI_CPU_* bits the kernels need */
} qi_f32_im2col_config;
QI_KERNEL_PAIR(qi_f32_im2col_config, im2col, name_im2col);
QI_KERNEL_PAIR(qi_f32_im2col_config, im2col_tile, name_im2col_tile);
QI_KERNEL_PAIR(qi_f32_im2col_config, col2im, name_col2im);
QI_KERNEL_PAIR(qi_f32_im2col_config, im2col_nd, name_im2col_nd);
QI_KERNEL_PAIR(qi_f32_im2col_config, col2im_nd, name_col2im_nd);

/* Never NULL; paths without kernels of their own fall back (today every path gets the scalar ones). */
const qi_f32_im2col_config *qi_f32_im2col_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_f32_im2col_config *const *qi_f32_im2col_config_list(size_t *count);

#endif /* QI_F32_IM2COL_H */
