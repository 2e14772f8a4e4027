import Testing

@testable import BPE
@testable import DataCore

/// Pre-tokens of `text` as strings.
private func pieces(_ text: String, _ pre: PreTokenizer) -> [String] {
  var copy = text
  var out: [String] = []
  copy.withUTF8 { utf8 in
    pre.split(utf8) { range in
      out.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[range]), as: UTF8.self))
    }
  }
  return out
}

/// A byte-level tokenizer.json with the 256 byte tokens plus `merges` (in rank order).
private func tokenizerJSON(merges: [(String, String)]) -> JSONValue {
  var vocab: [String: JSONValue] = [:]
  for b in 0..<256 { vocab[ByteLevel.string(of: [UInt8(b)])] = .int(Int64(vocab.count)) }
  for (l, r) in merges { vocab[l + r] = .int(Int64(vocab.count)) }
  return .object([
    "pre_tokenizer": .object(["type": .string("ByteLevel"), "use_regex": .bool(true)]),
    "model": .object([
      "type": .string("BPE"), "vocab": .object(vocab),
      "merges": .array(merges.map { .array([.string($0.0), .string($0.1)]) }),
    ]),
  ])
}

@Suite("BPE encoder")
struct EncoderTests {
  /// Expected splits from Python's `regex` module with the same patterns.
  @Test(
    "pre-tokens follow the regexes on UTF-8 bytes",
    arguments: [
      ("Hello world's  end\n", PreTokenizer.gpt2, ["Hello", " world", "'s", " ", " end", "\n"]),
      (
        "x = 12345;\r\n\tif 𝑥\u{a0}≥ 2:  \u{3000}y", .gpt2,
        [
          "x", " =", " 12345", ";", "\r\n", "\t", "if", " 𝑥", "\u{a0}", "≥", " 2", ":", "  ",
          "\u{3000}", "y",
        ]
      ),
      (
        "x = 12345;\r\n\tif 𝑥\u{a0}≥ 2:  \u{3000}y", .qwen2(digits: 3),
        [
          "x", " =", " ", "123", "45", ";\r\n", "\tif", " 𝑥", "\u{a0}", "≥", " ", "2", ":", "  ",
          "\u{3000}y",
        ]
      ),
      ("I'LL DON'T we'Re", .gpt2, ["I", "'", "LL", " DON", "'", "T", " we", "'", "Re"]),
      ("I'LL DON'T we'Re", .qwen2(digits: 3), ["I", "'LL", " DON", "'T", " we", "'Re"]),
      ("naïve café 😀👍🏽 日本語", .gpt2, ["naïve", " café", " 😀👍🏽", " 日本語"]),
      ("a\n\n  b   ", .gpt2, ["a", "\n\n ", " b", "   "]),
      ("a\n\n  b   ", .qwen2(digits: 3), ["a", "\n\n", " ", " b", "   "]),
    ])
  func preTokens(text: String, pre: PreTokenizer, expected: [String]) {
    #expect(pieces(text, pre) == expected)
  }

  @Test("a vocabulary entry that the merges do not rebuild is not taken as one token")
  func unreachableToken() throws {
    // "b c" outranks "a b", so "abc" merges to a + bc even though "abc" is in the vocabulary.
    let tokenizer = try BPETokenizer(
      json: tokenizerJSON(merges: [("b", "c"), ("a", "b"), ("ab", "c")]))
    let a = tokenizer.encode("a")
    let bc = tokenizer.encode("bc")
    #expect(bc.count == 1)
    #expect(tokenizer.encode("abc") == a + bc)
    #expect(tokenizer.encode("ab").count == 1)
  }

  @Test("a reused encoder gives the same ids as a fresh one, also after its cache is emptied")
  func cacheReuse() throws {
    let tokenizer = try BPETokenizer(
      json: tokenizerJSON(merges: [("t", "h"), ("th", "e"), ("Ġ", "the"), ("e", "r")]))
    let texts = ["the other there", "", "   ", "thethe ther\u{0}e 😀", "the other there"]
    var shared = BPEEncoder(tokenizer)
    var tiny = BPEEncoder(tokenizer)
    tiny.cacheLimit = (entries: 1, arenaBytes: 1)
    for text in texts {
      let fresh = tokenizer.encode(text)
      #expect(shared.encode(text) == fresh)
      #expect(tiny.encode(text) == fresh)
      #expect(tokenizer.decode(fresh) == text)
    }
  }
}

@Suite("decoding ids")
struct DecodeTests {
  @Test("the lines of `tokenizer encode` (--text ids, --input JSON, a JSON array) decode back to the text; bad ids are refused")
  func decodeLines() throws {
    let tok = try BPETokenizer(json: tokenizerJSON(merges: [("x", "^"), ("Ġ", "y")]))
    let text = "x^2 + y^2, naïve"
    let ids = tok.encode(text)
    #expect(try tok.decode(idList: ids.map(String.init).joined(separator: " ")) == text)
    #expect(try tok.decode(idList: ids.map(String.init).joined(separator: ",")) == text)
    let line = "{\"id\":\"a\",\"ids\":[" + ids.map(String.init).joined(separator: ",") + "]}"
    #expect(try tok.decode(encodedLine: line) == text)
    #expect(try tok.decode(encodedLine: "[" + ids.map(String.init).joined(separator: ",") + "]") == text)
    #expect(try tok.decode(encodedLine: ids.map(String.init).joined(separator: " ")) == text)
    #expect(throws: DataError.self) { try tok.decode(idList: "1 2 100000") }
    #expect(throws: DataError.self) { try tok.decode(idList: "1 two") }
    #expect(throws: DataError.self) { try tok.decode(encodedLine: "{\"id\":\"a\"}") }
    #expect(throws: DataError.self) { try tok.decode(encodedLine: "{\"ids\":[1,-3]}") }
  }
}

@Suite("tokenizer.json limits")
struct TokenizerLimitTests {
  @Test("a token id beyond the vocabulary limit is refused before anything is sized from it")
  func hugeID() throws {
    var vocab: [String: JSONValue] = [:]
    for b in 0..<256 { vocab[String(ByteLevel.byteToScalar[b])] = .int(Int64(b)) }
    vocab["ab"] = .int(1 << 40)
    let json = JSONValue.object([
      "model": .object(["type": .string("BPE"), "vocab": .object(vocab), "merges": .array([])])
    ])
    #expect { try BPETokenizer(json: json) } throws: { "\($0)".contains("ids must be below 4194304") }
    let added = JSONValue.object([
      "model": .object(["type": .string("BPE"), "vocab": .object(vocab.filter { $0.key != "ab" }), "merges": .array([])]),
      "added_tokens": .array([.object(["content": .string("<x>"), "id": .int(-3)])]),
    ])
    #expect { try BPETokenizer(json: added) } throws: { "\($0)".contains("ids must be in [0, 4194304)") }
  }
}
