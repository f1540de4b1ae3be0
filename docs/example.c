/* Smallest use of the qinfer C API: load a model, build a session, feed every input with 0.5 (floats) or
 * 0 (other types), run once and print each output's shape and first values.
 *
 * From the repository root, after the README's Quick start (which builds build-release/), against the static
 * library (self-contained: nanopb is inside):
 *
 *   cc docs/example.c -Iinclude build-release/libqinfer.a -lpthread -lm -o example
 *   ./example .cache/zoo/mobilenet_v2/model.onnx
 *
 * Against an installed qinfer (cmake --install build-release; docs/building.md has the other ways):
 *
 *   cc docs/example.c $(pkg-config --cflags --libs qinfer) -o example
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qinfer.h"

static int fail(const char *what, qinfer_status status, const char *message) {
  fprintf(stderr, "%s: %s: %s\n", what, qinfer_status_string(status), message);
  return 1;
}

static size_t element_count(const qinfer_tensor_info *info) {
  size_t n = 1;
  for (int d = 0; d < info->rank; d++) n *= (size_t)info->dims[d]; /* a session's dims are concrete */
  return n;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL.onnx\n", argv[0]);
    return 2;
  }

  qinfer_model *model = NULL;
  qinfer_status s = qinfer_model_load_file(argv[1], &model);
  if (s != QINFER_OK) return fail("load", s, qinfer_last_error());

  /* No options: one thread, the best ISA, symbolic dims bound to 1. */
  qinfer_session *session = NULL;
  s = qinfer_session_create(model, NULL, &session);
  if (s != QINFER_OK) {
    fail("session", s, qinfer_last_error());
    qinfer_model_destroy(model);
    return 1;
  }

  /* Input buffers belong to us and must stay valid until qinfer_session_run returns. */
  size_t n_inputs = qinfer_session_input_count(session);
  void **buffers = calloc(n_inputs + 1, sizeof *buffers);
  int rc = buffers ? 0 : 1;
  for (size_t i = 0; i < n_inputs && rc == 0; i++) {
    qinfer_tensor_info info;
    qinfer_session_input_info(session, i, &info);
    size_t count = element_count(&info), nbytes = count * qinfer_dtype_size(info.dtype);
    buffers[i] = calloc(nbytes + 1, 1);
    if (!buffers[i]) {
      rc = 1;
      break;
    }
    if (info.dtype == QINFER_DTYPE_FLOAT)
      for (size_t k = 0; k < count; k++) ((float *)buffers[i])[k] = 0.5f;
    s = qinfer_session_set_input(session, i, buffers[i], nbytes);
    if (s != QINFER_OK) rc = fail("set_input", s, qinfer_session_last_error(session));
  }

  if (rc == 0) {
    s = qinfer_session_run(session);
    if (s != QINFER_OK) rc = fail("run", s, qinfer_session_last_error(session));
  }

  /* Output buffers belong to the session and stay valid until the next run. */
  for (size_t i = 0; rc == 0 && i < qinfer_session_output_count(session); i++) {
    qinfer_tensor_info info;
    const void *data;
    size_t nbytes;
    qinfer_session_output_info(session, i, &info);
    s = qinfer_session_get_output(session, i, &data, &nbytes);
    if (s != QINFER_OK) {
      rc = fail("get_output", s, qinfer_session_last_error(session));
      break;
    }
    printf("%s: %s [", info.name, qinfer_dtype_name(info.dtype));
    for (int d = 0; d < info.rank; d++) printf("%s%lld", d ? ", " : "", (long long)info.dims[d]);
    printf("]");
    if (info.dtype == QINFER_DTYPE_FLOAT) {
      size_t count = nbytes / sizeof(float);
      for (size_t k = 0; k < count && k < 5; k++) printf(" %g", ((const float *)data)[k]);
      if (count > 5) printf(" ...");
    }
    printf("\n");
  }

  for (size_t i = 0; buffers && i < n_inputs; i++) free(buffers[i]);
  free(buffers);
  qinfer_session_destroy(session); /* every session before its model */
  qinfer_model_destroy(model);
  return rc;
}
