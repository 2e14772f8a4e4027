import ArgumentParser
import Logging
import Train

/// `quarry generate`: text from a checkpoint, plain or with MTP speculative decoding.
struct GenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate text from a checkpoint with a KV cache (optionally MTP speculative decoding).",
    discussion: """
      With --speculative mtp the MTP layer drafts --draft-tokens tokens (2 by default: the
      layer chained on its own output) and one main forward verifies them.
      quarry also decodes without it, then reports the acceptance rate, the speed-up, and
      (greedy) whether both outputs are identical.

      Examples:
        quarry generate --checkpoint out/demo/train/final --prompt "Exercise 1."
        quarry generate --checkpoint out/demo/train/final --prompt "Task 2." \\
          --max-new-tokens 60 --speculative mtp
        quarry generate --checkpoint out/demo/train/final --prompt "Exercise 1." --bench
      """
  )
  @Option(help: "Checkpoint folder (config.json, model.safetensors, tokenizer.json).") var checkpoint: String
  @Option(help: "The prompt text.") var prompt: String
  @Option(help: "Tokens to generate.") var maxNewTokens = 64
  @Option(help: "Sampling temperature (0 = greedy).") var temperature = 0.0
  @Option(help: "Speculative decoding: 'mtp' (draft with the MTP layer).") var speculative: String?
  @Option(help: "tokenizer.json (default: the checkpoint's).") var tokenizer: String?
  @Option(help: "Seed for sampling.") var seed: UInt64 = 0
  @Option(help: "Tokens the MTP layer drafts per main forward (1-16).") var draftTokens = 2
  @Option(help: "MTP drafts choose among the N lowest token ids, BPE's most frequent (default: a quarter of the vocabulary, at least 1,024).")
  var draftVocab: Int?
  @Flag(help: "Time greedy decoding of --max-new-tokens tokens (no stop token), plain and speculative, and print tokens/s.")
  var bench = false
  @Option(help: "Timed rounds for --bench.") var rounds = 5
  @Flag(help: "Print only the generated text.") var quiet = false
  @OptionGroup var log: LogOptions

  func validate() throws {
    if let s = speculative, s != "mtp" { throw ValidationError("--speculative takes 'mtp'") }
    if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be ≥ 1") }
    if !(1...16).contains(draftTokens) { throw ValidationError("--draft-tokens must be 1 to 16") }
    if let v = draftVocab, v < 1 { throw ValidationError("--draft-vocab must be ≥ 1") }
    if rounds < 1 { throw ValidationError("--rounds must be ≥ 1") }
    if !temperature.isFinite || temperature < 0 {
      throw ValidationError("--temperature must be a finite number ≥ 0 (0 is greedy), not \(temperature)")
    }
  }

  func run() throws {
    log.bootstrap()
    if bench {
      print(try GenerationBenchReport(checkpoint: checkpoint, tokenizer: tokenizer, prompt: prompt, maxNewTokens: maxNewTokens,
        draftTokens: draftTokens, draftVocabulary: draftVocab, rounds: rounds).text)
      return
    }
    let sample = try Sample(
      checkpoint: checkpoint, tokenizer: tokenizer, prompt: prompt, maxNewTokens: maxNewTokens,
      temperature: temperature, speculative: speculative != nil, draftTokens: draftTokens, draftVocabulary: draftVocab, seed: seed)
    print(sample.text)
    if !quiet { Logger(label: "generate").info("\(sample.summary)") }
  }
}
