import DataCore
import Foundation
import Testing

@testable import Model

@Suite("Generation with a KV cache")
struct GenerationTests {
  static let cfg = MiMoConfig(
    vocabSize: 50, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2,
    numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 128,
    numNextnPredictLayers: 1, initializerRange: 0.3)

  @Test("the KV-cache path gives the same logits as the full forward pass")
  func cacheMatchesFullForward() throws {
    let model = try MiMoModel(config: Self.cfg, seed: 4)
    let tokens: [Int32] = [3, 17, 42, 8, 8, 23, 1, 49, 0, 12]
    let full = model.logits(tokens: tokens, b: 1, t: tokens.count)
    let core = model.core
    let cache = core.makeCache(capacity: 16)
    // Prompt of 4 tokens, then one token at a time, then two at once.
    var got: [Float] = []
    var hidden: [Float] = []
    for chunk in [Array(tokens[0..<4]), [tokens[4]], [tokens[5]], Array(tokens[6..<8]), Array(tokens[8...])] {
      let r = core.inferMain(chunk, cache: cache)
      got += r.logits
      hidden += r.hidden
    }
    var worst: Float = 0
    for (a, b) in zip(full.main, got) { worst = max(worst, abs(a - b)) }
    #expect(got.count == full.main.count && worst < 1e-4, "max diff \(worst)")
    // MTP over the cached path: position i uses h_i and token i+1.
    let mcache = core.makeCache(capacity: 16)
    let c = Self.cfg.hiddenSize
    let mtp = core.inferMTP(
      hidden: Array(hidden[0..<((tokens.count - 1) * c)]), tokens: Array(tokens[1...]),
      cache: mcache)
    var worstMTP: Float = 0
    for (a, b) in zip(full.mtp ?? [], mtp) { worstMTP = max(worstMTP, abs(a - b)) }
    #expect(mtp.count == full.mtp?.count && worstMTP < 1e-4, "MTP max diff \(worstMTP)")
  }

  @Test("greedy MTP speculative decoding gives exactly the plain greedy tokens")
  func greedyIdentical() throws {
    let model = try MiMoModel(config: Self.cfg, seed: 9)
    for prompt in [[1], [5, 6, 7], [49, 0, 49, 0, 49]] {
      let plain = try model.generate(prompt: prompt, maxNewTokens: 30)
      let spec = try model.generate(prompt: prompt, maxNewTokens: 30, speculative: true)
      #expect(plain.tokens == spec.tokens)
      #expect(plain.tokens.count == 30 && spec.drafted > 0)
    }
  }

  @Test("several drafts per main forward (the MTP layer chained on its own output) keep greedy output exact")
  func chainedDrafts() throws {
    let model = try MiMoModel(config: Self.cfg, seed: 9)
    for prompt in [[1], [5, 6, 7], [49, 0, 49, 0, 49]] {
      let plain = try model.generate(prompt: prompt, maxNewTokens: 40)
      for k in [2, 3, 5] {
        let spec = try model.generate(prompt: prompt, maxNewTokens: 40, speculative: true, draftTokens: k)
        #expect(spec.tokens == plain.tokens, "k = \(k)")
        #expect(spec.drafted > 0 && spec.mainForwards < 40)
      }
      // A stop token ends both the same way.
      let stop = plain.tokens[10]
      let a = try model.generate(prompt: prompt, maxNewTokens: 40, stopToken: stop)
      let b = try model.generate(prompt: prompt, maxNewTokens: 40, speculative: true, draftTokens: 3, stopToken: stop)
      #expect(a.tokens == b.tokens && a.tokens.last == stop)
    }
    let a = try model.generate(prompt: [2, 3], maxNewTokens: 25, temperature: 0.8, speculative: true, draftTokens: 3, seed: 5)
    let b = try model.generate(prompt: [2, 3], maxNewTokens: 25, temperature: 0.8, speculative: true, draftTokens: 3, seed: 5)
    #expect(a.tokens == b.tokens && a.tokens.count == 25)
    #expect(throws: ModelError.self) { try model.generate(prompt: [1], maxNewTokens: 3, speculative: true, draftTokens: 0) }
  }

