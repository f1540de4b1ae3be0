/* docs/operators.md must name every operator the engine implements: every op of every registered family
 * (qi_op_families, engine/ops/registry.c). An op of a domain other than the default one must be named on a line
 * that also names its domain (a table row such as "QGemm (com.microsoft) | ..."), and an op of qinfer's own
 * domain ai.qinfer on a line that also says it is internal.
 * usage: test_docs_ops docs/operators.md */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

/* Whether word appears in text delimited by non-identifier characters. */
static int has_word(const char *text, const char *word) {
  const size_t n = strlen(word);
  for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
    const int before_ok = p == text || !(p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= 'a' && p[-1] <= 'z'));
    const char c = p[n];
    const int after_ok = !(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
    if (before_ok && after_ok) return 1;
  }
  return 0;
}

enum { MAX_LINES = 4096 };
static char *lines[MAX_LINES];
static int n_lines;

/* Whether one line names op_type as a word together with each of the (up to two) other strings given. */
static int line_has(const char *op_type, const char *also, const char *also2) {
  for (int i = 0; i < n_lines; i++)
    if (has_word(lines[i], op_type) && (!also || strstr(lines[i], also)) && (!also2 || strstr(lines[i], also2)))
      return 1;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: %s docs/operators.md\n", argv[0]), 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f) return fprintf(stderr, "cannot open %s\n", argv[1]), 2;
  static char text[1 << 16];
  const size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';
  CHECK_MSG(len < sizeof text - 1, "%s is larger than the test reads (%zu bytes)", argv[1], sizeof text - 1);
  for (char *p = text; *p && n_lines < MAX_LINES; n_lines++) {
    lines[n_lines] = p;
    char *nl = strchr(p, '\n');
    if (!nl) break;
    *nl = '\0';
    p = nl + 1;
  }
  int families = 0, ops = 0;
  for (const qi_op *const *fam = qi_op_families; *fam; fam++, families++)
    for (const qi_op *op = *fam; op->op_type; op++, ops++) {
      const char *domain = op->domain[0] ? op->domain : NULL;
      CHECK_MSG(line_has(op->op_type, domain, NULL), "%s%s%s is implemented but not documented in %s%s",
                domain ? domain : "", domain ? " " : "", op->op_type, argv[1],
                domain ? " (on a line that names its domain)" : "");
      if (domain && strcmp(domain, "ai.qinfer") == 0)
        CHECK_MSG(line_has(op->op_type, domain, "internal"), "%s %s: %s must say it is internal", domain,
                  op->op_type, argv[1]);
    }
  CHECK_MSG(families >= 8 && ops > 100, "only %d families, %d ops registered", families, ops);
  return TEST_SUMMARY();
}
