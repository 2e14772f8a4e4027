import Foundation
import TestSupport
import Testing

@testable import DataCore
@testable import Mixture

/// A mixture config with one thing wrong, and what the refusal must say.
struct BadMixture: CustomTestStringConvertible, Sendable {
  var name: String
  var sourceExtra: String = ""
  var stages: String
  var says: String
  var testDescription: String { name }
}

private let ok = "{name: s1, tokens: 100, seq_len: 8, weights: {web: 1}}"

private let badMixtures: [BadMixture] = [
  .init(name: "quality 0", sourceExtra: ", quality: 0", stages: ok, says: "quality must be a finite number > 0"),
  .init(name: "weight inf", stages: "{name: s1, tokens: 100, seq_len: 8, weights: {web: .inf}}", says: "stages[0].weights.web: expected a number ≥ 0, found '.inf'"),
  .init(name: "weight -1", stages: "{name: s1, tokens: 100, seq_len: 8, weights: {web: -1, math: 1}}", says: "stages[0].weights.web: expected a number ≥ 0, found -1"),
  .init(name: "stage name escapes", stages: "{name: ../../x, tokens: 100, seq_len: 8, weights: {web: 1}}", says: "not a usable folder name"),
  .init(name: "stage names repeat", stages: "\(ok), \(ok)", says: "stage name 's1' repeats"),
  .init(name: "max_epochs nan", stages: "{name: s1, tokens: 100, seq_len: 8, weights: {web: 1}, max_epochs: .nan}", says: "stages[0].max_epochs: expected a number ≥ 0, found '.nan'"),
  .init(name: "unknown key", stages: "{name: s1, tokens: 100, seq_len: 8, weights: {web: 1}, max_epoch: 2}", says: "stages[0].max_epoch: unknown key; did you mean 'max_epochs'?"),
]

@Suite("mixture config validation")
struct MixtureConfigValidationTests {
  @Test("each bad value is refused with what is allowed", arguments: badMixtures)
  func refused(_ bad: BadMixture) throws {
    let dir = makeTempDir()
    let yaml = """
      tokenizer: t.json
      sources:
        - {name: web, path: docs, domain: web\(bad.sourceExtra)}
      stages: [\(bad.stages)]
      """
    try yaml.write(toFile: dir + "/m.yaml", atomically: true, encoding: .utf8)
    do {
      _ = try MixtureConfig.load(dir + "/m.yaml")
      Issue.record("\(bad.name): accepted")
    } catch {
      #expect("\(error)".contains(bad.says), "\(error)")
      #expect("\(error)".contains(dir + "/m.yaml"))
    }
  }
}
