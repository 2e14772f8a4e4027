// The pretraining loop: stage by stage over the mixture's shard folders, AdamW with a warmup +
// cosine/WSD schedule, gradient accumulation and clipping, MTP loss weight on a schedule,
// held-out evaluation, metrics JSONL, and resumable checkpoints.
//
// Output folder:
//   metrics.jsonl                 one line per step ({"kind":"train",…}) and per eval
//   checkpoints/step_NNNNNNN/     config.json, model.safetensors, optimizer.safetensors, state.json
//   checkpoints/latest            name of the newest complete checkpoint (written last)
//   final/                        config.json + model.safetensors after the last stage
import BPE
import DataCore
import Foundation
import Model
import Report

/// Where training stands: saved in every checkpoint's state.json.
public struct TrainState: Codable, Sendable, Equatable {
  public var step: Int  // optimizer steps done (all stages)
  public var stage: Int  // current stage index
  public var stageStep: Int  // steps done in the current stage
  public var epoch: Int  // data loader position in the current stage
  public var index: Int
  public var ropeTheta: Double
  public var tokens: Int  // training tokens seen
  public var configHash: String
  enum CodingKeys: String, CodingKey {
    case step, stage, stageStep = "stage_step", epoch, index, ropeTheta = "rope_theta", tokens
    case configHash = "config_hash"
  }
}

public final class Trainer {
  public let config: TrainConfig
  public let output: String
  public let model: MiMoModel
  let optimizer: AdamW
  var state: TrainState
  /// Called with one-line progress text (the CLI shows it on a terminal only).
  public var progress: ((String) -> Void)?
  /// Stop after this many optimizer steps in this process (tests simulate a kill with it).
  public var stopAfter: Int?
  /// The tokenizer that travels with every checkpoint (HF convention), read by `run`.
  var checkpointTokenizer: CheckpointTokenizer?

  public init(config: TrainConfig, output: String, resume: Bool) throws {
    try config.validate()
    self.config = config
    self.output = output
    let hash = Trainer.hash(config)
    if resume, let latest = Trainer.latestCheckpoint(output) {
      model = try MiMoModel.load(checkpoint: latest, threads: config.threads)
      optimizer = AdamW(config: config.optimizer, layout: model.layout)
      let st = try Trainer.readState(latest)
      guard st.configHash == hash else {
        throw TrainError.badCheckpoint(
          "\(latest) was written with a different config; use a new --output or drop --resume")
      }
      state = st
      let (tensors, _) = try SafeTensors.read(latest + "/optimizer.safetensors")
      guard let m = tensors["adam.m"], let v = tensors["adam.v"] else {
        throw TrainError.badCheckpoint("\(latest)/optimizer.safetensors lacks adam.m / adam.v")
      }
      try optimizer.restore(step: st.step, m: try m.floats(), v: try v.floats())
      model.setRopeTheta(st.ropeTheta)
    } else {
      if resume && fileExists(output + "/metrics.jsonl") {
        // Nothing to resume from: start over cleanly.
        try? FileManager.default.removeItem(atPath: output + "/metrics.jsonl")
      }
      model = try MiMoModel(config: config.model, seed: config.seed, threads: config.threads)
      optimizer = AdamW(config: config.optimizer, layout: model.layout)
      state = TrainState(
        step: 0, stage: 0, stageStep: 0, epoch: 0, index: 0, ropeTheta: config.model.ropeTheta,
        tokens: 0, configHash: hash)
    }
    model.threads = config.threads
    model.replicas = config.replicas
  }

