// swift-tools-version:6.0
// Quarry: web crawls and STEM papers → reasoning-dense pretraining data → a tiny MiMo model.
import PackageDescription

let package = Package(
  name: "Quarry",
  products: [
    .executable(name: "quarry", targets: ["quarry"]),
    .executable(name: "quarry-fuzz", targets: ["FuzzTargets"]),
    .library(name: "DataCore", targets: ["DataCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
  ],
  targets: [
    // C libraries: module map + shim header only; each is imported by exactly one module.
    .systemLibrary(
      name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    // poppler-glib is loaded at run time (dlopen), so no pkg-config: see Sources/CPoppler/shim.h.
    .systemLibrary(name: "CPoppler"),
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CISAL", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
    // OpenBLAS is loaded on first use (dlopen in the shim), not linked: no pkg-config flags.
    .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas0"])]),

    // C++ libraries behind small C shims, linked by name (CLD2 has no pkg-config file).
    .target(
      name: "CCLD2", path: "Sources/CCLD2",
      linkerSettings: [.linkedLibrary("cld2")]),
    .target(
      name: "CFastText", path: "Sources/CFastText",
      linkerSettings: [.linkedLibrary("fasttext")]),

    // Documents, JSONL(.zst/.gz) I/O, compression codecs, sharding, stats, atomic outputs.
    .target(name: "DataCore", dependencies: ["CZstd", "CZlib", "CISAL"]),
    // The job layer: steps and phases run by rank, local and Slurm executors, run folders
    // (plan, manifest, lock), per-task stats and completion markers, progress, logging.
    .target(
      name: "Jobs", dependencies: ["DataCore", .product(name: "Logging", package: "swift-log")]),
    // Strict checks of YAML configs against schemas: types, ranges, unknown keys, with the file,
    // line and key of every error.
    .target(name: "ConfigSchema", dependencies: ["DataCore", .product(name: "Yams", package: "Yams")]),
    // WARC/ARC record reader and HTTP payload decoding (chunked, gzip, deflate).
    .target(name: "WARC", dependencies: ["DataCore"]),
    // HTML → main text with libxml2, keeping math as LaTeX and code blocks verbatim. Optimized
    // in debug builds too: the tests parse the 652 corpus pages (161 MB) more than once.
    .target(name: "HTMLExtract", dependencies: ["DataCore", "CLibXML2"], swiftSettings: [.unsafeFlags(["-O"])]),
    .target(name: "PDFExtract", dependencies: ["DataCore", "CPoppler"], swiftSettings: [.unsafeFlags(["-O"])]),
    // The extract step (WARC/ARC/HTML → documents), warc-stats and batch page extraction.
    .target(
      name: "Extract",
      dependencies: ["DataCore", "Jobs", "WARC", "HTMLExtract", "PDFExtract", .product(name: "Logging", package: "swift-log")]),
    // Global deduplication: exact + MinHash LSH in four phases joined by files on disk.
    .target(name: "Dedup", dependencies: ["DataCore", "Jobs", "CMinHash"]),
    // The MinHash inner loop in C, so it can use AVX2 when the CPU has it (run-time dispatch).
    .target(name: "CMinHash"),
    // The model's C kernels, optimized in debug builds too (as the Model target is).
    .target(name: "CModelKernels", cSettings: [.unsafeFlags(["-O2"])]),
    // Byte-level BPE: Hugging Face tokenizer.json reader, encoder, decoder and trainer.
    .target(name: "BPE", dependencies: ["DataCore"]),
    // Token shards in zstd's seekable format, with a document index.
    .target(name: "Shards", dependencies: ["DataCore"]),
    // The tokenizer (train) and tokenize (documents → token shards) steps.
    .target(name: "Tokenize", dependencies: ["DataCore", "Jobs", "BPE", "Shards"]),
    // Per-document annotation for the mixture: source, math/code density, domain.
    // The three-stage mixture: allocation, seeded sampling, packing into stage shards.
    .target(
      name: "Mixture",
      dependencies: ["DataCore", "Jobs", "BPE", "Shards", "ConfigSchema", .product(name: "Yams", package: "Yams")]),
    // The tiny MiMo model: Qwen2 body + MTP layer, forward/backward kernels, safetensors.
    .target(
      name: "Model", dependencies: ["DataCore", "COpenBLAS", "CModelKernels"],
      // The kernels are compiled optimized in debug builds too, so `make test` trains real
      // (small) models in seconds rather than minutes.
      swiftSettings: [.unsafeFlags(["-O"])]),
    // The pretraining loop (shard loader, AdamW, schedules, checkpoints, stages), the train
    // and sample steps.
    .target(
      name: "Train",
      dependencies: ["Model", "Shards", "BPE", "DataCore", "Jobs", "ConfigSchema", "Report", .product(name: "Yams", package: "Yams")],
      swiftSettings: [.unsafeFlags(["-O"])]),
    // Looking at a run: `quarry report` (report.html) and `quarry inspect`.
    .target(name: "Report", dependencies: ["DataCore", "Jobs", "Shards", "BPE"]),
    // Composes steps into pipelines: the pipeline YAML, the step registry, `quarry run`.
    .target(
      name: "Pipeline",
      dependencies: [
        "DataCore", "Jobs", "Extract", "Dedup", "Tokenize", "Mixture", "Train", "QualityFilters", "BPE", "ConfigSchema", "Report",
        .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log"),
      ]),
    // Per-document quality stages: scores (language and script with CLD2, fastText classifiers,
    // …) written to metadata, filters over them, benchmark decontamination.
    // Annotators and quality filters; optimized in debug builds too, so the agreement tests
    // score the 1,764 reference documents in seconds.
    .target(
      name: "QualityFilters", dependencies: ["DataCore", "Jobs", "ConfigSchema", "CCLD2", "CFastText"],
      swiftSettings: [.unsafeFlags(["-O"])]),
    // The thin command-line front end.
    .executableTarget(
      name: "quarry",
      dependencies: [
        "Pipeline", "Jobs", "DataCore", "Extract", "HTMLExtract", "PDFExtract", "WARC", "Dedup", "BPE", "Shards",
        "Mixture", "Model", "Train", "Report", .product(name: "Logging", package: "swift-log"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // Fuzz targets for every reader of untrusted bytes: libFuzzer entry (`make fuzz`) or replay.
    .executableTarget(
      name: "FuzzTargets",
      dependencies: [
        "DataCore", "WARC", "HTMLExtract", "Extract", "BPE", "Model", "Shards", "Train", "Mixture", "Pipeline", "ConfigSchema",
        "QualityFilters", "PDFExtract",
      ]),

    // Helpers shared by the test targets: temporary folders, the repository root, the debug
    // `quarry` binary, running a pipeline YAML, reading a folder's files for byte comparisons.
    .target(name: "TestSupport", dependencies: ["DataCore", "Jobs", "Pipeline"], path: "Tests/TestSupport"),
    .testTarget(name: "DataCoreTests", dependencies: ["DataCore", "TestSupport"]),
    .testTarget(name: "JobsTests", dependencies: ["Jobs", "DataCore", "TestSupport"]),
    .testTarget(name: "WARCTests", dependencies: ["WARC", "DataCore", "TestSupport"]),
    .testTarget(name: "HTMLExtractTests", dependencies: ["HTMLExtract", "DataCore", "TestSupport"]),
    .testTarget(name: "PDFExtractTests", dependencies: ["PDFExtract", "TestSupport"]),
    .testTarget(name: "DedupTests", dependencies: ["Dedup", "DataCore", "Pipeline", "TestSupport"]),
    .testTarget(name: "BPETests", dependencies: ["BPE", "DataCore"]),
    .testTarget(name: "ShardsTests", dependencies: ["Shards", "DataCore", "TestSupport"]),
    .testTarget(
      name: "MixtureTests", dependencies: ["Mixture", "Pipeline", "BPE", "Shards", "DataCore", "TestSupport"]),
    .testTarget(name: "ModelTests", dependencies: ["Model", "DataCore", "TestSupport"]),
    .testTarget(
      name: "TrainTests", dependencies: ["Train", "Model", "BPE", "Shards", "DataCore", "TestSupport"]),
    .testTarget(name: "EndToEndTests", dependencies: ["Extract", "Pipeline", "Jobs", "DataCore", "TestSupport"]),
    .testTarget(name: "QualityFiltersTests", dependencies: ["QualityFilters", "HTMLExtract", "DataCore", "Jobs", "TestSupport"]),
    .testTarget(name: "ReportTests", dependencies: ["Report", "Pipeline", "Jobs", "DataCore", "TestSupport"]),
    .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "ConfigSchema", "Jobs", "DataCore", "TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
