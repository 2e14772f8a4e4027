import ArgumentParser
import Foundation
import Model

/// `quarry model`: checkpoint utilities (logits for parity checks, random initialisation).
struct ModelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "model",
    abstract: "Checkpoint utilities: logits for parity checks, random initialisation, summary.",
    subcommands: [Logits.self, Init.self, Info.self]
  )

  struct Logits: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "logits",
      abstract: "Run a checkpoint on input_ids [B, T] and write logits [B, T, V] and mtp_logits [B, T-1, V].",
      discussion: """
        Conventions of ../shared/bench/train/torch_ref.py compare: position i of mtp_logits uses
        the main hidden state h_i (after model.norm) and the embedding of token i+1, and predicts
        token i+2.

        Example:
          quarry model logits --checkpoint out/demo/train/final \\
            --tokens Fixtures/tokens.safetensors --output out/logits.safetensors
        """)
    @Option(help: "Checkpoint folder (config.json + model.safetensors).") var checkpoint: String
    @Option(help: "safetensors with input_ids (int64 or int32) [B, T].") var tokens: String
    @Option(help: "Output safetensors.") var output: String
    @Option(help: "Threads.") var threads: Int = 1

    func run() throws {
      print(try MiMoModel.writeLogits(checkpoint: checkpoint, tokens: tokens, output: output, threads: threads))
    }
  }

  struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "init",
      abstract: "Write a randomly initialised checkpoint (HF Qwen2 initialisation).",
      discussion: """
        Example:
          quarry model init --output out/init2 --vocab-size 8192 --seed 1
        """)
    @Option(help: "Output folder.") var output: String
    @Option var vocabSize = 8192
    @Option var hiddenSize = 256
    @Option var intermediateSize = 704
    @Option var layers = 4
    @Option var heads = 8
    @Option var kvHeads = 2
    @Option var mtpLayers = 1
    @Option var seed: UInt64 = 0
    @Option(help: "Std of the normal initialisation.") var initStd = 0.02

    func run() throws {
      let cfg = MiMoConfig(
        vocabSize: vocabSize, hiddenSize: hiddenSize, intermediateSize: intermediateSize,
        numHiddenLayers: layers, numAttentionHeads: heads, numKeyValueHeads: kvHeads,
        numNextnPredictLayers: mtpLayers, initializerRange: initStd)
      let model = try MiMoModel(config: cfg, seed: seed)
      try model.save(to: output)
      print("wrote \(output): \(model.parameterCount) parameters")
    }
  }

  struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "info",
      abstract: "Print a checkpoint's config and tensor list.",
      discussion: """
        Example:
          quarry model info out/demo/train/final
        """)
    @Argument(help: "Checkpoint folder.") var checkpoint: String
    func run() throws {
      let model = try MiMoModel.load(checkpoint: checkpoint)
      let c = model.config
      print("vocab \(c.vocabSize), hidden \(c.hiddenSize), layers \(c.numHiddenLayers), heads \(c.numAttentionHeads)/\(c.numKeyValueHeads) (d \(c.headDim)), intermediate \(c.intermediateSize), MTP layers \(c.numNextnPredictLayers), rope_theta \(c.ropeTheta)")
      print("\(model.parameterCount) parameters (\(model.layout.mtpCount) in the MTP layer)")
      for s in model.layout.slots { print("  \(s.name) \(s.shape)") }
    }
  }
}
