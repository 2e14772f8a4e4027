// A C interface to CLD2 (Debian libcld2-dev), which is C++. Only QualityFilters imports it.
#ifndef QUARRY_CLD2_SHIM_H
#define QUARRY_CLD2_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

/// One of CLD2's top three languages for a text.
typedef struct {
  /// ISO 639-1 code where one exists ("en", "zh", "zh-Hant", "un" for unknown), NUL-terminated.
  char code[16];
  /// The language's main script as an ISO 15924 code ("Latn", "Cyrl", "Hani"; "Zyyy" when
  /// unknown), NUL-terminated.
  char script[8];
  /// Share of the text's letters in this language, 0-100.
  int percent;
  /// CLD2's score relative to normal text in this language (near 1 for real text).
  double normalized_score;
} quarry_cld2_language;

/// Detects the languages of `len` bytes of plain UTF-8 text (`is_plain_text` 0: HTML).
///
/// Fills `top3` (unused entries have code "un" and percent 0), `*text_bytes` (the letters
/// scored) and `*reliable`. Returns the number of leading bytes that are valid UTF-8: when it is
/// less than `len`, the text was not scored (CLD2 refuses invalid UTF-8) and top3[0] is "un".
/// Thread-safe: CLD2 keeps no state between calls.
int quarry_cld2_detect(
  const char *utf8, int len, int is_plain_text, quarry_cld2_language top3[3], int *text_bytes,
  int *reliable);

#ifdef __cplusplus
}
#endif

#endif
