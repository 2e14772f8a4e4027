import DataCore
import Foundation
import Testing
import TestSupport

@testable import QualityFilters

@Suite("fastText classifiers")
struct FastTextModelTests {
  /// Examples of two clearly different kinds of text.
  func examples(_ n: Int) -> String {
    var lines: [String] = []
    for i in 0..<n {
      lines.append("__label__hq The theorem follows from the lemma by induction on n, step \(i), since every term is bounded.")
      lines.append("__label__cc click here buy now cheap deals \(i) free shipping best price order today limited offer")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  @Test("a trained classifier separates its classes, and one thread with a seed trains the same model twice")
  func trainAndPredict() throws {
    let dir = makeTempDir()
    try writeFileAtomically(dir + "/train.txt", examples(200))
    var options = FastTextModel.TrainingOptions()
    options.dimension = 16
    options.buckets = 10_000
    options.epochs = 25
    try FastTextModel.train(examples: dir + "/train.txt", output: dir + "/a.bin", options: options)
    try FastTextModel.train(examples: dir + "/train.txt", output: dir + "/b.bin", options: options)
    #expect(try readFile(dir + "/a.bin") == readFile(dir + "/b.bin"))
    let model = try FastTextModel(path: dir + "/a.bin")
    #expect(model.labelCount == 2)
    let proof = try model.predict("By induction on n every term is bounded, so the theorem follows.")
    #expect(proof.first?.label == "__label__hq" && proof[0].probability > 0.6)
    let spam = try model.predict("buy now, cheap deals, free shipping today")
    #expect(spam.first?.label == "__label__cc" && spam[0].probability > 0.6)
    #expect(abs(proof.map(\.probability).reduce(0, +) - 1) < 1e-3)
    #expect(try model.predict("").count >= 0)
  }

  @Test("a file that is not a model is refused with a message, not a crash", arguments: ["missing", "empty", "text", "header", "truncated", "trailing"])
  func badModel(kind: String) throws {
    let dir = makeTempDir()
    let path = dir + "/model.bin"
    switch kind {
    case "empty": try writeFileAtomically(path, [UInt8]())
    case "text": try writeFileAtomically(path, "this is not a fastText model\n")
    case "header": try writeFileAtomically(path, [0xBA, 0x16, 0x4F, 0x2F, 12, 0, 0, 0])
    case "truncated", "trailing":
      try writeFileAtomically(dir + "/train.txt", examples(20))
      var options = FastTextModel.TrainingOptions()
      options.dimension = 8
      options.buckets = 1000
      try FastTextModel.train(examples: dir + "/train.txt", output: dir + "/whole.bin", options: options)
      let whole = try readFile(dir + "/whole.bin")
      try writeFileAtomically(path, kind == "truncated" ? Array(whole.prefix(whole.count / 2)) : whole + [0])
    default: break
    }
    #expect(throws: DataError.self) { _ = try FastTextModel(path: path) }
  }
}
