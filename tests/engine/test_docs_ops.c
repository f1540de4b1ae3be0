/* docs/operators.md must name every operator the engine implements (engine/ops/ *_table.c).
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

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: %s docs/operators.md\n", argv[0]), 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f) return fprintf(stderr, "cannot open %s\n", argv[1]), 2;
  static char text[1 << 16];
  const size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';
  const qi_op *const families[] = {qi_ops_math, qi_ops_reduce, qi_ops_tensor, qi_ops_nn};
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
    for (const qi_op *op = families[i]; op->op_type; op++)
      CHECK_MSG(has_word(text, op->op_type), "%s is implemented but not documented in %s", op->op_type, argv[1]);
  return TEST_SUMMARY();
}
