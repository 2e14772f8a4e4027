internal import CFastText
import DataCore

/// A fastText model (`.bin`): a supervised classifier trained here or brought by the user (the
/// DCLM and FineWeb-Edu-style quality classifiers are fastText models).
///
/// Prediction is thread-safe (fastText's `predict` only reads the model).
public final class FastTextModel: @unchecked Sendable {
  private let handle: OpaquePointer
  /// The file the model came from.
  public let path: String
  /// How many labels the model predicts.
  public let labelCount: Int

  /// Loads `path`.
  /// - Throws: `DataError.invalidInput` when the file is missing or not a fastText model.
  public init(path: String) throws(DataError) {
    guard fileExists(path), !isDirectory(path) else {
      throw .invalidInput("fastText model '\(path)' does not exist; give a .bin file")
    }
    var error = [CChar](repeating: 0, count: 512)
    guard let h = quarry_fasttext_load(path, &error, Int32(error.count)) else {
      throw .invalidInput("'\(path)' is not a fastText model (\(message(error)))")
    }
    handle = h
    self.path = path
    labelCount = Int(quarry_fasttext_labels(h))
  }

  deinit { quarry_fasttext_free(handle) }

  /// The `k` most likely labels of `text` with their probabilities, most likely first (labels
  /// keep fastText's `__label__` prefix). Newlines count as spaces.
  /// - Throws: `DataError.invalidInput` when fastText fails.
  public func predict(_ text: String, k: Int = 2) throws(DataError) -> [(label: String, probability: Double)] {
    let k = max(1, min(k, max(1, labelCount)))
    let labelLen = 256
    var labels = [CChar](repeating: 0, count: k * labelLen)
    var probs = [Float](repeating: 0, count: k)
    var error = [CChar](repeating: 0, count: 512)
    var copy = text
    let n = copy.withUTF8 { utf8 in
      utf8.withMemoryRebound(to: CChar.self) { chars in
        quarry_fasttext_predict(
          handle, chars.baseAddress, Int32(chars.count), Int32(k), &labels, Int32(labelLen), &probs, &error,
          Int32(error.count))
      }
    }
    guard n >= 0 else { throw .invalidInput("fastText could not score a text: \(message(error))") }
    return (0..<Int(n)).map { i in
      let label = message(Array(labels[(i * labelLen)..<((i + 1) * labelLen)]))
      return (label, Double(probs[i]))
    }
  }

  /// The probability of `label` for `text` (0 when it is not among the model's answers).
  public func probability(of label: String, in text: String) throws(DataError) -> Double {
    try predict(text, k: labelCount).first { $0.label == label }?.probability ?? 0
  }

  /// Settings of supervised training, with fastText's `supervised` defaults except where noted.
  public struct TrainingOptions: Sendable, Equatable {
    public var learningRate = 0.1
    public var dimension = 100
    public var epochs = 5
    /// Word n-grams (fastText's default is 1; 2 is what DCLM's classifier uses).
    public var wordNgrams = 2
    /// Character n-grams from `minn` to `maxn` (0 turns them off; fastText's supervised default).
    public var minn = 2
    public var maxn = 5
    public var minCount = 1
    public var buckets = 2_000_000
    /// One thread makes training deterministic for a seed.
    public var threads = 1
    public var seed = 0
    public init() {}
  }

  /// Trains a supervised model on `examples` (fastText's format: `__label__X text` per line)
  /// and writes it to `output`.
  /// - Throws: `DataError.invalidInput` when fastText fails (an empty file, no labels, …).
  public static func train(examples: String, output: String, options: TrainingOptions = .init()) throws(DataError) {
    var args = quarry_fasttext_train_args(
      lr: options.learningRate, dim: Int32(options.dimension), epoch: Int32(options.epochs),
      word_ngrams: Int32(options.wordNgrams), minn: Int32(options.minn), maxn: Int32(options.maxn),
      min_count: Int32(options.minCount), bucket: Int32(options.buckets), threads: Int32(options.threads),
      seed: Int32(options.seed))
    var error = [CChar](repeating: 0, count: 512)
    guard quarry_fasttext_train(examples, output, &args, &error, Int32(error.count)) == 0 else {
      throw .invalidInput("fastText training on '\(examples)' failed: \(message(error))")
    }
  }
}

/// The NUL-terminated string in `buffer`.
private func message(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
