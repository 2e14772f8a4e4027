import Foundation
import TestSupport
import Testing

@testable import BPE
@testable import DataCore
@testable import Model
@testable import Shards
@testable import Train

func tempDir() -> String { makeTempDir("quarry-train") }

/// A tokenizer trained on the generated exercises, the exercises as training shards and the
/// held-out exercises as the eval shard — the same kind of data `make demo` trains on.
func prepareData(_ dir: String) throws -> Int {
  let train = repoRoot.appendingPathComponent("Fixtures/exercises/exercises.jsonl").path
  let held = repoRoot.appendingPathComponent("Fixtures/heldout/exercises.jsonl").path
  let trainer = BPETrainer(vocabSize: 384)
  var counts = BPETrainer.Counts()
  try JSONLReader(path: train).forEach { trainer.add($0.text, to: &counts) }
  let json = trainer.train(counts).tokenizerJSON
  try writeFileAtomically(dir + "/tokenizer.json", json.jsonText)
  let tok = try BPETokenizer(json: json)
  let eos = tok.endOfText ?? 0
  for (src, out) in [(train, "train"), (held, "heldout")] {
    try makeDirectories(dir + "/" + out)
    let w = try TokenShardWriter(path: dir + "/\(out)/00000.tok.zst", vocabSize: tok.vocabSize, frameTokens: 4096)
    try JSONLReader(path: src).forEach { doc in
      try w.append(tok.encode(doc.text) + [eos], id: doc.id, source: "exercises", domain: "math")
    }
    try w.finish()
  }
  return tok.vocabSize
}

func config(_ dir: String, vocab: Int, stages: String, threads: Int = 1, extra: String = "") throws
  -> TrainConfig
{
  let yaml = """
    model: {vocab_size: \(vocab), hidden_size: 64, intermediate_size: 176, num_hidden_layers: 2,
            num_attention_heads: 4, num_key_value_heads: 2, num_nextn_predict_layers: 1,
            max_position_embeddings: 256}
    seed: 3
    threads: \(threads)
    replicas: 2
    batch_size: 8
    optimizer: {weight_decay: 0.1, grad_clip: 1.0}
    schedule: {kind: wsd, lr: 4.0e-3, min_lr: 4.0e-4, warmup_steps: 10, decay_fraction: 0.3}
    mtp: {weight: 0.3, late_weight: 0.1, switch_fraction: 0.6}
    eval: {data: \(dir)/heldout, every: 10, batches: 2}
    checkpoint_every: 10
    \(extra)
    stages:
    \(stages)
    """
  let path = dir + "/train.yaml"
  try writeFileAtomically(path, yaml)
  return try TrainConfig.load(path)
}

/// (step, loss, main, mtp, lr, grad norm) of every train line, and every eval line.
func curve(_ path: String) throws -> [String] {
  let text = try String(contentsOfFile: path, encoding: .utf8)
  return text.split(separator: "\n").compactMap { line -> String? in
    // The environment of each start (BLAS kernels, their measured peak) is not the curve.
    guard let v = try? JSONValue.parse(String(line)), case .object(var o) = v, o["kind"] != .string("blas") else { return nil }
    o["tokens_per_s"] = nil
    o["mfu"] = nil
    return JSONValue.object(o).jsonText
  }
}

@Suite("Training", .serialized)
struct TrainTests {
  @Test("learns the fixtures: held-out eval loss far below the unigram entropy; MTP greedy decoding equals plain and accepts > 50%")
  func learnsAndSpeculates() throws {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let vocab = try prepareData(dir)
    let cfg = try config(
      dir, vocab: vocab,
      stages: """
          - {name: s1, data: \(dir)/train, steps: 150, seq_len: 64}
          - {name: s3, data: \(dir)/train, steps: 30, seq_len: 128, rope_theta: 40000, batch_size: 4}
        """, threads: 2)
    let out = dir + "/run"
    let eval = try Trainer(config: cfg, output: out, resume: false).run()
    let lines = try curve(out + "/metrics.jsonl")
    guard case .object(let first) = try JSONValue.parse(lines[0]),
      let base = first["unigram_entropy"]?.doubleValue,
      let loss = eval["eval_loss"], let mtp = eval["eval_mtp_loss"]
    else {
      Issue.record("metrics lack the baseline or eval losses")
      return
    }
    #expect(loss < 0.5 * base, "eval loss \(loss) vs unigram entropy \(base)")
    #expect(mtp < 0.5 * base, "eval MTP loss \(mtp) vs unigram entropy \(base)")
    // The final checkpoint has HF names and loads back with identical logits.
    let model = try MiMoModel.load(checkpoint: out + "/final")
    #expect(model.config.ropeTheta == 40_000)  // the stage-3 RoPE base the weights were trained at
    let tok = try BPETokenizer(path: dir + "/tokenizer.json")
    let prompt = tok.encode("Exercise 5. Solve $")
    let plain = try model.generate(prompt: prompt, maxNewTokens: 60, speculative: false)
    let spec = try model.generate(prompt: prompt, maxNewTokens: 60, speculative: true)
    #expect(spec.tokens == plain.tokens)
    #expect(spec.acceptanceRate > 0.5, "acceptance \(spec.acceptanceRate)")
    #expect(spec.mainForwards < plain.mainForwards)
  }

