import ArgumentParser
import BPE
import DataCore
import Shards

/// `quarry shards`: look into token shards.
struct ShardsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "shards",
    abstract: "Inspect, verify and decode seekable zstd token shards.",
    discussion: """
      Examples:
        quarry shards inspect out/tokens/tokenize/00000.tok.zst
        quarry shards verify out/tokens/tokenize/00000.tok.zst
        quarry shards decode out/tokens/tokenize/00000.tok.zst --count 64
        quarry shards decode out/demo/tokenize/00000.tok.zst --count 64 --text --tokenizer out/demo/tokenizer
      """,
    subcommands: [ShardsInspect.self, ShardsVerify.self, ShardsDecode.self]
  )
}

struct ShardOptions: ParsableArguments {
  @Argument(help: "The shard (.tok.zst).") var shard: String
  @Option(help: "Vocabulary size (tokens are uint16 up to 65536, else uint32).") var vocabSize = 65536
}

struct ShardsInspect: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Print frames, tokens and documents.")
  @OptionGroup var options: ShardOptions

  func run() throws {
    let r = try TokenShardReader(path: options.shard, vocabSize: options.vocabSize)
    let docs = (try? readFile(TokenShard.indexPath(options.shard)))
      .map { $0.split(separator: 0x0A).count } ?? 0
    print("\(options.shard): \(r.tokenCount) tokens (uint\(r.tokenBytes * 8)), \(r.frames.count) frames, \(docs) documents, \(fileSize(options.shard)) bytes")
  }
}

struct ShardsVerify: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "verify", abstract: "Decompress every frame and check sizes and checksums.")
  @OptionGroup var options: ShardOptions

  func run() throws {
    let r = try TokenShardReader(path: options.shard, vocabSize: options.vocabSize)
    try r.verify()
    print("\(options.shard): OK (\(r.frames.count) frames, \(r.tokenCount) tokens)")
  }
}

struct ShardsDecode: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "decode", abstract: "Print the token ids of a window, or with --text its text (and the documents it covers).")
  @OptionGroup var options: ShardOptions
  @Option(help: "First token.") var start = 0
  @Option(help: "Number of tokens.") var count = 64
  @Flag(help: "Print text, decoded with --tokenizer (default: the run's tokenizer step beside the shard's folder).") var text = false
  @Option(help: "tokenizer.json, or a folder holding one, for --text.") var tokenizer: String?

  func validate() throws {
    if start < 0 || count < 1 { throw ValidationError("--start must be ≥ 0 and --count ≥ 1") }
  }

  func run() throws {
    let r = try TokenShardReader(path: options.shard, vocabSize: options.vocabSize)
    let range = min(start, r.tokenCount)..<min(start + count, r.tokenCount)
    let ids = try r.tokens(range)
    guard text else {
      print(ids.map(String.init).joined(separator: " "))
      return
    }
    guard let path = tokenizer ?? TokenShard.runTokenizer(near: options.shard) else {
      throw ValidationError("--text needs --tokenizer FILE (no tokenizer step found beside \(options.shard))")
    }
    let bpe = try BPETokenizer(path: path)
    print(TokenShard.describe(ids, at: range.lowerBound, shard: options.shard, decode: bpe.decode))
  }
}
