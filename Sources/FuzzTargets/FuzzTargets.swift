// Fuzz targets: every reader of untrusted bytes, driven by libFuzzer or by a replay of files.
//
// Built with `--sanitize=fuzzer -Xswiftc -DQUARRY_LIBFUZZER` (`make fuzz`), libFuzzer supplies
// `main` and calls `LLVMFuzzerTestOneInput`; the target is chosen by `QUARRY_FUZZ_TARGET`.
// In a normal build, `quarry-fuzz TARGET FILE|DIR…` runs each input once (the seed corpora and
// saved crashes in `Fixtures/fuzz/` are replayed by `make test`).
//
// An input may be refused with any thrown error: that is the expected answer to bad bytes. A
// trap, a hang (libFuzzer's -timeout) or a memory blow-up (-rss_limit_mb / -malloc_limit_mb) is
// a finding.

import ConfigSchema
import DataCore
import Extract
import HTMLExtract
import Mixture
import Model
import PDFExtract
import Pipeline
import QualityFilters
import Shards
import Train
import WARC
import BPE

#if canImport(Glibc)
  import Glibc
#endif

/// The fuzz targets, by name.
enum FuzzTarget: String, CaseIterable {
  /// WARC reading (plain or gzip members), then the HTTP response parser on each record.
  case warc
  /// Main-content extraction from raw HTML bytes (charset detection, parse, extraction).
  case html
  /// JSONL reading (plain, gzip or zstd by magic bytes), documents and their ids.
  case jsonl
  /// Loading a Hugging Face tokenizer.json, then encoding and decoding with it.
  case tokenizer
  /// Reading a safetensors file and decoding its tensors.
  case safetensors
  /// Opening a token shard (seek table), reading its tokens and verifying it.
  case shard
  /// The YAML configs: train, mixture and pipeline, and a model `config.json`.
  case config
  /// The quality filters, both presets, on any text (and bad-words matching, decontamination
  /// and PII masking): every rule's scoring must survive any bytes.
  case filter
  /// The PDF worker's reply as the parent decodes it, then laid out: a worker that a hostile
  /// PDF took over must not be able to crash or hang the parent.
  case pdfwire

  /// Runs one input; a thrown error is a refusal, the expected answer to bad bytes. Only traps,
  /// hangs and memory blow-ups are findings.
  func run(_ data: UnsafeBufferPointer<UInt8>) throws {
    let bytes = Array(data)
    switch self {
    case .warc:
      let path = try scratch.write(bytes, name: hasGzipMagic(bytes) ? "in.warc.gz" : "in.warc")
      var reader = try WARCReader(path: path)
      var records = 0
      while let entry = reader.next(), records < 10_000 {
        records += 1
        if case .record(let record) = entry { _ = try? parseHTTPResponse(record.block) }
      }
    case .html:
      let page = HTMLExtractor().extract(bytes: bytes)
      _ = page.text.utf8.count
    case .jsonl:
      let name = hasGzipMagic(bytes) ? "in.jsonl.gz" : hasZstdMagic(bytes) ? "in.jsonl.zst" : "in.jsonl"
      var reader = JSONLReader(path: try scratch.write(bytes, name: name))
      reader.maxLineBytes = 1 << 20
      var total = 0
      try reader.forEach({ total += $0.text.utf8.count + $0.jsonLine().utf8.count }, onProblem: { _ in })
    case .tokenizer:
      let bpe = try BPETokenizer(path: try scratch.write(bytes, name: "tokenizer.json"))
      let ids = bpe.encode("Fuzzing 123 héllo <|endoftext|> ∑x² {code}\n\t  end")
      _ = bpe.decode(ids)
    case .safetensors:
      let file = try SafeTensors.read(try scratch.write(bytes, name: "model.safetensors"))
      for tensor in file.tensors.values {
        _ = try? tensor.floats()
        _ = try? tensor.ints()
      }
    case .shard:
      let vocab = bytes.first.map { $0 & 1 == 0 ? 50_000 : 100_000 } ?? 50_000
      let reader = try TokenShardReader(path: try scratch.write(bytes, name: "00000.tok.zst"), vocabSize: vocab)
      _ = try reader.tokens(0..<min(reader.tokenCount, 1 << 16))
      _ = try reader.tokens((reader.tokenCount / 2)..<reader.tokenCount)
      try reader.verify()
    case .config:
      // One input tried as every kind of config; refused by all is a refusal.
      let path = try scratch.write(bytes, name: "config.yaml")
      var errors: [String] = []
      do { _ = try TrainConfig.load(path); return } catch { errors.append("train: \(error)") }
      do { _ = try MixtureConfig.load(path); return } catch { errors.append("mix: \(error)") }
      do { _ = try PipelineConfig.load(path, runDir: scratch.root + "/run"); return } catch {
        errors.append("pipeline: \(error)")
      }
      _ = try scratch.write(bytes, name: "config.json")
      do { _ = try MiMoModel.readConfig(scratch.root); return } catch { errors.append("model: \(error)") }
      throw DataError.invalidInput(errors.joined(separator: "; "))
    case .filter:
      let text = String(decoding: bytes, as: UTF8.self)
      let doc = Document(id: "fuzz", text: text)
      for stage in filterStages { _ = stage.evaluate(doc) }
      _ = PIIMasker.mask(text)
      _ = EnglishWordTokenizer.words(text)
      _ = BadWordsFilter(words: ["ass", "2 girls 1 cup", "xxx", "s&m", "\u{1F595}"]).firstMatch(in: text)
    case .pdfwire:
      guard case .success(var content)? = PDFWire.decode(bytes) else { throw DataError.invalidInput("not a reply") }
      let glyphs = PDFGlyphs.repair(&content)
      _ = PDFTextQuality(text: PDFLayout.text(of: content).text, unmapped: glyphs.unmapped)
    }
  }
}