  @Test("a run stopped mid-stage and resumed twice gives a bit-identical loss curve and model")
  func resumeIsBitIdentical() throws {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let vocab = try prepareData(dir)
    let stages = """
        - {name: s1, data: \(dir)/train, steps: 16, seq_len: 32}
        - {name: s2, data: \(dir)/train, steps: 12, seq_len: 48, rope_theta: 20000, batch_size: 4}
      """
    let cfg = try config(dir, vocab: vocab, stages: stages)
    try Trainer(config: cfg, output: dir + "/a", resume: false).run()
    // Killed after 13 steps (last checkpoint: 10), then after 6 more (in stage 2), then done.
    let b1 = try Trainer(config: cfg, output: dir + "/b", resume: false)
    b1.stopAfter = 13
    try b1.run()
    let b2 = try Trainer(config: cfg, output: dir + "/b", resume: true)
    b2.stopAfter = 6
    try b2.run()
    try Trainer(config: cfg, output: dir + "/b", resume: true).run()
    let a = try curve(dir + "/a/metrics.jsonl"), b = try curve(dir + "/b/metrics.jsonl")
    #expect(a.count == b.count && a.count > 28)
    #expect(a == b)
    let ma = try Data(contentsOf: URL(fileURLWithPath: dir + "/a/final/model.safetensors"))
    let mb = try Data(contentsOf: URL(fileURLWithPath: dir + "/b/final/model.safetensors"))
    #expect(ma == mb)
    // A different config is refused.
    let other = try config(dir, vocab: vocab, stages: stages, extra: "grad_accum: 2")
    #expect(throws: TrainError.self) { try Trainer(config: other, output: dir + "/b", resume: true) }
  }

  @Test("1 and 2 threads train to byte-identical checkpoints")
  func threadsDoNotChangeResults() throws {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let vocab = try prepareData(dir)
    let stages = "  - {name: s1, data: \(dir)/train, steps: 8, seq_len: 32}"
    for t in [1, 2] {
      try Trainer(config: try config(dir, vocab: vocab, stages: stages, threads: t), output: dir + "/t\(t)", resume: false).run()
    }
    let m1 = try Data(contentsOf: URL(fileURLWithPath: dir + "/t1/final/model.safetensors"))
    let m2 = try Data(contentsOf: URL(fileURLWithPath: dir + "/t2/final/model.safetensors"))
    #expect(m1 == m2)
    #expect(try curve(dir + "/t1/metrics.jsonl") == curve(dir + "/t2/metrics.jsonl"))
  }

  @Test("data loader: seeded order, windows of seq_len+1, resumable position")
  func loader() throws {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let vocab = try prepareData(dir)
    let a = try TokenWindows(path: dir + "/train", seqLen: 31, vocabSize: vocab, seed: 5)
    let b = try TokenWindows(path: dir + "/train", seqLen: 31, vocabSize: vocab, seed: 5)
    let c = try TokenWindows(path: dir + "/train", seqLen: 31, vocabSize: vocab, seed: 6)
    let x = try a.next(3)
    #expect(x.count == 96)
    #expect(try b.next(3) == x)
    #expect(try c.next(3) != x)
    let after = try a.next(2)
    b.seek(epoch: a.epoch, index: a.index - 2)
    #expect(try b.next(2) == after)
    // Crossing an epoch reshuffles.
    let n = a.windowCount
    a.seek(epoch: 0, index: n - 1)
    _ = try a.next(2)
    #expect(a.epoch == 1 && a.index == 1)
    #expect(throws: TrainError.self) {
      try TokenWindows(path: dir + "/nothing-here", seqLen: 31, vocabSize: vocab, seed: 1)
    }
  }
}

