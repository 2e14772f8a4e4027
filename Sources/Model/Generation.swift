// Text generation with a KV cache, plain or with MTP speculative decoding.
//
// Speculative decoding with MiMo's single MTP layer: after the main model has chosen token
// x_L (from its logits at L−1), the MTP layer combines h_{L−1} with Emb(x_L) and drafts
// x_{L+1}. One main forward over [x_L, draft] then verifies the draft (its logits at L) and,
// when the draft is accepted, already gives the logits at L+1, so two tokens cost one main
// forward. With k > 1 drafts, the MTP layer runs again on its own output state and the draft
// before it (its cache entries for those stand-in states are dropped afterwards), and one main
// forward over [x_L, d_1 … d_k] verifies them all: the longest agreeing prefix is kept, and
// the main model's logits after it give the next token. The MTP layer drafts with int8
// copies of its weights (`DraftWeights`); of the positions it catches up on, only the last
// runs the whole layer and has logits, the others just fill its KV cache. The main model reads
// its weights in panel layout (`PanelWeights`), in plain and speculative decoding alike.
// Greedy: a draft is accepted when it equals the main model's argmax, so the output is exactly
// that of plain greedy decoding. With temperature, the standard speculative
// sampling rule (accept with min(1, p/q), else resample from max(0, p − q)) keeps the main
// model's distribution.
import DataCore
internal import CModelKernels

public struct GenerationResult: Sendable {
  /// The new tokens (the prompt excluded).
  public var tokens: [Int]
  /// Main-model forward passes after the prompt.
  public var mainForwards: Int
  public var drafted: Int
  public var accepted: Int
  public var seconds: Double
  public var acceptanceRate: Double { drafted > 0 ? Double(accepted) / Double(drafted) : 0 }
}

extension MiMoModel {
  /// The default draft vocabulary: the lowest quarter of the ids (FR-Spec's share), at least
  /// 1,024 (all of a small vocabulary).
  public var defaultDraftVocabulary: Int { min(config.vocabSize, max(1024, config.vocabSize / 4)) }

  /// int8 copies of the weights MTP drafting reads, for `generate(draft:)`, drafting among
  /// the `vocabulary` lowest ids (`DraftWeights`; nil: `defaultDraftVocabulary`): make them
  /// once and reuse them while the parameters do not change (`generate` makes its own otherwise).
  public func draftWeights(vocabulary: Int? = nil) throws(ModelError) -> DraftWeights {
    let dv = vocabulary ?? defaultDraftVocabulary
    guard dv >= 1 && dv <= config.vocabSize else {
      throw .badConfig("the draft vocabulary must be 1 to \(config.vocabSize) tokens, not \(dv)")
    }
    return DraftWeights(params: core.params.base, layout: core.layout, vocabulary: dv)
  }

  /// The main model's weights in the decoding kernel's layout (`PanelWeights`): make them once
  /// and reuse them while the parameters do not change (`generate` makes its own otherwise).
  public func panelWeights() -> PanelWeights { PanelWeights(params: core.params.base, layout: core.layout) }

