import ArgumentParser

/// The `quarry` command: web crawls and papers → pretraining data → a tiny MiMo model.
@main
struct Quarry: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quarry",
    abstract: "Turn web crawls into reasoning-dense LLM pretraining data.",
    discussion: """
      Examples:
        quarry extract Fixtures/warc --output out/extract --workers 2
        quarry extract-html Fixtures/html/katex-softmax.html
        quarry extract-html --list pages.tsv --out-dir out/pages
        quarry warc-stats --http Fixtures/warc/sample.warc.gz
        quarry dedup --input out/extract --output out/dedup --workers 2
        quarry tokenizer encode --tokenizer tokenizer.json --input docs.jsonl
        quarry tokenize --tokenizer tokenizer.json --input out/dedup --output out/tokens
        quarry shards verify out/tokens/00000.tok.zst
        quarry mix --config Pipelines/mimo-3stage.yaml --output out/mix
        quarry train --config Pipelines/train-tiny.yaml --output out/train
        quarry train --bench
        quarry generate --checkpoint out/train/final --prompt "Exercise 1." --speculative mtp
        quarry model logits --checkpoint out/ckpt --tokens t.safetensors --output l.safetensors
      """,
    subcommands: [Extract.self, ExtractHTML.self, WARCStats.self, Dedup.self, Tokenizer.self, Tokenize.self, ShardsCommand.self, Mix.self, TrainCommand.self, GenerateCommand.self, ModelCommand.self]
  )
}
