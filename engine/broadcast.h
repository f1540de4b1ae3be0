/* ONNX multidirectional broadcasting: output shapes, and an iteration plan that walks an output in runs
 * along its innermost dimension.
 *
 * qi_bcast_init aligns every input to the output's rank (numpy rules), gives each input an element stride
 * per output axis (0 on a broadcast axis), drops output axes of size 1 and merges adjacent axes that every
 * input walks the same way. Same-shape operands collapse to one axis; a per-channel [C,1,1] operand against
 * [N,C,H,W] becomes [N, C, H*W] with the operand repeated along runs of H*W. Along the innermost merged axis
 * each input's stride is 1 (contiguous) or 0 (one value repeated), so kernels need only handle those two.
 *
 * Usage:
 *   qi_bcast_cursor c;
 *   for (qi_bcast_seek(&bc, &c, begin); c.pos < end; qi_bcast_advance(&bc, &c, len)) {
 *     len = qi_bcast_run_len(&bc, &c, end);
 *     ... elements [c.pos, c.pos + len) of the output, input k from c.off[k] with step bc.inc[k] ...
 *   }
 */
#ifndef QI_BROADCAST_H
#define QI_BROADCAST_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/ir/ir.h"

#define QI_BCAST_MAX_IN 3

/* Output shape of broadcasting a with b. On mismatch fails with QINFER_ERR_SHAPE naming both shapes and node n
 * (when not NULL: the node whose inputs they are). */
qi_status qi_broadcast_shape(const qi_node *n, int rank_a, const int64_t *a, int rank_b, const int64_t *b,
                             int *out_rank, int64_t *out, qi_error *err);
/* Same for the shapes of tensors ts[0..n) (n >= 1). */
qi_status qi_broadcast_tensors(const qi_node *node, int n, const qi_tensor *const *ts, int *out_rank,
                               int64_t *out, qi_error *err);
/* Whether shape `from` broadcasts unidirectionally to shape `to` (the result has shape `to`). */
bool qi_broadcastable_to(int rank_from, const int64_t *from, int rank_to, const int64_t *to);

typedef struct qi_bcast {
  int rank; /* merged rank, >= 1 */
  int n_in;
  int64_t numel;
  int64_t dims[QI_MAX_RANK];
  int64_t strides[QI_BCAST_MAX_IN][QI_MAX_RANK]; /* in elements; 0 on broadcast axes */
  int inc[QI_BCAST_MAX_IN];                       /* stride along the innermost axis: 0 or 1 */
} qi_bcast;

typedef struct qi_bcast_cursor {
  int64_t pos; /* linear output index */
  int64_t idx[QI_MAX_RANK];
  int64_t off[QI_BCAST_MAX_IN]; /* element offset of each input at pos */
} qi_bcast_cursor;

/* Plans the walk of an output of shape (out_rank, out_dims) over n_in inputs that broadcast to it. */
void qi_bcast_init(qi_bcast *bc, int out_rank, const int64_t *out_dims, int n_in, const int *ranks,
                   const int64_t *const *dims);
/* Same with the shapes of tensors: output `out`, inputs ins[0..n_in). */
void qi_bcast_init_tensors(qi_bcast *bc, const qi_tensor *out, int n_in, const qi_tensor *const *ins);

void qi_bcast_seek(const qi_bcast *bc, qi_bcast_cursor *c, int64_t pos);

/* Elements left in the current innermost run, capped so the run stops at end. */
static inline int64_t qi_bcast_run_len(const qi_bcast *bc, const qi_bcast_cursor *c, int64_t end) {
  const int64_t len = bc->dims[bc->rank - 1] - c->idx[bc->rank - 1];
  return len < end - c->pos ? len : end - c->pos;
}

void qi_bcast_advance(const qi_bcast *bc, qi_bcast_cursor *c, int64_t len);

/* Copies output elements [begin, end) of a one-input plan from src, broadcasting (elem_size bytes each). */
void qi_bcast_copy(const qi_bcast *bc, size_t elem_size, const void *src, void *dst, int64_t begin, int64_t end);

#endif /* QI_BROADCAST_H */
