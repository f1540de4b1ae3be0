/* Transpose, and DepthToSpace / SpaceToDepth, which are a reshape around a 6-D transpose. */
#include <string.h>

#include "engine/ops/tensor_common.h"

enum { TILE = 32 }; /* 2-D tile edge in elements: a 32x32 tile of 8-byte elements is 8 KiB on each side */

/* After coalescing, a transpose that moves the innermost input axis is a batch of 2-D transposes:
 * dst[a][b] = src[b][a] with a the output axis reading the contiguous input axis (dst stride dsa) and b the
 * last output axis (src stride ssb). Work items are (outer index, tile row of a). */
typedef struct tile_job {
  const qi_strided_copy *outer; /* the other output axes: dims and byte strides on both sides */
  char *dst;
  const char *src;
  int64_t na, nb, dsa, ssb; /* element counts and element strides */
  int64_t a_tiles;
  size_t elem;
} tile_job;

#define QI_TILE_LOOP(T)                                                        \
  do {                                                                         \
    T *d_ = (T *)d;                                                            \
    const T *s_ = (const T *)s;                                                \
    for (int64_t b0 = 0; b0 < nb; b0 += TILE) {                                \
      int64_t b1 = b0 + TILE < nb ? b0 + TILE : nb;                            \
      for (int64_t a = a0; a < a1; a++)                                        \
        for (int64_t b = b0; b < b1; b++) d_[a * dsa + b] = s_[b * ssb + a];   \
    }                                                                          \
  } while (0)

static void tile_range(void *arg, size_t begin, size_t end) {
  const tile_job *job = arg;
  const qi_strided_copy *o = job->outer;
  const int64_t na = job->na, nb = job->nb, dsa = job->dsa, ssb = job->ssb;
  for (size_t it = begin; it < end; it++) {
    int64_t outer = (int64_t)it / job->a_tiles, a0 = ((int64_t)it % job->a_tiles) * TILE;
    int64_t a1 = a0 + TILE < na ? a0 + TILE : na;
    int64_t so = 0, dof = 0, rem = outer;
    for (int i = o->rank - 1; i >= 0; i--) {
      int64_t idx = rem % o->dims[i];
      rem /= o->dims[i];
      so += idx * o->src_stride[i];
      dof += idx * o->dst_stride[i];
    }
    char *d = job->dst + dof;
    const char *s = job->src + so;
    switch (job->elem) {
      case 1: QI_TILE_LOOP(uint8_t); break;
      case 2: QI_TILE_LOOP(uint16_t); break;
      case 4: QI_TILE_LOOP(uint32_t); break;
      default: QI_TILE_LOOP(uint64_t); break;
    }
  }
}

