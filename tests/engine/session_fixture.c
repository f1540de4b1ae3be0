#include "session_fixture.h"

#include <stdio.h>

qinfer_session *fixture_session(const char *model_path, const qi_host_tensor *input, int threads,
                                qinfer_model **out_model) {
  qinfer_model *model = NULL;
  qinfer_session_options *opts = NULL;
  qinfer_session *s = NULL;
  qinfer_tensor_info info;
  if (qinfer_model_load_file(model_path, &model) != QINFER_OK) {
    fprintf(stderr, "load %s: %s\n", model_path, qinfer_last_error());
    return NULL;
  }
  qinfer_session_options_create(&opts);
  qinfer_session_options_set_threads(opts, threads);
  qinfer_model_input_info(model, 0, &info);
  qinfer_session_options_set_input_shape(opts, info.name, input->dims, input->rank);
  if (qinfer_session_create(model, opts, &s) != QINFER_OK) {
    fprintf(stderr, "session %s: %s\n", model_path, qinfer_last_error());
    qinfer_session_options_destroy(opts);
    qinfer_model_destroy(model);
    return NULL;
  }
  qinfer_session_options_destroy(opts);
  if (qinfer_session_set_input(s, 0, input->data, input->nbytes) != QINFER_OK) {
    fprintf(stderr, "set_input: %s\n", qinfer_session_last_error(s));
    qinfer_session_destroy(s);
    qinfer_model_destroy(model);
    return NULL;
  }
  *out_model = model;
  return s;
}