  @Test("MTP drafts choose among the draft vocabulary's ids only, and greedy output stays exact")
  func draftVocabulary() throws {
    let model = try MiMoModel(config: Self.cfg, seed: 9)
    #expect(model.defaultDraftVocabulary == 50)  // a small vocabulary is drafted whole
    for dv in [1, 7, 50] {
      let draft = try model.draftWeights(vocabulary: dv)
      #expect(draft.vocabulary == dv)
      for prompt in [[1], [5, 6, 7]] {
        let plain = try model.generate(prompt: prompt, maxNewTokens: 30)
        for k in [1, 3] {
          let spec = try model.generate(prompt: prompt, maxNewTokens: 30, speculative: true, draftTokens: k, draft: draft)
          #expect(spec.tokens == plain.tokens, "draft vocabulary \(dv), k = \(k)")
        }
      }
      let a = try model.generate(prompt: [2, 3], maxNewTokens: 25, temperature: 0.8, speculative: true, seed: 5, draft: draft)
      #expect(a.tokens.count == 25 && a.tokens.allSatisfy { $0 >= 0 && $0 < 50 })
    }
    // The draft logits: the fp32 MTP logits within int8 rounding below the cut, −∞ above it.
    let core = model.core, c = Self.cfg.hiddenSize, v = Self.cfg.vocabSize
    var rng = SplitMix64(seed: 1)
    let hidden = (0..<(2 * c)).map { _ in Float(rng.nextUnit()) - 0.5 }
    let tokens: [Int32] = [4, 9]
    let exact = core.inferMTP(hidden: hidden, tokens: tokens, cache: core.makeCache(capacity: 8))
    let s = InferenceScratch<Float>(config: Self.cfg, rows: 2, capacity: 8)
    let draft = try model.draftWeights(vocabulary: 20)
    hidden.withUnsafeBufferPointer { h in
      tokens.withUnsafeBufferPointer {
        core.inferMTP(
          hidden: h.baseAddress!, tokens: $0.baseAddress!, n: 2, cache: core.makeCache(capacity: 8), scratch: s,
          draft: draft)
      }
    }
    for r in 0..<2 {
      let row = Array(UnsafeBufferPointer(start: s.mtpLogits.base + r * v, count: v))
      let want = Array(exact[(r * v)..<((r + 1) * v)])
      let scale = want.map { abs($0) }.max()!
      #expect(zip(row.prefix(20), want.prefix(20)).allSatisfy { abs($0 - $1) <= 0.05 * scale }, "row \(r)")
      #expect(row.dropFirst(20).allSatisfy { $0 == -.infinity })
    }
    #expect(throws: ModelError.self) { try model.draftWeights(vocabulary: 0) }
    #expect(throws: ModelError.self) { try model.draftWeights(vocabulary: 51) }
  }

