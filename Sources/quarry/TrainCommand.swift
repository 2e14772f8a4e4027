import ArgumentParser
import DataCore
import Foundation
import Model
import Train

/// `quarry train`: the tiny MiMo model on mixture shards, or `--bench`.
struct TrainCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Pretrain the tiny MiMo model stage by stage on token shards (or benchmark it).",
    discussion: """
      A one-step run: writes <output>/train/metrics.jsonl (loss, main and MTP loss, lr, grad
      norm, tokens/s, MFU; eval lines), checkpoints/step_N/ (model.safetensors with Hugging
      Face MiMo names, config.json, optimizer state), final/ and report.html. A rerun after a
      kill resumes from the newest checkpoint with a bit-identical loss curve. Paths in the
      config may name steps of the run folder given with --run (tokenizer, mix/stage1, heldout).

      Examples:
        quarry train --config Pipelines/train-tiny.yaml --run out/demo \\
          --output out/train
        quarry train --bench --steps 2
        quarry train --bench --threads 2 --no-mtp
      """
  )
  @Option(help: "A training YAML (see Pipelines/train-tiny.yaml).") var config: String?
  @Option(help: "The run folder.") var output: String?
  @Option(name: .customLong("run"), help: "A run folder whose steps the config's paths may name.") var runFolder: String?
  @Flag(help: "Time training steps of the reference configuration on random tokens.") var bench = false
  @Option(help: "Threads for --bench.") var threads: Int?
  @Flag(inversion: .prefixedNo, help: "Include the MTP layer (λ 0.3) in --bench.") var mtp = true
  @Option(help: "Timed steps for --bench.") var steps: Int = 10
  @Option(help: "Untimed warm-up steps for --bench.") var warmup: Int = 2
  @Option(help: "Micro-batch size for --bench.") var batch: Int = 8
  @Option(help: "Sequence length for --bench.") var seq: Int = 256
  @Option(help: "Data-parallel replicas per micro-batch for --bench (default: --threads).") var replicas: Int?
  @OptionGroup var log: LogOptions

  func run() async throws {
    log.bootstrap()
    if bench {
      let r = try TrainBench.run(
        batch: batch, seq: seq, threads: threads ?? 1, mtp: mtp, steps: steps, warmup: warmup, replicas: replicas)
      print(r.report(batch: batch, seq: seq, mtp: mtp))
      return
    }
    guard let config, let output else { throw ValidationError("give --config FILE.yaml --output DIR, or --bench") }
    try await runSingle(
      "train", inputs: [], params: ["config": .string(config)], output: output, workers: 1, refRoot: runFolder)
  }
}

/// `quarry blas-core`: the OpenBLAS kernel set the library picks by itself (hidden; the probe the
/// model runs before it loads the library, to choose kernels the CPU runs well).
struct BLASCoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "blas-core", abstract: "Print the OpenBLAS kernel set the library picks.", shouldDisplay: false)

  func run() { print(BLASKernels.libraryCore()) }
}
