import DataCore
import Foundation
import Testing

/// Deterministic pseudo-random text (compresses, but not to nothing).
func noiseText(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
  var state = seed
  let words = ["alpha", "beta", "gamma", "delta", "kappa", "sigma", "omega", "theta", "zeta"]
  var out: [UInt8] = []
  while out.count < count {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    out += Array(words[Int(state >> 33) % words.count].utf8)
    out.append(state >> 60 == 0 ? 0x0A : 0x20)
    out += Array(String(state >> 40, radix: 36).utf8)
    out.append(0x20)
  }
  return Array(out.prefix(count))
}

/// Raw deflate data: a gzip member from `Gzip.compress` without its 10-byte header and
/// 8-byte trailer (`compress` writes no optional header fields).
func rawDeflate(_ data: [UInt8]) throws -> [UInt8] {
  let member = try Gzip.compress(data)
  return Array(member[10..<(member.count - 8)])
}

/// A zlib stream (RFC 1950) around `data`.
func zlibWrapped(_ data: [UInt8]) throws -> [UInt8] {
  var a: UInt32 = 1
  var b: UInt32 = 0
  for byte in data {
    a = (a + UInt32(byte)) % 65_521
    b = (b + a) % 65_521
  }
  let adler = b << 16 | a
  return [0x78, 0x9C] + (try rawDeflate(data))
    + [
      UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF),
    ]
}

/// A copy of a gzip member with `count` bytes in the middle XOR-ed.
func corrupted(_ member: [UInt8], count: Int = 24) -> [UInt8] {
  var out = member
  let mid = out.count / 2
  for i in mid..<min(mid + count, out.count - 8) { out[i] ^= 0x5A }
  return out
}

@Suite("Gzip (DataCore)")
struct GzipTests {
  @Test("compress then gunzip round-trips, with and without content")
  func roundTrip() throws {
    for data in [[], Array("hello".utf8), noiseText(100_000)] {
      let member = try Gzip.compress(data)
      #expect(Gzip.hasMagic(member))
      #expect(try Gzip.gunzip(member, maxOutput: 1 << 20) == data)
    }
  }

  @Test("gunzip decodes every concatenated member and ignores trailing padding")
  func multiMember() throws {
    let a = noiseText(5_000, seed: 1)
    let b = noiseText(7_000, seed: 2)
    let joined = try Gzip.compress(a) + Gzip.compress(b) + [0, 0, 0, 0]
    #expect(try Gzip.gunzip(joined, maxOutput: 1 << 20) == a + b)
  }

  @Test("a gzip header with FEXTRA, FNAME and FCOMMENT fields decodes")
  func optionalHeaderFields() throws {
    let data = noiseText(3_000)
    let member = try Gzip.compress(data)
    // FLG = FEXTRA | FNAME | FCOMMENT; XLEN 6: subfield "sl", length 2.
    var header: [UInt8] = [0x1F, 0x8B, 0x08, 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 0xFF]
    header += [6, 0, 0x73, 0x6C, 2, 0, 0xAB, 0xCD]
    header += Array("record.warc".utf8) + [0] + Array("a comment".utf8) + [0]
    let withExtras = header + member[10...]
    #expect(try Gzip.gunzip(withExtras, maxOutput: 1 << 20) == data)
  }

  @Test("HTTP deflate accepts zlib-wrapped, raw and mislabelled gzip data")
  func deflateVariants() throws {
    let data = noiseText(20_000)
    #expect(try Gzip.inflate(zlibWrapped(data), maxOutput: 1 << 20) == data)
    #expect(try Gzip.inflate(rawDeflate(data), maxOutput: 1 << 20) == data)
    #expect(try Gzip.inflate(Gzip.compress(data), maxOutput: 1 << 20) == data)
  }

