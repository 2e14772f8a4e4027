import ArgumentParser
import DataCore
import Extract
import Logging

/// `quarry warc-stats`: read WARC/ARC files without extracting, for counts and speed.
struct WARCStats: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "warc-stats",
    abstract: "Read WARC/ARC files end to end: records by type, damage by reason, MB/s.",
    discussion: """
      MB/s is compressed input bytes per second, on one thread.

      Examples:
        quarry warc-stats Fixtures/warc/sample.warc.gz
        quarry warc-stats --http Fixtures/warc

      --http also de-chunks and decodes the response bodies.
      """
  )

  @Argument(help: "WARC, WARC.gz, ARC or ARC.gz files, or folders of them.")
  var inputs: [String]

  @Flag(help: "Also parse HTTP responses (chunked and gzip/deflate bodies decoded).")
  var http = false

  @OptionGroup var log: LogOptions

  func run() throws {
    log.bootstrap()
    let files = try listInputFiles(inputs, extensions: [".warc", ".warc.gz", ".arc", ".arc.gz"])
    guard !files.isEmpty else {
      throw ValidationError("no .warc/.warc.gz/.arc/.arc.gz files in \(inputs.joined(separator: ", "))")
    }
    let stats = WARCStatsJob(files: files, parseHTTP: http).run()
    print(stats.summary(unit: "records"))
  }
}
