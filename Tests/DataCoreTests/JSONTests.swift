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
    var bad: [LineProblem] = []
    try reader.forEachWithLine({ doc, line in ids.append("\(doc.id)@\(line)") }, onProblem: { bad.append($0) })
    #expect(ids == ["a@1", "c@3"])
    #expect(bad == [LineProblem(line: 2, reason: "line_too_long", message: "line longer than 1000 bytes, skipped", skipped: true)])
  }
}

@Suite("Document ids")
struct DocumentIDTests {
  /// Reads `lines` from a file named `docs.jsonl` in `dir`; returns ids and problem reasons.
  func read(_ lines: [String], in dir: String = makeTempDir()) throws -> (ids: [String], problems: [String], docs: [Document]) {
    let path = dir + "/docs.jsonl"
    try writeFileAtomically(path, lines.joined(separator: "\n") + "\n")
    var docs: [Document] = []
    var problems: [String] = []
    try JSONLReader(path: path).forEach({ docs.append($0) }, onProblem: { problems.append("\($0.line):\($0.reason)") })
    return (docs.map(\.id), problems, docs)
  }

  @Test(
    "ids are strings; integers convert once, everything else gets a generated id and is reported",
    arguments: [
      (#"{"id":"a b","text":"t"}"#, "a b", nil),
      (#"{"id":7,"text":"t"}"#, "7", nil),
      (#"{"id":-12,"text":"t"}"#, "-12", nil),
      (#"{"text":"t"}"#, "quarry:docs:1", "1:missing_id"),
      (#"{"id":null,"text":"t"}"#, "quarry:docs:1", "1:missing_id"),
      (#"{"id":1.5,"text":"t"}"#, "quarry:docs:1", "1:non_string_id"),
      (#"{"id":true,"text":"t"}"#, "quarry:docs:1", "1:non_string_id"),
      (#"{"id":["x"],"text":"t"}"#, "quarry:docs:1", "1:non_string_id"),
      (#"{"id":"quarry:docs:1","text":"t"}"#, "quarry:docs:1", "1:reserved_id"),
    ] as [(String, String, String?)])
  func idRules(line: String, id: String, problem: String?) throws {
    let r = try read([line])
    #expect(r.ids == [id])
    #expect(r.problems == (problem.map { [$0] } ?? []))
  }

  @Test("a non-string id is kept in metadata as original_id")
  func original() throws {
    let r = try read([#"{"id":1.5,"text":"t"}"#, #"{"id":"quarry:x","text":"u"}"#])
    #expect(r.docs[0].metadata["original_id"] == .double(1.5))
    #expect(r.docs[1].metadata["original_id"] == .string("quarry:x"))
  }

  @Test("a generated id never equals a real id of outside input, whatever that id is")
  func noCollision() throws {
    // Line 1 has no id; line 2 claims the id line 1 would get; line 3 claims line 2's.
    let lines = [
      #"{"text":"first"}"#,
      #"{"id":"quarry:docs:1","text":"second"}"#,
      #"{"id":"docs/3","text":"third"}"#,
    ]
    let r = try read(lines)
    #expect(Set(r.ids).count == 3)
    #expect(r.ids[2] == "docs/3")
    #expect(r.problems == ["1:missing_id", "2:reserved_id"])
  }

  @Test("in a run folder's output, generated ids are Quarry's own and are kept")
  func runFolderTrusted() throws {
    let run = makeTempDir()
    try makeDirectories(run + "/_quarry")
    try writeFileAtomically(run + "/_quarry/manifest.json", "{}")
    try makeDirectories(run + "/extract")
    let r = try read([#"{"id":"quarry:input:4","text":"t"}"#], in: run + "/extract")
    #expect(r.ids == ["quarry:input:4"])
    #expect(r.problems.isEmpty)
  }
}
