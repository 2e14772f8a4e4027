import ArgumentParser
import BPE
import DataCore

#if canImport(Glibc)
  import Glibc
#endif

/// `quarry tokenizer`: byte-level BPE tokenizers in Hugging Face's tokenizer.json format.
struct Tokenizer: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Byte-level BPE tokenizers (Hugging Face tokenizer.json).",
    discussion: """
      Examples:
        quarry tokenizer encode --tokenizer tokenizer.json --input docs.jsonl
        quarry tokenizer encode --tokenizer tokenizer.json --text "Hello, world"
      """,
    subcommands: [TokenizerTrain.self, TokenizerEncode.self]
  )
}

struct TokenizerEncode: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "encode",
    abstract: "Print token ids: one {\"id\", \"ids\"} JSON line per input document (no special tokens added).",
    discussion: """
      Examples:
        quarry tokenizer encode --tokenizer tokenizer.json --input docs.jsonl
        quarry tokenizer encode --tokenizer tokenizer.json --text "x^2 + y^2"
      """
  )

  @Option(help: "A Hugging Face tokenizer.json (byte-level BPE).") var tokenizer: String
  @Option(help: "A JSONL/JSONL.zst file of objects with a text field (and an optional id).") var input: String?
  @Option(help: "Encode this text instead of --input.") var text: String?

  func validate() throws {
    if (input == nil) == (text == nil) { throw ValidationError("give exactly one of --input or --text") }
  }

  func run() throws {
    let bpe: BPETokenizer
    do {
      bpe = try BPETokenizer(path: tokenizer)
    } catch {
      throw ValidationError("cannot load \(tokenizer): \(error)")
    }
    if let text {
      print(bpe.encode(text).map(String.init).joined(separator: " "))
      return
    }
    guard let input else { return }
    var encoder = BPEEncoder(bpe)
    var out = StandardOutput()
    var head = ""
    try JSONLReader(path: input).forEach { doc in
      head.removeAll(keepingCapacity: true)
      head += "{\"id\":"
      JSONValue.writeString(doc.id, to: &head)
      head += ",\"ids\":["
      out.append(head)
      encoder.withIDs(of: doc.text) { ids in
        for (k, id) in ids.enumerated() {
          if k > 0 { out.append(0x2C) }
          out.appendDecimal(id)
        }
      }
      out.append(0x5D)
      out.append(0x7D)
      out.append(0x0A)
      try out.flushIfFull()
    }
    try out.flush()
  }
}

/// Buffered standard output for bulk output (`print` formats and locks per call).
private struct StandardOutput {
  private var buffer: [UInt8] = []

  init() { buffer.reserveCapacity(1 << 17) }

  mutating func append(_ byte: UInt8) { buffer.append(byte) }

  mutating func append(_ text: String) {
    var copy = text
    copy.withUTF8 { buffer.append(contentsOf: $0) }
  }

  /// Appends the decimal digits of `value`.
  mutating func appendDecimal(_ value: Int32) {
    var v = UInt32(value.magnitude)
    if value < 0 { buffer.append(0x2D) }
    if v < 10 {
      buffer.append(0x30 + UInt8(v))
      return
    }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &digits) { d in
      while v > 0 {
        d[n] = 0x30 + UInt8(v % 10)
        v /= 10
        n += 1
      }
      for k in stride(from: n - 1, through: 0, by: -1) { buffer.append(d[k]) }
    }
  }

  mutating func flushIfFull() throws(DataError) {
    if buffer.count >= 1 << 16 { try flush() }
  }

  mutating func flush() throws(DataError) {
    var failure: Int32 = 0
    buffer.withUnsafeBytes { raw in
      var off = 0
      while off < raw.count {
        let r = write(1, raw.baseAddress.map { $0 + off }, raw.count - off)
        if r < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        off += r
      }
    }
    buffer.removeAll(keepingCapacity: true)
    if failure != 0 { throw DataError.io(path: "<stdout>", operation: "write", errno: failure) }
  }
}

struct TokenizerTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a byte-level BPE tokenizer on JSONL documents and write tokenizer.json.",
    discussion: """
      Examples:
        quarry tokenizer train --input out/dedup --vocab-size 8192 --output tokenizer.json
        quarry tokenizer train --input docs.jsonl.zst --vocab-size 4096 --pre-tokenizer gpt2 --output t.json
      """
  )

  @Option(help: "A JSONL/JSONL.zst file or a folder of them (documents with a text field).") var input: String
  @Option(help: "Vocabulary size, special tokens and the 256 bytes included.") var vocabSize: Int
  @Option(help: "Where to write tokenizer.json.") var output: String
  @Option(help: "Pre-tokenizer regex: qwen2 (numbers of 1-3 digits) or gpt2.") var preTokenizer = "qwen2"
  @Option(help: "Special tokens, comma-separated.") var special = "<|endoftext|>"

  func validate() throws {
    guard vocabSize > 257 else { throw ValidationError("--vocab-size must exceed 256 + the special tokens") }
    guard ["qwen2", "gpt2"].contains(preTokenizer) else { throw ValidationError("--pre-tokenizer is qwen2 or gpt2") }
  }

  func run() throws {
    var trainer = BPETrainer(vocabSize: vocabSize)
    trainer.preTokenizer = preTokenizer == "gpt2" ? .gpt2 : .qwen2(digits: 3)
    trainer.specialTokens = special.split(separator: ",").map(String.init)
    let start = monotonicSeconds()
    var counts = BPETrainer.Counts()
    for file in try listDocumentFiles(input) {
      try JSONLReader(path: file).forEach { trainer.add($0.text, to: &counts) }
    }
    let counted = monotonicSeconds()
    let result = trainer.train(counts)
    try writeFileAtomically(output, result.tokenizerJSON.jsonText + "\n")
    let end = monotonicSeconds()
    log(
      "tokenizer train: \(counts.documents) docs, \(counts.bytes / 1_000_000) MB · counting "
        + "\(formatRate(counted - start)) s · merges \(formatRate(end - counted)) s · vocab \(result.tokens.count) · "
        + "peak RSS \(peakRSSBytes() >> 20) MiB")
  }
}
