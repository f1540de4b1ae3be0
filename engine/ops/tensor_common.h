/* Shared helpers of the tensor / shape op family (engine/ops/tensor_*.c): error messages that name the node,
 * axis normalisation, reading constant shape-like inputs, and the strided byte copy most layout ops reduce to.
 * These ops are dtype-generic: they move elements of 1, 2, 4 or 8 bytes without looking at them. */
#ifndef QI_TENSOR_COMMON_H
#define QI_TENSOR_COMMON_H

#include <stdint.h>

#include "engine/op.h"

/* Checks the node has between min_in and max_in input slots and at least min_out outputs, that required
 * inputs (the first min_in) are present and shaped, and that output 0 exists. */
qi_status qi_tops_check_arity(qi_graph *g, const qi_node *n, int min_in, int max_in, int min_out,
                              qi_error *err);

/* Element size of dtype; fails (UNSUPPORTED) for strings and unknown types. */
qi_status qi_tops_elem_size(const qi_node *n, int dtype, size_t *size, qi_error *err);

/* Normalises axis into [0, rank) (accepting [-rank, rank)); fails with INVALID_MODEL naming what. */
qi_status qi_tops_axis(const qi_node *n, int64_t axis, int rank, const char *what, int *out, qi_error *err);

/* Sets output t's dtype and shape after checking the element count and byte size cannot overflow. */
qi_status qi_tops_set_output(const qi_node *n, qi_tensor *t, int dtype, int rank, const int64_t *dims,
                             qi_error *err);

/* Fails with UNSUPPORTED unless t is a constant with data ("input '<what>' must be constant"). */
qi_status qi_tops_require_const(const qi_node *n, const qi_tensor *t, const char *what, qi_error *err);

/* Reads a constant integer tensor (int32 or int64, rank 0 or 1) of at most cap values into vals as int64.
 * Fails if it is not constant, has another dtype or rank, or holds more than cap values. */
qi_status qi_tops_const_ints(const qi_node *n, const qi_tensor *t, const char *what, int64_t *vals, int cap,
                             int *count, qi_error *err);
/* Same for a constant float / double / float16 tensor, read as double. */
qi_status qi_tops_const_floats(const qi_node *n, const qi_tensor *t, const char *what, double *vals, int cap,
                               int *count, qi_error *err);

/* Element i of an integer tensor (int8..uint64, bool) as int64; the caller checks dtype and bounds. */
int64_t qi_tops_int_at(const void *data, int dtype, int64_t i);
/* Element i of a float / double / float16 tensor as double. */
double qi_tops_float_at(const void *data, int dtype, int64_t i);
bool qi_tops_is_int_dtype(int dtype);

/* IEEE half <-> single conversion (round to nearest even). */
float qi_tops_f16_to_f32(uint16_t h);
uint16_t qi_tops_f32_to_f16(float f);

/* Whether attribute `name` is present on the node. */
static inline bool qi_tops_has_attr(const qi_node *n, const char *name) { return qi_node_attr(n, name) != NULL; }

/* Copies the bytes of src to dst unless they are the same buffer (ops that only change the shape). */
void qi_tops_copy_bytes(void *dst, const void *src, size_t nbytes);

/* An N-d strided copy whose destination is written in order: for each index of the outer loop nest (dims,
 * outermost first, byte strides on both sides) it copies a run of inner_n elements of elem bytes read from
 * the source every inner_src_stride bytes and written contiguously. A run with inner_src_stride == elem is one
 * memcpy. Strides may be negative (Slice with negative steps). */
typedef struct qi_strided_copy {
  int rank;
  int64_t dims[QI_MAX_RANK];
  int64_t src_stride[QI_MAX_RANK];
  int64_t dst_stride[QI_MAX_RANK];
  int64_t inner_n;
  int64_t inner_src_stride;
  size_t elem;
} qi_strided_copy;

/* Merges adjacent outer dims whose strides chain on both sides, and drops dims of size 1. */
void qi_strided_copy_simplify(qi_strided_copy *c);
/* Runs the copy, split over the pool when it is large. */
void qi_strided_copy_run(const qi_strided_copy *c, void *dst, const void *src, qi_threadpool *pool);

/* Row-major element strides of a shape. */
void qi_tops_strides(int rank, const int64_t *dims, int64_t *strides);

/* Transposes src (rank, dims) into dst with output axis i taken from input axis perm[i]. perm must be a
 * valid permutation. Dims are coalesced first; inner runs that stay contiguous are copied with memcpy and
 * the rest with cache-blocked 2-D tiles. */
void qi_tops_transpose(void *dst, const void *src, int rank, const int64_t *dims, const int *perm, size_t elem,
                       qi_threadpool *pool);

static inline qi_threadpool *qi_tops_pool(const qi_exec_ctx *ctx) { return ctx ? ctx->pool : NULL; }

/* Declarations of the family's entry points, defined in the tensor_*.c files and listed in tensor_table.c. */
#define QI_TOPS_DECL(name)                                                                    \
  qi_status qi_tops_##name##_infer(qi_graph *g, qi_node *n, qi_error *err);                  \
  qi_status qi_tops_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err)

QI_TOPS_DECL(reshape);
QI_TOPS_DECL(flatten);
QI_TOPS_DECL(squeeze);
QI_TOPS_DECL(unsqueeze);
QI_TOPS_DECL(identity);
QI_TOPS_DECL(dropout);
QI_TOPS_DECL(transpose);
QI_TOPS_DECL(depth_to_space);
QI_TOPS_DECL(space_to_depth);
QI_TOPS_DECL(concat);
QI_TOPS_DECL(split);
QI_TOPS_DECL(slice);
QI_TOPS_DECL(gather);
QI_TOPS_DECL(gather_elements);
QI_TOPS_DECL(shape);
QI_TOPS_DECL(size);
QI_TOPS_DECL(constant);
QI_TOPS_DECL(constant_of_shape);
QI_TOPS_DECL(range);
QI_TOPS_DECL(nonzero);
QI_TOPS_DECL(cast);
QI_TOPS_DECL(cast_like);
QI_TOPS_DECL(pad);
QI_TOPS_DECL(resize);
QI_TOPS_DECL(tile);
QI_TOPS_DECL(trilu);
qi_status qi_tops_pad_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
void qi_tops_pad_release(qi_node_rt *rt);
qi_status qi_tops_resize_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
void qi_tops_resize_release(qi_node_rt *rt);

#endif /* QI_TENSOR_COMMON_H */