  /// Runs (or resumes) every stage; returns the final eval losses if eval is configured.
  @discardableResult
  public func run() throws -> [String: Double] {
    try makeDirectories(output + "/checkpoints")
    let metrics = try MetricsLog(path: output + "/metrics.jsonl", keepThroughStep: state.step)
    let total = config.totalSteps
    let cfg = config.model
    let flopsModel = model.layout
    var stepsThisRun = 0
    // The sgemm peak for MFU: one core's, times the cores the replicas use. (Measured on one
    // thread, so concurrent training in the same process is never switched to threaded BLAS.)
    let peakGFLOPS = BLASThreads.sgemmGFLOPS(seconds: 0.2)
      * Double(min(config.threads, config.replicas))
    var lastEval: [String: Double] = [:]
    // Held-out sets: the whole held-out data and each of its domains, the same windows at
    // every evaluation (seq_len of the first stage).
    let evalSets: [EvalSet] = try config.eval.map {
      try Evaluation.sets(
        shards: $0.data, seqLen: config.stages[0].seqLen, vocabSize: cfg.vocabSize,
        maxWindows: $0.batches * config.batchSize, byDomain: $0.byDomain)
    } ?? []
    // The tokenizer, read once: it travels with every checkpoint, and its tokens' bytes give
    // bits per byte.
    var tokenBytes: [Int]? = nil
    if let path = config.tokenizer {
      let file = BPETokenizer.resolve(path)
      let tok = try BPETokenizer(path: file)
      tokenBytes = Evaluation.tokenBytes(tok)
      checkpointTokenizer = CheckpointTokenizer(json: try readFile(file), endOfText: tok.endOfText)
    }
    if let e = config.eval {
      let h = try TokenWindows(
        path: e.data, seqLen: 1, vocabSize: cfg.vocabSize, seed: 0, shuffle: false
      ).unigramEntropy()
      lastEval["unigram_entropy"] = h
      if state.step == 0 {
        try metrics.write(["kind": .string("baseline"), "unigram_entropy": .double(h)])
      }
    }
    // The kernels this start runs on (a resumed run may be on another machine): a record of the
    // environment, like tokens/s, not of the learning curve.
    let blas = BLASKernels.selection
    try metrics.write([
      "kind": .string("blas"), "step": .int(Int64(state.step)), "blas_core": .string(blas.core),
      "blas_library_core": blas.libraryCore.map { .string($0) } ?? .null,
      "cpu_features": .string(blas.features.description), "sgemm_peak_gflops": .double(peakGFLOPS),
    ])
    while state.stage < config.stages.count {
      let stage = config.stages[state.stage]
      if let theta = stage.ropeTheta { state.ropeTheta = theta }
      model.setRopeTheta(state.ropeTheta)
      let b = stage.batchSize ?? config.batchSize
      let t = stage.seqLen
      let loader = try TokenWindows(
        path: stage.data, seqLen: t, vocabSize: cfg.vocabSize,
        seed: config.seed &+ UInt64(state.stage + 1) &* 0x5851_F42D_4C95_7F2D)
      loader.seek(epoch: state.epoch, index: state.index)
      let flopsPerToken = Double(flopsModel.trainingFLOPsPerToken(seqLen: t))
      while state.stageStep < stage.steps {
        if let stop = stopAfter, stepsThisRun >= stop { return lastEval }
        let t0 = monotonicSeconds()
        let lr = config.schedule.lr(step: state.step, total: total)
        let lambda = config.mtp.weight(step: state.step, total: total)
        model.zeroGradients()
        var sum = (total: 0.0, main: 0.0, mtp: 0.0)
        for _ in 0..<config.gradAccum {
          let batch = try loader.next(b)
          let l = model.trainStep(
            batch: batch, b: b, t: t, mtpWeight: lambda, lossScale: 1 / Double(config.gradAccum))
          sum.total += l.total
          sum.main += l.main
          sum.mtp += l.mtp ?? 0
        }
        let k = Double(config.gradAccum)
        let norm = clipGradients(
          model.gradients, maxNorm: config.optimizer.gradClip, threads: config.threads)
        optimizer.update(
          params: model.parameters, grads: model.gradients, lr: lr, threads: config.threads)
        state.step += 1
        state.stageStep += 1
        state.epoch = loader.epoch
        state.index = loader.index
        let tokens = b * t * config.gradAccum
        state.tokens += tokens
        stepsThisRun += 1
        let dt = monotonicSeconds() - t0
        var line: [String: JSONValue] = [
          "kind": .string("train"), "step": .int(Int64(state.step)), "stage": .string(stage.name),
          "loss": .double(sum.total / k), "main_loss": .double(sum.main / k),
          "lr": .double(lr), "grad_norm": .double(norm), "mtp_weight": .double(lambda),
          "tokens": .int(Int64(state.tokens)), "seq_len": .int(Int64(t)),
          "tokens_per_s": .double(Double(tokens) / dt),
          "mfu": .double(flopsPerToken * Double(tokens) / dt / 1e9 / peakGFLOPS),
        ]
        if cfg.numNextnPredictLayers > 0 { line["mtp_loss"] = .double(sum.mtp / k) }
        try metrics.write(line)
        progress?(
          "\(stage.name) step \(state.step)/\(total) · loss \(String(format: "%.4f", sum.main / k)) · lr \(String(format: "%.2e", lr)) · \(Int(Double(tokens) / dt)) tok/s · ETA \(Int(Double(total - state.step) * dt))s"
        )
        if let e = config.eval, !evalSets.isEmpty,
          state.step % e.every == 0 || state.step == total
        {
          let results = Evaluation.run(
            model: model, sets: evalSets, batchSize: config.batchSize, tokenBytes: tokenBytes, mtpWeight: lambda)
          var l: [String: JSONValue] = ["kind": .string("eval"), "step": .int(Int64(state.step))]
          var sets: [String: JSONValue] = [:]
          for r in results {
            sets[r.name] = r.json
            let suffix = r.name == "all" ? "" : "." + r.name
            lastEval["eval_loss" + suffix] = r.loss
            if let b = r.bitsPerByte { lastEval["eval_bpb" + suffix] = b }
            if r.name == "all" {
              l["eval_loss"] = .double(r.loss)
              if let m = r.mtpLoss {
                l["eval_mtp_loss"] = .double(m)
                lastEval["eval_mtp_loss"] = m
              }
              if let b = r.bitsPerByte { l["eval_bpb"] = .double(b) }
            }
          }
          l["sets"] = .object(sets)
          try metrics.write(l)
        }
        let stageDone = state.stageStep == stage.steps
        if stageDone { advanceStage() }
        if state.step % config.checkpointEvery == 0 || stageDone { try saveCheckpoint() }
        if stageDone { break }
      }
      if stage.steps == 0 { advanceStage() }
    }
    try model.save(to: output + "/final", metadata: ["step": "\(state.step)"], tokenizer: checkpointTokenizer)
    try RunReport.writeTraining(output: output)
    return lastEval
  }