  /// Generates up to `maxNewTokens` after `prompt` (stops early at `stopToken`).
  /// `speculative` needs an MTP layer; it drafts `draftTokens` tokens per main forward (the MTP
  /// layer chained on its own output after the first). `temperature` 0 is greedy.
  public func generate(
    prompt: [Int], maxNewTokens: Int, temperature: Double = 0, speculative: Bool = false,
    draftTokens: Int = 1, seed: UInt64 = 0, stopToken: Int? = nil, draft: DraftWeights? = nil,
    panels: PanelWeights? = nil
  ) throws(ModelError) -> GenerationResult {
    guard !prompt.isEmpty else { throw .badConfig("the prompt is empty") }
    let v = config.vocabSize
    if let bad = prompt.first(where: { $0 < 0 || $0 >= v }) {
      throw .badConfig("prompt token \(bad) is outside the vocabulary (size \(v))")
    }
    if speculative && config.numNextnPredictLayers == 0 {
      throw .badConfig("--speculative mtp needs a checkpoint with an MTP layer")
    }
    guard draftTokens >= 1 && draftTokens <= 16 else { throw .badConfig("draft tokens must be 1 to 16, not \(draftTokens)") }
    let m = core
    let k = speculative ? draftTokens : 0
    var draft = draft
    if speculative && draft == nil { draft = try draftWeights() }
    let panels = panels ?? panelWeights()
    let c = config.hiddenSize
    let mainSlots = config.numHiddenLayers, mtpSlot = config.numHiddenLayers
    // Everything the loop touches, allocated here once.
    let capacity = prompt.count + maxNewTokens + k + 2
    let rows = max(prompt.count, k + 2)
    let cache = m.makeCache(capacity: capacity)
    let s = InferenceScratch<Float>(config: config, rows: rows, capacity: capacity)
    let feed = UnsafeMutablePointer<Int32>.allocate(capacity: rows)
    defer { feed.deallocate() }
    let pending = Buffer<Float>(rows * c)  // main states h_i the MTP layer has not seen yet
    let chain = Buffer<Float>(c)  // the MTP layer's own output, standing in for h when chaining
    let next = Buffer<Float>(v)  // logits for the next token
    let probs = Buffer<Float>(v), residual = Buffer<Float>(v)
    let draftQ = Buffer<Float>(max(1, k) * v)  // draft distributions (sampling)
    var drafts = [Int](repeating: 0, count: max(1, k))
    var rng = SplitMix64(seed: seed)
    let start = monotonicSeconds()
    var out: [Int] = []
    out.reserveCapacity(maxNewTokens + k + 1)
    var hist = prompt
    hist.reserveCapacity(capacity)
    var forwards = 0, drafted = 0, accepted = 0

    func pick(_ logits: UnsafePointer<Float>) -> Int {
      if temperature <= 0 { return argmax(logits, v) }
      softmax(logits, into: probs.base, v, temperature)
      return sample(probs.base, v, &rng)
    }

    // Prefill: the whole prompt.
    for (j, t) in prompt.enumerated() { feed[j] = Int32(t) }
    m.inferMain(feed, n: prompt.count, cache: cache, scratch: s, panels: panels)
    next.base.update(from: s.logits.base + (prompt.count - 1) * v, count: v)
    pending.base.update(from: s.hidden.base, count: prompt.count * c)
    var mtpDone = 0  // positions the MTP layer has processed with the main model's states

    while out.count < maxNewTokens {
      let token = pick(next.base)
      hist.append(token)
      out.append(token)
      if token == stopToken || out.count >= maxNewTokens { break }
      if !speculative {
        feed[0] = Int32(token)
        m.inferMain(feed, n: 1, cache: cache, scratch: s, panels: panels)
        forwards += 1
        next.base.update(from: s.logits.base, count: v)
        continue
      }
      // x_L = token is committed, not yet run. The MTP layer catches up on positions
      // mtpDone ..< L (state h_i, token x_{i+1}); its last row drafts x_{L+1}.
      let L = hist.count - 1
      let catchUp = L - mtpDone
      for r in 0..<catchUp { feed[r] = Int32(hist[mtpDone + r + 1]) }
      m.inferMTP(
        hidden: pending.base, tokens: feed, n: catchUp, cache: cache, scratch: s, draft: draft, lastRowOnly: true)
      mtpDone = L
      var nd = 0
      var q = s.mtpLogits.base + (catchUp - 1) * v
      chain.base.update(from: s.mtpHidden.base + (catchUp - 1) * c, count: c)
      while true {
        if temperature <= 0 {
          drafts[nd] = argmax(q, v)
        } else {
          softmax(q, into: draftQ.base + nd * v, v, temperature)
          drafts[nd] = sample(draftQ.base + nd * v, v, &rng)
        }
        nd += 1
        guard nd < k, out.count + nd < maxNewTokens, drafts[nd - 1] != stopToken else { break }
        // The next draft: the MTP layer on its own output and the draft before.
        feed[0] = Int32(drafts[nd - 1])
        m.inferMTP(hidden: chain.base, tokens: feed, n: 1, cache: cache, scratch: s, draft: draft)
        q = s.mtpLogits.base
        chain.base.update(from: s.mtpHidden.base, count: c)
      }
      cache.length[mtpSlot] = L  // chained positions ran on stand-in states: drop them
      drafted += nd
      // Verify: one main forward on [x_L, d_1 … d_nd] at positions L … L+nd.
      feed[0] = Int32(token)
      for j in 0..<nd { feed[j + 1] = Int32(drafts[j]) }
      m.inferMain(feed, n: nd + 1, cache: cache, scratch: s, panels: panels)
      forwards += 1
      var j = 0
      var replacement: Int? = nil
      while j < nd {
        let row = s.logits.base + j * v
        if temperature <= 0 {
          guard argmax(row, v) == drafts[j] else { break }
        } else {
          softmax(row, into: probs.base, v, temperature)
          let qd = draftQ.base + j * v
          let d = drafts[j]
          guard rng.nextUnit() < min(1, Double(probs[d]) / max(Double(qd[d]), 1e-30)) else {
            var total: Float = 0
            for t in 0..<v {
              residual[t] = max(0, probs[t] - qd[t])
              total += residual[t]
            }
            replacement = total > 0 ? sample(residual.base, v, &rng, total: total) : sample(probs.base, v, &rng)
            break
          }
        }
        j += 1
      }
      accepted += j
      var stop = false
      for t in 0..<j {
        hist.append(drafts[t])
        out.append(drafts[t])
        if drafts[t] == stopToken || out.count >= maxNewTokens {
          stop = true
          break
        }
      }
      // The main model keeps x_L and the accepted drafts; their states wait for the MTP layer.
      for l in 0..<mainSlots { cache.length[l] = L + 1 + j }
      pending.base.update(from: s.hidden.base, count: (j + 1) * c)
      if stop { break }
      if let r = replacement {
        // Sampling rejected a draft: commit the resampled token and run it.
        hist.append(r)
        out.append(r)
        if r == stopToken || out.count >= maxNewTokens { break }
        feed[0] = Int32(r)
        m.inferMain(feed, n: 1, cache: cache, scratch: s, panels: panels)
        forwards += 1
        (pending.base + (j + 1) * c).update(from: s.hidden.base, count: c)
        next.base.update(from: s.logits.base, count: v)
        continue
      }
      next.base.update(from: s.logits.base + j * v, count: v)
    }
    return GenerationResult(
      tokens: Array(out.prefix(maxNewTokens)), mainForwards: forwards, drafted: drafted,
      accepted: accepted, seconds: monotonicSeconds() - start)
  }
}

