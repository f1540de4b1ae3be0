/* Ranges trimmed to what the following elementwise ops can see (docs/quantization.md, "Calibration").
 *
 * A tensor t read only by a chain of elementwise float ops whose results are all quantized again (a written-out
 * HardSwish x * Clip(x + 3, 0, 6) / 6, Relu6, HardSigmoid, a scale and shift) becomes, in the integer runtime,
 * one lookup table from t's bytes to the next tensor's (engine/pass_qdq_region.c). Where those ops are constant
 * (HardSwish is 0 for every x <= -3) the values of t carry no information, so t's range can end there: the table
 * gives the same outputs, and the scale of t shrinks (for a HardSwish after a convolution with a long negative
 * tail, often by half: 6 dB more SQNR on t at no cost). The cut is found by evaluating the chain with qinfer's
 * own float code on 4096 points of [min, max]: the longest run at each end over which every output is constant. */
#include <stdlib.h>

#include "engine/pass_qdq.h"
#include "engine/quant/quantize.h"

enum { GRID = 4096 };

/* Whether tensor u is a node output of region r. */
static bool in_region(const qi_graph *g, const qi_region *r, int u) {
  for (int i = 0; i < r->n; i++)
    if (g->nodes[r->nodes[i]].outputs[0] == u) return true;
  return false;
}

static bool is_region_node(const qi_region *r, int node) {
  for (int i = 0; i < r->n; i++)
    if (r->nodes[i] == node) return true;
  return false;
}

/* The region's exits (outputs read outside it, or graph outputs) into exits[]; false when t is read outside the
 * region or an exit is not quantized (its float values then matter everywhere). */
static bool exits_of(const qi_graph *g, const qi_region *r, const qz_plan *p, int *exits, int *n_exits) {
  *n_exits = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->dead || is_region_node(r, i)) continue;
    for (int k = 0; k < n->n_inputs; k++) {
      const int u = n->inputs[k];
      if (u == r->x) return false;
      if (u < 0 || !in_region(g, r, u)) continue;
      if (!p->quantize[u]) return false;
      bool seen = false;
      for (int e = 0; e < *n_exits; e++) seen |= exits[e] == u;
      if (!seen && *n_exits < QI_REGION_MAX) exits[(*n_exits)++] = u;
    }
  }
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == r->x || in_region(g, r, g->outputs[i])) return false;
  return *n_exits > 0;
}

static void trim_one(qi_graph *g, const qi_region *r, const int *exits, int n_exits, qz_range *range) {
  const double lo = range->min, hi = range->max, step = (hi - lo) / (GRID - 1);
  float first[QI_REGION_MAX], last[QI_REGION_MAX];
  for (int e = 0; e < n_exits; e++) {
    first[e] = qi_region_eval(g, r, exits[e], (float)lo);
    last[e] = qi_region_eval(g, r, exits[e], (float)hi);
  }
  int a = 0, b = GRID - 1;
  for (bool same = true; same && a + 1 < GRID; a += same) {
    for (int e = 0; e < n_exits && same; e++) same = qi_region_eval(g, r, exits[e], (float)(lo + (a + 1) * step)) == first[e];
  }
  for (bool same = true; same && b - 1 > a; b -= same) {
    for (int e = 0; e < n_exits && same; e++) same = qi_region_eval(g, r, exits[e], (float)(lo + (b - 1) * step)) == last[e];
  }
  range->min = (float)(lo + a * step);
  range->max = (float)(lo + b * step);
}

void qz_ranges_trim(qi_graph *g, const qz_plan *p, qz_range *ranges) {
  int *pos = malloc(sizeof(int) * ((size_t)g->n_nodes + 1));
  if (!pos) return;
  for (int i = 0; i < g->n_nodes; i++) pos[i] = -1;
  for (int oi = 0; oi < g->n_order; oi++) pos[g->order[oi]] = oi;
  qi_region r;
  int exits[QI_REGION_MAX], n_exits;
  for (int t = 0; t < p->n_tensors; t++) {
    if (!qz_plan_calibrates(p, t) || !ranges[t].set || !(ranges[t].max > ranges[t].min)) continue;
    const int producer = g->tensors[t].producer;
    qi_region_collect(g, producer >= 0 ? pos[producer] : -1, t, &r);
    if (r.n > 0 && exits_of(g, &r, p, exits, &n_exits)) trim_one(g, &r, exits, n_exits, &ranges[t]);
  }
  free(pos);
}
