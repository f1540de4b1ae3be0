#include "tools/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int qi_cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("qinfer: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return QI_EXIT_FAILURE;
}

int qi_cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "qinfer%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'qinfer help%s%s'.\n", cmd ? " " : "", cmd ? cmd : "");
  va_end(ap);
  return QI_EXIT_USAGE;
}

int qi_cli_api_error(const char *what, qinfer_status status, const char *detail) {
  if (detail && *detail) return qi_cli_error("%s: %s: %s", what, qinfer_status_string(status), detail);
  return qi_cli_error("%s: %s", what, qinfer_status_string(status));
}

int qi_cli_option(int argc, char **argv, int *i, const char *name, const char **value) {
  const char *arg = argv[*i];
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0) return 0;
  if (arg[n] == '=') {
    *value = arg + n + 1;
    return 1;
  }
  if (arg[n] != '\0') return 0;
  if (*i + 1 >= argc) return -1;
  *value = argv[++*i];
  return 1;
}

int qi_cli_model_arg(const char *cmd, const char *arg, const char **model) {
  if (arg[0] == '-' && arg[1] != '\0') return qi_cli_usage_error(cmd, "unknown option '%s'", arg);
  if (*model) return qi_cli_usage_error(cmd, "more than one model given ('%s', '%s')", *model, arg);
  *model = arg;
  return QI_EXIT_OK;
}

bool qi_cli_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out) {
  if (!text || !*text) return false;
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || *end || v < min || v > max) return false;
  *out = v;
  return true;
}

bool qi_cli_split_assignment(const char *text, char *key_buf, size_t cap, const char **value) {
  const char *eq = strchr(text, '=');
  if (!eq || eq == text || (size_t)(eq - text) >= cap) return false;
  memcpy(key_buf, text, (size_t)(eq - text));
  key_buf[eq - text] = '\0';
  *value = eq + 1;
  return true;
}

const char *qi_cli_shape_str(const qinfer_tensor_info *info, char *buf, size_t size) {
  size_t n = 0;
  n += (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < info->rank && n < size; i++) {
    const char *sep = i ? "," : "";
    if (info->dim_names[i])
      n += (size_t)snprintf(buf + n, size - n, "%s%s", sep, info->dim_names[i]);
    else if (info->dims[i] < 0)
      n += (size_t)snprintf(buf + n, size - n, "%s?", sep);
    else
      n += (size_t)snprintf(buf + n, size - n, "%s%lld", sep, (long long)info->dims[i]);
  }
  if (n < size) snprintf(buf + n, size - n, "]");
  return buf;
}

const char *qi_cli_dims_str(int rank, const int64_t *dims, char *buf, size_t size) {
  qinfer_tensor_info info = {.rank = rank};
  for (int i = 0; i < rank && i < QINFER_MAX_RANK; i++) info.dims[i] = dims[i];
  return qi_cli_shape_str(&info, buf, size);
}

bool qi_cli_make_dirs(const char *dir) {
  char path[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof path) {
    errno = ENAMETOOLONG;
    return false;
  }
  memcpy(path, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (path[i] != '/' && path[i] != '\0') continue;
    char saved = path[i];
    path[i] = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST) return false;
    path[i] = saved;
  }
  struct stat st;
  if (stat(dir, &st) != 0) return false;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return false;
  }
  return true;
}

double qi_cli_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}
