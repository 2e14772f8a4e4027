// Which OpenBLAS kernel set runs the model's matrix products. Debian's OpenBLAS (0.3.21, a
// DYNAMIC_ARCH build) picks its kernels from a table of CPU models when it loads; on a CPU newer
// than the table (a current Intel Xeon) it falls back to its generic Prescott kernels, five
// times slower than the AVX-512 ones the CPU can run. Quarry loads the library lazily, so before
// the first load it asks which kernels the library would pick (in a probe process) and, when
// that is a generic set on a CPU with AVX2/FMA or AVX-512, sets OPENBLAS_CORETYPE to the
// matching set. A kernel set the user chose (OPENBLAS_CORETYPE already set) is kept.
internal import COpenBLAS
import DataCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The CPU's vector features that decide which BLAS kernels can run (CPUID, with the OS saving
/// the registers).
public struct CPUFeatures: Sendable, Equatable, CustomStringConvertible {
  /// AVX2 and FMA3 (Haswell and later, AMD Zen).
  public var avx2FMA: Bool
  /// AVX-512 F, CD, BW, DQ and VL (Skylake-SP and later, AMD Zen 4): what OpenBLAS's SkylakeX
  /// kernels use.
  public var avx512: Bool

  public init(avx2FMA: Bool, avx512: Bool) {
    self.avx2FMA = avx2FMA
    self.avx512 = avx512
  }

  /// This machine's.
  public static let current: CPUFeatures = {
    var r: [UInt32] = [0, 0, 0, 0]
    guard quarry_cpuid(1, 0, &r) != 0 else { return CPUFeatures(avx2FMA: false, avx512: false) }
    let fma = r[2] & (1 << 12) != 0
    let xcr0 = quarry_xcr0()
    let osAVX = xcr0 & 0x6 == 0x6
    let osAVX512 = xcr0 & 0xE6 == 0xE6
    guard quarry_cpuid(7, 0, &r) != 0 else { return CPUFeatures(avx2FMA: false, avx512: false) }
    let avx2 = r[1] & (1 << 5) != 0
    // EBX bits: 16 F, 17 DQ, 28 CD, 30 BW, 31 VL.
    let avx512Bits: UInt32 = (1 << 16) | (1 << 17) | (1 << 28) | (1 << 30) | (1 << 31)
    return CPUFeatures(avx2FMA: osAVX && avx2 && fma, avx512: osAVX512 && r[1] & avx512Bits == avx512Bits)
  }()

  public var description: String { avx512 ? "AVX-512" : avx2FMA ? "AVX2+FMA" : "no AVX2" }
}

public enum BLASKernels {
  /// OpenBLAS kernel sets (its core names, lowercased) built on AVX-512, and on AVX2 + FMA.
  static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
  static let avx2Cores: Set<String> = ["haswell", "zen", "excavator"]

  /// What to do about the kernel set the library would load.
  public enum Choice: Sendable, Equatable {
    /// Load the library as it is.
    case keep
    /// Set OPENBLAS_CORETYPE to this kernel set first.
    case use(String)
  }

  /// The kernel set for a CPU with `features` when the library would pick `libraryCore` and
  /// the user asked for `explicit` (OPENBLAS_CORETYPE): the user's choice stands; a set that
  /// uses AVX2 or AVX-512 stands; a generic set (no AVX2) is replaced by the best set the CPU
  /// runs: SkylakeX with AVX-512, Haswell with AVX2 + FMA.
  public static func choose(features: CPUFeatures, libraryCore: String, explicit: String?) -> Choice {
    if let explicit, !explicit.isEmpty { return .keep }
    let core = libraryCore.lowercased()
    if avx512Cores.contains(core) || avx2Cores.contains(core) { return .keep }
    if features.avx512 { return .use("SkylakeX") }
    if features.avx2FMA { return .use("Haswell") }
    return .keep
  }

  /// How the kernels were chosen, once per process (before OpenBLAS first loads).
  public struct Selection: Sendable, Equatable {
    /// The CPU's features.
    public var features: CPUFeatures
    /// The set the library picks by itself (nil: not asked, the user chose, or no probe).
    public var libraryCore: String?
    /// The set Quarry told it to use, if any.
    public var chosen: String?
    /// The set the library runs.
    public var core: String
    /// True when no kernel set that uses the CPU's AVX2/AVX-512 runs (said once on stderr).
    public var generic: Bool

