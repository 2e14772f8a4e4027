// A C interface to fastText (Debian libfasttext-dev), which is C++. Only QualityFilters imports
// it. Every function catches the library's C++ exceptions and reports them as a message.
#ifndef QUARRY_FASTTEXT_SHIM_H
#define QUARRY_FASTTEXT_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

/// A loaded model (opaque).
typedef struct quarry_fasttext quarry_fasttext;

/// Loads a fastText `.bin` model; NULL on failure, with the reason in `error`.
quarry_fasttext *quarry_fasttext_load(const char *path, char *error, int error_len);

/// Frees a model.
void quarry_fasttext_free(quarry_fasttext *model);

/// The number of labels of a supervised model (0 for word-vector models).
int quarry_fasttext_labels(const quarry_fasttext *model);

/// Predicts the `k` most likely labels of one text (`len` bytes of UTF-8; newlines count as
/// spaces, as in fastText's own `predict`). Writes label `i` (NUL-terminated, cut to
/// `label_len`) at `labels + i * label_len` and its probability at `probs[i]`; returns how many
/// were written, or -1 with the reason in `error`.
int quarry_fasttext_predict(
  const quarry_fasttext *model, const char *text, int len, int k, char *labels, int label_len, float *probs,
  char *error, int error_len);

/// Settings of supervised training (fastText's `supervised` command).
typedef struct {
  double lr;
  int dim;
  int epoch;
  int word_ngrams;
  int minn;
  int maxn;
  int min_count;
  int bucket;
  int threads;
  int seed;
} quarry_fasttext_train_args;

/// Trains a supervised model on `input` (one `__label__X text` line per example) and saves it
/// to `output` (the full path of the .bin). Returns 0, or -1 with the reason in `error`.
int quarry_fasttext_train(
  const char *input, const char *output, const quarry_fasttext_train_args *args, char *error, int error_len);

#ifdef __cplusplus
}
#endif

#endif
