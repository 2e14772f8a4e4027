// The data loader: packed windows of seq_len+1 tokens read from seekable zstd token shards.
// Windows never cross a shard boundary. Their order is a seeded permutation per epoch, so the
// position (epoch, index) is all a checkpoint needs to resume the exact same stream.
import DataCore
import Model
import Shards

public final class TokenWindows {
  public let paths: [String]
  public let window: Int  // seq_len + 1
  private let readers: [TokenShardReader]
  /// (shard, first token) of every window, in file order.
  private let starts: [(Int, Int)]
  private let seed: UInt64
  private let shuffle: Bool
  private var order: [Int] = []
  public private(set) var epoch = 0
  public private(set) var index = 0
  public let totalTokens: Int
  private let vocabSize: Int

  /// Opens every `*.tok.zst` under `path` (or the one shard `path`).
  public init(path: String, seqLen: Int, vocabSize: Int, seed: UInt64, shuffle: Bool = true) throws {
    var files: [String]
    guard fileExists(path) else {
      throw TrainError.noData("\(path) does not exist; run `quarry mix` or `quarry tokenize` first")
    }
    if isDirectory(path) {
      files = try listInputFiles([path]).filter { $0.hasSuffix(".tok.zst") }
    } else {
      files = [path]
    }
    files.sort()
    guard !files.isEmpty else {
      throw TrainError.noData("no *.tok.zst shards under \(path); run `quarry mix` or `quarry tokenize` first")
    }
    paths = files
    window = seqLen + 1
    self.vocabSize = vocabSize
    readers = try files.map { try TokenShardReader(path: $0, vocabSize: vocabSize) }
    var s: [(Int, Int)] = []
    var total = 0
    for (k, r) in readers.enumerated() {
      total += r.tokenCount
      var at = 0
      while at + window <= r.tokenCount {
        s.append((k, at))
        at += window
      }
    }
    guard !s.isEmpty else {
      throw TrainError.noData(
        "\(path) holds \(total) tokens, fewer than one window of seq_len+1 = \(window)")
    }
    starts = s
    totalTokens = total
    self.seed = seed
    self.shuffle = shuffle
    makeOrder()
  }

  public var windowCount: Int { starts.count }

  private func makeOrder() {
    order = Array(0..<starts.count)
    guard shuffle else { return }
    var rng = SplitMix64(seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15))
    for i in stride(from: order.count - 1, to: 0, by: -1) {
      let j = Int(rng.next() % UInt64(i + 1))
      order.swapAt(i, j)
    }
  }

  /// Moves to a saved position.
  public func seek(epoch: Int, index: Int) {
    self.epoch = epoch
    makeOrder()
    self.index = min(max(0, index), order.count)
  }

  /// The next `b` windows, concatenated: b·(seq_len+1) token ids.
  public func next(_ b: Int) throws -> [Int32] {
    var out = [Int32]()
    out.reserveCapacity(b * window)
    for _ in 0..<b {
      if index >= order.count {
        epoch += 1
        index = 0
        makeOrder()
      }
      let (k, at) = starts[order[index]]
      index += 1
      let ids = try readers[k].tokens(at..<(at + window))
      for id in ids {
        guard id < vocabSize else {
          throw TrainError.noData(
            "\(paths[k]) holds token id \(id), outside the model's vocabulary of \(vocabSize); was it made with another tokenizer?")
        }
        out.append(Int32(id))
      }
    }
    return out
  }

  /// Token counts of the whole data, for the unigram entropy (nats) baseline.
  public func unigramEntropy() throws -> Double {
    var counts = [Int](repeating: 0, count: vocabSize)
    var n = 0
    for r in readers {
      var at = 0
      while at < r.tokenCount {
        let ids = try r.tokens(at..<min(r.tokenCount, at + 65536))
        for id in ids where id < vocabSize { counts[id] += 1 }
        n += ids.count
        at += 65536
      }
    }
    var h = 0.0
    for c in counts where c > 0 {
      let p = Double(c) / Double(n)
      h -= p * Double.log(p)
    }
    return h
  }
}
