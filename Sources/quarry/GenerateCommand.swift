import ArgumentParser
import BPE
import DataCore
import Foundation
import Model

/// `quarry generate`: text from a checkpoint, plain or with MTP speculative decoding.
struct GenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate text from a checkpoint with a KV cache (optionally MTP speculative decoding).",
    discussion: """
      With --speculative mtp the MTP layer drafts one token and the main model verifies it.
      quarry also decodes without it, then reports the acceptance rate, the speed-up, and
      (greedy) whether both outputs are identical.

      Examples:
        quarry generate --checkpoint out/demo/train/final --prompt "Exercise 1. Compute" --max-new-tokens 40
        quarry generate --checkpoint out/demo/train/final --prompt "Task 2." --max-new-tokens 60 --speculative mtp
      """
  )
  @Option(help: "Checkpoint folder (config.json, model.safetensors, tokenizer.json).") var checkpoint: String
  @Option(help: "The prompt text.") var prompt: String
  @Option(help: "Tokens to generate.") var maxNewTokens = 64
  @Option(help: "Sampling temperature (0 = greedy).") var temperature = 0.0
  @Option(help: "Speculative decoding: 'mtp' (draft with the MTP layer).") var speculative: String?
  @Option(help: "tokenizer.json (default: the checkpoint's).") var tokenizer: String?
  @Option(help: "Seed for sampling.") var seed: UInt64 = 0
  @Flag(help: "Print only the generated text.") var quiet = false

  func validate() throws {
    if let s = speculative, s != "mtp" { throw ValidationError("--speculative takes 'mtp'") }
    if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be ≥ 1") }
  }

  func run() throws {
    let tokPath = tokenizer ?? checkpoint + "/tokenizer.json"
    guard fileExists(tokPath) else {
      throw ValidationError("no tokenizer at \(tokPath); pass --tokenizer FILE")
    }
    let tok = try BPETokenizer(path: tokPath)
    let model = try MiMoModel.load(checkpoint: checkpoint)
    guard tok.vocabSize <= model.config.vocabSize else {
      throw ValidationError("the tokenizer (\(tok.vocabSize) tokens) does not fit the model's vocab (\(model.config.vocabSize))")
    }
    let ids = tok.encode(prompt)
    let eos = tok.specials.first { $0.0 == "<|endoftext|>" }?.1
    let plain = try model.generate(
      prompt: ids, maxNewTokens: maxNewTokens, temperature: temperature, speculative: false,
      seed: seed, stopToken: eos)
    var shown = plain
    var spec: GenerationResult? = nil
    if speculative != nil {
      let s = try model.generate(
        prompt: ids, maxNewTokens: maxNewTokens, temperature: temperature, speculative: true,
        seed: seed, stopToken: eos)
      spec = s
      shown = s
    }
    print(prompt + tok.decode(shown.tokens))
    if quiet { return }
    func rate(_ r: GenerationResult) -> String {
      String(format: "%.1f", Double(r.tokens.count) / max(r.seconds, 1e-9))
    }
    var err = "generate: \(plain.tokens.count) tokens, plain \(rate(plain)) tok/s (\(plain.mainForwards) main forwards)"
    if let s = spec {
      err += String(
        format: "; MTP speculative %@ tok/s (%d main forwards), acceptance %.1f%% (%d of %d drafts), speed-up %.2fx",
        rate(s), s.mainForwards, 100 * s.acceptanceRate, s.accepted, s.drafted,
        plain.seconds / max(s.seconds, 1e-9))
      if temperature <= 0 {
        err += s.tokens == plain.tokens ? "; greedy output identical to plain decoding" : "; WARNING: output differs from plain decoding"
      }
    }
    FileHandle.standardError.write(Data((err + "\n").utf8))
  }
}