  @Test("the few-rows linear kernel: a row's result does not depend on the rows beside it, and matches BLAS")
  func fewRowsKernel() {
    let k = 37, o = 43  // blocks of four weight rows, plus column and row tails
    var rng = SplitMix64(seed: 3)
    let w = (0..<(k * o)).map { _ in Float(rng.nextUnit()) - 0.5 }
    let x = (0..<(7 * k)).map { _ in Float(rng.nextUnit()) - 0.5 }
    let bias = (0..<o).map { _ in Float(rng.nextUnit()) }
    var blas = [Float](repeating: 0, count: 7 * o)
    linearForward(&blas, x, w, bias, n: 7, k: k, o: o)
    var alone: [[Float]] = []
    for r in 0..<7 {
      var one = [Float](repeating: 0, count: o)
      inferLinear(&one, Array(x[(r * k)..<((r + 1) * k)]), w, bias, n: 1, k: k, o: o)
      alone.append(one)
    }
    for n in 1...7 {  // groups of 1-4 rows, and a second group
      var y = [Float](repeating: 0, count: n * o)
      inferLinear(&y, Array(x[0..<(n * k)]), w, bias, n: n, k: k, o: o)
      for r in 0..<n { #expect(Array(y[(r * o)..<((r + 1) * o)]) == alone[r], "n=\(n) row \(r)") }
      #expect(zip(y, blas).allSatisfy { abs($0 - $1) < 1e-5 })
    }
  }

  @Test("decoding kernels: panel-layout weights give the full forward's logits, each row alone; the MTP layer's catch-up rows only fill its cache")
  func decodingKernels() throws {
    let model = try MiMoModel(config: Self.cfg, seed: 4)
    let core = model.core, v = Self.cfg.vocabSize, c = Self.cfg.hiddenSize
    let tokens: [Int32] = [3, 17, 42, 8, 8, 23, 1, 49, 0, 12]
    let full = model.logits(tokens: tokens, b: 1, t: tokens.count)
    let panels = model.panelWeights()
    // The prompt through BLAS, then rows one by one and in groups through the panel kernel.
    func run(_ chunks: [[Int32]]) -> (logits: [Float], hidden: [Float]) {
      let cache = core.makeCache(capacity: 16)
      let s = InferenceScratch<Float>(config: Self.cfg, rows: 16, capacity: 16)
      var logits: [Float] = [], hidden: [Float] = []
      for chunk in chunks {
        chunk.withUnsafeBufferPointer { core.inferMain($0.baseAddress!, n: chunk.count, cache: cache, scratch: s, panels: panels) }
        logits += Array(UnsafeBufferPointer(start: s.logits.base, count: chunk.count * v))
        hidden += Array(UnsafeBufferPointer(start: s.hidden.base, count: chunk.count * c))
      }
      return (logits, hidden)
    }
    let byOne = run([Array(tokens[0..<2])] + tokens[2...].map { [$0] })
    let grouped = run([Array(tokens[0..<2]), Array(tokens[2..<5]), Array(tokens[5..<9]), [tokens[9]]])
    #expect(Array(byOne.logits[(2 * v)...]) == Array(grouped.logits[(2 * v)...]), "a row's logits do not depend on the rows beside it")
    let worst = zip(full.main, byOne.logits).map { abs($0 - $1) }.max()!
    #expect(worst < 1e-4, "max diff \(worst)")
    // The MTP layer with lastRowOnly: the last row's logits exactly as when every row runs
    // (fp32 and int8 drafts); the other rows' keys and values still reach the cache.
    let hidden = Array(byOne.hidden[0..<(4 * c)]), next = Array(tokens[1..<5])
    for draft in [nil, try model.draftWeights()] {
      var last: [[Float]] = []
      for lastOnly in [false, true] {
        let cache = core.makeCache(capacity: 16)
        let s = InferenceScratch<Float>(config: Self.cfg, rows: 4, capacity: 16)
        hidden.withUnsafeBufferPointer { h in
          next.withUnsafeBufferPointer {
            core.inferMTP(hidden: h.baseAddress!, tokens: $0.baseAddress!, n: 4, cache: cache, scratch: s, draft: draft, lastRowOnly: lastOnly)
          }
        }
        // One more position after the four: it attends over all of them.
        let one: [Float] = Array(byOne.hidden[(4 * c)..<(5 * c)]), t: [Int32] = [tokens[5]]
        one.withUnsafeBufferPointer { h in
          t.withUnsafeBufferPointer {
            core.inferMTP(hidden: h.baseAddress!, tokens: $0.baseAddress!, n: 1, cache: cache, scratch: s, draft: draft)
          }
        }
        last.append(Array(UnsafeBufferPointer(start: s.mtpLogits.base, count: v)))
      }
      #expect(last[0] == last[1], draft == nil ? "fp32" : "int8 draft")
    }
  }

  @Test("argmax: the first largest value, as a scalar scan keeps it")
  func argmaxFirst() {
    var l = (0..<100).map { Float(($0 * 37) % 101) / 10 }
    l[55] = 50
    l[70] = 50
    #expect(argmax(l, l.count) == 55)
    #expect(argmax([-1, -2, -0.5, -3, -0.5], 5) == 2)
    #expect(argmax([.nan, 1, 2], 3) == 0)
    #expect(argmax([1, .nan, 2, 2], 4) == 2)
    #expect(argmax([3], 1) == 0)
  }

  @Test("sampling: deterministic for a seed, valid ids, speculative sampling runs")
  func sampling() throws {
    let model = try MiMoModel(config: Self.cfg, seed: 9)
    let a = try model.generate(prompt: [2, 3], maxNewTokens: 25, temperature: 0.8, speculative: true, seed: 5)
    let b = try model.generate(prompt: [2, 3], maxNewTokens: 25, temperature: 0.8, speculative: true, seed: 5)
    let c = try model.generate(prompt: [2, 3], maxNewTokens: 25, temperature: 0.8, seed: 5)
    #expect(a.tokens == b.tokens)
    #expect(a.tokens.count == 25 && c.tokens.count == 25)
    #expect(a.tokens.allSatisfy { $0 >= 0 && $0 < 50 })
    #expect(throws: ModelError.self) { try model.generate(prompt: [], maxNewTokens: 3) }
    #expect(throws: ModelError.self) { try model.generate(prompt: [50], maxNewTokens: 3) }
  }

  @Test("safetensors: checkpoints round-trip with HF names; damaged files are refused")
  func checkpoints() throws {
    let dir = NSTemporaryDirectory() + "quarry-ckpt-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let model = try MiMoModel(config: Self.cfg, seed: 2)
    try model.save(to: dir)
    let back = try MiMoModel.load(checkpoint: dir)
    #expect(Array(back.parameters) == Array(model.parameters))
    let (tensors, _) = try SafeTensors.read(dir + "/model.safetensors")
    for name in [
      "model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
      "model.layers.1.self_attn.q_proj.bias", "model.layers.0.mlp.down_proj.weight",
      "model.mtp_layers.0.input_proj.weight", "model.mtp_layers.0.final_layernorm.weight",
    ] { #expect(tensors[name] != nil, "\(name)") }
    #expect(tensors["model.mtp_layers.0.input_proj.weight"]?.shape == [32, 64])
    #expect(tensors["model.layers.0.self_attn.o_proj.bias"] == nil)
    let json = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
    #expect(json.contains("\"MiMoForCausalLM\"") && json.contains("\"num_nextn_predict_layers\": 1"))
    // Truncated and header-damaged files.
    var bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
    try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: dir + "/cut.safetensors"))
    #expect(throws: ModelError.self) { try SafeTensors.read(dir + "/cut.safetensors") }
    bytes[0] = 0xFF
    bytes[5] = 0x7F
    try bytes.write(to: URL(fileURLWithPath: dir + "/bad.safetensors"))
    #expect(throws: ModelError.self) { try SafeTensors.read(dir + "/bad.safetensors") }
  }

