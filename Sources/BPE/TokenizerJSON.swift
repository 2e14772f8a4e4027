import DataCore

extension BPETrainer.Result {
  /// The Hugging Face `tokenizer.json` of this vocabulary: a byte-level BPE model, the
  /// pre-tokenizer (`ByteLevel` with the GPT-2 regex, or `Split` with the Qwen2 regex followed
  /// by `ByteLevel` without it), the special tokens as added tokens, and a ByteLevel decoder.
  public var tokenizerJSON: JSONValue {
    var vocab: [String: JSONValue] = [:]
    let specialIDs = Set(specials.map(\.1))
    for (id, bytes) in tokens.enumerated() where !specialIDs.contains(id) {
      vocab[ByteLevel.string(of: bytes)] = .int(Int64(id))
    }
    for (content, id) in specials { vocab[content] = .int(Int64(id)) }
    let mergeList: [JSONValue] = merges.map { (l, r) in
      .array([.string(ByteLevel.string(of: tokens[l])), .string(ByteLevel.string(of: tokens[r]))])
    }
    let added: [JSONValue] = specials.map { (content, id) in
      .object([
        "id": .int(Int64(id)), "content": .string(content), "single_word": .bool(false),
        "lstrip": .bool(false), "rstrip": .bool(false), "normalized": .bool(false),
        "special": .bool(true),
      ])
    }
    let byteLevel = { (useRegex: Bool) -> JSONValue in
      .object([
        "type": .string("ByteLevel"), "add_prefix_space": .bool(false),
        "trim_offsets": .bool(true), "use_regex": .bool(useRegex),
      ])
    }
    let pre: JSONValue
    switch preTokenizer {
    case .gpt2:
      pre = byteLevel(true)
    case .qwen2:
      pre = .object([
        "type": .string("Sequence"),
        "pretokenizers": .array([
          .object([
            "type": .string("Split"), "pattern": .object(["Regex": .string(preTokenizer.pattern)]),
            "behavior": .string("Isolated"), "invert": .bool(false),
          ]),
          byteLevel(false),
        ]),
      ])
    }
    return .object([
      "version": .string("1.0"), "truncation": .null, "padding": .null,
      "added_tokens": .array(added), "normalizer": .null, "pre_tokenizer": pre,
      "post_processor": .null, "decoder": byteLevel(true),
      "model": .object([
        "type": .string("BPE"), "dropout": .null, "unk_token": .null,
        "continuing_subword_prefix": .null, "end_of_word_suffix": .null,
        "fuse_unk": .bool(false), "byte_fallback": .bool(false), "ignore_merges": .bool(false),
        "vocab": .object(vocab), "merges": .array(mergeList),
      ]),
    ])
  }
}
