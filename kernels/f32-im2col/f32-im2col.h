/* im2col / col2im over CHW planes for convolution through GEMM.
 *
 * The column matrix has one row per (channel c, tap ky, tap kx), row index (c * kernel_h + ky) * kernel_w + kx,
 * and one column per output pixel oy * out_w + ox: col[row][pixel] = input[c][iy][ix] (0 for padding), which
 * is exactly the B operand of the gemm ukernel (K = C*kh*kw rows of N = out_h*out_w floats). */
#ifndef QI_F32_IM2COL_H
#define QI_F32_IM2COL_H

#include "kernels/f32-im2col/window2d.h"
#include "kernels/f32-im2col/windownd.h"

/* Writes col rows [row_begin, row_end) from input (channels x in_h x in_w). */
void qi_f32_im2col_chw__scalar(const qi_window2d *g, size_t row_begin, size_t row_end, const float *input,
                               float *col);

/* The same restricted to the output pixels [pix_begin, pix_end): col rows are pix_end - pix_begin floats. Lets
 * Conv build the column matrix one cache-sized column tile at a time. */
void qi_f32_im2col_tile_chw__scalar(const qi_window2d *g, size_t row_begin, size_t row_end, size_t pix_begin,
                                    size_t pix_end, const float *input, float *col);

/* Transpose: adds col rows of channels [c_begin, c_end) into output (channels x in_h x in_w, i.e. the window's
 * input grid), which the caller has initialised (with the bias). Used by ConvTranspose. */
void qi_f32_col2im_chw__scalar(const qi_window2d *g, size_t c_begin, size_t c_end, const float *col, float *output);

/* The same for any spatial rank: a row per (channel, tap) with the taps row-major over the kernel dims, a
 * column per output point row-major over the output dims. */
void qi_f32_im2col_nd__scalar(const qi_windownd *g, size_t row_begin, size_t row_end, const float *input,
                              float *col);
void qi_f32_col2im_nd__scalar(const qi_windownd *g, size_t c_begin, size_t c_end, const float *col, float *output);

#endif /* QI_F32_IM2COL_H */
