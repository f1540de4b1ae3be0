/* The internal graphs behind the public handles, for statistics the public API does not expose. */
#ifndef QI_TOOLS_SESSION_GRAPH_H
#define QI_TOOLS_SESSION_GRAPH_H

#include "qinfer.h"
#include "engine/ir/ir.h"

/* The model as loaded: initializers and nodes as in the file, shapes not inferred. */
const qi_graph *qi_cli_model_graph(const qinfer_model *model);
/* A session's graph after binding, shape inference, folding and fusion: every shape concrete. */
const qi_graph *qi_cli_session_graph(const qinfer_session *session);

#endif /* QI_TOOLS_SESSION_GRAPH_H */