func printError(_ message: String) {
  var bytes = Array(message.utf8)
  _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

func hasGzipMagic(_ b: [UInt8]) -> Bool { b.count >= 2 && b[0] == 0x1F && b[1] == 0x8B }
func hasZstdMagic(_ b: [UInt8]) -> Bool { b.count >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD }

/// A private folder for the files the readers take (under /dev/shm when it exists).
struct Scratch {
  let root: String

  init() {
    let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    root = base + "/quarry-fuzz-\(getpid())"
    mkdir(root, 0o700)
  }

  /// Writes `bytes` to `root/name` (replacing it) and returns the path.
  func write(_ bytes: [UInt8], name: String) throws -> String {
    let path = root + "/" + name
    try writeFileAtomically(path, bytes)
    return path
  }
}

let scratch = Scratch()

/// Both presets' filter stages, built once.
let filterStages: [QualityFilterStage] = FilterSettings.Preset.allCases.map {
  try! QualityFilterStage(settings: FilterSettings(preset: $0))
}

/// The target chosen for this process.
nonisolated(unsafe) var selectedTarget: FuzzTarget? = nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  if selectedTarget == nil {
    let name = getenv("QUARRY_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
      let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
      printError("quarry-fuzz: set QUARRY_FUZZ_TARGET to one of: \(names)\n")
      exit(2)
    }
    selectedTarget = target
  }
  try? selectedTarget!.run(UnsafeBufferPointer(start: data, count: size))
  return 0
}

#if !QUARRY_LIBFUZZER
  /// Replays files through a target: `quarry-fuzz [-v] TARGET FILE|DIR…` (`-v` says for each
  /// file whether it was read or refused, and why).
  @main
  struct Replay {
    static func main() {
      var args = CommandLine.arguments.dropFirst()
      let verbose = args.first == "-v"
      if verbose { args = args.dropFirst() }
      guard let name = args.first, let target = FuzzTarget(rawValue: name), args.count >= 2 else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        printError("usage: quarry-fuzz [-v] \(names) FILE|DIR…\n")
        exit(2)
      }
      var count = 0
      for arg in args.dropFirst() {
        guard let files = try? listInputFiles([arg]) else {
          printError("quarry-fuzz: cannot list \(arg)\n")
          exit(1)
        }
        for file in files.sorted() {
          guard let bytes = try? readFile(file, limit: 1 << 26) else {
            printError("quarry-fuzz: cannot read \(file)\n")
            exit(1)
          }
          do {
            try bytes.withUnsafeBufferPointer { try target.run($0) }
            if verbose { print("\(file): read") }
          } catch {
            if verbose { print("\(file): refused: \(error)") }
          }
          count += 1
        }
      }
      print("\(target.rawValue): \(count) inputs replayed")
    }
  }
#endif
