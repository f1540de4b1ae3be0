#include "engine/broadcast.h"

#include <assert.h>
#include <string.h>

qi_status qi_broadcast_shape(const qi_node *n, int rank_a, const int64_t *a, int rank_b, const int64_t *b,
                             int *out_rank, int64_t *out, qi_error *err) {
  const int r = rank_a > rank_b ? rank_a : rank_b;
  int64_t res[QI_MAX_RANK];
  for (int d = 0; d < r; d++) {
    const int ia = d - (r - rank_a), ib = d - (r - rank_b);
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da == db || db == 1) {
      res[d] = da;
    } else if (da == 1) {
      res[d] = db;
    } else {
      char sa[128], sb[128];
      qi_fail(err, QINFER_ERR_SHAPE, "shapes %s and %s cannot be broadcast", qi_shape_str(rank_a, a, sa, sizeof sa),
              qi_shape_str(rank_b, b, sb, sizeof sb));
      return n ? qi_node_error_context(n, err) : QINFER_ERR_SHAPE;
    }
  }
  memcpy(out, res, sizeof(int64_t) * (size_t)r);
  *out_rank = r;
  return QINFER_OK;
}

qi_status qi_broadcast_tensors(const qi_node *node, int n, const qi_tensor *const *ts, int *out_rank,
                               int64_t *out, qi_error *err) {
  assert(n >= 1);
  int r = ts[0]->rank;
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, ts[0]->dims, sizeof(int64_t) * (size_t)r);
  for (int i = 1; i < n; i++) QI_CHECK(qi_broadcast_shape(node, r, dims, ts[i]->rank, ts[i]->dims, &r, dims, err));
  memcpy(out, dims, sizeof(int64_t) * (size_t)r);
  *out_rank = r;
  return QINFER_OK;
}

bool qi_broadcastable_to(int rank_from, const int64_t *from, int rank_to, const int64_t *to) {
  if (rank_from > rank_to) return false;
  for (int i = 0; i < rank_from; i++) {
    const int64_t f = from[i], t = to[i + rank_to - rank_from];
    if (f != t && f != 1) return false;
  }
  return true;
}

void qi_bcast_init(qi_bcast *bc, int out_rank, const int64_t *out_dims, int n_in, const int *ranks,
                   const int64_t *const *dims) {
  assert(n_in >= 1 && n_in <= QI_BCAST_MAX_IN && out_rank <= QI_MAX_RANK);
  memset(bc, 0, sizeof *bc);
  bc->n_in = n_in;
  bc->numel = 1;
  for (int d = 0; d < out_rank; d++) bc->numel *= out_dims[d];

  /* Aligned strides of each input, innermost first, then keep only output axes of size > 1. */
  int64_t strides[QI_BCAST_MAX_IN][QI_MAX_RANK];
  for (int k = 0; k < n_in; k++) {
    assert(ranks[k] <= out_rank);
    int64_t s = 1;
    for (int d = out_rank - 1; d >= 0; d--) {
      const int id = d - (out_rank - ranks[k]);
      const int64_t dim = id >= 0 ? dims[k][id] : 1;
      strides[k][d] = dim == 1 ? 0 : s;
      s *= dim;
    }
  }
  int r = 0;
  for (int d = 0; d < out_rank; d++) {
    if (out_dims[d] == 1) continue;
    bc->dims[r] = out_dims[d];
    for (int k = 0; k < n_in; k++) bc->strides[k][r] = strides[k][d];
    r++;
  }
  /* Merge axis i into axis i+1 when every input continues the same walk across the boundary. */
  int m = 0;
  for (int d = 0; d < r; d++) {
    bool merge = m > 0;
    for (int k = 0; k < n_in && merge; k++)
      merge = bc->strides[k][m - 1] == bc->strides[k][d] * bc->dims[d];
    if (merge) {
      bc->dims[m - 1] *= bc->dims[d];
      for (int k = 0; k < n_in; k++) bc->strides[k][m - 1] = bc->strides[k][d];
    } else {
      bc->dims[m] = bc->dims[d];
      for (int k = 0; k < n_in; k++) bc->strides[k][m] = bc->strides[k][d];
      m++;
    }
  }
  if (m == 0) { /* a single element (or every axis 1) */
    bc->dims[0] = 1;
    for (int k = 0; k < n_in; k++) bc->strides[k][0] = 0;
    m = 1;
  }
  bc->rank = m;
  for (int k = 0; k < n_in; k++) {
    bc->inc[k] = (int)bc->strides[k][m - 1];
    assert(bc->inc[k] == 0 || bc->inc[k] == 1 || bc->numel == 0);
  }
}

