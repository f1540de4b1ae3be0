/* qinfer_session_run allocates nothing: every malloc/calloc/realloc/aligned_alloc/posix_memalign made by
 * the library is counted through the linker's --wrap (see tests/engine.cmake), and a run must add none.
 * Also checks that 1 and 2 threads give bit-identical outputs.
 * usage: test_run_allocs MODEL INPUT.npy | test_run_allocs MODEL DIR (reads DIR/<input 0's name>.npy) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "session_fixture.h"
#include "alloc_counter.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;


int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: %s MODEL INPUT.npy|DIR\n", argv[0]), 2;
  qi_host_tensor x = {0};
  qi_error err = {0};
  char input_path[2048];
  snprintf(input_path, sizeof input_path, "%s", argv[2]);
  struct stat st;
  if (stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)) {
    qinfer_model *m = NULL;
    qinfer_tensor_info info;
    if (qinfer_model_load_file(argv[1], &m) != QINFER_OK || qinfer_model_input_info(m, 0, &info) != QINFER_OK)
      return fprintf(stderr, "%s: %s\n", argv[1], qinfer_last_error()), 2;
    snprintf(input_path, sizeof input_path, "%s/%s.npy", argv[2], info.name);
    qinfer_model_destroy(m);
  }
  if (qi_npy_read(input_path, &x, &err) != QINFER_OK) return fprintf(stderr, "%s\n", err.msg), 2;
  const void *out[2] = {NULL, NULL};
  size_t out_bytes[2] = {0, 0};
  void *copy[2] = {NULL, NULL};
  for (int threads = 1; threads <= 2; threads++) {
    qinfer_model *m = NULL;
    qinfer_session *s = fixture_session(argv[1], &x, threads, &m);
    CHECK(s != NULL);
    if (!s) break;
    CHECK(qinfer_session_run(s) == QINFER_OK); /* warm: first-touch of the arena */
    long before = qi_test_n_allocs;
    for (int r = 0; r < 3; r++) CHECK(qinfer_session_run(s) == QINFER_OK);
    long during = qi_test_n_allocs - before;
    CHECK_MSG(during == 0, "%ld allocations during 3 runs with %d thread(s)", during, threads);
    CHECK(qinfer_session_get_output(s, 0, &out[threads - 1], &out_bytes[threads - 1]) == QINFER_OK);
    copy[threads - 1] = malloc(out_bytes[threads - 1]);
    memcpy(copy[threads - 1], out[threads - 1], out_bytes[threads - 1]);
    qinfer_session_destroy(s);
    qinfer_model_destroy(m);
  }
  CHECK(out_bytes[0] == out_bytes[1] && out_bytes[0] > 0);
  if (copy[0] && copy[1] && out_bytes[0] == out_bytes[1])
    CHECK_MSG(memcmp(copy[0], copy[1], out_bytes[0]) == 0, "1 and 2 threads differ");
  free(copy[0]);
  free(copy[1]);
  qi_host_tensor_free(&x);
  return TEST_SUMMARY();
}
