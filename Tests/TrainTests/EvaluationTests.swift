import Foundation
import TestSupport
import Testing

@testable import BPE
@testable import DataCore
@testable import Model
@testable import Shards
@testable import Train

@Suite("Held-out evaluation")
struct EvaluationTests {
  @Test("bits per byte, by hand: a model with all-zero weights predicts uniformly over V = 512")
  func bitsPerByteByHand() throws {
    // Uniform over 512 ids: every target costs ln 512 nats = 9 bits. Four targets standing for
    // 1, 2, 3 and 2 bytes: 36 bits over 8 bytes = 4.5 bits per byte; loss ln 512 per token.
    #expect(abs(Evaluation.bitsPerByte(nats: 36 * Double.log(2), bytes: 8) - 4.5) < 1e-12)
    let cfg = MiMoConfig(
      vocabSize: 512, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 2,
      numKeyValueHeads: 1, numNextnPredictLayers: 1)
    let model = try MiMoModel(config: cfg, seed: 1)
    for i in model.parameters.indices { model.parameters[i] = 0 }
    var tokenBytes = [Int](repeating: 5, count: 512)
    tokenBytes[10] = 1
    tokenBytes[20] = 2
    tokenBytes[30] = 3
    tokenBytes[40] = 2
    tokenBytes[7] = 100  // the first token of a window is context, never a target
    let set = EvalSet(name: "hand", windows: [[7, 10, 20, 30, 40]])
    let r = Evaluation.run(model: model, sets: [set], batchSize: 4, tokenBytes: tokenBytes)[0]
    #expect(r.targets == 4)
    #expect(r.bytes == 8)
    #expect(abs(r.loss - Double.log(512)) < 1e-5, "loss \(r.loss)")
    #expect(abs((r.bitsPerByte ?? 0) - 4.5) < 1e-5, "bpb \(String(describing: r.bitsPerByte))")
    #expect(abs((r.mtpLoss ?? 0) - Double.log(512)) < 1e-5)
  }

  @Test("special tokens stand for no bytes; a byte token for one")
  func tokenBytes() throws {
    let dir = makeTempDir("quarry-eval")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try prepareData(dir)
    let tok = try BPETokenizer(path: dir + "/tokenizer.json")
    let n = Evaluation.tokenBytes(tok)
    let eos = try #require(tok.endOfText)
    #expect(n[eos] == 0)
    let ids = tok.encode("Exercise 12. Solve $x + 1 = 2$.")
    #expect(ids.map { n[$0] }.reduce(0, +) == "Exercise 12. Solve $x + 1 = 2$.".utf8.count)
  }

  @Test("documents tokenized here and the same documents as token shards give the same loss and bits per byte; sets per domain")
  func documentsEqualShards() throws {
    let dir = makeTempDir("quarry-eval")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let vocab = try prepareData(dir)
    let cfg = MiMoConfig(
      vocabSize: vocab, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 2,
      numKeyValueHeads: 1, maxPositionEmbeddings: 128, numNextnPredictLayers: 1)
    let model = try MiMoModel(config: cfg, seed: 2)
    let tok = try BPETokenizer(path: dir + "/tokenizer.json")
    try model.save(
      to: dir + "/ckpt", tokenizer: CheckpointTokenizer(json: try readFile(dir + "/tokenizer.json"), endOfText: tok.endOfText))
    let held = repoRoot.appendingPathComponent("Fixtures/heldout/exercises.jsonl").path
    let e = try CheckpointEvaluation(
      checkpoint: dir + "/ckpt", data: [("docs", held), ("shards", dir + "/heldout")], seqLen: 64, maxWindows: 10, batchSize: 4)
    #expect(e.results.count == 2)
    #expect(e.results[0].loss == e.results[1].loss)
    #expect(e.results[0].bitsPerByte == e.results[1].bitsPerByte)
    #expect(e.results[0].targets == 10 * 64)
    #expect(e.results[0].bytes > e.results[0].targets)  // BPE tokens stand for more than a byte on average
    // By domain: prepareData labels every held-out document "math", so "math" equals "all".
    let sets = try Evaluation.sets(shards: dir + "/heldout", seqLen: 64, vocabSize: vocab, maxWindows: 5, byDomain: true)
    #expect(sets.map(\.name) == ["all", "math"])
    #expect(sets[0].windows == sets[1].windows)
    #expect(sets[0].windows.count == 5 && sets[0].windows.allSatisfy { $0.count == 65 })
    #expect(e.text.contains("\"sets\""))
  }

  @Test("a checkpoint holds what transformers needs: auto_map, remote code, EOS ids, tokenizer and generation configs")
  func huggingFaceFiles() throws {
    let dir = makeTempDir("quarry-eval")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try prepareData(dir)
    let tok = try BPETokenizer(path: dir + "/tokenizer.json")
    let eos = try #require(tok.endOfText)
    let model = try MiMoModel(
      config: MiMoConfig(
        vocabSize: tok.vocabSize, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 2,
        numKeyValueHeads: 1, maxPositionEmbeddings: 256, numNextnPredictLayers: 1), seed: 1)
    try model.save(to: dir + "/ckpt", tokenizer: CheckpointTokenizer(json: try readFile(dir + "/tokenizer.json"), endOfText: eos))
    guard case .object(let cfg) = try readJSONFile(dir + "/ckpt/config.json"),
      case .object(let autoMap)? = cfg["auto_map"],
      case .object(let gen) = try readJSONFile(dir + "/ckpt/generation_config.json"),
      case .object(let tc) = try readJSONFile(dir + "/ckpt/tokenizer_config.json")
    else {
      Issue.record("config files are missing or not objects")
      return
    }
    #expect(autoMap["AutoConfig"]?.stringValue == "configuration_mimo.MiMoConfig")
    #expect(autoMap["AutoModelForCausalLM"]?.stringValue == "modeling_mimo.MiMoForCausalLM")
    #expect(cfg["eos_token_id"]?.intValue == eos && cfg["bos_token_id"]?.intValue == eos)
    #expect(cfg["pad_token_id"] == nil)
    #expect(cfg["model_type"]?.stringValue == "mimo")
    #expect(gen["eos_token_id"]?.intValue == eos && gen["pad_token_id"]?.intValue == eos)
    #expect(gen["do_sample"] == .bool(false))
    #expect(tc["eos_token"]?.stringValue == "<|endoftext|>" && tc["bos_token"] == .null)
    #expect(tc["tokenizer_class"]?.stringValue == "PreTrainedTokenizerFast")
    let modeling = try readText(dir + "/ckpt/modeling_mimo.py")
    #expect(modeling.contains("class MiMoForCausalLM") && modeling.contains("def mtp_logits"))
    #expect(try readText(dir + "/ckpt/configuration_mimo.py").contains("model_type = \"mimo\""))
    #expect(try readFile(dir + "/ckpt/tokenizer.json") == readFile(dir + "/tokenizer.json"))
    // The extra keys do not disturb Quarry's own loading.
    let back = try MiMoModel.load(checkpoint: dir + "/ckpt")
    #expect(back.config.vocabSize == tok.vocabSize)
  }
}
