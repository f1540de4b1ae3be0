/* Memory planner: one arena for every activation and scratch buffer of a session.
 *
 * Each buffer lives over an interval of execution steps [first, last]: a node output from its producer's
 * step to its last reader's step (graph outputs to the end), a node's scratch during that node's step.
 * Buffers are placed largest first at the lowest 64-byte-aligned offset that does not overlap any placed
 * buffer whose interval intersects its own (greedy by size, as TFLite's arena planner does). */
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"

#define QI_ARENA_ALIGN 64

typedef struct buffer {
  int first, last;
  size_t size;
  int64_t offset;
  int tensor; /* tensor index, or -1 - node index for a scratch buffer */
} buffer;

static int by_size_desc(const void *a, const void *b) {
  const buffer *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->first - y->first;
}

static int by_offset(const void *a, const void *b) {
  const buffer *const *x = a, *const *y = b;
  return (*x)->offset < (*y)->offset ? -1 : (*x)->offset > (*y)->offset;
}

static bool tensor_in_arena(const qi_tensor *t) { return !(t->flags & (QI_TF_CONST | QI_TF_INPUT)); }

qi_status qi_plan_arena(qi_graph *g, bool keep_all, size_t *arena_bytes, qi_error *err) {
  buffer *bufs = malloc(sizeof(buffer) * ((size_t)g->n_tensors + (size_t)g->n_nodes + 1));
  const buffer **placed = malloc(sizeof(buffer *) * ((size_t)g->n_tensors + (size_t)g->n_nodes + 1));
  int *first = malloc(sizeof(int) * ((size_t)g->n_tensors + 1)), *last = malloc(sizeof(int) * ((size_t)g->n_tensors + 1));
  if (!bufs || !placed || !first || !last) {
    free(bufs), free(placed), free(first), free(last);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory while planning");
  }
  for (int t = 0; t < g->n_tensors; t++) {
    first[t] = -1;
    last[t] = -1;
    g->tensors[t].arena_offset = -1;
  }
  for (int s = 0; s < g->n_order; s++) {
    const qi_node *n = &g->nodes[g->order[s]];
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0 && first[n->outputs[k]] < 0) first[n->outputs[k]] = last[n->outputs[k]] = s;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0) last[n->inputs[k]] = s;
  }
  for (int i = 0; i < g->n_outputs; i++) last[g->outputs[i]] = g->n_order;
  for (int t = 0; keep_all && t < g->n_tensors; t++)
    if (first[t] >= 0) last[t] = g->n_order;

  int nb = 0;
  qi_status status = QINFER_OK;
  for (int t = 0; t < g->n_tensors; t++) {
    qi_tensor *x = &g->tensors[t];
    if (first[t] < 0 || !tensor_in_arena(x)) continue;
    int64_t numel;
    size_t es = qi_dtype_size(x->dtype);
    if (es == 0 || !qi_shape_numel(x->rank, x->dims, &numel) || (uint64_t)numel > SIZE_MAX / 4 / es) {
      status = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "tensor '%s' is too large or has no size", x->name);
      goto done;
    }
    x->nbytes = (size_t)numel * es;
    bufs[nb++] = (buffer){first[t], last[t], (x->nbytes + QI_ARENA_ALIGN - 1) & ~(size_t)(QI_ARENA_ALIGN - 1), -1, t};
  }
  for (int s = 0; s < g->n_order; s++) {
    qi_node *n = &g->nodes[g->order[s]];
    n->scratch_offset = -1;
    if (n->scratch_bytes)
      bufs[nb++] = (buffer){s, s, (n->scratch_bytes + QI_ARENA_ALIGN - 1) & ~(size_t)(QI_ARENA_ALIGN - 1), -1,
                            -1 - g->order[s]};
  }
  qsort(bufs, (size_t)nb, sizeof(buffer), by_size_desc);
  size_t total = 0;
  for (int i = 0; i < nb; i++) {
    int np = 0;
    for (int j = 0; j < i; j++)
      if (bufs[j].first <= bufs[i].last && bufs[i].first <= bufs[j].last) placed[np++] = &bufs[j];
    qsort(placed, (size_t)np, sizeof(buffer *), by_offset);
    size_t offset = 0;
    for (int j = 0; j < np; j++) {
      if ((size_t)placed[j]->offset >= offset + bufs[i].size) break; /* fits in the gap before it */
      size_t end = (size_t)placed[j]->offset + placed[j]->size;
      if (end > offset) offset = end;
    }
    bufs[i].offset = (int64_t)offset;
    if (offset + bufs[i].size > total) total = offset + bufs[i].size;
  }
  for (int i = 0; i < nb; i++) {
    if (bufs[i].tensor >= 0)
      g->tensors[bufs[i].tensor].arena_offset = bufs[i].offset;
    else
      g->nodes[-1 - bufs[i].tensor].scratch_offset = bufs[i].offset;
  }
  *arena_bytes = total;
done:
  free(bufs), free(placed), free(first), free(last);
  return status;
}

void qi_bind_arena(qi_graph *g, void *arena) {
  for (int t = 0; t < g->n_tensors; t++)
    if (g->tensors[t].arena_offset >= 0) g->tensors[t].data = (char *)arena + g->tensors[t].arena_offset;
  for (int i = 0; i < g->n_nodes; i++)
    g->nodes[i].scratch = g->nodes[i].scratch_offset >= 0 && g->nodes[i].scratch_bytes
                              ? (char *)arena + g->nodes[i].scratch_offset
                              : NULL;
}

qi_status qi_prepare_nodes(qi_graph *g, qi_error *err) {
  for (int s = 0; s < g->n_order; s++) {
    qi_node *n = &g->nodes[g->order[s]];
    n->scratch_bytes = 0;
    if (n->op->prepare && n->op->prepare(g, n, err) != QINFER_OK)
      return qi_node_error_context(n, err);
  }
  return QINFER_OK;
}

void qi_release_packed_constants(qi_graph *g) {
  bool *needed = calloc((size_t)g->n_tensors + 1, sizeof(bool));
  if (!needed) return; /* only an optimisation */
  for (int i = 0; i < g->n_outputs; i++) needed[g->outputs[i]] = true;
  for (int s = 0; s < g->n_order; s++) {
    const qi_node *n = &g->nodes[g->order[s]];
    if (n->const_inputs_packed) continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0) needed[n->inputs[k]] = true;
  }
  for (int t = 0; t < g->n_tensors; t++) {
    qi_tensor *x = &g->tensors[t];
    if (needed[t] || (x->flags & (QI_TF_CONST | QI_TF_OWNED)) != (QI_TF_CONST | QI_TF_OWNED)) continue;
    free(x->data);
    x->data = NULL;
    x->flags &= ~(uint32_t)QI_TF_OWNED;
  }
  free(needed);
}

qi_status qi_execute(qi_graph *g, qi_threadpool *pool, qi_error *err) {
  const qi_exec_ctx ctx = {pool};
  for (int s = 0; s < g->n_order; s++) {
    qi_node *n = &g->nodes[g->order[s]];
    if (n->op->run(g, n, &ctx, err) != QINFER_OK)
      return qi_node_error_context(n, err);
  }
  return QINFER_OK;
}
