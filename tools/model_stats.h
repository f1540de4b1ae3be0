/* Statistics of a graph for `qinfer info`: parameters and an op histogram (multiply-accumulates come from the
 * ops themselves: qi_count_macs, engine/op.h). They read shapes, so pass a graph whose shapes are inferred (a
 * session's). Dead nodes are skipped. */
#ifndef QI_TOOLS_MODEL_STATS_H
#define QI_TOOLS_MODEL_STATS_H

#include <stdint.h>

#include "engine/ir/ir.h"
#include "engine/op.h" /* qi_count_macs */
/* Elements of the float and integer constants that live nodes read (each tensor once). */
int64_t qi_count_params(const qi_graph *g);

typedef struct qi_op_count {
  const char *op_type; /* points into the graph */
  const char *domain;
  int count;
} qi_op_count;

/* Counts live nodes per (domain, op_type) into counts (cap entries), most frequent first, ties by name.
 * Returns the number of distinct ops, or -1 if cap is too small. */
int qi_op_histogram(const qi_graph *g, qi_op_count *counts, int cap);

#endif /* QI_TOOLS_MODEL_STATS_H */
