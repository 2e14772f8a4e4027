// Text generation with a KV cache, plain or with MTP speculative decoding.
//
// Speculative decoding with MiMo's single MTP layer: after the main model has chosen token
// x_L (from its logits at L−1), the MTP layer combines h_{L−1} with Emb(x_L) and drafts
// x_{L+1}. One main forward over [x_L, draft] then verifies the draft (its logits at L) and,
// when the draft is accepted, already gives the logits at L+1, so two tokens cost one main
// forward. Greedy: a draft is accepted when it equals the main model's argmax, so the output
// is exactly that of plain greedy decoding. With temperature, the standard speculative
// sampling rule (accept with min(1, p/q), else resample from max(0, p − q)) keeps the main
// model's distribution.
import DataCore

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
  /// Generates up to `maxNewTokens` after `prompt` (stops early at `stopToken`).
  /// `speculative` needs an MTP layer. `temperature` 0 is greedy.
  public func generate(
    prompt: [Int], maxNewTokens: Int, temperature: Double = 0, speculative: Bool = false,
    seed: UInt64 = 0, stopToken: Int? = nil
  ) throws(ModelError) -> GenerationResult {
    guard !prompt.isEmpty else { throw .badConfig("the prompt is empty") }
    let v = config.vocabSize
    if let bad = prompt.first(where: { $0 < 0 || $0 >= v }) {
      throw .badConfig("prompt token \(bad) is outside the vocabulary (size \(v))")
    }
    if speculative && config.numNextnPredictLayers == 0 {
      throw .badConfig("--speculative mtp needs a checkpoint with an MTP layer")
    }
    let m = core
    let cache = m.makeCache(capacity: prompt.count + maxNewTokens + 2)
    var rng = SplitMix64(seed: seed)
    let start = monotonicSeconds()
    var out: [Int] = []
    var forwards = 0, drafted = 0, accepted = 0

    // Prefill: the whole prompt.
    var (hidden, logits) = m.inferMain(prompt.map { Int32($0) }, cache: cache)
    var hist = prompt  // committed tokens
    var hiddenHist: [[Float]] = []  // h_i for positions not yet fed to the MTP layer
    let c = config.hiddenSize
    func rows(_ a: [Float], _ n: Int, width: Int) -> [[Float]] {
      (0..<n).map { Array(a[($0 * width)..<(($0 + 1) * width)]) }
    }
    hiddenHist = rows(hidden, prompt.count, width: c)
    var mtpDone = 0  // positions the MTP layer has processed
    var lastLogits = Array(logits[((prompt.count - 1) * v)..<(prompt.count * v)])

    func pick(_ l: [Float]) -> Int {
      if temperature <= 0 { return argmax(l) }
      return sample(softmax(l, temperature), &rng)
    }

    while out.count < maxNewTokens {
      let next = pick(lastLogits)
      hist.append(next)
      out.append(next)
      if next == stopToken || out.count >= maxNewTokens { break }
      if !speculative {
        (hidden, logits) = m.inferMain([Int32(next)], cache: cache)
        forwards += 1
        lastLogits = logits
        continue
      }
      // Bring the MTP layer up to position L−1 (= hist.count − 2): position i uses h_i and
      // x_{i+1}, both known now.
      let upto = hist.count - 1
      let hRows = Array(hiddenHist[mtpDone..<upto]).flatMap { $0 }
      let xNext = (mtpDone..<upto).map { Int32(hist[$0 + 1]) }
      let mtpLogits = m.inferMTP(hidden: hRows, tokens: xNext, cache: cache)
      mtpDone = upto
      let last = xNext.count - 1
      let q = Array(mtpLogits[(last * v)..<((last + 1) * v)])
      let draft = pick(q)
      drafted += 1
      // Verify: main forward on [x_L, draft] at positions L, L+1.
      (hidden, logits) = m.inferMain([Int32(next), Int32(draft)], cache: cache)
      forwards += 1
      let atL = Array(logits[0..<v]), atL1 = Array(logits[v..<(2 * v)])
      hiddenHist.append(Array(hidden[0..<c]))
      let ok: Bool
      var replacement: Int? = nil
      if temperature <= 0 {
        ok = argmax(atL) == draft
      } else {
        let p = softmax(atL, temperature), qd = softmax(q, temperature)
        ok = rng.nextUnit() < min(1, Double(p[draft]) / max(Double(qd[draft]), 1e-30))
        if !ok {
          var resid = zip(p, qd).map { max(0, $0 - $1) }
          let s = resid.reduce(0, +)
          if s > 0 { resid = resid.map { $0 / s } } else { resid = p }
          replacement = sample(resid, &rng)
        }
      }
      if ok {
        accepted += 1
        hist.append(draft)
        out.append(draft)
        hiddenHist.append(Array(hidden[c..<(2 * c)]))
        lastLogits = atL1
        if draft == stopToken { break }
      } else {
        // Drop the draft's keys and values; the main model's own choice comes next.
        for l in 0..<config.numHiddenLayers { cache.length[l] = hist.count }
        if let r = replacement {
          // Sampling: commit the resampled token, then run it to get the next logits.
          hist.append(r)
          out.append(r)
          if r == stopToken || out.count >= maxNewTokens { break }
          (hidden, logits) = m.inferMain([Int32(r)], cache: cache)
          forwards += 1
          hiddenHist.append(Array(hidden[0..<c]))
          lastLogits = logits
          continue
        }
        lastLogits = atL
      }
    }
    return GenerationResult(
      tokens: Array(out.prefix(maxNewTokens)), mainForwards: forwards, drafted: drafted,
      accepted: accepted, seconds: monotonicSeconds() - start)
  }
}

func argmax(_ l: [Float]) -> Int {
  var best = 0
  for i in 1..<l.count where l[i] > l[best] { best = i }
  return best
}

func softmax(_ l: [Float], _ temperature: Double) -> [Float] {
  let t = Float(temperature)
  let m = l.max() ?? 0
  var e = l.map { Float.exp(($0 - m) / t) }
  let s = e.reduce(0, +)
  e = e.map { $0 / s }
  return e
}

func sample(_ p: [Float], _ rng: inout SplitMix64) -> Int {
  let u = Float(rng.nextUnit())
  var acc: Float = 0
  for (i, x) in p.enumerated() {
    acc += x
    if u < acc { return i }
  }
  return p.count - 1
}
