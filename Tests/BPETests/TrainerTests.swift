import Testing

@testable import BPE
@testable import DataCore

@Suite("BPE training")
struct TrainerTests {
  private func corpus() -> [String] {
    var texts: [String] = []
    for k in 0..<200 {
      texts.append("The quick brown fox \(k) jumps over the lazy dog. def f(x):\n    return x ** 2\n")
      texts.append("Попробуем текст на русском языке номер \(k), и немного математики: $a^2+b^2=c^2$.")
      texts.append("日本語のテキスト \(k) 😀👍🏽 café naïve — end.")
    }
    return texts
  }

  @Test("a trained vocabulary round-trips any text and reloads from its tokenizer.json")
  func roundTrip() throws {
    var trainer = BPETrainer(vocabSize: 600)
    var counts = BPETrainer.Counts()
    for t in corpus() { trainer.add(t, to: &counts) }
    let result = trainer.train(counts)
    #expect(result.tokens.count == 600)
    #expect(result.merges.count == 600 - 256 - 1)
    let tokenizer = try BPETokenizer(json: result.tokenizerJSON)
    for text in corpus().prefix(20) + ["", "unseen wörds ∑ 12345678 <|endoftext|> \u{0}\r\n\t  "] {
      let ids = tokenizer.encode(text)
      #expect(tokenizer.decode(ids) == text)
    }
    // Frequent words become single tokens.
    #expect(tokenizer.encode(" quick").count == 1)
    #expect(tokenizer.encode("<|endoftext|>") == [0])
    trainer.preTokenizer = .gpt2
    _ = trainer
  }

  @Test("training is deterministic")
  func deterministic() throws {
    let trainer = BPETrainer(vocabSize: 500)
    var c1 = BPETrainer.Counts()
    var c2 = BPETrainer.Counts()
    for t in corpus() { trainer.add(t, to: &c1) }
    for t in corpus().reversed() { trainer.add(t, to: &c2) }
    #expect(trainer.train(c1).tokenizerJSON.jsonText == trainer.train(c2).tokenizerJSON.jsonText)
  }
}
