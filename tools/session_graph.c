#include "tools/session_graph.h"

#include <stddef.h>

#include "engine/session.h"

const qi_graph *qi_cli_model_graph(const qinfer_model *model) { return model ? model->graph : NULL; }

const qi_graph *qi_cli_session_graph(const qinfer_session *session) { return session ? session->graph : NULL; }