  @Test("the output cap stops a decompression bomb")
  func outputLimit() throws {
    let bomb = try Gzip.compress([UInt8](repeating: 0, count: 8 << 20))
    #expect(bomb.count < 20_000)
    #expect(throws: GzipError.outputLimitExceeded(limit: 1 << 20)) {
      _ = try Gzip.gunzip(bomb, maxOutput: 1 << 20)
    }
    let partial = Gzip.decode(bomb, format: .gzip, maxOutput: 1000)
    #expect(partial.bytes.count == 1000)
  }

  @Test("truncated and corrupt input report an error and keep the decoded prefix")
  func damagedInput() throws {
    let data = noiseText(50_000)
    let member = try Gzip.compress(data)
    let cut = Gzip.decode(Array(member.prefix(member.count / 2)), format: .gzip, maxOutput: 1 << 20)
    #expect(cut.error == .truncated(offset: member.count / 2))
    #expect(!cut.bytes.isEmpty && data.starts(with: cut.bytes))
    let bad = Gzip.decode(corrupted(member), format: .gzip, maxOutput: 1 << 20)
    guard case .corrupt(let offset, _) = bad.error else {
      Issue.record("expected a corrupt-data error, got \(String(describing: bad.error))")
      return
    }
    #expect(offset >= member.count / 2 && offset <= member.count)
  }

  @Test("GzipFileReader reports members, the error offset, and resyncs past a corrupt member")
  func fileReaderResync() throws {
    let parts = (0..<4).map { noiseText(10_000, seed: UInt64($0)) }
    var members = try parts.map { try Gzip.compress($0) }
    members[1] = corrupted(members[1])
    let offsets = members.indices.map { members[..<$0].reduce(0) { $0 + $1.count } }
    let path = try temporaryFile(members.flatMap { $0 }, suffix: ".gz")
    defer { cleanup(path) }

    let reader = try GzipFileReader(path: path, chunkSize: 4096)
    var decoded: [[UInt8]] = []
    var current: [UInt8] = []
    var errors: [GzipError] = []
    var memberStarts: [Int] = []
    loop: while true {
      do {
        let before = current.count
        let event = try reader.read(into: &current, maxCount: 4096)
        if before == 0 && current.count > 0 { memberStarts.append(reader.memberOffset) }
        switch event {
        case .data: continue
        case .memberEnd:
          decoded.append(current)
          current = []
        case .end: break loop
        }
      } catch {
        errors.append(error)
        current = []
        if try reader.resync() == nil { break }
      }
    }
    #expect(decoded == [parts[0], parts[2], parts[3]])
    #expect(memberStarts == [offsets[0], offsets[1], offsets[2], offsets[3]])
    #expect(errors.count == 1)
    if case .corrupt(let offset, _)? = errors.first {
      #expect(offset > offsets[1] && offset <= offsets[2] + 64)
    } else {
      Issue.record("expected .corrupt, got \(errors)")
    }
    #expect(reader.membersRead == 3)
  }

  @Test("GzipFileReader reports a file cut mid-member as truncated at its end")
  func fileReaderTruncated() throws {
    let member = try Gzip.compress(noiseText(30_000))
    let path = try temporaryFile(Array(member.prefix(member.count - 100)), suffix: ".gz")
    defer { cleanup(path) }
    let reader = try GzipFileReader(path: path)
    var out: [UInt8] = []
    #expect(throws: GzipError.truncated(offset: member.count - 100)) {
      while try reader.read(into: &out, maxCount: 1 << 16) != .end {}
    }
    #expect(try reader.resync() == nil)
    #expect(try reader.read(into: &out, maxCount: 1) == .end)
  }

  /// A gzip member around `data` with FEXTRA, FNAME, FCOMMENT and FHCRC header fields, long
  /// enough to straddle small read buffers.
  func memberWithExtras(_ data: [UInt8], name: String) throws -> [UInt8] {
    let member = try Gzip.compress(data)
    var header: [UInt8] = [0x1F, 0x8B, 0x08, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 0xFF]
    header += [6, 0, 0x73, 0x6C, 2, 0, 0xAB, 0xCD]
    header += Array(name.utf8) + Array(repeating: 0x6E, count: 90) + [0]
    header += Array("comment".utf8) + [0]
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in header {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    crc = ~crc
    return header + [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF)] + member[10...]
  }

  /// Reads `path` to the end, resyncing after errors; returns each member's bytes, its start
  /// offset, the compressed offset right after its end, and the errors.
  func readAll(
    _ path: String, chunkSize: Int, maxCount: Int
  ) throws -> (members: [[UInt8]], starts: [Int], ends: [Int], errors: [GzipError]) {
    let reader = try GzipFileReader(path: path, chunkSize: chunkSize)
    var members: [[UInt8]] = []
    var starts: [Int] = []
    var ends: [Int] = []
    var errors: [GzipError] = []
    var current: [UInt8] = []
    loop: while true {
      do {
        switch try reader.read(into: &current, maxCount: maxCount) {
        case .data: continue
        case .memberEnd:
          members.append(current)
          starts.append(reader.memberOffset)
          ends.append(reader.compressedOffset)
          current = []
        case .end: break loop
        }
      } catch {
        errors.append(error)
        current = []
        if try reader.resync() == nil { break }
      }
    }
    return (members, starts, ends, errors)
  }

  @Test(
    "GzipFileReader finds exact member boundaries for any read size",
    arguments: [
      (64, 1), (64, 7), (65, 4096), (67, 13), (97, 4096), (100, 100), (128, 64), (4096, 4096),
      (1 << 18, 1 << 18),
    ])
  func fileReaderBoundaries(chunkSize: Int, maxCount: Int) throws {
    let parts = [noiseText(20_000, seed: 7), [], Array("x".utf8), noiseText(70_000, seed: 8)]
    let members = try parts.enumerated().map { i, data in
      i % 2 == 0 ? try memberWithExtras(data, name: "r\(i).warc") : try Gzip.compress(data)
    }
    let ends = members.indices.map { members[...$0].reduce(0) { $0 + $1.count } }
    let path = try temporaryFile(members.flatMap { $0 }, suffix: ".gz")
    defer { cleanup(path) }
    let result = try readAll(path, chunkSize: chunkSize, maxCount: maxCount)
    #expect(result.errors.isEmpty)
    let decodedAll = result.members == parts
    #expect(decodedAll, "decoded members differ from the input")
    #expect(result.starts == [0] + ends.dropLast())
    #expect(result.ends == ends)
  }

  @Test("GzipFileReader rejects a bad CRC-32, a bad ISIZE and reserved header flags")
  func fileReaderChecks() throws {
    let good = try Gzip.compress(noiseText(5_000, seed: 3))
    var badCRC = good
    badCRC[badCRC.count - 8] ^= 0x01
    var badSize = good
    badSize[badSize.count - 1] ^= 0x01
    var badFlags = good
    badFlags[3] = 0x20
    for bad in [badCRC, badSize, badFlags] {
      let path = try temporaryFile(good + bad + good, suffix: ".gz")
      defer { cleanup(path) }
      let result = try readAll(path, chunkSize: 1024, maxCount: 1024)
      #expect(result.members.count == 2)
      #expect(result.starts == [0, 2 * good.count])
      #expect(result.errors.count == 1)
      guard case .corrupt(let offset, _)? = result.errors.first else {
        Issue.record("expected .corrupt, got \(result.errors)")
        continue
      }
      #expect(offset > good.count && offset <= 2 * good.count)
    }
  }

  @Test("GzipByteStream concatenates members for line readers")
  func byteStream() throws {
    let a = Array("line one\nline two\n".utf8)
    let b = Array("line three\n".utf8)
    let path = try temporaryFile(try Gzip.compress(a) + Gzip.compress(b), suffix: ".gz")
    defer { cleanup(path) }
    let stream = try GzipByteStream(path: path)
    var all: [UInt8] = []
    while let chunk = try stream.nextChunk() { all += chunk }
    #expect(all == a + b)
    #expect(Gzip.isGzipFile(path: path))
  }
}