void qi_bcast_init_tensors(qi_bcast *bc, const qi_tensor *out, int n_in, const qi_tensor *const *ins) {
  int ranks[QI_BCAST_MAX_IN];
  const int64_t *dims[QI_BCAST_MAX_IN];
  assert(n_in <= QI_BCAST_MAX_IN);
  for (int k = 0; k < n_in; k++) {
    ranks[k] = ins[k]->rank;
    dims[k] = ins[k]->dims;
  }
  qi_bcast_init(bc, out->rank, out->dims, n_in, ranks, dims);
}

void qi_bcast_seek(const qi_bcast *bc, qi_bcast_cursor *c, int64_t pos) {
  c->pos = pos;
  for (int k = 0; k < bc->n_in; k++) c->off[k] = 0;
  int64_t rem = pos;
  for (int d = bc->rank - 1; d >= 0; d--) {
    c->idx[d] = bc->dims[d] ? rem % bc->dims[d] : 0;
    rem = bc->dims[d] ? rem / bc->dims[d] : 0;
    for (int k = 0; k < bc->n_in; k++) c->off[k] += c->idx[d] * bc->strides[k][d];
  }
}

void qi_bcast_advance(const qi_bcast *bc, qi_bcast_cursor *c, int64_t len) {
  const int last = bc->rank - 1;
  c->pos += len;
  c->idx[last] += len;
  for (int k = 0; k < bc->n_in; k++) c->off[k] += len * bc->strides[k][last];
  for (int d = last; d > 0 && c->idx[d] >= bc->dims[d]; d--) {
    for (int k = 0; k < bc->n_in; k++) c->off[k] += bc->strides[k][d - 1] - c->idx[d] * bc->strides[k][d];
    c->idx[d] = 0;
    c->idx[d - 1]++;
  }
}

/* Fills n elements of elem_size bytes with the element at src. */
static void fill_elements(void *dst, const void *src, size_t elem_size, int64_t n) {
  switch (elem_size) {
    case 1: memset(dst, *(const uint8_t *)src, (size_t)n); return;
    case 2: {
      uint16_t v, *d = dst;
      memcpy(&v, src, 2);
      for (int64_t i = 0; i < n; i++) d[i] = v;
      return;
    }
    case 4: {
      uint32_t v, *d = dst;
      memcpy(&v, src, 4);
      for (int64_t i = 0; i < n; i++) d[i] = v;
      return;
    }
    case 8: {
      uint64_t v, *d = dst;
      memcpy(&v, src, 8);
      for (int64_t i = 0; i < n; i++) d[i] = v;
      return;
    }
    default:
      for (int64_t i = 0; i < n; i++) memcpy((char *)dst + (size_t)i * elem_size, src, elem_size);
  }
}

void qi_bcast_copy(const qi_bcast *bc, size_t elem_size, const void *src, void *dst, int64_t begin, int64_t end) {
  assert(bc->n_in == 1);
  const char *s = src;
  char *d = dst;
  qi_bcast_cursor c;
  int64_t len;
  for (qi_bcast_seek(bc, &c, begin); c.pos < end; qi_bcast_advance(bc, &c, len)) {
    len = qi_bcast_run_len(bc, &c, end);
    char *out = d + (size_t)c.pos * elem_size;
    const char *in = s + (size_t)c.off[0] * elem_size;
    if (bc->inc[0])
      memcpy(out, in, (size_t)len * elem_size);
    else
      fill_elements(out, in, elem_size, len);
  }
}
