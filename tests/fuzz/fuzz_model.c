/* libFuzzer target: the bytes are an ONNX model. Loads it from a buffer and, when that succeeds, builds a
 * session with default options, feeds zero-filled inputs and runs it. Whatever the bytes, nothing may
 * crash, leak, hang or touch memory out of bounds (the build adds ASan + UBSan). The run is skipped for a
 * session that plans more than 16 MB of activations or counts more than 4 M multiply-accumulates: a valid
 * model may ask for gigabytes or seconds of work, and inputs that large find no more bugs than small ones,
 * only slow the search (a 33 M-MAC convolution takes 0.6 s under the sanitizers, 3,000 small models as long).
 * Built with -DQINFER_BUILD_FUZZ=ON and clang. */
#include <stdint.h>
#include <stdlib.h>

#include "engine/op.h"
#include "engine/session.h"
#include "qinfer.h"

enum { MAX_INPUT_BYTES = 1 << 22, MAX_ARENA_BYTES = 1 << 24, MAX_MACS = 1 << 22 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qinfer_model *model = NULL;
  if (qinfer_model_load_buffer(data, size, NULL, &model) != QINFER_OK) return 0;
  qinfer_session *session = NULL;
  if (qinfer_session_create(model, NULL, &session) == QINFER_OK) {
    void *buffers[16] = {0};
    size_t n_inputs = qinfer_session_input_count(session);
    int ok = n_inputs <= 16;
    for (size_t i = 0; ok && i < n_inputs; i++) {
      qinfer_tensor_info info;
      qinfer_session_input_info(session, i, &info);
      size_t bytes = qinfer_dtype_size(info.dtype);
      for (int d = 0; d < info.rank && ok; d++) {
        if (info.dims[d] > MAX_INPUT_BYTES || (info.dims[d] && bytes > MAX_INPUT_BYTES / (size_t)info.dims[d]))
          ok = 0;
        else
          bytes *= (size_t)info.dims[d];
      }
      if (!ok) break;
      buffers[i] = calloc(1, bytes ? bytes : 1);
      ok = buffers[i] && qinfer_session_set_input(session, i, buffers[i], bytes) == QINFER_OK;
    }
    if (ok && qinfer_session_arena_bytes(session) <= MAX_ARENA_BYTES && qi_count_macs(session->graph) <= MAX_MACS)
      qinfer_session_run(session);
    for (size_t i = 0; i < 16; i++) free(buffers[i]);
    qinfer_session_destroy(session);
  }
  qinfer_model_destroy(model);
  return 0;
}
