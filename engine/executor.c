/* The session's nodes at run time: preparing them once (per-node runtime data beside the IR), freeing what
 * packing made unnecessary, running them in order. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/session.h"

void *qi_rt_packed(qi_node_rt *rt, int slot, size_t bytes, bool *fresh) {
  if (rt->packed[slot] && rt->packed_bytes[slot] == bytes) { /* handed back by a re-plan: already filled */
    *fresh = false;
    return rt->packed[slot];
  }
  /* a buffer handed back with another size is not this one's to free: the earlier plan still owns it */
  *fresh = true;
  /* on a cache line, as wide as the widest vector load: a kernel's first panel never straddles two lines */
  const size_t size = bytes ? (bytes + QI_RT_PACKED_ALIGN - 1) / QI_RT_PACKED_ALIGN * QI_RT_PACKED_ALIGN : QI_RT_PACKED_ALIGN;
  rt->packed[slot] = aligned_alloc(QI_RT_PACKED_ALIGN, size);
  rt->packed_bytes[slot] = rt->packed[slot] ? bytes : 0;
  return rt->packed[slot];
}

void qi_rt_free_packed(qi_node_rt *rt, const qi_node_rt *keep) {
  for (int k = 0; k < QI_RT_PACKED_SLOTS; k++) {
    if (!keep || keep->packed[k] != rt->packed[k]) free(rt->packed[k]);
    rt->packed[k] = NULL;
    rt->packed_bytes[k] = 0;
  }
}

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

/* A hash of bytes, four independent 8-byte lanes at a time (a multiply per lane, so the lanes overlap in the
 * pipeline: weights of tens of MB hash in a few ms), then the tail byte by byte. */
static uint64_t hash_bytes(uint64_t h, const unsigned char *p, size_t bytes) {
  uint64_t lane[4] = {h, h ^ 0x9e3779b97f4a7c15ull, h ^ 0xc2b2ae3d27d4eb4full, h ^ 0x165667b19e3779f9ull};
  size_t i = 0;
  for (; i + 32 <= bytes; i += 32)
    for (int k = 0; k < 4; k++) {
      uint64_t w;
      memcpy(&w, p + i + 8 * (size_t)k, 8);
      lane[k] = (lane[k] ^ w) * 0xff51afd7ed558ccdull;
      lane[k] ^= lane[k] >> 29;
    }
  for (int k = 0; k < 4; k++) h = mix(h, lane[k]);
  for (; i < bytes; i++) h = mix(h, p[i]);
  return h;
}

uint64_t qi_rt_fingerprint(const qi_graph *g, const qi_node *n) {
  uint64_t h = mix((uint64_t)(uintptr_t)n->op, (uint64_t)n->n_inputs);
  for (int k = 0; k < n->n_inputs; k++) {
    h = mix(h, (uint64_t)(int64_t)n->inputs[k]);
    const qi_tensor *t = n->inputs[k] >= 0 ? &g->tensors[n->inputs[k]] : NULL;
    if (!t || !(t->flags & QI_TF_CONST)) continue;
    h = mix(h, (uint64_t)t->dtype);
    for (int d = 0; d < t->rank; d++) h = mix(h, (uint64_t)t->dims[d]);
    const size_t bytes = qi_dtype_bytes(t->dtype, (size_t)qi_tensor_numel(t));
    if (!(t->flags & QI_TF_OWNED)) { /* in the model's bytes, which never change while the model lives */
      h = mix(h, (uint64_t)(uintptr_t)t->data);
      continue;
    }
    h = hash_bytes(h, t->data, bytes);
  }
  return h;
}

static bool has_packed(const qi_node_rt *rt) {
  for (int k = 0; k < QI_RT_PACKED_SLOTS; k++)
    if (rt->packed[k]) return true;
  return false;
}

qi_status qi_run_node_once(qi_graph *g, qi_node *n, qi_isa isa, const qi_exec_ctx *ctx, bool *packed,
                           qi_error *err) {
  qi_node_rt rt = {.isa = isa, .act = qi_node_fused_act(n)};
  qi_status s = n->op->prepare ? n->op->prepare(g, n, &rt, err) : QINFER_OK;
  if (s == QINFER_OK && rt.scratch_bytes && !(rt.scratch = malloc(rt.scratch_bytes)))
    s = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes of scratch", rt.scratch_bytes);
  if (s == QINFER_OK) s = n->op->run(g, n, &rt, ctx, err);
  free(rt.scratch);
  if (packed) *packed = rt.const_inputs_packed;
  if (n->op->release && rt.state) n->op->release(&rt);
  qi_rt_free_packed(&rt, NULL);
  return s;
}

