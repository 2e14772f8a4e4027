import ArgumentParser
import Train

/// `quarry eval`: loss and bits per byte of a checkpoint on named held-out sets.
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Loss and bits per byte of a checkpoint on held-out sets (documents or token shards).",
    discussion: """
      Each --data NAME=PATH is a set: JSONL documents (.jsonl, .jsonl.gz, .jsonl.zst; a file or a
      folder), tokenized with the checkpoint's tokenizer, or token shards made with it (a
      .tok.zst file or a folder of them). Bits per byte divide the summed loss by ln 2 and by
      the UTF-8 bytes of the predicted tokens, so checkpoints with different tokenizers compare.
      Prints a table and one JSON line.

      Example:
        quarry eval --checkpoint out/demo/train/final \\
          --data exercises=Fixtures/heldout --data crawl=out/demo/dedup
      """)
  @Option(help: "Checkpoint folder (config.json, model.safetensors, tokenizer.json).") var checkpoint: String
  @Option(help: "A held-out set, NAME=PATH (repeatable).") var data: [String]
  @Option(help: "tokenizer.json (default: the checkpoint's).") var tokenizer: String?
  @Option(help: "Tokens per window (context length).") var seqLen = 128
  @Option(help: "At most this many windows per set.") var windows = 64
  @Option(help: "Windows per forward.") var batchSize = 8
  @Option(help: "Threads.") var threads = 1

  func validate() throws {
    guard !data.isEmpty else { throw ValidationError("give at least one --data NAME=PATH") }
    for d in data where !d.contains("=") || d.hasPrefix("=") || d.hasSuffix("=") {
      throw ValidationError("--data takes NAME=PATH, not '\(d)'")
    }
    if seqLen < 1 || windows < 1 || batchSize < 1 || threads < 1 {
      throw ValidationError("--seq-len, --windows, --batch-size and --threads must be ≥ 1")
    }
  }

  func run() throws {
    let sets = data.map { d -> (name: String, path: String) in
      let i = d.firstIndex(of: "=")!
      return (String(d[..<i]), String(d[d.index(after: i)...]))
    }
    print(
      try CheckpointEvaluation(
        checkpoint: checkpoint, data: sets, tokenizer: tokenizer, seqLen: seqLen, maxWindows: windows,
        batchSize: batchSize, threads: threads
      ).text)
  }
}
