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
  .init(setting: "checkpoint_every: 0", says: "checkpoint_every: expected an integer ≥ 1, found 0"),
  .init(setting: "batch_size: 0", says: "batch_size: expected an integer in [1, 65536], found 0"),
  .init(setting: "batch_size: 100000000", says: "batch_size: expected an integer in [1, 65536], found 100000000"),
  .init(setting: "replicas: 0", says: "replicas: expected an integer in [1, 65536], found 0"),
  .init(setting: "schedule: {lr: .nan}", says: "schedule.lr: expected a number > 0"),
  .init(setting: "schedule: {lr: .inf}", says: "schedule.lr: expected a number > 0"),
  .init(setting: "schedule: {lr: 1.0e-3, warmup_steps: -5}", says: "schedule.warmup_steps: expected an integer ≥ 0, found -5"),
  .init(setting: "optimizer: {beta2: 1.5}", says: "optimizer.beta2: expected a number in [0, 0.999999], found 1.5"),
  .init(setting: "optimizer: {grad_clip: 0}", says: "optimizer.grad_clip: expected a number > 0, found 0"),
  .init(setting: "mtp: {weight: -1}", says: "mtp.weight: expected a number ≥ 0, found -1"),
  .init(setting: "checkpoint_evry: 10", says: "checkpoint_evry: unknown key; did you mean 'checkpoint_every'?"),
  .init(setting: "schedule: {kind: linear}", says: "schedule.kind: expected one of cosine, wsd, constant"),
  .init(setting: "replicas: 4\nbatch_size: 2", says: "replicas ≤ batch_size"),
]

@Suite("train config validation")
struct TrainConfigValidationTests {
  @Test("each bad setting is refused with what is allowed", arguments: badSettings)
  func refused(_ bad: BadTrainSetting) throws {
    let dir = makeTempDir()
    try config(bad.setting).write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
    do {
      try TrainConfig.load(dir + "/t.yaml").validate()
      Issue.record("accepted: \(bad.setting)")
    } catch {
      #expect("\(error)".contains(bad.says), "\(error)")
      if !bad.says.contains("≤ batch_size") && !bad.says.contains("activations") {
        #expect("\(error)".hasPrefix(dir + "/t.yaml:"))
      }
    }
  }

  @Test("a stage batch size below the replicas is refused before any checkpoint is written")
  func stageBatch() throws {
    let dir = makeTempDir()
    let yaml = config("replicas: 2").replacingOccurrences(of: "seq_len: 16}", with: "seq_len: 16, batch_size: 1}")
    try yaml.write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
    let cfg = try TrainConfig.load(dir + "/t.yaml")
    #expect(throws: TrainError.self) { try Trainer(config: cfg, output: dir + "/out", resume: false) }
    #expect(!FileManager.default.fileExists(atPath: dir + "/out/checkpoints"))
  }

  @Test("a micro-batch whose activations cannot fit in memory is refused before allocating")
  func activations() throws {
    let dir = makeTempDir()
    let yaml = """
      model: {vocab_size: 300, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1,
              num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 1048576}
      batch_size: 65536
      stages:
        - {name: s1, data: shards, steps: 10, seq_len: 1048576}
      """
    try yaml.write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
    #expect { try TrainConfig.load(dir + "/t.yaml").validate() } throws: {
      "\($0)".contains("GB of activations; this machine has")
    }
  }

  @Test("the defaults pass")
  func defaults() throws {
    let dir = makeTempDir()
    try config("").write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
    try TrainConfig.load(dir + "/t.yaml").validate()
  }
}
