// Held-out evaluation: loss and bits per byte per set.
//
// A set is a token stream cut into windows of seq_len+1 tokens. Its loss is the mean negative
// log-likelihood (nats) of every target token; bits per byte divides the summed NLL by ln 2 and
// by the UTF-8 bytes the target tokens stand for, so models with different tokenizers compare:
//
//   bpb = Σ_targets −ln p(target) / (ln 2 · Σ_targets bytes(target))
//
// Special tokens (`<|endoftext|>`) stand for no bytes; their NLL still counts, as the model
// must predict where a document ends.
import BPE
import DataCore
import Foundation
import Model
import Shards

/// One held-out set: windows of seq_len+1 token ids.
public struct EvalSet: Sendable {
  /// The set's name (a domain, or the name given on the command line).
  public var name: String
  /// The windows, each seq_len+1 ids (the last may be shorter when the set is small).
  public var windows: [[Int32]]
  /// Tokens in the set's windows.
  public var tokens: Int { windows.reduce(0) { $0 + $1.count } }

  public init(name: String, windows: [[Int32]]) {
    self.name = name
    self.windows = windows
  }
}

/// The result of evaluating one set.
public struct EvalResult: Sendable, Equatable {
  public var name: String
  /// Mean NLL per target token (nats).
  public var loss: Double
  /// Mean MTP loss (nats) when the model has an MTP layer.
  public var mtpLoss: Double?
  /// Bits per UTF-8 byte of the targets (nil without a tokenizer).
  public var bitsPerByte: Double?
  /// Target tokens and their bytes.
  public var targets: Int
  public var bytes: Int

  /// The fields of a metrics line.
  public var json: JSONValue {
    var o: [String: JSONValue] = [
      "loss": .double(loss), "targets": .int(Int64(targets)), "bytes": .int(Int64(bytes)),
    ]
    if let m = mtpLoss { o["mtp_loss"] = .double(m) }
    if let b = bitsPerByte { o["bpb"] = .double(b) }
    return .object(o)
  }
}

public enum Evaluation {
  /// Stops a reader once a set has its windows.
  struct Enough: Error {}

  /// Bits per byte of `nats` summed NLL over text of `bytes` UTF-8 bytes.
  public static func bitsPerByte(nats: Double, bytes: Int) -> Double {
    nats / (Double.log(2) * Double(max(bytes, 1)))
  }

  /// The UTF-8 bytes each token id stands for (special tokens: none).
  public static func tokenBytes(_ tokenizer: BPETokenizer) -> [Int] {
    var n = tokenizer.tokens.map(\.count)
    for (_, id) in tokenizer.specials where id < n.count { n[id] = 0 }
    return n
  }

  /// Cuts a token stream into windows of `window` ids, at most `limit`; a stream shorter than
  /// one window (but of 2 ids or more) gives one short window.
  static func cut(_ stream: [Int32], window: Int, limit: Int) -> [[Int32]] {
    var out: [[Int32]] = []
    var at = 0
    while at + window <= stream.count && out.count < limit {
      out.append(Array(stream[at..<(at + window)]))
      at += window
    }
    if out.isEmpty && stream.count >= 2 { out.append(stream) }
    return out
  }

  /// Sets from token shards (`path`: a folder of `*.tok.zst` or one shard): `all` (every
  /// document in file order) and, when `byDomain`, one set per domain of the shards' index,
  /// each document kept whole and in order. Each set holds at most `maxWindows` windows.
  /// - Throws: `TrainError.noData` for a missing path or ids outside the vocabulary.
  public static func sets(
    shards path: String, seqLen: Int, vocabSize: Int, maxWindows: Int, byDomain: Bool
  ) throws -> [EvalSet] {
    guard fileExists(path) else { throw TrainError.noData("\(path) does not exist; run `quarry tokenize` on held-out documents first") }
    let files = isDirectory(path) ? try listInputFiles([path], extensions: [".tok.zst"]).sorted() : [path]
    guard !files.isEmpty else { throw TrainError.noData("no *.tok.zst shards under \(path)") }
    let window = seqLen + 1
    let need = maxWindows * window
    var all: [Int32] = []
    var domains: [String: [Int32]] = [:]
    for file in files {
      let reader = try TokenShardReader(path: file, vocabSize: vocabSize)
      let docs = try TokenShard.readIndex(file)
      for doc in docs where doc.length > 0 {
        let wantAll = all.count < need
        let wantDomain = byDomain && (domains[doc.domain]?.count ?? 0) < need
        guard wantAll || wantDomain else { continue }
        let ids = try reader.tokens(doc.start..<(doc.start + doc.length))
        var chunk = [Int32]()
        chunk.reserveCapacity(ids.count)
        for id in ids {
          guard id < vocabSize else {
            throw TrainError.noData("\(file) holds token id \(id), outside the model's vocabulary of \(vocabSize); was it made with another tokenizer?")
          }
          chunk.append(Int32(id))
        }
        if wantAll { all += chunk }
        if wantDomain { domains[doc.domain, default: []] += chunk }
      }
    }
    var out = [EvalSet(name: "all", windows: cut(all, window: window, limit: maxWindows))]
    for name in domains.keys.sorted() {
      out.append(EvalSet(name: name, windows: cut(domains[name]!, window: window, limit: maxWindows)))
    }
    return out.filter { !$0.windows.isEmpty }
  }