/// The index of the (first) largest of `l[0..<n]`.
func argmax(_ l: UnsafePointer<Float>, _ n: Int) -> Int { Int(quarry_argmax(l, Int32(n))) }

/// softmax(l / temperature) into `out`.
func softmax(_ l: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, _ n: Int, _ temperature: Double) {
  let t = Float(temperature)
  var m = l[0]
  for i in 1..<n { m = max(m, l[i]) }
  var sum: Float = 0
  for i in 0..<n {
    out[i] = Float.exp((l[i] - m) / t)
    sum += out[i]
  }
  for i in 0..<n { out[i] /= sum }
}

/// A draw from the distribution `p[0..<n]` (weights summing to `total`).
func sample(_ p: UnsafePointer<Float>, _ n: Int, _ rng: inout SplitMix64, total: Float = 1) -> Int {
  let u = Float(rng.nextUnit()) * total
  var acc: Float = 0
  for i in 0..<n {
    acc += p[i]
    if u < acc { return i }
  }
  return n - 1
}

/// Decoding speed, plain and speculative, on one prompt (`quarry generate --bench`).
public struct GenerationBenchResult: Sendable {
  public var tokens: Int
  public var rounds: Int
  public var draftTokens: Int
  /// Draft vocabulary (`DraftWeights.vocabulary`).
  public var draftVocabulary: Int
  /// Median tokens/s over the rounds.
  public var plainTokensPerSecond: Double
  public var speculativeTokensPerSecond: Double
  /// Accepted drafts / drafted, over all speculative rounds.
  public var acceptance: Double
  /// Whether speculative greedy output equals plain greedy output in every round.
  public var identical: Bool
  /// The greedy tokens (plain decoding).
  public var output: [Int]
  public var speedup: Double { speculativeTokensPerSecond / plainTokensPerSecond }
}

extension MiMoModel {
  /// Greedy decoding of exactly `maxNewTokens` after `prompt` (no stop token), plain and with
  /// MTP speculative decoding, alternating for `rounds` rounds after one warm-up of each.
  public func benchGeneration(
    prompt: [Int], maxNewTokens: Int, draftTokens: Int = 1, draftVocabulary: Int? = nil, rounds: Int = 5
  ) throws(ModelError) -> GenerationBenchResult {
    let draft = try draftWeights(vocabulary: draftVocabulary)
    let panels = panelWeights()
    _ = try generate(prompt: prompt, maxNewTokens: maxNewTokens, panels: panels)
    _ = try generate(
      prompt: prompt, maxNewTokens: maxNewTokens, speculative: true, draftTokens: draftTokens, draft: draft, panels: panels)
    var plain: [Double] = [], spec: [Double] = []
    var drafted = 0, accepted = 0
    var identical = true
    var output: [Int] = []
    for _ in 0..<max(1, rounds) {
      let p = try generate(prompt: prompt, maxNewTokens: maxNewTokens, panels: panels)
      let s = try generate(
        prompt: prompt, maxNewTokens: maxNewTokens, speculative: true, draftTokens: draftTokens, draft: draft,
        panels: panels)
      plain.append(Double(p.tokens.count) / max(p.seconds, 1e-9))
      spec.append(Double(s.tokens.count) / max(s.seconds, 1e-9))
      drafted += s.drafted
      accepted += s.accepted
      identical = identical && p.tokens == s.tokens
      output = p.tokens
    }
    plain.sort()
    spec.sort()
    return GenerationBenchResult(
      tokens: maxNewTokens, rounds: max(1, rounds), draftTokens: draftTokens, draftVocabulary: draft.vocabulary,
      plainTokensPerSecond: plain[plain.count / 2],
      speculativeTokensPerSecond: spec[spec.count / 2], acceptance: drafted > 0 ? Double(accepted) / Double(drafted) : 0,
      identical: identical, output: output)
  }
}
