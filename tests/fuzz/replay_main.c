/* Replays inputs through the fuzz target without libFuzzer: every file named on the command line is one
 * input. Built in every configuration, it keeps each input that once crashed (tests/fuzz/regressions/) in
 * the regular suite, where the Sanitize build checks it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  int replayed = 0, unreadable = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    uint8_t *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!f || !buf || fseek(f, 0, SEEK_SET) != 0 || fread(buf, 1, (size_t)n, f) != (size_t)n) {
      fprintf(stderr, "cannot read %s\n", argv[i]);
      unreadable++;
    } else {
      LLVMFuzzerTestOneInput(buf, (size_t)n);
      replayed++;
    }
    free(buf);
    if (f) fclose(f);
  }
  printf("%d passed, %d failed\n", replayed, unreadable);
  return unreadable != 0 || replayed == 0;
}