  /// A set from documents (JSONL, optionally .gz/.zst; a file or a folder), tokenized with
  /// `tokenizer`, each followed by `<|endoftext|>` as the tokenize step does.
  public static func set(
    name: String, documents path: String, tokenizer: BPETokenizer, seqLen: Int, maxWindows: Int
  ) throws -> EvalSet {
    let files = try listDocumentFiles(path).sorted()
    guard !files.isEmpty else { throw TrainError.noData("no JSONL documents under \(path)") }
    let window = seqLen + 1
    var encoder = BPEEncoder(tokenizer)
    var stream: [Int32] = []
    let eos = tokenizer.endOfText
    outer: for file in files {
      var done = false
      do {
        try JSONLReader(path: file).forEach { doc in
          stream += encoder.encode(doc.text).map { Int32($0) }
          if let eos { stream.append(Int32(eos)) }
          if stream.count >= maxWindows * window {
            done = true
            throw Enough()
          }
        }
      } catch is Enough {}
      if done { break outer }
    }
    return EvalSet(name: name, windows: cut(stream, window: window, limit: maxWindows))
  }

  /// Evaluates `model` on every set, `batchSize` windows per forward (windows of one length
  /// batched together). `tokenBytes` (from the tokenizer) gives bits per byte.
  public static func run(
    model: MiMoModel, sets: [EvalSet], batchSize: Int, tokenBytes: [Int]?, mtpWeight: Double = 0
  ) -> [EvalResult] {
    sets.map { set in
      var nll = 0.0, mtpNLL = 0.0, targets = 0, mtpTargets = 0, bytes = 0
      var hasMTP = false
      var k = 0
      while k < set.windows.count {
        let len = set.windows[k].count
        var batch: [Int32] = []
        var b = 0
        while k < set.windows.count && b < batchSize && set.windows[k].count == len {
          batch += set.windows[k]
          if let tb = tokenBytes {
            for id in set.windows[k].dropFirst() { bytes += Int(id) < tb.count ? tb[Int(id)] : 0 }
          }
          b += 1
          k += 1
        }
        let t = len - 1
        let l = model.loss(batch: batch, b: b, t: t, mtpWeight: mtpWeight)
        nll += l.main * Double(b * t)
        targets += b * t
        if let m = l.mtp, t >= 2 {
          mtpNLL += m * Double(b * (t - 1))
          mtpTargets += b * (t - 1)
          hasMTP = true
        }
      }
      return EvalResult(
        name: set.name, loss: nll / Double(max(targets, 1)),
        mtpLoss: hasMTP ? mtpNLL / Double(max(mtpTargets, 1)) : nil,
        bitsPerByte: tokenBytes == nil || bytes == 0 ? nil : bitsPerByte(nats: nll, bytes: bytes), targets: targets, bytes: bytes)
    }
  }
}

/// `quarry eval`: a checkpoint's loss and bits per byte on named held-out sets.
public struct CheckpointEvaluation: Sendable {
  public var results: [EvalResult]
  public var checkpoint: String

  /// Evaluates `checkpoint` on each `(name, path)`: token shards (a `*.tok.zst` file or a
  /// folder of them, made with this checkpoint's tokenizer) or JSONL documents (tokenized here
  /// with the checkpoint's tokenizer, or `tokenizer`).
  /// - Throws: `TrainError` for a missing tokenizer or data, `ModelError` for a bad checkpoint.
  public init(
    checkpoint: String, data: [(name: String, path: String)], tokenizer: String? = nil, seqLen: Int,
    maxWindows: Int, batchSize: Int, threads: Int = 1
  ) throws {
    let tokPath = tokenizer ?? checkpoint + "/tokenizer.json"
    guard fileExists(tokPath) else { throw TrainError.badConfig("no tokenizer at \(tokPath); pass --tokenizer FILE") }
    let tok = try BPETokenizer(path: tokPath)
    let model = try MiMoModel.load(checkpoint: checkpoint, threads: threads)
    guard tok.vocabSize <= model.config.vocabSize else {
      throw TrainError.badConfig("the tokenizer (\(tok.vocabSize) tokens) does not fit the model's vocabulary (\(model.config.vocabSize))")
    }
    var sets: [EvalSet] = []
    for (name, path) in data {
      let inFolder = isDirectory(path) ? try !listInputFiles([path], extensions: [".tok.zst"]).isEmpty : false
      let isShards = path.hasSuffix(".tok.zst") || inFolder
      if isShards {
        guard
          var s = try Evaluation.sets(
            shards: path, seqLen: seqLen, vocabSize: model.config.vocabSize, maxWindows: maxWindows, byDomain: false
          ).first
        else { throw TrainError.noData("\(path) holds fewer than 2 tokens") }
        s.name = name
        sets.append(s)
      } else {
        let s = try Evaluation.set(name: name, documents: path, tokenizer: tok, seqLen: seqLen, maxWindows: maxWindows)
        guard !s.windows.isEmpty else { throw TrainError.noData("\(path) holds fewer than 2 tokens") }
        sets.append(s)
      }
    }
    results = Evaluation.run(model: model, sets: sets, batchSize: batchSize, tokenBytes: Evaluation.tokenBytes(tok))
    self.checkpoint = checkpoint
  }

  /// A table, then one JSON line.
  public var text: String {
    var lines = ["eval \(checkpoint)", "  set            loss (nats)   bits/byte   MTP loss   targets      bytes"]
    for r in results {
      let name = r.name.count > 14 ? String(r.name.prefix(13)) + "…" : r.name.padding(toLength: 14, withPad: " ", startingAt: 0)
      lines.append(
        "  \(name) " + String(format: "%11.4f %11.4f ", r.loss, r.bitsPerByte ?? .nan)
          + (r.mtpLoss.map { String(format: "%10.4f", $0) } ?? "         –")
          + String(format: " %9d %10d", r.targets, r.bytes))
    }
    var o: [String: JSONValue] = [:]
    for r in results { o[r.name] = r.json }
    lines.append(JSONValue.object(["checkpoint": .string(checkpoint), "sets": .object(o)]).jsonText)
    return lines.joined(separator: "\n")
  }
}
