/* Session options and inputs shared by the subcommands that run a model (`qinfer run`, `bench`, `compare`, `sweep`):
 * --threads / --isa / --dim / --read-model parsing, --input NAME=FILE loading and checking, random filling of the
 * rest; with qi_cli_inputs_take_images (run, bench, compare), image inputs (--input NAME=photo.jpg, --image FILE)
 * and the image preprocessing options (tools/cli_image.h). */
#ifndef QI_TOOLS_CLI_INPUTS_H
#define QI_TOOLS_CLI_INPUTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qinfer.h"
#include "engine/quant/io/host_tensor.h"
#include "tools/cli_image.h"

/* One --input NAME=FILE: the file's tensor once loaded. */
typedef struct qi_cli_input {
  char name[256];
  const char *path;
  qi_host_tensor tensor;
  int model_index;
  int set; /* which input set it belongs to: the k-th --input of a name is in set k (run, bench) */
} qi_cli_input;

/* The session options and the --input list of one command (cmd: its name, for usage errors).
 * inputs has room for one entry per argument (qi_cli_inputs_init). */
typedef struct qi_cli_inputs {
  const char *cmd;
  qinfer_session_options *options;
  qi_cli_input *inputs;
  int n_inputs;
  int64_t threads; /* as given: 0 = one per online CPU */
  unsigned load_flags; /* qinfer_load_flags: QINFER_LOAD_READ_INTO_MEMORY with --read-model */
  qi_host_tensor *randoms; /* per session input, filled by qi_cli_bind_inputs */
  size_t n_randoms;
  /* Input sets (run, bench): a name given k times has a file in sets 0..k-1; set k runs with the latest file of
   * each input up to k, one session resized between sets (qinfer_session_resize_input). Without allow_sets a
   * name given twice is a usage error. */
  bool allow_sets;
  int n_sets;
  /* Image inputs (qi_cli_inputs_take_images): a file named .png / .jpg / .jpeg is read through image's
   * preprocessing; --image FILE is an input of the model's only input (name "" until qi_cli_load_inputs). */
  bool images;
  qi_cli_image_args image;
} qi_cli_inputs;

/* The help text of --image and of the image options, for the commands that take image inputs. */
extern const char qi_cli_image_inputs_usage[];

/* Creates the options (threads 1) and room for argc inputs. Returns an exit code. */
int qi_cli_inputs_init(qi_cli_inputs *in, const char *cmd, int argc);
void qi_cli_inputs_free(qi_cli_inputs *in);
/* Lets the command take image inputs and the image options. Returns an exit code. */
int qi_cli_inputs_take_images(qi_cli_inputs *in);

/* Matches --threads, --isa, --dim, --read-model or --input (with images: --image and the image options) at argv[*i] (both "--name VALUE" and "--name=VALUE").
 * Returns 0 when argv[*i] is none of them, 1 when it was applied, or -(exit code) on an error (reported). */
int qi_cli_session_option(qi_cli_inputs *in, int argc, char **argv, int *i);

/* Loads each --input file, checks it against the model's declaration (dtype, rank, fixed dims) and fixes the
 * session's shape for it (set 0's files); set 0's files also give the inputs' values, which the session binds
 * for inputs that decide shapes (qinfer_session_options_set_input_value). Returns an exit code. */
int qi_cli_load_inputs(qi_cli_inputs *in, const qinfer_model *model);

/* Points every session input at its file tensor of input set `set` (resizing the session's inputs to the files'
 * shapes first where they differ), or at a deterministic random one made from seed (kept until
 * qi_cli_inputs_free). With log, prints "input NAME DTYPE SHAPE SOURCE" per input. Returns an exit code. */
int qi_cli_bind_inputs(qi_cli_inputs *in, qinfer_session *session, int set, uint64_t seed, FILE *log);

/* The file input `name` takes in input set `set` (the latest given up to it), or NULL. */
const qi_cli_input *qi_cli_input_of(const qi_cli_inputs *in, const char *name, int set);
/* The file an input came from in set 0, or "random". */
const char *qi_cli_input_source(const qi_cli_inputs *in, const char *name);
/* "input NAME DTYPE SHAPE SOURCE", the line qi_cli_bind_inputs logs per input. */
void qi_cli_print_input(const qi_cli_inputs *in, const qinfer_tensor_info *info, int set, FILE *log);

/* Loads the model at path (with in->load_flags), loads and checks the --input files (qi_cli_load_inputs) and creates a session with
 * the options, reporting any failure. load_ms and create_ms (either may be NULL) get the time of the model load
 * and of the session creation alone. On failure *model and *session are left NULL (whatever was made is freed).
 * Returns an exit code. */
int qi_cli_open_session(qi_cli_inputs *in, const char *path, qinfer_model **model, qinfer_session **session,
                        double *load_ms, double *create_ms);

#endif /* QI_TOOLS_CLI_INPUTS_H */
