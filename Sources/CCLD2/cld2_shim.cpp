// Calls CLD2's C++ API behind the C interface of cld2_shim.h.
#include "cld2_shim.h"

#include <cstdio>  // compact_lang_det.h uses FILE without including it
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
#include <cstring>

extern "C" int quarry_cld2_detect(
  const char *utf8, int len, int is_plain_text, quarry_cld2_language top3[3], int *text_bytes,
  int *reliable) {
  CLD2::Language language3[3] = {CLD2::UNKNOWN_LANGUAGE, CLD2::UNKNOWN_LANGUAGE, CLD2::UNKNOWN_LANGUAGE};
  int percent3[3] = {0, 0, 0};
  double scores3[3] = {0, 0, 0};
  int bytes = 0;
  int valid = 0;
  bool is_reliable = false;
  CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  CLD2::ExtDetectLanguageSummaryCheckUTF8(
    utf8, len, is_plain_text != 0, &hints, 0, language3, percent3, scores3, nullptr, &bytes,
    &is_reliable, &valid);
  for (int i = 0; i < 3; i++) {
    const char *code = CLD2::LanguageCode(language3[i]);
    std::strncpy(top3[i].code, code ? code : "un", sizeof top3[i].code - 1);
    top3[i].code[sizeof top3[i].code - 1] = 0;
    const char *script = CLD2::ULScriptCode(CLD2::LanguageRecognizedScript(language3[i], 0));
    std::strncpy(top3[i].script, script && *script ? script : "Zyyy", sizeof top3[i].script - 1);
    top3[i].script[sizeof top3[i].script - 1] = 0;
    top3[i].percent = percent3[i];
    top3[i].normalized_score = scores3[i];
  }
  *text_bytes = bytes;
  *reliable = is_reliable ? 1 : 0;
  return valid;
}
