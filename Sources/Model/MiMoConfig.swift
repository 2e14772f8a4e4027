// The model's sizes, with Hugging Face `config.json` names (MiMoConfig = Qwen2Config +
// num_nextn_predict_layers). See ../shared/MIMO_ARCH.md §1 and §3.
import Foundation

public struct MiMoConfig: Codable, Sendable, Equatable {
  public var vocabSize: Int
  public var hiddenSize: Int
  public var intermediateSize: Int
  public var numHiddenLayers: Int
  public var numAttentionHeads: Int
  public var numKeyValueHeads: Int
  public var headDim: Int
  public var rmsNormEps: Double
  public var ropeTheta: Double
  public var maxPositionEmbeddings: Int
  /// MTP layers (MiMo pre-trains with one).
  public var numNextnPredictLayers: Int
  /// Standard deviation of the normal initialisation of linear and embedding weights.
  public var initializerRange: Double

  public init(
    vocabSize: Int = 8192, hiddenSize: Int = 256, intermediateSize: Int = 704,
    numHiddenLayers: Int = 4, numAttentionHeads: Int = 8, numKeyValueHeads: Int = 2,
    headDim: Int? = nil, rmsNormEps: Double = 1e-5, ropeTheta: Double = 10_000,
    maxPositionEmbeddings: Int = 4096, numNextnPredictLayers: Int = 1,
    initializerRange: Double = 0.02
  ) {
    self.vocabSize = vocabSize
    self.hiddenSize = hiddenSize
    self.intermediateSize = intermediateSize
    self.numHiddenLayers = numHiddenLayers
    self.numAttentionHeads = numAttentionHeads
    self.numKeyValueHeads = numKeyValueHeads
    self.headDim = headDim ?? hiddenSize / max(1, numAttentionHeads)
    self.rmsNormEps = rmsNormEps
    self.ropeTheta = ropeTheta
    self.maxPositionEmbeddings = maxPositionEmbeddings
    self.numNextnPredictLayers = numNextnPredictLayers
    self.initializerRange = initializerRange
  }

  /// The reference configuration of the issue and of `torch_ref.py`: 7,016,192 parameters plus
  /// 837,248 for the MTP layer.
  public static let reference = MiMoConfig()

  package enum CodingKeys: String, CodingKey {
    case vocabSize = "vocab_size", hiddenSize = "hidden_size"
    case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
    case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
    case headDim = "head_dim", rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta"
    case maxPositionEmbeddings = "max_position_embeddings"
    case numNextnPredictLayers = "num_nextn_predict_layers"
    case initializerRange = "initializer_range"
    case ropeParameters = "rope_parameters", tieWordEmbeddings = "tie_word_embeddings"
    case architectures, modelType = "model_type", hiddenAct = "hidden_act"
    case attentionBias = "attention_bias", torchDtype = "torch_dtype"
    case useSlidingWindow = "use_sliding_window"
  }

