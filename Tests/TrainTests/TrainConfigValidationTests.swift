import Foundation
import TestSupport
import Testing

@testable import Train

/// One bad training setting: the YAML line that replaces the default, and the message part.
struct BadTrainSetting: CustomTestStringConvertible, Sendable {
  var setting: String
  var says: String
  var testDescription: String { setting }
}

private func config(_ extra: String) -> String {
  """
  model: {vocab_size: 300, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1,
          num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64}
  \(extra)
  stages:
    - {name: s1, data: shards, steps: 10, seq_len: 16}
  """
}

private let badSettings: [BadTrainSetting] = [
  .init(setting: "checkpoint_every: 0", says: "checkpoint_every must be ≥ 1"),
  .init(setting: "batch_size: 0", says: "must be ≥ 1"),
  .init(setting: "batch_size: 100000000", says: "≤ 65536"),
  .init(setting: "replicas: 0", says: "replicas must be ≥ 1"),
  .init(setting: "schedule: {lr: .nan}", says: "lr must be a finite number > 0"),
  .init(setting: "schedule: {lr: .inf}", says: "lr must be a finite number > 0"),
  .init(setting: "schedule: {lr: 1.0e-3, warmup_steps: -5}", says: "warmup_steps must be ≥ 0"),
  .init(setting: "optimizer: {beta2: 1.5}", says: "beta1 and beta2 must be in [0, 1)"),
  .init(setting: "optimizer: {grad_clip: 0}", says: "grad_clip must be finite and > 0"),
  .init(setting: "mtp: {weight: -1}", says: "mtp: weights must be finite and ≥ 0"),
]

@Suite("train config validation")
struct TrainConfigValidationTests {
  @Test("each bad setting is refused with what is allowed", arguments: badSettings)
  func refused(_ bad: BadTrainSetting) throws {
    let dir = makeTempDir()
    try config(bad.setting).write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
    let cfg = try TrainConfig.load(dir + "/t.yaml")
    #expect(throws: TrainError.self) { try cfg.validate() }
    do { try cfg.validate() } catch { #expect("\(error)".contains(bad.says), "\(error)") }
  }

  @Test("a stage batch size of 0 is refused before any checkpoint is written")
  func stageBatch() throws {
    let dir = makeTempDir()
    let yaml = config("").replacingOccurrences(of: "seq_len: 16}", with: "seq_len: 16, batch_size: 0}")
    try yaml.write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
    let cfg = try TrainConfig.load(dir + "/t.yaml")
    #expect(throws: TrainError.self) { try Trainer(config: cfg, output: dir + "/out", resume: false) }
    #expect(!FileManager.default.fileExists(atPath: dir + "/out/checkpoints"))
  }

  @Test("the defaults pass")
  func defaults() throws {
    let dir = makeTempDir()
    try config("").write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
    try TrainConfig.load(dir + "/t.yaml").validate()
  }
}
