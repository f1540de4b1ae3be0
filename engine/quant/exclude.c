/* The exclusions given (qinfer_quant_options_add_exclude, `qinfer quantize --exclude`) must each name a node or a
 * node's output tensor of the model as loaded: a misspelt name would otherwise leave the node quantized without a
 * word. The error suggests the closest names by edit distance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/job.h"

enum { MAX_SUGGEST = 3 };

/* Levenshtein distance of a and b, capped at cap (names longer than 256 bytes count as cap). */
static int edit_distance(const char *a, const char *b, int cap) {
  const size_t la = strlen(a), lb = strlen(b);
  if (la > 256 || lb > 256) return cap;
  int row[257];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      const int up = row[j];
      int v = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < v) v = up + 1;
      if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
      row[j] = v;
      diag = up;
    }
  }
  return row[lb] < cap ? row[lb] : cap;
}

typedef struct suggest {
  const char *name[MAX_SUGGEST];
  int dist[MAX_SUGGEST], n;
} suggest;

static void consider(suggest *s, const char *want, const char *name) {
  if (!name || !name[0]) return;
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->name[i], name) == 0) return; /* a node and its output of the same name */
  const int d = edit_distance(want, name, 1 << 20);
  int at = s->n;
  while (at > 0 && s->dist[at - 1] > d) at--;
  if (at >= MAX_SUGGEST) return;
  const int last = s->n < MAX_SUGGEST ? s->n : MAX_SUGGEST - 1;
  for (int i = last; i > at; i--) s->name[i] = s->name[i - 1], s->dist[i] = s->dist[i - 1];
  s->name[at] = name, s->dist[at] = d;
  if (s->n < MAX_SUGGEST) s->n++;
}

static bool names_node(const qi_graph *g, const qi_node *n, const char *name) {
  if (n->name && strcmp(n->name, name) == 0) return true;
  for (int k = 0; k < n->n_outputs; k++)
    if (n->outputs[k] >= 0 && strcmp(g->tensors[n->outputs[k]].name, name) == 0) return true;
  return false;
}

qi_status qz_check_excludes(const qinfer_model *model, const qz_options *o, qi_error *err) {
  if (o->n_exclude == 0) return QINFER_OK;
  const qi_graph *g = model->graph; /* the model as loaded (engine/session.h) */
  qi_status st = QINFER_OK;
  for (int i = 0; st == QINFER_OK && i < o->n_exclude; i++) {
    const char *want = o->exclude[i];
    bool found = false;
    for (int k = 0; k < g->n_nodes && !found; k++) found = names_node(g, &g->nodes[k], want);
    if (found) continue;
    suggest s = {.n = 0};
    for (int k = 0; k < g->n_nodes; k++) {
      const qi_node *n = &g->nodes[k];
      consider(&s, want, n->name);
      for (int m = 0; m < n->n_outputs; m++)
        if (n->outputs[m] >= 0) consider(&s, want, g->tensors[n->outputs[m]].name);
    }
    char list[QI_ERROR_MSG_SIZE / 2] = "";
    size_t len = 0;
    for (int k = 0; k < s.n && len < sizeof list; k++)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s'", k ? ", " : "", s.name[k]);
    st = qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                 "excluded name '%s' is neither a node nor a node output of the model%s%s", want,
                 s.n ? "; closest: " : "", list);
  }
  return st;
}
