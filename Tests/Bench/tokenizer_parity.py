#!/usr/bin/env python3
"""Tokenizer parity with Hugging Face `tokenizers`, both directions.

1. HF's reference tokenizers (../shared/corpus/tokenizer/*.json): quarry's ids for every text
   equal the expected ids HF produced.
2. A tokenizer that quarry trains on the same texts loads in HF `tokenizers`, and HF encodes
   every text to the same ids as quarry.

usage: tokenizer_parity.py QUARRY_BINARY SHARED_TOKENIZER_DIR
"""
import io
import json
import subprocess
import sys
import tempfile

import zstandard
from tokenizers import Tokenizer


def read_jsonl_zst(path):
    with open(path, 'rb') as f:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding='utf-8')
        return [json.loads(line) for line in text]


def quarry_encode(binary, tokenizer, texts_path):
    out = subprocess.run([binary, 'tokenizer', 'encode', '--tokenizer', tokenizer, '--input', texts_path],
                         check=True, capture_output=True, text=True).stdout
    return {d['id']: d['ids'] for d in map(json.loads, out.splitlines())}


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    texts_path = f'{corpus}/texts.jsonl.zst'
    texts = read_jsonl_zst(texts_path)
    failures = 0
    for name in ('gpt2style-8192', 'qwen2style-8192'):
        expected = {d['id']: d['ids'] for d in read_jsonl_zst(f'{corpus}/expected-{name}.jsonl.zst')}
        ours = quarry_encode(binary, f'{corpus}/{name}.json', texts_path)
        same = sum(1 for k, v in expected.items() if ours.get(k) == v)
        print(f'HF {name}: quarry ids identical on {same}/{len(expected)} texts')
        failures += len(expected) - same
    with tempfile.TemporaryDirectory() as d:
        ours_path = f'{d}/ours/tokenizer/tokenizer.json'
        subprocess.run([binary, 'tokenizer', 'train', '--input', texts_path, '--vocab-size', '8192',
                        '--output', f'{d}/ours', '--log-level', 'warning'], check=True)
        hf = Tokenizer.from_file(ours_path)
        ours = quarry_encode(binary, ours_path, texts_path)
        same = sum(1 for t in texts if hf.encode(t['text'], add_special_tokens=False).ids == ours[t['id']])
        print(f'quarry-trained (vocab {hf.get_vocab_size()}) in HF: identical ids on {same}/{len(texts)} texts')
        failures += len(texts) - same
    print('parity OK' if failures == 0 else f'parity FAILED on {failures} texts')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