void qi_tops_transpose(void *dst, const void *src, int rank, const int64_t *dims, const int *perm, size_t elem,
                       qi_threadpool *pool) {
  /* 1. drop unit input axes; 2. merge output-adjacent axes that are also input-adjacent */
  int keep[QI_MAX_RANK], newpos[QI_MAX_RANK], r = 0;
  int64_t numel = 1;
  for (int i = 0; i < rank; i++) {
    numel *= dims[i];
    newpos[i] = -1;
    if (dims[i] != 1) {
      newpos[i] = r;
      keep[r++] = i;
    }
  }
  if (numel == 0) return;
  int p[QI_MAX_RANK], np = 0;
  for (int i = 0; i < rank; i++)
    if (newpos[perm[i]] >= 0) p[np++] = newpos[perm[i]];
  int64_t d[QI_MAX_RANK];
  for (int i = 0; i < r; i++) d[i] = dims[keep[i]];
  /* group k: a run of output axes whose input axes are consecutive; gdim[k] is its merged size */
  int n_groups = 0, group_of_in[QI_MAX_RANK];
  int64_t gdim[QI_MAX_RANK];
  for (int i = 0; i < np; i++) {
    if (i > 0 && p[i] == p[i - 1] + 1) {
      gdim[n_groups - 1] *= d[p[i]];
      group_of_in[p[i]] = -1; /* absorbed */
      continue;
    }
    gdim[n_groups] = d[p[i]];
    group_of_in[p[i]] = n_groups;
    n_groups++;
  }
  if (n_groups <= 1) {
    memcpy(dst, src, (size_t)numel * elem);
    return;
  }
  /* input order of groups: sort groups by their first input axis */
  int in_order[QI_MAX_RANK], ni = 0;
  for (int a = 0; a < r; a++)
    if (group_of_in[a] >= 0) in_order[ni++] = group_of_in[a];
  int64_t in_stride_of_group[QI_MAX_RANK], s = 1;
  for (int k = ni - 1; k >= 0; k--) {
    in_stride_of_group[in_order[k]] = s;
    s *= gdim[in_order[k]];
  }
  int64_t out_stride[QI_MAX_RANK];
  qi_tops_strides(n_groups, gdim, out_stride);

  int last = n_groups - 1, a_axis = -1;
  for (int k = 0; k < n_groups; k++)
    if (in_stride_of_group[k] == 1) a_axis = k;
  if (a_axis == last) { /* innermost input run stays innermost: memcpy runs */
    qi_strided_copy c = {.rank = last, .inner_n = gdim[last], .inner_src_stride = (int64_t)elem, .elem = elem};
    for (int k = 0; k < last; k++) {
      c.dims[k] = gdim[k];
      c.src_stride[k] = in_stride_of_group[k] * (int64_t)elem;
      c.dst_stride[k] = out_stride[k] * (int64_t)elem;
    }
    qi_strided_copy_run(&c, dst, src, pool);
    return;
  }
  qi_strided_copy outer = {.rank = 0, .elem = elem};
  for (int k = 0; k < last; k++) {
    if (k == a_axis) continue;
    outer.dims[outer.rank] = gdim[k];
    outer.src_stride[outer.rank] = in_stride_of_group[k] * (int64_t)elem;
    outer.dst_stride[outer.rank] = out_stride[k] * (int64_t)elem;
    outer.rank++;
  }
  int64_t n_outer = 1;
  for (int i = 0; i < outer.rank; i++) n_outer *= outer.dims[i];
  tile_job job = {.outer = &outer, .dst = dst, .src = src, .na = gdim[a_axis], .nb = gdim[last],
                  .dsa = out_stride[a_axis], .ssb = in_stride_of_group[last], .elem = elem};
  job.a_tiles = (job.na + TILE - 1) / TILE;
  size_t items = (size_t)(n_outer * job.a_tiles);
  size_t item_bytes = (size_t)(TILE * job.nb) * elem, grain = item_bytes >= 65536 ? 1 : 65536 / item_bytes;
  if (!pool || items <= grain)
    tile_range(&job, 0, items);
  else
    qi_parallel_for(pool, items, grain, tile_range, &job);
}

/* ---- Transpose ---- */

static qi_status transpose_perm(qi_graph *g, qi_node *n, int *perm, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  const int64_t *p;
  int np = qi_attr_ints(n, "perm", &p);
  if (np < 0) { /* default: reverse the axes */
    for (int i = 0; i < x->rank; i++) perm[i] = x->rank - 1 - i;
    return QINFER_OK;
  }
  if (np != x->rank)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "perm has %d entries for an input of rank %d", np,
                        x->rank);
  bool seen[QI_MAX_RANK] = {false};
  for (int i = 0; i < np; i++) {
    int a;
    QI_CHECK(qi_tops_axis(n, p[i], x->rank, "perm entry", &a, err));
    if (seen[a]) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "perm repeats axis %d", a);
    seen[a] = true;
    perm[i] = a;
  }
  return QINFER_OK;
}

qi_status qi_tops_transpose_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  int perm[QI_MAX_RANK];
  QI_CHECK(transpose_perm(g, n, perm, err));
  int64_t od[QI_MAX_RANK];
  for (int i = 0; i < x->rank; i++) od[i] = x->dims[perm[i]];
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, x->rank, od, err);
}

qi_status qi_tops_transpose_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  int perm[QI_MAX_RANK];
  QI_CHECK(transpose_perm(g, n, perm, err));
  qi_tops_transpose(qi_node_out(g, n, 0)->data, x->data, x->rank, x->dims, perm, qi_dtype_size(x->dtype),
                    qi_tops_pool(ctx));
  return QINFER_OK;
}

