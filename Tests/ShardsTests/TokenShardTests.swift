import Foundation
import TestSupport
import Testing

@testable import DataCore
@testable import Shards

private func tempDir() -> String { makeTempDir("quarry-shards") }

/// Deterministic documents of pseudo-random token ids below `vocab`.
private func documents(vocab: Int, count: Int = 40) -> [[Int]] {
  var s: UInt64 = 12345
  return (0..<count).map { k in
    (0..<(50 + k * 13 % 400)).map { _ in
      s = s &* 6364136223846793005 &+ 1442695040888963407
      return Int(s >> 33) % vocab
    }
  }
}

private func writeShard(_ path: String, vocab: Int, frameTokens: Int) throws -> [Int] {
  let w = try TokenShardWriter(path: path, vocabSize: vocab, frameTokens: frameTokens)
  var all: [Int] = []
  for (k, d) in documents(vocab: vocab).enumerated() {
    try w.append(d, id: "doc\(k)", source: "test", domain: k % 2 == 0 ? "web" : "math")
    all += d
  }
  try w.finish()
  return all
}

@Suite("Seekable zstd token shards")
struct TokenShardTests {
  @Test("the plain zstd tool decodes a shard to exactly the token stream", arguments: [8192, 100_000])
  func zstdTool(vocab: Int) throws {
    let dir = tempDir()
    let path = dir + "/00000.tok.zst"
    let all = try writeShard(path, vocab: vocab, frameTokens: 500)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
    p.arguments = ["-d", "-q", "-c", path]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    let width = vocab <= 65536 ? 2 : 4
    #expect(data.count == all.count * width)
    var decoded: [Int] = []
    data.withUnsafeBytes { raw in
      for i in stride(from: 0, to: raw.count, by: width) {
        var v = Int(raw[i]) | Int(raw[i + 1]) << 8
        if width == 4 { v |= Int(raw[i + 2]) << 16 | Int(raw[i + 3]) << 24 }
        decoded.append(v)
      }
    }
    #expect(decoded == all)
  }

  @Test("a window reads only the frames it overlaps")
  func randomAccess() throws {
    let dir = tempDir()
    let path = dir + "/00000.tok.zst"
    let all = try writeShard(path, vocab: 8192, frameTokens: 256)
    let r = try TokenShardReader(path: path, vocabSize: 8192)
    #expect(r.tokenCount == all.count)
    #expect(r.frames.count == (all.count + 255) / 256)
    let window = try r.tokens(1000..<1200)
    #expect(window == Array(all[1000..<1200]))
    #expect(r.framesRead == 2)  // tokens 1000..<1200 lie in frames 3 and 4 (256 each)
    #expect(try r.tokens(0..<all.count) == all)
    let index = String(decoding: try readFile(TokenShard.indexPath(path)), as: UTF8.self).split(separator: "\n")
    #expect(index.count == 40)
    #expect(index[1].hasPrefix(#"{"id":"doc1","start":"#))
  }

  @Test("truncated and corrupted shards are detected with a clear error")
  func damage() throws {
    let dir = tempDir()
    let path = dir + "/00000.tok.zst"
    _ = try writeShard(path, vocab: 8192, frameTokens: 256)
    var bytes = try readFile(path)
    // Truncation loses the seek table.
    try writeFileAtomically(dir + "/cut.tok.zst", Array(bytes[0..<(bytes.count / 2)]))
    #expect(throws: ShardError.self) { _ = try TokenShardReader(path: dir + "/cut.tok.zst", vocabSize: 8192) }
    // A flipped byte inside a frame fails its checksum when read or verified.
    bytes[40] ^= 0xFF
    try writeFileAtomically(dir + "/flip.tok.zst", bytes)
    let r = try TokenShardReader(path: dir + "/flip.tok.zst", vocabSize: 8192)
    #expect(throws: DataError.self) { try r.verify() }
  }

  @Test("a seek table that lies about frame sizes is refused by decode as by verify")
  func lyingTable() throws {
    let dir = tempDir()
    let path = dir + "/00000.tok.zst"
    let all = try writeShard(path, vocab: 8192, frameTokens: 256)
    var bytes = try readFile(path)
    let r0 = try TokenShardReader(path: path, vocabSize: 8192)
    let f = try #require((0..<(r0.frames.count - 1)).first { r0.frames[$0].size != r0.frames[$0 + 1].size })
    // Swap the compressed sizes of two neighbouring entries: the offsets still add up to the
    // table's total, but the frames no longer start where the table says.
    let count = r0.frames.count
    let table = bytes.count - 9 - count * 8
    for k in 0..<4 { bytes.swapAt(table + f * 8 + k, table + (f + 1) * 8 + k) }
    try writeFileAtomically(dir + "/lie.tok.zst", bytes)
    let r = try TokenShardReader(path: dir + "/lie.tok.zst", vocabSize: 8192)
    #expect(throws: DataError.self) { try r.verify() }
    #expect(throws: DataError.self) { _ = try r.tokens(0..<all.count) }
    let start = r.frames[f].firstToken
    #expect(throws: DataError.self) { _ = try r.tokens(start..<(start + 10)) }
  }
}
