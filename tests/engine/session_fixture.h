/* Helpers shared by the engine tests: build a session for a model with one input taken from a .npy file. */
#ifndef QI_TEST_SESSION_FIXTURE_H
#define QI_TEST_SESSION_FIXTURE_H

#include "qinfer.h"
#include "engine/quant/io/npy.h"

/* Loads model_path, fixes the shape of input 0 to the array's shape, creates a session with `threads`
 * threads, and sets input 0 (the array must outlive the session). Returns NULL after printing why. */
qinfer_session *fixture_session(const char *model_path, const qi_host_tensor *input, int threads,
                                qinfer_model **out_model);

#endif
