import TestSupport
import Testing

@testable import DataCore

@Suite("JSON and documents")
struct JSONTests {
  @Test("strings round-trip with escapes, control characters and non-ASCII")
  func stringRoundTrip() throws {
    let tricky = "quote \" backslash \\ tab \t newline \n bell \u{07} é 漢字 😀 </script>"
    var out = ""
    JSONValue.writeString(tricky, to: &out)
    #expect(!out.contains("\n"))
    #expect(try JSONValue.parse(out) == .string(tricky))
  }

  @Test("surrogate pairs and lone surrogates decode to valid Unicode")
  func surrogates() throws {
    #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
    #expect(try JSONValue.parse(#""a\ud83db""#) == .string("a\u{FFFD}b"))
  }

  @Test("objects are written with sorted keys; integers stay exact")
  func sortedKeys() throws {
    let v = JSONValue.object(["b": .int(9_007_199_254_740_993), "a": .array([.bool(true), .null]), "c": .double(0.5)])
    #expect(v.jsonText == #"{"a":[true,null],"b":9007199254740993,"c":0.5}"#)
    #expect(try JSONValue.parse(v.jsonText) == v)
  }

  @Test("malformed JSON is a typed error with an offset", arguments: ["{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "{\"a\":1} x"])
  func malformed(_ text: String) {
    #expect(throws: JSONError.self) { try JSONValue.parse(text) }
  }

  @Test("deep nesting is refused, not a stack overflow")
  func deepNesting() {
    let text = String(repeating: "[", count: 100_000)
    #expect(throws: JSONError.self) { try JSONValue.parse(text) }
  }

  @Test("a document line has id, text, source and metadata; extra keys fold into metadata")
  func documentLine() throws {
    let doc = Document(id: "x1", text: "hello\nworld", metadata: ["url": .string("https://e.org")])
    let line = doc.jsonLine()
    #expect(line == #"{"id":"x1","text":"hello\nworld","metadata":{"url":"https://e.org"}}"#)
    let parsed = try Array(line.utf8).withUnsafeBufferPointer { try Document(jsonLine: $0, fallbackID: "f") }
    #expect(parsed == doc)
    // `source` is a field of its own (dolma's); other keys fold into metadata.
    let other = #"{"text":"t","source":"web","lang":"en","id":7}"#
    let d2 = try Array(other.utf8).withUnsafeBufferPointer { try Document(jsonLine: $0, fallbackID: "f") }
    #expect(d2.id == "7")
    #expect(d2.source == "web")
    #expect(d2.metadata["source"] == nil)
    #expect(d2.metadata["lang"] == .string("en"))
  }
}

@Suite("JSONL reading limits")
struct JSONLLimitTests {
  @Test("a UTF-8 byte order mark does not cost the first document")
  func bom() throws {
    let path = makeTempDir() + "/bom.jsonl"
    var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
    bytes += Array("{\"id\":\"a\",\"text\":\"one\"}\n{\"id\":\"b\",\"text\":\"two\"}\n".utf8)
    try writeFileAtomically(path, bytes)
    #expect(try JSONLReader(path: path).readAll().map(\.id) == ["a", "b"])
  }

  @Test("a line over the limit is skipped and reported with its number; the next one is read")
  func longLine() throws {
    let path = makeTempDir() + "/long.jsonl"
    let long = "{\"id\":\"big\",\"text\":\"" + String(repeating: "x", count: 5000) + "\"}"
    try writeFileAtomically(path, "{\"id\":\"a\",\"text\":\"one\"}\n" + long + "\n{\"id\":\"c\",\"text\":\"three\"}\n")
    var reader = JSONLReader(path: path)
    reader.maxLineBytes = 1000
    var ids: [String] = []
    var bad: [(Int, JSONError)] = []
    try reader.forEachWithLine({ doc, line in ids.append("\(doc.id)@\(line)") }, onBadLine: { bad.append(($0, $1)) })
    #expect(ids == ["a@1", "c@3"])
    #expect(bad.count == 1 && bad[0].0 == 2 && bad[0].1 == .lineTooLong(limit: 1000))
  }
}
