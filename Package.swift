// swift-tools-version:6.0
// Quarry: web crawls and STEM papers → reasoning-dense pretraining data → a tiny MiMo model.
import PackageDescription

let package = Package(
  name: "Quarry",
  products: [
    .executable(name: "quarry", targets: ["quarry"]),
    .library(name: "DataCore", targets: ["DataCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
  ],
  targets: [
    // C libraries: module map + shim header only; each is imported by exactly one module.
    .systemLibrary(
      name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CISAL", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

    // Documents, JSONL(.zst/.gz) I/O, compression codecs, sharding, stats, atomic outputs.
    .target(name: "DataCore", dependencies: ["CZstd", "CZlib", "CISAL"]),
    // WARC/ARC record reader and HTTP payload decoding (chunked, gzip, deflate).
    .target(name: "WARC", dependencies: ["DataCore"]),
    // HTML → main text with libxml2, keeping math as LaTeX and code blocks verbatim.
    .target(name: "HTMLExtract", dependencies: ["DataCore", "CLibXML2"]),
    // Global deduplication: exact + MinHash LSH in four steps joined by files on disk.
    .target(name: "Dedup", dependencies: ["DataCore", "CMinHash"]),
    // The MinHash inner loop in C, so it can use AVX2 when the CPU has it (run-time dispatch).
    .target(name: "CMinHash"),
    // Byte-level BPE: Hugging Face tokenizer.json reader, encoder and decoder.
    .target(name: "BPE", dependencies: ["DataCore"]),
    // Token shards in zstd's seekable format, with a document index.
    .target(name: "Shards", dependencies: ["DataCore"]),
    // The three-stage mixture scheduler: sampling, packing, stage shards, mixture report.
    .target(
      name: "Mixture",
      dependencies: ["DataCore", "BPE", "Shards", .product(name: "Yams", package: "Yams")]),
    // The tiny MiMo model: Qwen2 body + MTP layer, forward/backward kernels, safetensors.
    .target(
      name: "Model", dependencies: ["DataCore", "COpenBLAS"],
      // The kernels are compiled optimized in debug builds too, so `make test` trains real
      // (small) models in seconds rather than minutes.
      swiftSettings: [.unsafeFlags(["-O"])]),
    // The pretraining loop: shard data loader, AdamW, schedules, checkpoints, stages.
    .target(
      name: "Train",
      dependencies: ["Model", "Shards", "DataCore", .product(name: "Yams", package: "Yams")],
      swiftSettings: [.unsafeFlags(["-O"])]),
    // Composes stages into jobs (extract, …) and runs them over shards.
    .target(name: "Pipeline", dependencies: ["DataCore", "WARC", "HTMLExtract", "BPE", "Shards"]),
    // The thin command-line front end.
    .executableTarget(
      name: "quarry",
      dependencies: [
        "Pipeline", "DataCore", "HTMLExtract", "WARC", "Dedup", "BPE", "Shards", "Mixture",
        "Model", "Train",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .testTarget(name: "DataCoreTests", dependencies: ["DataCore"]),
    .testTarget(name: "WARCTests", dependencies: ["WARC", "DataCore"]),
    .testTarget(name: "HTMLExtractTests", dependencies: ["HTMLExtract", "DataCore"]),
    .testTarget(name: "DedupTests", dependencies: ["Dedup", "DataCore"]),
    .testTarget(name: "BPETests", dependencies: ["BPE", "DataCore"]),
    .testTarget(name: "ShardsTests", dependencies: ["Shards", "DataCore"]),
    .testTarget(name: "MixtureTests", dependencies: ["Mixture", "Shards", "DataCore"]),
    .testTarget(name: "ModelTests", dependencies: ["Model", "DataCore"]),
    .testTarget(name: "TrainTests", dependencies: ["Train", "Model", "BPE", "Shards", "DataCore"]),
    .testTarget(name: "EndToEndTests", dependencies: ["Pipeline", "DataCore"]),
  ],
  swiftLanguageModes: [.v6]
)