    /// One line for reports: `SkylakeX (chosen by Quarry; OpenBLAS would use Prescott), CPU
    /// AVX-512`.
    public var summary: String {
      var s = core
      if chosen != nil, let libraryCore { s += " (chosen by Quarry; OpenBLAS would use \(libraryCore))" }
      if let explicit = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], chosen == nil, !explicit.isEmpty {
        s += " (OPENBLAS_CORETYPE=\(explicit))"
      }
      return s + ", CPU " + features.description
    }
  }

  /// The selection, made on first use: probes the library in a child process (the quarry
  /// executable's hidden `blas-core`), sets OPENBLAS_CORETYPE when `choose` says so, then loads
  /// the library and reads the set it runs.
  public static let selection: Selection = {
    let features = CPUFeatures.current
    let explicit = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
    var libraryCore: String? = nil
    var chosen: String? = nil
    if (explicit ?? "").isEmpty, features.avx2FMA, getenv(probeVariable) == nil, quarry_openblas_loaded() == 0 {
      libraryCore = probeLibraryCore()
      if let libraryCore, case .use(let set) = choose(features: features, libraryCore: libraryCore, explicit: explicit) {
        setenv("OPENBLAS_CORETYPE", set, 1)
        chosen = set
      }
    }
    let core = quarry_openblas_corename().map { String(cString: $0) } ?? "unknown"
    let lower = core.lowercased()
    let generic = features.avx2FMA && !avx512Cores.contains(lower) && !avx2Cores.contains(lower)
    let selection = Selection(features: features, libraryCore: libraryCore, chosen: chosen, core: core, generic: generic)
    if generic {
      let gflops = BLASThreads.measuredSgemmGFLOPS(seconds: 0.2)
      let message =
        "quarry: OpenBLAS runs its generic \(core) kernels on this \(features) CPU (\(String(format: "%.1f", gflops)) GFLOP/s "
        + "sgemm, one thread); no kernel set for the CPU could be loaded. Install an OpenBLAS that knows it, or set "
        + "OPENBLAS_CORETYPE to one it has.\n"
      FileHandle.standardError.write(Data(message.utf8))
    } else if let chosen, let libraryCore {
      let message = "quarry: OpenBLAS would use its generic \(libraryCore) kernels on this \(features) CPU; using \(chosen) (OPENBLAS_CORETYPE=\(chosen)).\n"
      FileHandle.standardError.write(Data(message.utf8))
    }
    return selection
  }()

  /// Set in the probe process, which must load the library as it is.
  static let probeVariable = "QUARRY_BLAS_PROBE"

  /// The kernel set the library picks by itself, from a child process that loads it (so this
  /// process can still choose); nil where no quarry executable can be started (a test runner
  /// without QUARRY_EXECUTABLE).
  static func probeLibraryCore() -> String? {
    guard let executable = quarryExecutable() else { return nil }
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var environment = ProcessInfo.processInfo.environment
    environment[probeVariable] = "1"
    environment["OPENBLAS_NUM_THREADS"] = "1"
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    let argv = [strdup(executable), strdup("blas-core"), nil]
    defer {
      for p in envp { free(p) }
      for p in argv { free(p) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0
    close(fds[1])
    defer { close(fds[0]) }
    guard spawned else { return nil }
    var reply: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 256)
    while reply.count < 4096 {
      let n = read(fds[0], &buffer, buffer.count)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      reply += buffer[0..<n]
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let core = String(decoding: reply, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return status == 0 && !core.isEmpty ? core : nil
  }

  /// The probe's body (`quarry blas-core`): the kernel set the library loads here.
  public static func libraryCore() -> String {
    quarry_openblas_corename().map { String(cString: $0) } ?? "unknown"
  }

  /// The quarry executable: `$QUARRY_EXECUTABLE` when set, else this process's own, or in a
  /// test runner the `quarry` built beside it.
  static func quarryExecutable() -> String? {
    if let p = getenv("QUARRY_EXECUTABLE"), p.pointee != 0 { return String(cString: p) }
    guard let own = ownExecutable() else { return nil }
    guard isTestRunner(own) else { return own }
    // A test runner: the quarry built beside it, if any.
    let beside = String(own[..<(own.lastIndex(of: "/") ?? own.startIndex)]) + "/quarry"
    return access(beside, X_OK) == 0 ? beside : nil
  }
}
