import ArgumentParser
import BPE
import DataCore
import Foundation
import Model
import Train

/// `quarry train`: the tiny MiMo model on mixture shards, or `--bench`.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Pretrain the tiny MiMo model stage by stage on token shards (or benchmark it).",
    discussion: """
      Writes <output>/metrics.jsonl (loss, main and MTP loss, lr, grad norm, tokens/s, MFU;
      eval lines), checkpoints/step_N/ (model.safetensors with Hugging Face MiMo names,
      config.json, optimizer state), and final/. --resume continues from the newest checkpoint
      with a bit-identical loss curve.

      Examples:
        quarry train --config Pipelines/train-tiny.yaml --output out/train
        quarry train --config Pipelines/train-tiny.yaml --output out/train --resume
        quarry train --bench
        quarry train --bench --threads 2 --no-mtp
      """
  )
  @Option(help: "A training YAML (see Pipelines/train-tiny.yaml).") var config: String?
  @Option(help: "The output folder.") var output: String?
  @Flag(help: "Continue from the newest checkpoint in --output.") var resume = false
  @Option(help: "Stop after this many steps (the run can be resumed).") var maxSteps: Int?
  @Flag(help: "Time training steps of the reference configuration on random tokens.")
  var bench = false
  @Option(help: "Threads (OpenBLAS and the row-parallel kernels); overrides the config's.")
  var threads: Int?
  @Flag(inversion: .prefixedNo, help: "Include the MTP layer (λ 0.3) in --bench.") var mtp = true
  @Option(help: "Timed steps for --bench.") var steps: Int = 10
  @Option(help: "Untimed warm-up steps for --bench.") var warmup: Int = 2
  @Option(help: "Micro-batch size for --bench.") var batch: Int = 8
  @Option(help: "Sequence length for --bench.") var seq: Int = 256
  @Option(help: "Data-parallel replicas per micro-batch for --bench (default: --threads).")
  var replicas: Int?

  func run() throws {
    if bench {
      let r = try TrainBench.run(
        batch: batch, seq: seq, threads: threads ?? 1, mtp: mtp, steps: steps, warmup: warmup,
        replicas: replicas)
      print(
        """
        train bench: reference config (vocab 8192, hidden 256, 4 layers, 8 heads, 2 KV heads, \
        intermediate 704), batch \(batch) × seq \(seq), fp32, MTP \(mtp ? "on (λ 0.3)" : "off"), \
        \(r.threads) thread(s), \(r.replicas) replica(s), \(r.parameters) parameters
          step       \(String(format: "%.3f", r.stepSecondsMedian)) s (median of \(r.steps)); clip + AdamW \(String(format: "%.3f", r.optimizerSecondsPerStep)) s
          tokens/s   \(String(format: "%.1f", r.tokensPerSecond))
          tokens/CPU-s \(String(format: "%.1f", r.tokensPerCPUSecond))
          achieved   \(String(format: "%.1f", r.gflops)) GFLOP/s, sgemm peak \(String(format: "%.1f", r.peakGFLOPS)) GFLOP/s
          MFU        \(String(format: "%.3f", r.mfu))
          loss       \(String(format: "%.4f", r.firstLoss)) → \(String(format: "%.4f", r.lastLoss))
        """)
      let json: [String: Any] = [
        "threads": r.threads, "replicas": r.replicas, "mtp": mtp, "tokens_per_s": r.tokensPerSecond,
        "tokens_per_cpu_s": r.tokensPerCPUSecond, "mfu": r.mfu, "gflops": r.gflops,
        "peak_gflops": r.peakGFLOPS, "step_s_median": r.stepSecondsMedian,
      ]
      if let data = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]),
        let s = String(data: data, encoding: .utf8)
      {
        print(s)
      }
      return
    }
    guard let config, let output else {
      throw ValidationError("give --config FILE.yaml --output DIR, or --bench")
    }
    var cfg = try TrainConfig.load(config)
    if let threads { cfg.threads = threads }
    if let path = cfg.tokenizer {
      let vocab = try BPETokenizer(path: path).vocabSize
      if cfg.model.vocabSize == 0 {
        cfg.model.vocabSize = vocab
      } else if cfg.model.vocabSize < vocab {
        throw ValidationError(
          "model.vocab_size \(cfg.model.vocabSize) is smaller than the tokenizer's \(vocab)")
      }
    }
    guard cfg.model.vocabSize > 0 else {
      throw ValidationError("set model.vocab_size or tokenizer: in \(config)")
    }
    let trainer = try Trainer(config: cfg, output: output, resume: resume)
    trainer.stopAfter = maxSteps
    let tty = isatty(2) != 0
    if tty {
      trainer.progress = { line in
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
      }
    }
    let start = monotonicSeconds()
    let eval = try trainer.run()
    if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    let m = trainer.model
    print("trained \(m.parameterCount) parameters in \(String(format: "%.1f", monotonicSeconds() - start)) s; peak RSS \(peakRSSBytes() / (1 << 20)) MiB")
    for (k, v) in eval.sorted(by: { $0.key < $1.key }) { print("  \(k) \(String(format: "%.4f", v))") }
    print("metrics: \(output)/metrics.jsonl · checkpoint: \(output)/final")
  }
}
