/* The pair lists of `qinfer eval-verify` (docs/cli.md): LFW's pairs.txt and a CSV of `path,path,same`.
 *
 * pairs.txt: an optional header "FOLDS N" (FOLDS sets of N same-person then N different-person lines, in order:
 * set k is fold k), then "name i j" (same person: DIR/name/name_%04d.jpg of i and j) and "name1 i name2 j"
 * (different people), fields separated by spaces or tabs. Without a header, and for the CSV, pair k is in fold
 * k mod 10. CSV lines: "a,b,same" with `same` 1/0 (or true/false), a and b image or .npy files relative to DIR; a
 * first line whose third field is none of those is a header. Every file must exist inside DIR: absolute paths,
 * ".." components and links that lead outside are refused, with the line. */
#ifndef QI_TOOLS_VERIFY_PAIRS_H
#define QI_TOOLS_VERIFY_PAIRS_H

#include <stdbool.h>
#include <stddef.h>

enum { QI_VERIFY_MAX_FOLDS = 64 };

typedef struct qi_verify_pair {
  int a, b;  /* indices into qi_verify_set.images */
  int same;  /* 1: same identity (genuine pair), 0: impostor pair */
  int fold;  /* 0 .. n_folds - 1 */
  int line;  /* line in the pairs file */
} qi_verify_pair;

typedef struct qi_verify_set {
  char **images; /* unique files, DIR-joined paths, in sorted order of their names relative to DIR */
  int n_images;
  qi_verify_pair *pairs;
  int n_pairs, n_same;
  int n_folds;
  bool header;  /* pairs.txt with a "FOLDS N" header: folds as LFW's sets */
  bool csv;
} qi_verify_set;

/* Reads pairs_path with files under images_dir. Returns 0, or -1 with a message naming the file and line in err. */
int qi_verify_pairs_read(const char *pairs_path, const char *images_dir, qi_verify_set *set, char *err, size_t errlen);
void qi_verify_set_free(qi_verify_set *set);

#endif /* QI_TOOLS_VERIFY_PAIRS_H */