/* A re-plan hands node i the packed buffers of the earlier plan's node i when it is the same op on the same
 * constant inputs (the passes number nodes alike whatever the input shapes). */
static void hand_back_packed(const qi_graph *g, int i, qi_node_rt *rt, const qi_graph *prev_g,
                             const qi_node_rt *prev_rt) {
  if (!prev_g || i >= prev_g->n_nodes || prev_g->nodes[i].dead || prev_g->nodes[i].op != g->nodes[i].op ||
      !has_packed(&prev_rt[i]))
    return;
  const uint64_t fp = qi_rt_fingerprint(g, &g->nodes[i]);
  if (fp != prev_rt[i].const_fingerprint) return;
  memcpy(rt->packed, prev_rt[i].packed, sizeof rt->packed);
  memcpy(rt->packed_bytes, prev_rt[i].packed_bytes, sizeof rt->packed_bytes);
  rt->const_fingerprint = fp;
}

qi_status qi_prepare_nodes(qi_graph *g, qi_node_rt *rt, qi_isa isa, const qi_graph *prev_g, const qi_node_rt *prev_rt,
                           qi_error *err) {
  for (int i = 0; i < g->n_nodes; i++) {
    rt[i] = (qi_node_rt){.isa = isa};
    if (!g->nodes[i].dead) rt[i].act = qi_node_fused_act(&g->nodes[i]);
  }
  for (int s = 0; s < g->n_order; s++) {
    const int i = g->order[s];
    qi_node *n = &g->nodes[i];
    if (!n->op->prepare) continue;
    hand_back_packed(g, i, &rt[i], prev_g, prev_rt);
    const bool handed = has_packed(&rt[i]);
    if (n->op->prepare(g, n, &rt[i], err) != QINFER_OK) return qi_node_error_context(n, err);
    /* what packed anew is remembered by its constants, read now: packing may let the session free them */
    if (!handed && has_packed(&rt[i])) rt[i].const_fingerprint = qi_rt_fingerprint(g, n);
  }
  return QINFER_OK;
}

void qi_release_nodes(const qi_graph *g, qi_node_rt *rt, const qi_node_rt *keep, int n_keep) {
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->op && n->op->release && rt[i].state) n->op->release(&rt[i]);
    rt[i].state = NULL;
    qi_rt_free_packed(&rt[i], keep && i < n_keep ? &keep[i] : NULL);
  }
}

void qi_release_packed_constants(qi_graph *g, const qi_node_rt *rt) {
  bool *needed = calloc((size_t)g->n_tensors + 1, sizeof(bool));
  if (!needed) return; /* only an optimisation */
  for (int i = 0; i < g->n_outputs; i++) needed[g->outputs[i]] = true;
  for (int i = 0; i < g->n_inputs; i++) needed[g->inputs[i]] = true; /* a value bound to an input stays readable */
  for (int s = 0; s < g->n_order; s++) {
    const qi_node *n = &g->nodes[g->order[s]];
    if (rt[g->order[s]].const_inputs_packed) continue;
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

/* Runs every node like qi_execute, timing each into prof[step] (the monotonic clock around the node's run). */
static qi_status execute_profiled(qi_graph *g, const qi_node_rt *rt, const qi_exec_ctx *ctx, qinfer_node_profile *prof,
                                  qi_error *err) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int s = 0; s < g->n_order; s++) {
    qi_node *n = &g->nodes[g->order[s]];
    const qi_status st = n->op->run(g, n, &rt[g->order[s]], ctx, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st != QINFER_OK) return qi_node_error_context(n, err);
    const double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-6;
    prof[s].last_ms = ms;
    prof[s].total_ms += ms;
    prof[s].runs++;
    t0 = t1; /* the end of one node is the start of the next: the records add up to the run */
  }
  return QINFER_OK;
}

qi_status qi_execute(qi_graph *g, const qi_node_rt *rt, qi_threadpool *pool, qinfer_node_profile *prof, qi_error *err) {
  const qi_exec_ctx ctx = {pool};
  if (prof) return execute_profiled(g, rt, &ctx, prof, err); /* the one test of profiling per run */
  for (int s = 0; s < g->n_order; s++) {
    qi_node *n = &g->nodes[g->order[s]];
    if (n->op->run(g, n, &rt[g->order[s]], &ctx, err) != QINFER_OK)
      return qi_node_error_context(n, err);
  }
  return QINFER_OK;
}