  struct RopeParameters: Codable {
    var ropeType: String
    var ropeTheta: Double
    enum CodingKeys: String, CodingKey { case ropeType = "rope_type", ropeTheta = "rope_theta" }
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    vocabSize = try c.decode(Int.self, forKey: .vocabSize)
    hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
    intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
    numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
    numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
    numKeyValueHeads =
      try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? numAttentionHeads
    headDim =
      try c.decodeIfPresent(Int.self, forKey: .headDim) ?? hiddenSize / max(1, numAttentionHeads)
    rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
    // transformers ≥ 5 moves rope_theta into rope_parameters; accept both.
    if let theta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) {
      ropeTheta = theta
    } else if let p = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters) {
      ropeTheta = p.ropeTheta
    } else {
      ropeTheta = 10_000
    }
    maxPositionEmbeddings =
      try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 32_768
    numNextnPredictLayers =
      try c.decodeIfPresent(Int.self, forKey: .numNextnPredictLayers) ?? 0
    initializerRange = try c.decodeIfPresent(Double.self, forKey: .initializerRange) ?? 0.02
    if try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) == true {
      throw ModelError.badConfig("tie_word_embeddings: true is not supported (MiMo is untied)")
    }
    if let act = try c.decodeIfPresent(String.self, forKey: .hiddenAct), act != "silu" {
      throw ModelError.badConfig("hidden_act \(act) is not supported (MiMo uses silu)")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(["MiMoForCausalLM"], forKey: .architectures)
    try c.encode("mimo", forKey: .modelType)
    try c.encode(vocabSize, forKey: .vocabSize)
    try c.encode(hiddenSize, forKey: .hiddenSize)
    try c.encode(intermediateSize, forKey: .intermediateSize)
    try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
    try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
    try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
    try c.encode(headDim, forKey: .headDim)
    try c.encode(rmsNormEps, forKey: .rmsNormEps)
    try c.encode(ropeTheta, forKey: .ropeTheta)
    try c.encode(RopeParameters(ropeType: "default", ropeTheta: ropeTheta), forKey: .ropeParameters)
    try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
    try c.encode(numNextnPredictLayers, forKey: .numNextnPredictLayers)
    try c.encode(initializerRange, forKey: .initializerRange)
    try c.encode(false, forKey: .tieWordEmbeddings)
    try c.encode("silu", forKey: .hiddenAct)
    try c.encode(true, forKey: .attentionBias)
    try c.encode(false, forKey: .useSlidingWindow)
    try c.encode("float32", forKey: .torchDtype)
  }

  /// Checks the sizes before any allocation.
  public func validate() throws(ModelError) {
    func need(_ ok: Bool, _ msg: String) throws(ModelError) {
      if !ok { throw ModelError.badConfig(msg) }
    }
    try need(vocabSize > 0 && hiddenSize > 0 && intermediateSize > 0, "sizes must be positive")
    try need(numHiddenLayers > 0, "num_hidden_layers must be ≥ 1")
    try need(numAttentionHeads > 0 && numKeyValueHeads > 0, "head counts must be positive")
    try need(
      numAttentionHeads % numKeyValueHeads == 0,
      "num_attention_heads (\(numAttentionHeads)) must be a multiple of num_key_value_heads (\(numKeyValueHeads))"
    )
    try need(headDim > 0 && headDim % 2 == 0, "head_dim must be even for RoPE")
    try need(numNextnPredictLayers == 0 || numNextnPredictLayers == 1,
      "num_nextn_predict_layers must be 0 or 1 (MiMo pre-trains with one MTP layer)")
    try need(rmsNormEps > 0 && ropeTheta > 1 && rmsNormEps.isFinite && ropeTheta.isFinite,
      "rms_norm_eps and rope_theta must be finite and positive")
    try need(vocabSize <= 1 << 22 && hiddenSize <= 1 << 16 && intermediateSize <= 1 << 18 && numHiddenLayers <= 1024
        && numAttentionHeads <= 1024 && headDim <= 4096 && maxPositionEmbeddings <= 1 << 22,
      "sizes out of range: vocab_size ≤ 4194304, hidden_size ≤ 65536, intermediate_size ≤ 262144, "
        + "num_hidden_layers ≤ 1024, heads ≤ 1024, head_dim ≤ 4096, max_position_embeddings ≤ 4194304")
    // The weights alone (float32) must fit in this machine's memory before anything is allocated.
    let h = Double(hiddenSize)
    let perLayer = 2 * h * Double(numAttentionHeads * headDim) + 2 * h * Double(numKeyValueHeads * headDim)
      + 3 * h * Double(intermediateSize)
    let params = 2 * Double(vocabSize) * h + Double(numHiddenLayers + numNextnPredictLayers) * perLayer
    let bytes = params * 4
    let memory = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
    try need(memory <= 0 || bytes <= memory,
      "the model needs \(Int(bytes / 1e9)) GB for its float32 weights alone; this machine has \(Int(memory / 1e9)) GB")
  }
}

/// Errors of the Model module: configs, checkpoints and token files.
public enum ModelError: Error, CustomStringConvertible, Equatable {
  case badConfig(String)
  case safetensors(path: String, reason: String)
  case missingTensor(path: String, name: String)
  case shapeMismatch(name: String, expected: [Int], found: [Int])
  case io(path: String, reason: String)

  public var description: String {
    switch self {
    case .badConfig(let m): "model config: \(m)"
    case .safetensors(let p, let r): "\(p): not a valid safetensors file: \(r)"
    case .missingTensor(let p, let n): "\(p): tensor \(n) is missing"
    case .shapeMismatch(let n, let e, let f): "tensor \(n): expected shape \(e), found \(f)"
    case .io(let p, let r): "\(p): \(r)"
    }
  }
}
