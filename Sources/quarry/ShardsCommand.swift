import ArgumentParser
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
  static let configuration = CommandConfiguration(commandName: "decode", abstract: "Print token ids of a window.")
  @OptionGroup var options: ShardOptions
  @Option(help: "First token.") var start = 0
  @Option(help: "Number of tokens.") var count = 64

  func run() throws {
    let r = try TokenShardReader(path: options.shard, vocabSize: options.vocabSize)
    print(try r.tokens(start..<(start + count)).map(String.init).joined(separator: " "))
  }
}
