import DataCore
import Logging
import WARC

/// Reads WARC/ARC files end to end without extracting anything: record counts by type,
/// damage by reason, and read throughput. With `parseHTTP`, response bodies are also
/// de-chunked and decoded, as `extract` does.
public struct WARCStatsJob: Sendable {
  /// The files to read, in order.
  public var files: [String]
  /// Whether response records are parsed as HTTP (chunked, gzip/deflate bodies decoded).
  public var parseHTTP = false

  /// Creates the job.
  public init(files: [String], parseHTTP: Bool = false) {
    self.files = files
    self.parseHTTP = parseHTTP
  }

  /// Reads every file; an unreadable file is counted under `error.unreadable_file`.
  public func run() -> StageStats {
    var stats = StageStats(stage: "warc-stats")
    let start = monotonicSeconds()
    for path in files {
      stats.bytesIn += fileSize(path)
      var reader: WARCReader
      do {
        reader = try WARCReader(path: path)
      } catch {
        stats.error("unreadable_file")
        Logger(label: "warc-stats").warning("\(path): \(error)")
        continue
      }
      while let entry = reader.next() {
        switch entry {
        case .damaged(let damage):
          stats.error("warc_" + damage.reason.rawValue)
        case .record(let record):
          stats.count("total")
          stats.count("warc." + String(describing: record.type))
          stats.bytesOut += record.block.count
          guard parseHTTP, case .response = record.type else { continue }
          if let type = record.contentType?.lowercased(), !type.hasPrefix("application/http") {
            continue
          }
          do {
            let response = try parseHTTPResponse(record.block)
            stats.count("http.decoded_body_bytes", response.body.count)
          } catch {
            stats.error("http_" + httpReason(error))
          }
        }
      }
    }
    stats.count("kept", stats["total"])
    stats.seconds = monotonicSeconds() - start
    stats.peakRSSBytes = peakRSSBytes()
    return stats
  }
}
