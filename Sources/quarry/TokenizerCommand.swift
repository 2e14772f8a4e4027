import ArgumentParser
import BPE
import DataCore

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
    var out = ""
    try JSONLReader(path: input).forEach { doc in
      out.removeAll(keepingCapacity: true)
      out += "{\"id\":"
      JSONValue.writeString(doc.id, to: &out)
      out += ",\"ids\":["
      out += bpe.encode(doc.text).map(String.init).joined(separator: ",")
      out += "]}"
      print(out)
    }
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