@Suite("Optimizer and schedule")
struct OptimizerTests {
  @Test("AdamW decays matrices but not norms or biases; bias correction at step 1")
  func adamw() throws {
    let cfg = MiMoConfig(vocabSize: 11, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 1,
      numAttentionHeads: 2, numKeyValueHeads: 1, numNextnPredictLayers: 0)
    let model = try MiMoModel(config: cfg, seed: 1)
    var oc = AdamWConfig()
    oc.weightDecay = 0.5
    let opt = AdamW(config: oc, layout: model.layout)
    let before = Array(model.parameters)
    model.zeroGradients()
    opt.update(params: model.parameters, grads: model.gradients, lr: 0.1)
    for slot in model.layout.slots {
      for j in 0..<slot.count {
        let i = slot.offset + j
        let want = slot.decays ? before[i] * Float(1 - 0.1 * 0.5) : before[i]
        #expect(model.parameters[i] == want, "\(slot.name)")
      }
    }
    // With gradient g at step 1, m̂ = g and v̂ = g², so the step is lr·g/(|g|+eps) ≈ lr·sign(g).
    model.gradients.update(repeating: 0)
    let norm = model.layout.slots.first { $0.name == "model.norm.weight" }!
    model.gradients[norm.offset] = 3
    let p0 = model.parameters[norm.offset]
    let opt2 = AdamW(config: AdamWConfig(), layout: model.layout)
    opt2.update(params: model.parameters, grads: model.gradients, lr: 0.01)
    #expect(abs((p0 - model.parameters[norm.offset]) - 0.01) < 1e-6)
  }

  @Test("gradient clipping scales to the max norm")
  func clipping() {
    var g: [Float] = [3, 4, 0]
    let n = g.withUnsafeMutableBufferPointer { clipGradients($0, maxNorm: 1) }
    #expect(abs(n - 5) < 1e-9)
    #expect(abs(g[0] - 0.6) < 1e-5 && abs(g[1] - 0.8) < 1e-5)
  }

  @Test("warmup, then cosine or WSD")
  func schedules() {
    let c = LRSchedule(kind: .cosine, maxLR: 1, minLR: 0.1, warmupSteps: 10)
    #expect(abs(c.lr(step: 0, total: 110) - 0.1) < 1e-12)
    #expect(abs(c.lr(step: 9, total: 110) - 1) < 1e-12)
    #expect(abs(c.lr(step: 60, total: 110) - 0.55) < 1e-9)
    #expect(c.lr(step: 110, total: 110) >= 0.1 - 1e-12)
    let w = LRSchedule(kind: .wsd, maxLR: 1, minLR: 0.1, warmupSteps: 10, decayFraction: 0.2)
    #expect(w.lr(step: 89, total: 110) == 1)
    #expect(w.lr(step: 100, total: 110) < 1 && w.lr(step: 100, total: 110) > 0.1)
    #expect(abs(w.lr(step: 110, total: 110) - 0.1) < 1e-9)
  }
}

@Suite("quarry train end to end", .serialized)
struct TrainKillTests {
  @Test("SIGKILL during `quarry train`, then the same command again: same loss curve and model as an uninterrupted run")
  func killAndResume() throws {
    let binary = quarryBinary
    guard FileManager.default.isExecutableFile(atPath: binary) else {
      Issue.record("\(binary) is missing; run `swift build` (make test does)")
      return
    }
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let vocab = try prepareData(dir)
    let stages = """
        - {name: s1, data: \(dir)/train, steps: 40, seq_len: 64}
        - {name: s2, data: \(dir)/train, steps: 20, seq_len: 96, rope_theta: 30000, batch_size: 4}
      """
    // `quarry train` plans a one-step run, which needs the tokenizer.
    let cfg = try config(dir, vocab: vocab, stages: stages, extra: "tokenizer: \(dir)/tokenizer.json")
    try Trainer(config: cfg, output: dir + "/ref", resume: false).run()

    // A one-step run: the model, checkpoints and metrics are in RUN/train; a rerun of the
    // same command resumes from the newest checkpoint.
    let train = dir + "/cli/train"
    func launch() throws -> Process {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: binary)
      p.arguments = ["train", "--config", dir + "/train.yaml", "--output", dir + "/cli"]
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      try p.run()
      return p
    }
    // Kill once a checkpoint exists and training has gone past it.
    let p = try launch()
    let deadline = Date().addingTimeInterval(120)
    var killed = false
    while p.isRunning && Date() < deadline {
      let lines = (try? String(contentsOfFile: train + "/metrics.jsonl", encoding: .utf8))?
        .split(separator: "\n").count ?? 0
      if fileExists(train + "/checkpoints/latest") && lines > 25 {
        kill(p.processIdentifier, SIGKILL)
        killed = true
        break
      }
      usleep(2_000)
    }
    p.waitUntilExit()
    #expect(killed, "the run finished before it could be killed")
    #expect(!fileExists(train + "/final/model.safetensors"))
    let r = try launch()
    r.waitUntilExit()
    #expect(r.terminationStatus == 0)
    #expect(try curve(dir + "/ref/metrics.jsonl") == curve(train + "/metrics.jsonl"))
    let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/ref/final/model.safetensors"))
    let b = try Data(contentsOf: URL(fileURLWithPath: train + "/final/model.safetensors"))
    #expect(a == b)
  }
}