  private func advanceStage() {
    state.stage += 1
    state.stageStep = 0
    state.epoch = 0
    state.index = 0
  }

  // MARK: checkpoints

  func saveCheckpoint() throws {
    let name = String(format: "step_%07d", state.step)
    let dir = output + "/checkpoints/" + name
    let tmp = output + "/checkpoints/." + name + ".tmp"
    try? FileManager.default.removeItem(atPath: tmp)
    try model.save(to: tmp, metadata: ["step": "\(state.step)"], tokenizer: checkpointTokenizer)
    let st = optimizer.state
    var tensors = [SafeTensor]()
    st.m.withUnsafeBufferPointer { tensors.append(SafeTensor(name: "adam.m", shape: [st.m.count], floats: $0)) }
    st.v.withUnsafeBufferPointer { tensors.append(SafeTensor(name: "adam.v", shape: [st.v.count], floats: $0)) }
    try SafeTensors.write(tensors, to: tmp + "/optimizer.safetensors")
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    try writeFileAtomically(tmp + "/state.json", Array(try enc.encode(state)) + [0x0A])
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.moveItem(atPath: tmp, toPath: dir)
    try writeFileAtomically(output + "/checkpoints/latest", name + "\n")
  }

  static func latestCheckpoint(_ output: String) -> String? {
    guard let data = FileManager.default.contents(atPath: output + "/checkpoints/latest"),
      let name = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
      !name.isEmpty, fileExists(output + "/checkpoints/" + name + "/state.json")
    else { return nil }
    return output + "/checkpoints/" + name
  }

  static func readState(_ dir: String) throws -> TrainState {
    guard let data = FileManager.default.contents(atPath: dir + "/state.json") else {
      throw TrainError.badCheckpoint("\(dir)/state.json is missing")
    }
    return try JSONDecoder().decode(TrainState.self, from: data)
  }

  /// A fingerprint of everything that changes the loss curve.
  static func hash(_ config: TrainConfig) -> String {
    var c = config
    c.threads = 0  // threads change speed, not results
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    var text = ""
    if let d = try? enc.encode(c), let s = String(data: d, encoding: .utf8) { text = s }
    return String(fnv1a64(text.utf8), radix: 16)
  }

}

/// metrics.jsonl: appended and flushed line by line. On resume, lines after the checkpoint's
/// step are dropped so the file never holds a step twice.
final class MetricsLog {
  let handle: FileHandle
  init(path: String, keepThroughStep step: Int) throws {
    var kept = ""
    if let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) {
      for line in text.split(separator: "\n") {
        guard let v = try? JSONValue.parse(String(line)), case .object(let o) = v else { continue }
        if (o["step"]?.intValue ?? 0) <= step { kept += line + "\n" }
      }
    }
    try writeFileAtomically(path, kept, sync: false)
    handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seekToEnd()
  }
  func write(_ fields: [String: JSONValue]) throws {
    let line = JSONValue.object(fields).jsonText + "\n"
    try handle.write(contentsOf: Data(line.utf8))
  }
  deinit { try? handle.close() }
}
