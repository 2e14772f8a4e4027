import ArgumentParser
import Report

/// `quarry report`: the run's report.html.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write RUN/report.html: funnel, drops, dedup, mixture, training, arms, throughput (self-contained, no script).",
    discussion: """
      `quarry run` writes it at the end; this rewrites it from the run folder's files, for example
      after a Slurm run or while a run is in progress.

      Example:
        quarry report out/demo
      """)
  @Argument(help: "The run folder (--output of quarry run).") var folder: String

  func run() throws {
    print(try RunReport.write(run: folder))
  }
}
