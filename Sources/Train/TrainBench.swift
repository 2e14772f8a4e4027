// `quarry train --bench`: full training steps (forward, backward, clipping, AdamW) of the
// reference configuration on random tokens, timed as torch_ref.py bench times PyTorch.
import DataCore
import Foundation
import Model

public struct TrainBenchResult: Sendable {
  public var threads: Int
  public var replicas: Int
  public var mtp: Bool
  public var steps: Int
  public var stepSecondsMedian: Double
  public var cpuSecondsPerStep: Double
  public var tokensPerSecond: Double
  public var tokensPerCPUSecond: Double
  public var gflops: Double
  public var peakGFLOPS: Double
  public var mfu: Double { gflops / peakGFLOPS }
  public var firstLoss: Double
  public var lastLoss: Double
  public var parameters: Int
  /// Clipping + AdamW, per step.
  public var optimizerSecondsPerStep: Double
  /// The BLAS kernels the run used and how they were chosen.
  public var blas: BLASKernels.Selection
}

public enum TrainBench {
  /// Times `steps` training steps after `warmup` untimed ones.
  public static func run(
    config: MiMoConfig = .reference, batch: Int = 8, seq: Int = 256, threads: Int = 1,
    mtp: Bool = true, mtpWeight: Double = 0.3, steps: Int = 10, warmup: Int = 2, seed: UInt64 = 0,
    peakGFLOPS: Double? = nil, replicas: Int? = nil
  ) throws -> TrainBenchResult {
    var cfg = config
    cfg.numNextnPredictLayers = mtp ? 1 : 0
    let peak = peakGFLOPS ?? BLASThreads.sgemmGFLOPS(threads: threads)
    let model = try MiMoModel(config: cfg, seed: seed, threads: threads)
    model.replicas = replicas ?? threads
    let opt = AdamW(config: AdamWConfig(), layout: model.layout)
    var rng = SplitMix64(seed: seed &+ 1)
    var wall: [Double] = [], cpu: [Double] = []
    var first = Double.nan, last = Double.nan
    var optimizerSeconds = 0.0
    for step in 0..<(warmup + steps) {
      let tokens = (0..<(batch * (seq + 1))).map { _ in Int32(rng.next() % UInt64(cfg.vocabSize)) }
      let t0 = monotonicSeconds(), c0 = processCPUSeconds()
      model.zeroGradients()
      let loss = model.trainStep(batch: tokens, b: batch, t: seq, mtpWeight: mtpWeight)
      let t1 = monotonicSeconds()
      _ = clipGradients(model.gradients, maxNorm: 1.0, threads: threads)
      opt.update(params: model.parameters, grads: model.gradients, lr: 1e-3, threads: threads)
      if step >= warmup { optimizerSeconds += monotonicSeconds() - t1 }
      let dt = monotonicSeconds() - t0, dc = processCPUSeconds() - c0
      if step == 0 { first = loss.main }
      last = loss.main
      if step >= warmup {
        wall.append(dt)
        cpu.append(dc)
      }
    }
    wall.sort()
    cpu.sort()
    let med = wall[wall.count / 2], cmed = cpu[cpu.count / 2]
    let tokens = Double(batch * seq)
    let flops = Double(model.layout.trainingFLOPsPerToken(seqLen: seq))
    return TrainBenchResult(
      threads: threads, replicas: model.replicas, mtp: mtp, steps: steps, stepSecondsMedian: med, cpuSecondsPerStep: cmed,
      tokensPerSecond: tokens / med, tokensPerCPUSecond: tokens / cmed,
      gflops: flops * tokens / med / 1e9, peakGFLOPS: peak, firstLoss: first, lastLoss: last,
      parameters: model.parameterCount, optimizerSecondsPerStep: optimizerSeconds / Double(steps),
      blas: BLASKernels.selection)
  }
}

extension TrainBenchResult {
  /// The human report followed by one JSON line (read by Tests/Bench/train_speed.py).
  public func report(batch: Int, seq: Int, mtp: Bool) -> String {
    func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
    let text = """
      train bench: reference config (vocab 8192, hidden 256, 4 layers, 8 heads, 2 KV heads, \
      intermediate 704), batch \(batch) × seq \(seq), fp32, MTP \(mtp ? "on (λ 0.3)" : "off"), \
      \(threads) thread(s), \(replicas) replica(s), \(parameters) parameters
        step       \(f(stepSecondsMedian, 3)) s (median of \(steps)); clip + AdamW \(f(optimizerSecondsPerStep, 3)) s
        tokens/s   \(f(tokensPerSecond, 1))
        tokens/CPU-s \(f(tokensPerCPUSecond, 1))
        BLAS       OpenBLAS \(blas.summary)
        achieved   \(f(gflops, 1)) GFLOP/s, sgemm peak \(f(peakGFLOPS, 1)) GFLOP/s (these kernels)
        MFU        \(f(mfu, 3))
        loss       \(f(firstLoss, 4)) → \(f(lastLoss, 4))
      """
    let json = JSONValue.object([
      "threads": .int(Int64(threads)), "replicas": .int(Int64(replicas)), "mtp": .bool(mtp),
      "tokens_per_s": .double(tokensPerSecond), "tokens_per_cpu_s": .double(tokensPerCPUSecond), "mfu": .double(mfu),
      "gflops": .double(gflops), "peak_gflops": .double(peakGFLOPS), "step_s_median": .double(stepSecondsMedian),
      "blas_core": .string(blas.core), "blas_library_core": blas.libraryCore.map { .string($0) } ?? .null,
      "cpu_features": .string(blas.features.description),
    ])
    return text + "\n" + json.jsonText
  }
}
