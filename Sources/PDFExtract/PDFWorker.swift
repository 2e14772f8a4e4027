internal import CPoppler
import DataCore

#if canImport(Glibc)
  import Glibc
#endif

/// Poppler parses untrusted bytes in C++, so every PDF is read in a worker process: a crash,
/// a hang or a memory blow-up there is one counted error for that file, never the end of the
/// run.
///
/// The parent starts `quarry pdf-worker FILE` (`posix_spawn`, safe from a threaded process),
/// reads its reply from a pipe until a deadline, then kills it if it is still running and
/// always reaps it, so no process outlives the call. The worker limits its own address space
/// and CPU time, asks to die with its parent, and never returns into the caller's code.
public enum PDFWorker {
  public struct Limits: Sendable {
    /// Wall-clock seconds per file.
    public var seconds: Double = 30
    /// The worker's address-space limit.
    public var memoryBytes = 2 << 30
    /// Bytes of the file.
    public var maxFileBytes = 256 << 20
    /// Pages read per file.
    public var maxPages = 2000
    /// Processes that read one file's pages side by side (for a lone file on an idle machine;
    /// a batch keeps 1 and runs files side by side instead). The text does not depend on it.
    public var pageProcesses = 1

    /// `pageProcesses` for a lone file on an otherwise idle machine: its CPUs, at most 4.
    public static var idleProcesses: Int { min(4, availableCPUCount()) }

    public init() {}
  }

  /// The worker's entry point (`quarry pdf-worker FILE`): reads `path` under `limits` and
  /// writes the encoded result to standard output, then exits.
  public static func serve(path: String, password: String?, limits: Limits) -> Never {
    serve(path: path, password: password, limits: limits, output: 1)
  }

