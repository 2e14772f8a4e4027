import ArgumentParser
import Logging
import BPE
import DataCore

/// `quarry tokenizer`: byte-level BPE tokenizers in Hugging Face's tokenizer.json format.
struct Tokenizer: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenizer",
    abstract: "Byte-level BPE tokenizers (Hugging Face tokenizer.json).",
    discussion: """
      Examples:
        quarry tokenizer train --input Fixtures/exercises --vocab-size 300 \\
          --output out/tok3
        quarry tokenizer encode --tokenizer out/tok --input Fixtures/heldout
        quarry tokenizer encode --tokenizer out/tok --text "Hello, world"
        quarry tokenizer encode --tokenizer out/tok --text "x^2 + y^2" | \\
          quarry tokenizer decode --tokenizer out/tok
      """,
    subcommands: [TokenizerTrain.self, TokenizerEncode.self, TokenizerDecode.self]
  )
}

struct TokenizerEncode: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "encode",
    abstract: "Print token ids: one {\"id\", \"ids\"} JSON line per input document (no special tokens added).",
    discussion: """
      Examples:
        quarry tokenizer encode --tokenizer out/tok --input Fixtures/heldout
        quarry tokenizer encode --tokenizer out/tok --text "x^2 + y^2"
      """
  )

  @Option(help: "A Hugging Face tokenizer.json (byte-level BPE), or a folder holding one.") var tokenizer: String
  @Option(help: "A JSONL/JSONL.zst file or folder of objects with a text field (and an optional id).") var input: String?
  @Option(help: "Encode this text instead of --input.") var text: String?
  @OptionGroup var log: LogOptions

  func validate() throws {
    if (input == nil) == (text == nil) { throw ValidationError("give exactly one of --input or --text") }
  }

  func run() throws {
    log.bootstrap()
    let bpe: BPETokenizer
    do { bpe = try BPETokenizer(path: tokenizer) } catch { throw ValidationError("cannot load \(tokenizer): \(error)") }
    if let text {
      print(bpe.encode(text).map(String.init).joined(separator: " "))
    } else if let input {
      let log = Logger(label: "tokenizer")
      var seen = Set<String>()
      for file in try listDocumentFiles(input) {
        try bpe.writeIDs(ofDocumentsIn: file, to: 1) { problem in
          if seen.insert(problem.reason).inserted {
            log.warning("\(problem.reason): \(file):\(problem.line): \(problem.message) (further ones not shown)")
          }
        }
      }
    }
  }
}

struct TokenizerDecode: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "decode",
    abstract: "Print the text of token ids: given with --ids, or the {\"id\", \"ids\"} lines of `tokenizer encode` on stdin.",
    discussion: """
      Examples:
        quarry tokenizer decode --tokenizer out/tok \\
          --ids "$(quarry tokenizer encode --tokenizer out/tok --text 'x^2 + y^2')"
        quarry tokenizer encode --tokenizer out/tok --input Fixtures/heldout | \\
          quarry tokenizer decode --tokenizer out/tok
      """
  )

  @Option(help: "A Hugging Face tokenizer.json (byte-level BPE), or a folder holding one.") var tokenizer: String
  @Option(help: "Token ids, separated by spaces or commas (default: read encode's JSON lines from stdin).") var ids: String?

  func run() throws {
    let bpe: BPETokenizer
    do { bpe = try BPETokenizer(path: tokenizer) } catch { throw ValidationError("cannot load \(tokenizer): \(error)") }
    if let ids {
      print(try bpe.decode(idList: ids))
    } else {
      while let line = readLine(strippingNewline: true) {
        guard !line.isEmpty else { continue }
        print(try bpe.decode(encodedLine: line))
      }
    }
  }
}

struct TokenizerTrain: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a byte-level BPE tokenizer on JSONL documents; writes <output>/tokenizer/tokenizer.json.",
    discussion: """
      Examples:
        quarry tokenizer train --input Fixtures/exercises --vocab-size 300 \\
          --output out/tok3
        quarry tokenizer train --input out/dedup --input Fixtures/exercises \\
          --vocab-size 1024 --pre-tokenizer gpt2 --output out/tok2
      """
  )

  @Option(help: "A JSONL/JSONL.zst file or a folder of them (documents with a text field); repeatable.")
  var input: [String]
  @Option(help: "Vocabulary size, special tokens and the 256 bytes included.") var vocabSize: Int
  @Option(help: "The run folder.") var output: String
  @Option(help: "Pre-tokenizer regex: qwen2 (numbers of 1-3 digits) or gpt2.") var preTokenizer = "qwen2"
  @Option(help: "Special tokens, comma-separated.") var special = "<|endoftext|>"
  @OptionGroup var log: LogOptions

  func run() async throws {
    log.bootstrap()
    let params: [String: JSONValue] = [
      "vocab_size": .int(Int64(vocabSize)), "pre_tokenizer": .string(preTokenizer),
      "special": .array(special.split(separator: ",").map { .string(String($0)) }),
    ]
    try await runSingle("tokenizer", inputs: input, params: params, output: output, workers: 1)
  }
}
