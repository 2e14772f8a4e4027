// Calls fastText's C++ API behind the C interface of fasttext_shim.h.
#include "fasttext_shim.h"

#include <fasttext/fasttext.h>

#include <cstring>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

/// A model, loaded with the checks fastText's own loader leaves out.
struct quarry_fasttext : fasttext::FastText {
  /// Loads `path`; returns an empty string, or what is wrong with the file.
  ///
  /// fastText checks the magic number but not that the file was read to its end, nor the
  /// matrix shapes: a truncated or patched model would load and then crash at the first
  /// prediction (an assert, or a division by zero).
  std::string load(const char *path) {
    std::ifstream in(path, std::ifstream::binary);
    if (!in.is_open()) return "cannot open the file";
    if (!checkModel(in)) return "not a fastText .bin (wrong magic number or version)";  // sets `version`
    loadModel(in);
    if (in.fail()) return "the file ends before the model does (truncated?)";
    if (in.peek() != std::char_traits<char>::eof()) return "bytes follow the model";
    const fasttext::Args &a = getArgs();
    if (a.model != fasttext::model_name::sup) return "not a supervised (classifier) model";
    if (getDictionary()->nlabels() <= 0) return "the model has no labels";
    if (!isQuant()) {
      auto input = getInputMatrix();
      auto output = getOutputMatrix();
      if (input->size(1) != a.dim || output->size(1) != a.dim || output->size(0) != getDictionary()->nlabels())
        return "the model's matrices do not match its dimensions";
    }
    return "";
  }
};

static void set_error(char *error, int error_len, const char *message) {
  if (!error || error_len <= 0) return;
  std::strncpy(error, message, error_len - 1);
  error[error_len - 1] = 0;
}

extern "C" quarry_fasttext *quarry_fasttext_load(const char *path, char *error, int error_len) {
  quarry_fasttext *m = nullptr;
  try {
    m = new quarry_fasttext();
    std::string problem = m->load(path);
    if (!problem.empty()) throw std::invalid_argument(problem);
    return m;
  } catch (const std::exception &e) {
    set_error(error, error_len, e.what());
  } catch (...) {
    set_error(error, error_len, "unknown error while loading the model");
  }
  delete m;
  return nullptr;
}

extern "C" void quarry_fasttext_free(quarry_fasttext *model) { delete model; }

extern "C" int quarry_fasttext_labels(const quarry_fasttext *model) {
  try {
    return model->getDictionary()->nlabels();
  } catch (...) {
    return 0;
  }
}

extern "C" int quarry_fasttext_predict(
  const quarry_fasttext *model, const char *text, int len, int k, char *labels, int label_len, float *probs,
  char *error, int error_len) {
  try {
    std::string line(text, len);
    for (char &c : line) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    line.push_back('\n');
    std::istringstream in(line);
    std::vector<std::pair<fasttext::real, std::string>> predictions;
    model->predictLine(in, predictions, k, 0.0);
    int n = 0;
    for (const auto &p : predictions) {
      if (n >= k) break;
      set_error(labels + n * label_len, label_len, p.second.c_str());
      probs[n] = p.first > 1 ? 1 : p.first;  // exp(log p) can come out a hair above 1
      n++;
    }
    return n;
  } catch (const std::exception &e) {
    set_error(error, error_len, e.what());
  } catch (...) {
    set_error(error, error_len, "unknown error while predicting");
  }
  return -1;
}

extern "C" int quarry_fasttext_train(
  const char *input, const char *output, const quarry_fasttext_train_args *args, char *error, int error_len) {
  try {
    fasttext::Args a;
    a.input = input;
    a.output = output;
    a.model = fasttext::model_name::sup;
    a.loss = fasttext::loss_name::softmax;
    a.lr = args->lr;
    a.dim = args->dim;
    a.epoch = args->epoch;
    a.wordNgrams = args->word_ngrams;
    a.minn = args->minn;
    a.maxn = args->maxn;
    a.minCount = args->min_count;
    a.bucket = args->bucket;
    a.thread = args->threads;
    a.seed = args->seed;
    a.verbose = 0;
    fasttext::FastText ft;
    ft.train(a);
    ft.saveModel(std::string(output));
    return 0;
  } catch (const std::exception &e) {
    set_error(error, error_len, e.what());
  } catch (...) {
    set_error(error, error_len, "unknown error while training");
  }
  return -1;
}
