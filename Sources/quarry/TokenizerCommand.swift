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
      encoder.withIDs(of: doc.text) { out.appendDecimals($0) }
      out.append("]}\n")
      try out.flushIfFull()
    }
    try out.flush()
  }
}

/// Buffered standard output for bulk output (`print` formats and locks per call).
private struct StandardOutput {
  private var buffer = [UInt8](repeating: 0, count: 1 << 17)
  private var used = 0

  /// Makes room for `count` more bytes.
  private mutating func reserve(_ count: Int) {
    if used + count > buffer.count {
      let more = max(used + count - buffer.count, buffer.count)
      buffer.append(contentsOf: repeatElement(0, count: more))
    }
  }

  mutating func append(_ text: String) {
    var copy = text
    copy.withUTF8 { utf8 in
      reserve(utf8.count)
      for b in utf8 {
        buffer[used] = b
        used += 1
      }
    }
  }

  /// Appends `ids` in decimal, separated by commas.
  mutating func appendDecimals(_ ids: UnsafeBufferPointer<Int32>) {
    reserve(12 * ids.count)
    var at = used
    buffer.withUnsafeMutableBufferPointer { out in
      for (k, id) in ids.enumerated() {
        if k > 0 {
          out[at] = 0x2C
          at += 1
        }
        var v = UInt32(id.magnitude)
        if id < 0 {
          out[at] = 0x2D
          at += 1
        }
        var digits = 1
        var p: UInt32 = 10
        while digits < 10 && v >= p {
          digits += 1
          p &*= 10
        }
        var end = at + digits
        at = end
        repeat {
          end -= 1
          out[end] = 0x30 + UInt8(truncatingIfNeeded: v % 10)
          v /= 10
        } while v > 0
      }
    }
    used = at
  }

  mutating func flushIfFull() throws(DataError) {
    if used >= 1 << 16 { try flush() }
  }

  mutating func flush() throws(DataError) {
    var failure: Int32 = 0
    let count = used
    buffer.withUnsafeBytes { raw in
      var off = 0
      while off < count {
        let r = write(1, raw.baseAddress.map { $0 + off }, count - off)
        if r < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        off += r
      }
    }
    used = 0
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
        quarry tokenizer train --input out/dedup --input Fixtures/textbook --vocab-size 1024 --output t.json
      """
  )

  @Option(help: "A JSONL/JSONL.zst file or a folder of them (documents with a text field); repeatable.")
  var input: [String]
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
    for file in try input.flatMap({ try listDocumentFiles($0) }) {
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
