/* Runs a model on MODEL.input.npy and compares output 0 with MODEL.expected.npy, computed by numpy in
 * tests/engine/make_models.py. usage: test_model_vs_numpy DIR NAME [TOL] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "session_fixture.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: %s DIR NAME [TOL]\n", argv[0]), 2;
  const double tol = argc > 3 ? atof(argv[3]) : 1e-5;
  char path[1024];
  qi_host_tensor x = {0}, want = {0};
  qi_error err = {0};
  snprintf(path, sizeof path, "%s/%s.input.npy", argv[1], argv[2]);
  if (qi_npy_read(path, &x, &err) != QINFER_OK) return fprintf(stderr, "%s\n", err.msg), 2;
  snprintf(path, sizeof path, "%s/%s.expected.npy", argv[1], argv[2]);
  if (qi_npy_read(path, &want, &err) != QINFER_OK) return fprintf(stderr, "%s\n", err.msg), 2;
  snprintf(path, sizeof path, "%s/%s.onnx", argv[1], argv[2]);
  for (int threads = 1; threads <= 2; threads++) {
    qinfer_model *m = NULL;
    qinfer_session *s = fixture_session(path, &x, threads, &m);
    CHECK(s != NULL);
    if (!s) break;
    CHECK(qinfer_session_run(s) == QINFER_OK);
    const void *data;
    size_t nbytes;
    qinfer_tensor_info info;
    CHECK(qinfer_session_get_output(s, 0, &data, &nbytes) == QINFER_OK);
    CHECK(qinfer_session_output_info(s, 0, &info) == QINFER_OK);
    CHECK_MSG(info.rank == want.rank, "rank %d vs %d", info.rank, want.rank);
    for (int d = 0; d < info.rank && d < want.rank; d++) CHECK(info.dims[d] == want.dims[d]);
    CHECK(nbytes == want.nbytes);
    double max_err = 0;
    const float *y = data, *w = want.data;
    for (size_t i = 0; nbytes == want.nbytes && i < nbytes / sizeof(float); i++)
      max_err = fmax(max_err, fabs((double)y[i] - w[i]));
    CHECK_MSG(max_err <= tol, "%s: max |error| %g > %g with %d thread(s)", argv[2], max_err, tol, threads);
    qinfer_session_destroy(s);
    qinfer_model_destroy(m);
  }
  qi_host_tensor_free(&x);
  qi_host_tensor_free(&want);
  return TEST_SUMMARY();
}