/* ---- DepthToSpace / SpaceToDepth ----
 * DepthToSpace DCR: [N, b, b, C', H, W] -> perm (0,3,4,1,5,2) -> [N, C', H, b, W, b]
 * DepthToSpace CRD: [N, C', b, b, H, W] -> perm (0,1,4,2,5,3)
 * SpaceToDepth:     [N, C, H', b, W', b] -> perm (0,3,5,1,2,4) -> [N, b, b, C, H', W'] */

typedef struct d2s_plan {
  int64_t dims6[6];
  int perm[6];
  int64_t out[4];
} d2s_plan;

static qi_status d2s_plan_make(qi_graph *g, qi_node *n, bool to_space, d2s_plan *pl, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  if (x->rank != 4) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input must be 4-D, has rank %d", x->rank);
  int64_t b = qi_attr_int(n, "blocksize", 0);
  if (b <= 0 || b > (1 << 20))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "blocksize %lld must be positive", (long long)b);
  int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  if (to_space) {
    if (C % (b * b))
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "channels %lld are not a multiple of blocksize^2 %lld",
                          (long long)C, (long long)(b * b));
    const char *mode = qi_attr_string(n, "mode", "DCR");
    int64_t c2 = C / (b * b);
    if (strcmp(mode, "DCR") == 0) {
      int64_t d6[6] = {N, b, b, c2, H, W};
      int p6[6] = {0, 3, 4, 1, 5, 2};
      memcpy(pl->dims6, d6, sizeof d6);
      memcpy(pl->perm, p6, sizeof p6);
    } else if (strcmp(mode, "CRD") == 0) {
      int64_t d6[6] = {N, c2, b, b, H, W};
      int p6[6] = {0, 1, 4, 2, 5, 3};
      memcpy(pl->dims6, d6, sizeof d6);
      memcpy(pl->perm, p6, sizeof p6);
    } else {
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "unknown mode '%s' (DCR or CRD)", mode);
    }
    int64_t o[4] = {N, c2, H * b, W * b};
    memcpy(pl->out, o, sizeof o);
  } else {
    if (H % b || W % b)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "spatial dims %lldx%lld are not multiples of blocksize %lld",
                          (long long)H, (long long)W, (long long)b);
    int64_t d6[6] = {N, C, H / b, b, W / b, b};
    int p6[6] = {0, 3, 5, 1, 2, 4};
    memcpy(pl->dims6, d6, sizeof d6);
    memcpy(pl->perm, p6, sizeof p6);
    int64_t o[4] = {N, C * b * b, H / b, W / b};
    memcpy(pl->out, o, sizeof o);
  }
  return QINFER_OK;
}

static qi_status d2s_infer(qi_graph *g, qi_node *n, bool to_space, qi_error *err) {
  d2s_plan pl;
  QI_CHECK(d2s_plan_make(g, n, to_space, &pl, err));
  return qi_tops_set_output(n, qi_node_out(g, n, 0), qi_node_in(g, n, 0)->dtype, 4, pl.out, err);
}

static qi_status d2s_run(qi_graph *g, qi_node *n, bool to_space, const qi_exec_ctx *ctx, qi_error *err) {
  d2s_plan pl;
  QI_CHECK(d2s_plan_make(g, n, to_space, &pl, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tops_transpose(qi_node_out(g, n, 0)->data, x->data, 6, pl.dims6, pl.perm, qi_dtype_size(x->dtype),
                    qi_tops_pool(ctx));
  return QINFER_OK;
}

qi_status qi_tops_depth_to_space_infer(qi_graph *g, qi_node *n, qi_error *err) { return d2s_infer(g, n, true, err); }
qi_status qi_tops_depth_to_space_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return d2s_run(g, n, true, ctx, err);
}
qi_status qi_tops_space_to_depth_infer(qi_graph *g, qi_node *n, qi_error *err) { return d2s_infer(g, n, false, err); }
qi_status qi_tops_space_to_depth_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return d2s_run(g, n, false, ctx, err);
}
