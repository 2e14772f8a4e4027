// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}), then the
// raw little-endian tensor bytes. Offsets are relative to the end of the header.
import DataCore

/// One tensor read from a safetensors file, converted to the caller's type on access.
public struct SafeTensor: Sendable {
  public enum DType: String, Sendable {
    case f32 = "F32", f64 = "F64", f16 = "F16", bf16 = "BF16", i64 = "I64", i32 = "I32"
    case i16 = "I16", u16 = "U16", u8 = "U8"
    var size: Int {
      switch self {
      case .f64, .i64: 8
      case .f32, .i32: 4
      case .f16, .bf16, .i16, .u16: 2
      case .u8: 1
      }
    }
  }
  public var name: String
  public var dtype: DType
  public var shape: [Int]
  public var bytes: [UInt8]
  public var count: Int { shape.reduce(1, *) }

  public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  public init(name: String, shape: [Int], floats: UnsafeBufferPointer<Float>) {
    self.init(name: name, dtype: .f32, shape: shape, bytes: Array(UnsafeRawBufferPointer(floats)))
  }

  public init(name: String, shape: [Int], int64: [Int64]) {
    self.init(
      name: name, dtype: .i64, shape: shape,
      bytes: int64.withUnsafeBytes { Array($0) })
  }

  /// The values as Float (from F32, F64, F16 or BF16).
  public func floats() throws(ModelError) -> [Float] {
    let n = count
    let out = bytes.withUnsafeBytes { raw -> [Float]? in
      switch dtype {
      case .f32: return (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
      case .f64:
        return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
      case .bf16:
        return (0..<n).map {
          Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16)
        }
      case .f16:
        return (0..<n).map {
          Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))
        }
      default: return nil
      }
    }
    guard let out else { throw .badConfig("tensor \(name) has dtype \(dtype.rawValue), not a float") }
    return out
  }

  /// The values as Int (from any integer dtype).
  public func ints() throws(ModelError) -> [Int] {
    let n = count
    let out = bytes.withUnsafeBytes { raw -> [Int]? in
      switch dtype {
      case .i64: return (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
      case .i32: return (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
      case .i16: return (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
      case .u16: return (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
      case .u8: return (0..<n).map { Int(raw[$0]) }
      default: return nil
      }
    }
    guard let out else {
      throw .badConfig("tensor \(name) has dtype \(dtype.rawValue), not an integer")
    }
    return out
  }
}

public enum SafeTensors {
  /// Refuse headers larger than this (the format's own limit is 100 MB).
  static let maxHeader = 100 << 20

  /// Reads every tensor of a safetensors file; tensors and metadata are validated.
  public static func read(_ path: String) throws(ModelError) -> (
    tensors: [String: SafeTensor], metadata: [String: String]
  ) {
    let bytes: [UInt8]
    do { bytes = try readFile(path, limit: 1 << 34) } catch { throw .io(path: path, reason: "\(error)") }
    func bad(_ r: String) -> ModelError { .safetensors(path: path, reason: r) }
    guard bytes.count >= 8 else { throw bad("shorter than 8 bytes") }
    var n = 0
    for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
    guard n > 1, n <= maxHeader, 8 + n <= bytes.count else { throw bad("header length \(n)") }
    let header: JSONValue
    do {
      header = try bytes.withUnsafeBufferPointer { buf throws(JSONError) in
        try JSONValue.parse(UnsafeBufferPointer(rebasing: buf[8..<(8 + n)]))
      }
    } catch { throw bad("header: \(error)") }
    guard case .object(let entries) = header else { throw bad("header is not a JSON object") }
    let dataStart = 8 + n, dataLen = bytes.count - dataStart
    var tensors: [String: SafeTensor] = [:]
    var metadata: [String: String] = [:]
    var ranges: [(Int, Int)] = []
    for (name, value) in entries {
      if name == "__metadata__" {
        if case .object(let m) = value {
          for (k, v) in m { if let s = v.stringValue { metadata[k] = s } }
        }
        continue
      }
      guard case .object(let info) = value, let dt = info["dtype"]?.stringValue,
        case .array(let shapeV)? = info["shape"], case .array(let offs)? = info["data_offsets"],
        offs.count == 2, let begin = offs[0].intValue, let end = offs[1].intValue
      else { throw bad("entry \(name) lacks dtype, shape or data_offsets") }
      guard let dtype = SafeTensor.DType(rawValue: dt) else { throw bad("\(name): dtype \(dt)") }
      var shape: [Int] = []
      for s in shapeV {
        guard let d = s.intValue, d >= 0, d < 1 << 40 else { throw bad("\(name): bad shape") }
        shape.append(d)
      }
      // The element count, refusing a shape whose product (or byte size) overflows.
      var count = 1
      for d in shape {
        let (p, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, p <= Int.max / 16 else { throw bad("\(name): shape \(shape) has too many elements") }
        count = p
      }
      guard begin >= 0, end >= begin, end <= dataLen, end - begin == count * dtype.size else {
        throw bad("\(name): data_offsets [\(begin), \(end)] do not fit shape \(shape) \(dt)")
      }
      ranges.append((begin, end))
      tensors[name] = SafeTensor(
        name: name, dtype: dtype, shape: shape,
        bytes: Array(bytes[(dataStart + begin)..<(dataStart + end)]))
    }
    ranges.sort { $0.0 < $1.0 }
    for i in 1..<max(1, ranges.count) where ranges[i].0 < ranges[i - 1].1 {
      throw bad("tensor data overlaps")
    }
    return (tensors, metadata)
  }

  /// Writes tensors (sorted by name) atomically: temporary name, then rename.
  public static func write(
    _ tensors: [SafeTensor], metadata: [String: String] = [:], to path: String
  ) throws(ModelError) {
    let sorted = tensors.sorted { $0.name < $1.name }
    var header: [String: JSONValue] = [:]
    var offset = 0
    for t in sorted {
      header[t.name] = .object([
        "dtype": .string(t.dtype.rawValue),
        "shape": .array(t.shape.map { .int(Int64($0)) }),
        "data_offsets": .array([.int(Int64(offset)), .int(Int64(offset + t.bytes.count))]),
      ])
      offset += t.bytes.count
    }
    if !metadata.isEmpty {
      header["__metadata__"] = .object(metadata.mapValues { .string($0) })
    }
    var text = JSONValue.object(header).jsonText
    while (8 + text.utf8.count) % 8 != 0 { text += " " }
    do {
      let w = try AtomicFileWriter(path: path)
      var len = [UInt8](repeating: 0, count: 8)
      let n = text.utf8.count
      for i in 0..<8 { len[i] = UInt8((n >> (8 * i)) & 0xFF) }
      try w.write(len)
      try w.write(text)
      for t in sorted { try w.write(t.bytes) }
      try w.commit()
    } catch { throw .io(path: path, reason: "\(error)") }
  }
}

extension MiMoModel {
  /// Runs the checkpoint on `input_ids` [B, T] from the safetensors file `tokens` and writes
  /// `logits` [B, T, V] (and `mtp_logits` [B, T-1, V]) to `output`; returns a one-line summary.
  /// - Throws: `ModelError` for a missing or malformed `input_ids`, or ids outside the vocabulary.
  public static func writeLogits(checkpoint: String, tokens: String, output: String, threads: Int = 1) throws -> String {
    let model = try MiMoModel.load(checkpoint: checkpoint, threads: threads)
    let (t, _) = try SafeTensors.read(tokens)
    guard let ids = t["input_ids"] else { throw ModelError.missingTensor(path: tokens, name: "input_ids") }
    guard ids.shape.count == 2, ids.shape[1] >= 1 else {
      throw ModelError.badConfig("\(tokens): input_ids must be [B, T], found \(ids.shape)")
    }
    let (b, len) = (ids.shape[0], ids.shape[1])
    let values = try ids.ints()
    let v = model.config.vocabSize
    if let bad = values.first(where: { $0 < 0 || $0 >= v }) {
      throw ModelError.badConfig("\(tokens): token id \(bad) is outside the vocabulary (size \(v))")
    }
    let out = model.logits(tokens: values.map { Int32($0) }, b: b, t: len)
    var tensors = [SafeTensor]()
    out.main.withUnsafeBufferPointer { tensors.append(SafeTensor(name: "logits", shape: [b, len, v], floats: $0)) }
    if let mtp = out.mtp {
      mtp.withUnsafeBufferPointer { tensors.append(SafeTensor(name: "mtp_logits", shape: [b, len - 1, v], floats: $0)) }
    }
    try SafeTensors.write(tensors, to: output)
    return "wrote \(output): logits [\(b), \(len), \(v)]" + (out.mtp != nil ? ", mtp_logits [\(b), \(len - 1), \(v)]" : "")
  }
}
