#if canImport(Glibc)
  import Glibc
#endif

/// Counts for one stage on one or more ranks, mergeable with `+`.
///
/// Counter keys are stable strings: `total`, `kept`, `dropped.<reason>`, `error.<reason>`,
/// plus stage-specific counters (`warc.response`, …). Timing is kept apart from the counters
/// because it is the only part of the stats that differs between identical runs.
public struct StageStats: Sendable, Equatable {
  /// The stage name, e.g. `extract`.
  public var stage: String
  /// Event counts by key.
  public var counters: [String: Int] = [:]
  /// Input bytes consumed.
  public var bytesIn = 0
  /// Output bytes produced (uncompressed).
  public var bytesOut = 0
  /// Wall-clock seconds spent (summed over ranks when merged).
  public var seconds = 0.0
  /// Peak resident set size in bytes (max over ranks).
  public var peakRSSBytes = 0

  /// Creates empty stats for `stage`.
  public init(stage: String) { self.stage = stage }

  /// Adds `n` to counter `key`.
  public mutating func count(_ key: String, _ n: Int = 1) { counters[key, default: 0] += n }

  /// Counts a dropped document under `reason`.
  public mutating func drop(_ reason: String) { count("dropped." + reason) }

  /// Counts a per-document error under `reason`.
  public mutating func error(_ reason: String) { count("error." + reason) }

  /// The value of counter `key` (0 when absent).
  public subscript(_ key: String) -> Int { counters[key] ?? 0 }

  /// Merges two stats of the same stage.
  public static func + (a: StageStats, b: StageStats) -> StageStats {
    var r = a
    for (k, v) in b.counters { r.counters[k, default: 0] += v }
    r.bytesIn += b.bytesIn
    r.bytesOut += b.bytesOut
    r.seconds += b.seconds
    r.peakRSSBytes = max(a.peakRSSBytes, b.peakRSSBytes)
    return r
  }

  /// JSON form: `{"stage", "counters", "bytes_in", "bytes_out", "timing": {…}}`.
  public var json: JSONValue {
    .object([
      "stage": .string(stage),
      "counters": .object(counters.mapValues { .int(Int64($0)) }),
      "bytes_in": .int(Int64(bytesIn)),
      "bytes_out": .int(Int64(bytesOut)),
      "timing": .object([
        "seconds": .double((seconds * 1000).rounded() / 1000),
        "peak_rss_bytes": .int(Int64(peakRSSBytes)),
      ]),
    ])
  }

  /// Decodes stats written by `json`.
  public init(json: JSONValue) throws(JSONError) {
    guard case .object(let o) = json, let stage = o["stage"]?.stringValue else {
      throw .missingField("stage")
    }
    self.stage = stage
    if case .object(let c)? = o["counters"] {
      for (k, v) in c { counters[k] = v.intValue ?? 0 }
    }
    bytesIn = o["bytes_in"]?.intValue ?? 0
    bytesOut = o["bytes_out"]?.intValue ?? 0
    if case .object(let t)? = o["timing"] {
      seconds = t["seconds"]?.doubleValue ?? 0
      peakRSSBytes = t["peak_rss_bytes"]?.intValue ?? 0
    }
  }

  /// A human summary: counts, throughput and peak memory.
  public func summary(unit: String = "docs") -> String {
    var lines: [String] = []
    let total = self["total"]
    let rate = seconds > 0 ? Double(total) / seconds : 0
    let mbs = seconds > 0 ? Double(bytesIn) / 1e6 / seconds : 0
    lines.append(
      "\(stage): \(total) \(unit) in, \(self["kept"]) kept · "
        + "\(formatRate(rate)) \(unit)/s · \(formatRate(mbs)) MB/s · "
        + "peak RSS \(peakRSSBytes / (1 << 20)) MiB")
    for key in counters.keys.sorted() where key != "total" && key != "kept" {
      let pad = String(repeating: " ", count: max(0, 34 - key.count))
      lines.append("  \(key)\(pad) \(counters[key] ?? 0)")
    }
    return lines.joined(separator: "\n")
  }
}

/// Formats a rate with 3 significant digits.
package func formatRate(_ x: Double) -> String {
  if x >= 100 { return String(Int(x.rounded())) }
  if x >= 10 { return String((x * 10).rounded() / 10) }
  return String((x * 100).rounded() / 100)
}

/// Peak resident set size of this process, or of the largest child process it has reaped
/// (a PDF worker) when that was larger, in bytes.
public func peakRSSBytes() -> Int {
  var usage = rusage()
  getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
  var children = rusage()
  getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &children)
  return Int(max(usage.ru_maxrss, children.ru_maxrss)) * 1024
}

/// Monotonic seconds, for throughput.
public func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The CPUs this process may run on (its affinity mask, as `taskset` and Slurm set it), at
/// least 1.
public func availableCPUCount() -> Int {
  let online = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  // The mask's bits, from /proc/self/status ("Cpus_allowed:\t00000000,0000000f").
  guard let status = try? readFile("/proc/self/status", limit: 1 << 20),
    let line = String(decoding: status, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
  else { return online }
  let bits = line.dropFirst("Cpus_allowed:".count).reduce(0) { n, c in n + (c.hexDigitValue?.nonzeroBitCount ?? 0) }
  return bits > 0 ? min(bits, online) : online
}

/// This process's executable (its /proc/self/exe), nil when that cannot be read.
public func ownExecutable() -> String? {
  var buffer = [CChar](repeating: 0, count: 4096)
  let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
  return n > 0 ? String(cString: buffer) : nil
}

/// Whether `path` is a test runner (an XCTest bundle or SwiftPM's testing helper), which must
/// never be started as `quarry`.
public func isTestRunner(_ path: String) -> Bool {
  path.hasSuffix(".xctest") || path.hasSuffix("swiftpm-testing-helper")
}
