// What makes a checkpoint folder load anywhere: beside config.json and model.safetensors,
// Quarry writes the remote code `auto_map` names (configuration_mimo.py, modeling_mimo.py)
// and, with the tokenizer, tokenizer.json, tokenizer_config.json, special_tokens_map.json and
// generation_config.json, so `AutoConfig`, `AutoTokenizer` and
// `AutoModelForCausalLM.from_pretrained(dir, trust_remote_code=True)` load it and HF generation
// stops at `<|endoftext|>`. As in Qwen2 there is no BOS token in the text; eos = pad =
// `<|endoftext|>`. config.json has no pad_token_id (HF would zero that embedding row's gradient).
import DataCore

/// The tokenizer that travels with a checkpoint.
public struct CheckpointTokenizer: Sendable {
  /// The tokenizer.json bytes.
  public var json: [UInt8]
  /// The id of `<|endoftext|>`, when the tokenizer has it.
  public var endOfText: Int?

  public init(json: [UInt8], endOfText: Int?) {
    self.json = json
    self.endOfText = endOfText
  }
}

extension MiMoModel {
  /// config.json's additions for transformers: the remote code and the special token ids.
  static func hfConfigFields(endOfText: Int?) -> [String: JSONValue] {
    var o: [String: JSONValue] = [
      "auto_map": .object([
        "AutoConfig": .string("configuration_mimo.MiMoConfig"),
        "AutoModel": .string("modeling_mimo.MiMoModel"),
        "AutoModelForCausalLM": .string("modeling_mimo.MiMoForCausalLM"),
      ])
    ]
    if let eot = endOfText {
      o["bos_token_id"] = .int(Int64(eot))
      o["eos_token_id"] = .int(Int64(eot))
    }
    return o
  }

  /// Writes the remote code and, with `tokenizer`, the tokenizer and generation files into `dir`.
  func writeHFFiles(to dir: String, tokenizer: CheckpointTokenizer?) throws(DataError) {
    try writeFileAtomically(dir + "/configuration_mimo.py", HFRemoteCode.configuration, sync: false)
    try writeFileAtomically(dir + "/modeling_mimo.py", HFRemoteCode.modeling, sync: false)
    guard let tokenizer else { return }
    try writeFileAtomically(dir + "/tokenizer.json", tokenizer.json, sync: false)
    let maxPos = Int64(config.maxPositionEmbeddings)
    let eotText: JSONValue = tokenizer.endOfText == nil ? .null : .string("<|endoftext|>")
    let tokConfig: [String: JSONValue] = [
      "tokenizer_class": .string("PreTrainedTokenizerFast"), "bos_token": .null, "eos_token": eotText, "pad_token": eotText,
      "unk_token": .null, "add_bos_token": .bool(false), "add_eos_token": .bool(false),
      "clean_up_tokenization_spaces": .bool(false), "model_max_length": .int(maxPos),
    ]
    try writeFileAtomically(dir + "/tokenizer_config.json", JSONValue.object(tokConfig).prettyText() + "\n", sync: false)
    var special: [String: JSONValue] = [:]
    var generation: [String: JSONValue] = ["do_sample": .bool(false), "max_new_tokens": .int(maxPos)]
    if let eot = tokenizer.endOfText {
      special = ["eos_token": eotText, "pad_token": eotText]
      for k in ["bos_token_id", "eos_token_id", "pad_token_id"] { generation[k] = .int(Int64(eot)) }
    }
    try writeFileAtomically(dir + "/special_tokens_map.json", JSONValue.object(special).prettyText() + "\n", sync: false)
    try writeFileAtomically(dir + "/generation_config.json", JSONValue.object(generation).prettyText() + "\n", sync: false)
  }
}

extension JSONValue {
  /// Indented JSON with sorted keys, as transformers writes its config files.
  func prettyText(_ indent: String = "") -> String {
    let inner = indent + "  "
    switch self {
    case .object(let o) where !o.isEmpty:
      let items = o.keys.sorted().map { inner + JSONValue.string($0).jsonText + ": " + o[$0]!.prettyText(inner) }
      return "{\n" + items.joined(separator: ",\n") + "\n" + indent + "}"
    case .array(let a) where !a.isEmpty:
      return "[\n" + a.map { inner + $0.prettyText(inner) }.joined(separator: ",\n") + "\n" + indent + "]"
    default:
      return jsonText
    }
  }
}