  /// Reads `path` under `limits`, writes the encoded result to `output`, and exits: the body
  /// of a worker, exec'd or forked.
  static func serve(path: String, password: String?, limits: Limits, output: Int32) -> Never {
    var core = rlimit(rlim_cur: 0, rlim_max: 0)
    setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &core)
    var memory = rlimit(rlim_cur: rlim_t(limits.memoryBytes), rlim_max: rlim_t(limits.memoryBytes))
    setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &memory)
    let cpu = rlim_t(max(1, Int(limits.seconds.rounded(.up)) + 1))
    var cpuLimit = rlimit(rlim_cur: cpu, rlim_max: cpu + 2)
    setrlimit(__rlimit_resource_t(RLIMIT_CPU.rawValue), &cpuLimit)
    _ = quarry_die_with_parent()
    var readerLimits = PopplerReader.Limits()
    readerLimits.maxFileBytes = limits.maxFileBytes
    readerLimits.maxPages = limits.maxPages
    _ = writeAll(output, PDFWire.encode(PopplerReader.read(path: path, password: password, limits: readerLimits, shards: limits.pageProcesses)))
    _exit(0)
  }

  /// The processes that read one document's pages: this worker (shard 0) and its helpers.
  struct FanOut {
    /// This process's shard.
    var shard = 0
    var count = 1
    /// In a helper: where its pages go.
    var output: Int32? = nil
    /// In the worker: each helper's pid and the pipe its pages come on.
    var helpers: [(pid: pid_t, input: Int32)] = []
  }

  /// Forks `count - 1` helpers from a worker that has opened its document (they share it
  /// copy-on-write). A helper dies with the worker, so killing the worker ends them all.
  static func fanOut(_ count: Int) -> FanOut {
    var out = FanOut()
    guard count > 1 else { return out }
    for shard in 1..<count {
      var fds: [Int32] = [-1, -1]
      guard quarry_pipe_cloexec(&fds) == 0 else { break }
      let pid = fork()
      if pid == 0 {
        _ = quarry_die_with_parent()
        close(fds[0])
        for h in out.helpers { close(h.input) }
        return FanOut(shard: shard, count: count, output: fds[1], helpers: [])
      }
      close(fds[1])
      guard pid > 0 else {
        close(fds[0])
        break
      }
      out.helpers.append((pid, fds[0]))
    }
    out.count = out.helpers.count + 1
    return out
  }

  /// A helper's reply: how many pages, their indices (u32 each), then the pages as `PDFWire`.
  static func encodeShard(_ shard: (content: PDFContent, indices: [Int])) -> [UInt8] {
    var out: [UInt8] = []
    for v in [shard.indices.count] + shard.indices { withUnsafeBytes(of: UInt32(clamping: v).littleEndian) { out += $0 } }
    return out + PDFWire.encode(.success(shard.content))
  }

  static func decodeShard(_ bytes: [UInt8]) -> (content: PDFContent, indices: [Int])? {
    func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
    guard bytes.count >= 4 else { return nil }
    let n = u32(0)
    guard n <= (bytes.count - 4) / 4 else { return nil }
    let indices = (0..<n).map { u32(4 + 4 * $0) }
    guard case .success(let content)? = PDFWire.decode(Array(bytes[(4 + 4 * n)...])), content.pages.count == n else {
      return nil
    }
    return (content, indices)
  }

  /// A helper's pages, read to the end of its pipe; the helper is reaped. A helper that died
  /// of a signal takes the worker with it by the same signal, so the parent classifies the
  /// death (out of CPU time, out of memory) as it would the worker's own.
  static func collectHelper(_ helper: (pid: pid_t, input: Int32)) -> Result<(content: PDFContent, indices: [Int]), PDFFailure> {
    var reply: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = buffer.withUnsafeMutableBytes { Glibc.read(helper.input, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      reply += buffer[0..<n]
    }
    close(helper.input)
    var status: Int32 = 0
    while waitpid(helper.pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7F
    if signal != 0 && signal != 0x7F {
      Glibc.signal(signal, SIG_DFL)
      raise(signal)
    }
    return decodeShard(reply).map { .success($0) } ?? .failure(.crash)
  }

  /// Writes all of `bytes` to `fd`; false on an error.
  static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var at = 0
    while at < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + at, $0.count - at) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return false }
      at += n
    }
    return true
  }

  /// Where a PDF comes from: a file, or bytes in memory (a PDF inside a WARC record).
  public enum Source: Sendable {
    case path(String)
    case bytes([UInt8])
  }

  /// Reads the PDF at `path` in a worker.
  public static func read(
    path: String, password: String? = nil, limits: Limits = Limits(), command: [String]? = nil
  ) -> Result<PDFContent, PDFFailure> {
    read(.path(path), password: password, limits: limits, command: command)
  }

  /// How a worker starts.
  public enum Launch: Sendable {
    /// `posix_spawn` of `command + [FILE]` (nil: this executable's `pdf-worker`), safe from
    /// a process with running threads (the extract step's tasks, a batch).
    case spawn([String]?)
    /// `fork` without exec: no second program start. For a process that runs no other work
    /// at the time (`quarry extract-pdf FILE`); a child stuck on a lock another thread held is
    /// still bounded by the deadline.
    case fork
  }

  /// Reads `source` in a worker started as `command + [FILE]` (by default this executable's
  /// `pdf-worker` subcommand). Bytes reach the worker as an in-memory file on its descriptor 3,
  /// so nothing is written to disk.
  public static func read(
    _ source: Source, password: String? = nil, limits: Limits = Limits(), command: [String]? = nil
  ) -> Result<PDFContent, PDFFailure> {
    read(source, password: password, limits: limits, launch: .spawn(command))
  }

  /// Reads `source` in a worker started by `launch`.
  public static func read(
    _ source: Source, password: String? = nil, limits: Limits = Limits(), launch: Launch
  ) -> Result<PDFContent, PDFFailure> {
    var memoryFile: Int32 = -1
    defer { if memoryFile >= 0 { close(memoryFile) } }
    var path = ""
    switch source {
    case .path(let p):
      path = p
    case .bytes(let bytes):
      guard bytes.count <= limits.maxFileBytes else { return .failure(.tooLarge) }
      memoryFile = quarry_memfd("quarry-pdf")
      guard memoryFile >= 0, writeAll(memoryFile, bytes) else { return .failure(.unreadable) }
    }
    var pipeFDs: [Int32] = [-1, -1]
    guard quarry_pipe_cloexec(&pipeFDs) == 0 else { return .failure(.crash) }
    let pid: pid_t
    switch launch {
    case .fork:
      if memoryFile >= 0 { path = "/proc/self/fd/\(memoryFile)" }
      pid = fork()
      if pid == 0 {
        // The child: poppler's complaints go nowhere; the reply goes up the pipe.
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
          dup2(null, 0)
          dup2(null, 2)
        }
        close(pipeFDs[0])
        serve(path: path, password: password, limits: limits, output: pipeFDs[1])
      }
    case .spawn(let command):
      if memoryFile >= 0 { path = "/dev/fd/3" }
      pid = spawn(command: command, path: path, password: password, limits: limits, output: pipeFDs[1], memoryFile: memoryFile)
    }
    close(pipeFDs[1])
    guard pid > 0 else {
      close(pipeFDs[0])
      return .failure(.crash)
    }
    return collect(pid: pid, from: pipeFDs[0], limits: limits)
  }

  /// Starts `command + [path]` with its standard output on `output`; the new pid, or -1.
  static func spawn(
    command: [String]?, path: String, password: String?, limits: Limits, output: Int32, memoryFile: Int32
  ) -> pid_t {
    guard let executable = command?.first ?? workerExecutable() else { return -1 }
    var argv = command ?? [executable, "pdf-worker"]
    argv += [
      "--seconds", String(limits.seconds), "--max-memory-mb", String(limits.memoryBytes >> 20),
      "--max-pages", String(limits.maxPages), "--max-file-mb", String(max(1, limits.maxFileBytes >> 20)),
      "--page-processes", String(limits.pageProcesses),
    ]
    if let password { argv += ["--password", password] }
    argv.append(path)

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, output, 1)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    if memoryFile >= 0 { posix_spawn_file_actions_adddup2(&actions, memoryFile, 3) }
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigfillset(&defaults)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    var pid: pid_t = 0
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for p in cArgs { free(p) } }
    return posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ) == 0 ? pid : -1
  }

  /// Reads worker `pid`'s reply from `fd` until the deadline, kills it if it is still running,
  /// reaps it, and classifies the outcome.
  static func collect(pid: pid_t, from fd: Int32, limits: Limits) -> Result<PDFContent, PDFFailure> {
    // Read until end of file or the deadline.
    let deadline = monotonicSeconds() + limits.seconds
    var reply: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var timedOut = false
    while true {
      let left = deadline - monotonicSeconds()
      if left <= 0 {
        timedOut = true
        break
      }
      var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, Int32(min(left * 1000, 1000).rounded(.up)))
      if ready < 0 && errno != EINTR { break }
      if ready <= 0 { continue }
      let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      reply += buffer[0..<n]
    }
    close(fd)
    if timedOut { kill(pid, SIGKILL) }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    if timedOut { return .failure(.timeout) }
    if let result = PDFWire.decode(reply) { return result }
    // No whole reply: killed by a signal (SIGXCPU: out of CPU time), or an exit without
    // output. A death with the resident set near the address-space limit is a failed
    // allocation (poppler aborts on bad_alloc; Swift traps), counted as memory.
    let signal = status & 0x7F
    if signal == SIGXCPU { return .failure(.timeout) }
    if Int(usage.ru_maxrss) * 1024 >= limits.memoryBytes / 2 { return .failure(.memory) }
    return .failure(.crash)
  }

  /// The `quarry` executable that serves `pdf-worker`: `$QUARRY_PDF_WORKER` when set (a test
  /// process, whose own executable is the test runner), else this process's executable; nil
  /// in a test runner without the variable (it must never be started as a worker).
  static func workerExecutable() -> String? {
    if let p = getenv("QUARRY_PDF_WORKER"), p.pointee != 0 { return String(cString: p) }
    let own = ownExecutable() ?? CommandLine.arguments[0]
    return isTestRunner(own) ? nil : own
  }
}
