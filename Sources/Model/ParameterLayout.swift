// Every parameter tensor lives in one flat buffer, as in llm.c. The layout lists them with
// their Hugging Face names and [out, in] shapes (MIMO_ARCH.md §3). Tensors that are used as
// one matrix product sit next to each other: q, k, v weights form one [(NH+2·KVH)·D, C]
// matrix (and their biases one vector), gate and up one [2I, C] matrix.

/// One named tensor in the flat parameter buffer.
public struct TensorSlot: Sendable, Equatable {
  public var name: String
  public var shape: [Int]
  public var offset: Int
  public var count: Int { shape.reduce(1, *) }
  /// AdamW decays matrices only: no weight decay on norms and biases.
  public var decays: Bool { shape.count >= 2 }
}

/// Offsets of one Qwen2 decoder block (used by every main layer and by the MTP layer).
struct BlockOffsets: Sendable {
  var ln1 = 0  // input_layernorm.weight [C]
  var qkvW = 0  // q_proj.weight [NH·D, C] ‖ k_proj.weight [KVH·D, C] ‖ v_proj.weight [KVH·D, C]
  var qkvB = 0  // q_proj.bias [NH·D] ‖ k_proj.bias [KVH·D] ‖ v_proj.bias [KVH·D]
  var oW = 0  // o_proj.weight [C, NH·D]
  var ln2 = 0  // post_attention_layernorm.weight [C]
  var gateUpW = 0  // gate_proj.weight [I, C] ‖ up_proj.weight [I, C]
  var downW = 0  // down_proj.weight [C, I]
}

/// Offsets of the MTP layer's own tensors (its block is in `block`).
struct MTPOffsets: Sendable {
  var tokenNorm = 0  // token_layernorm.weight [C]
  var hiddenNorm = 0  // hidden_layernorm.weight [C]
  var inputProj = 0  // input_proj.weight [C, 2C]: columns [:C] hidden, [C:] embedding
  var block = BlockOffsets()
  var finalNorm = 0  // final_layernorm.weight [C]
}

/// Where each tensor of a `MiMoConfig` sits in the flat parameter buffer.
public struct ParameterLayout: Sendable {
  public let config: MiMoConfig
  public private(set) var slots: [TensorSlot] = []
  public private(set) var count = 0
  var embed = 0  // model.embed_tokens.weight [V, C]
  var layers: [BlockOffsets] = []
  var finalNorm = 0  // model.norm.weight [C]
  var lmHead = 0  // lm_head.weight [V, C]
  var mtp: MTPOffsets? = nil

  public init(_ config: MiMoConfig) {
    self.config = config
    let c = config.hiddenSize, v = config.vocabSize, i = config.intermediateSize
    let q = config.numAttentionHeads * config.headDim, kv = config.numKeyValueHeads * config.headDim
    embed = add("model.embed_tokens.weight", [v, c])
    for l in 0..<config.numHiddenLayers {
      layers.append(addBlock(prefix: "model.layers.\(l).", c: c, q: q, kv: kv, i: i))
    }
    finalNorm = add("model.norm.weight", [c])
    lmHead = add("lm_head.weight", [v, c])
    if config.numNextnPredictLayers > 0 {
      let p = "model.mtp_layers.0."
      var m = MTPOffsets()
      m.tokenNorm = add(p + "token_layernorm.weight", [c])
      m.hiddenNorm = add(p + "hidden_layernorm.weight", [c])
      m.inputProj = add(p + "input_proj.weight", [c, 2 * c])
      m.block = addBlock(prefix: p, c: c, q: q, kv: kv, i: i)
      m.finalNorm = add(p + "final_layernorm.weight", [c])
      mtp = m
    }
  }

  private mutating func add(_ name: String, _ shape: [Int]) -> Int {
    let offset = count
    slots.append(TensorSlot(name: name, shape: shape, offset: offset))
    count += shape.reduce(1, *)
    return offset
  }

  private mutating func addBlock(prefix p: String, c: Int, q: Int, kv: Int, i: Int) -> BlockOffsets {
    var b = BlockOffsets()
    b.ln1 = add(p + "input_layernorm.weight", [c])
    b.qkvW = add(p + "self_attn.q_proj.weight", [q, c])
    _ = add(p + "self_attn.k_proj.weight", [kv, c])
    _ = add(p + "self_attn.v_proj.weight", [kv, c])
    b.qkvB = add(p + "self_attn.q_proj.bias", [q])
    _ = add(p + "self_attn.k_proj.bias", [kv])
    _ = add(p + "self_attn.v_proj.bias", [kv])
    b.oW = add(p + "self_attn.o_proj.weight", [c, q])
    b.ln2 = add(p + "post_attention_layernorm.weight", [c])
    b.gateUpW = add(p + "mlp.gate_proj.weight", [i, c])
    _ = add(p + "mlp.up_proj.weight", [i, c])
    b.downW = add(p + "mlp.down_proj.weight", [c, i])
    return b
  }

  /// Parameters of the MTP layer (its block, norms and input_proj; embed and head are shared).
  public var mtpCount: Int {
    slots.filter { $0.name.hasPrefix("model.mtp_layers.") }.reduce(0) { $0 + $1.count }
  }

  /// Weights multiplied in one training token's matrix products (forward), for FLOP counts:
  /// every block's projections plus the lm_head (twice with MTP, plus the MTP input_proj).
  public var matmulParameters: Int {
    let c = config.hiddenSize, i = config.intermediateSize
    let q = config.numAttentionHeads * config.headDim, kv = config.numKeyValueHeads * config.headDim
    let block = c * q + 2 * c * kv + q * c + 3 * c * i
    var n = config.numHiddenLayers * block + config.vocabSize * c
    if config.numNextnPredictLayers > 0 { n += block + 2 * c * c + config.vocabSize * c }
    return n
  }

  /// Training FLOPs per token as torch_ref.py counts them (PaLM style): 6 × matmul weights plus
  /// 12 · layers · T · (NH·D) for attention (the non-causal count).
  public func trainingFLOPsPerToken(seqLen t: Int) -> Int {
    let layersWithAttention = config.numHiddenLayers + (config.numNextnPredictLayers > 0 ? 1 : 0)
    return 6 * matmulParameters
      + 12 * layersWithAttention * t * config.numAttentionHeads * config.headDim
  }
}