  @Test("the reference configuration has torch_ref.py's parameter counts")
  func parameterCounts() {
    let l = ParameterLayout(.reference)
    #expect(l.count == 7_016_192 + 837_248)
    #expect(l.mtpCount == 837_248)
    #expect(l.trainingFLOPsPerToken(seqLen: 256) == 51_019_776)
  }
}

@Suite("model file limits")
struct ModelLimitTests {
  @Test("a safetensors header whose shape product overflows is refused")
  func shapeOverflow() throws {
    let path = NSTemporaryDirectory() + "quarry-overflow-" + UUID().uuidString + ".safetensors"
    let header = #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#
    var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
    bytes += Array(header.utf8)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect { try SafeTensors.read(path) } throws: { "\($0)".contains("too many elements") }
  }

  @Test("sizes beyond the limits or this machine's memory are refused before allocating")
  func sizes() {
    var c = MiMoConfig.reference
    c.vocabSize = 1_000_000_000
    #expect { try c.validate() } throws: { "\($0)".contains("vocab_size ≤ 4194304") }
    var d = MiMoConfig.reference
    d.vocabSize = 4_000_000
    d.hiddenSize = 60_000
    #expect { try d.validate() } throws: { "\($0)".contains("GB for its float32 weights alone") }
  }
}
