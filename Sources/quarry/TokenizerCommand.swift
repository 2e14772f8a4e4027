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
    subcommands: [TokenizerEncode.self]
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
