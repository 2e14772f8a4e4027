import Foundation
import TestSupport
import Testing

@testable import Model

@Suite("BLAS kernel choice")
struct BLASKernelsTests {
  let avx512 = CPUFeatures(avx2FMA: true, avx512: true)
  let avx2 = CPUFeatures(avx2FMA: true, avx512: false)
  let old = CPUFeatures(avx2FMA: false, avx512: false)

  @Test("a generic kernel set on a CPU with AVX-512 or AVX2 is replaced by the matching set")
  func genericReplaced() {
    // OpenBLAS 0.3.21 on an Intel Xeon it does not know: Prescott.
    #expect(BLASKernels.choose(features: avx512, libraryCore: "Prescott", explicit: nil) == .use("SkylakeX"))
    #expect(BLASKernels.choose(features: avx2, libraryCore: "Prescott", explicit: nil) == .use("Haswell"))
    // Sandy Bridge kernels have AVX but no FMA: generic for a CPU with AVX2 + FMA.
    #expect(BLASKernels.choose(features: avx2, libraryCore: "Sandybridge", explicit: "") == .use("Haswell"))
    #expect(BLASKernels.choose(features: avx512, libraryCore: "Nehalem", explicit: nil) == .use("SkylakeX"))
  }

  @Test("a set that uses AVX2 or AVX-512, the user's own choice, and a CPU without AVX2 are left alone")
  func kept() {
    for core in ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"] {
      #expect(BLASKernels.choose(features: avx512, libraryCore: core, explicit: nil) == .keep, "\(core)")
    }
    #expect(BLASKernels.choose(features: avx512, libraryCore: "Prescott", explicit: "Prescott") == .keep)
    #expect(BLASKernels.choose(features: avx2, libraryCore: "Core2", explicit: "Haswell") == .keep)
    #expect(BLASKernels.choose(features: old, libraryCore: "Prescott", explicit: nil) == .keep)
  }

  @Test("the loaded kernels use the CPU's vector units, and the report says which they are")
  func loaded() {
    let selection = BLASKernels.selection
    #expect(!selection.core.isEmpty && selection.core != "unknown")
    #expect(!selection.generic)
    #expect(selection.summary.hasPrefix(selection.core))
  }
}

@Suite("BLAS kernel choice in a process")
struct BLASKernelsProcessTests {
  /// `quarry train --bench` (one tiny step) with the probe replaced by a script that reports
  /// `probe` as the library's own pick; returns what it prints.
  func bench(probe: String, environment extra: [String: String] = [:]) throws -> String {
    let dir = makeTempDir("quarry-blas")
    let script = dir + "/probe.sh"
    try "#!/bin/sh\necho \(probe)\n".write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o755)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: quarryBinary)
    p.arguments = ["train", "--bench", "--steps", "1", "--warmup", "0", "--batch", "1", "--seq", "8"]
    var environment = ProcessInfo.processInfo.environment
    environment["QUARRY_EXECUTABLE"] = script
    environment["OPENBLAS_CORETYPE"] = nil
    for (k, v) in extra { environment[k] = v }
    p.environment = environment
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    return text
  }

  @Test("where the library would load generic kernels, train --bench runs on the CPU's set and says so")
  func genericLibraryCore() throws {
    guard CPUFeatures.current.avx2FMA else { return }
    let set = CPUFeatures.current.avx512 ? "SkylakeX" : "Haswell"
    let text = try bench(probe: "Prescott")
    #expect(text.contains("OpenBLAS would use its generic Prescott kernels"))
    #expect(text.contains("BLAS       OpenBLAS \(set) (chosen by Quarry; OpenBLAS would use Prescott)"))
    #expect(text.contains("\"blas_core\":\"\(set)\""))
    // The user's own choice stands, whatever the probe says.
    let chosen = try bench(probe: "Prescott", environment: ["OPENBLAS_CORETYPE": "Haswell"])
    #expect(chosen.contains("BLAS       OpenBLAS Haswell (OPENBLAS_CORETYPE=Haswell)"))
    #expect(!chosen.contains("would use its generic"))
  }
}
