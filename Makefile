# Quarry: `make demo` runs the pipeline on Fixtures/, `make test` runs the tests.
# Both install the Debian -dev packages they need first (`make deps`).

SHELL := /bin/bash
SWIFT ?= swift
DEBS := libxml2-dev libzstd-dev zlib1g-dev libisal-dev libopenblas-dev libcld2-dev libfasttext-dev libpoppler-glib-dev poppler-utils pkg-config zstd
PKGS := libxml-2.0 libzstd zlib libisal openblas poppler-glib
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
QUARRY_RELEASE := .build/release/quarry
SHARED ?= ../shared
BENCH_PY ?= /tmp/benchenv/bin/python

.PHONY: deps build release demo report-shot ablation slurm test html-sample fuzz interop examples bench bench-env parity-tokenizer parity torch-env clean

# Install missing system packages (apt-get update only when something is missing).
deps:
	@missing=""; \
	for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi; \
	for p in $(PKGS); do pkg-config --exists $$p || { echo "pkg-config cannot find $$p; install its -dev package"; exit 1; }; done

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product quarry --static-swift-stdlib

# The main job on the bundled fixtures, as one resumable run: WARC + HTML + PDF → documents → dedup →
# tokenizer → annotate → tokenize → three-stage mixture → tiny MiMo → a generated sample.
# A rerun resumes (or says it is complete); a changed Pipelines/demo.yaml starts afresh.
demo: release
	$(QUARRY_RELEASE) run Pipelines/demo.yaml --output out/demo --overwrite
	@echo
	@echo "sample:" && cat out/demo/sample/sample.txt
	@echo
	@echo "first document:"
	@zstd -dc out/demo/dedup/00000.jsonl.zst | head -n 1 | cut -c1-400
	@echo
	@echo "outputs: out/demo/<step>/ (extract, dedup, filter, tokenizer, annotate, tokenize, heldout, mix, train, sample);"
	@echo "         dropped documents with their reasons: out/demo/rejected/<step>/ (quarry inspect out/demo/rejected/filter);"
	@echo "         bookkeeping, stats.json, removed.txt, mixture.json: out/demo/_quarry/; progress: quarry status out/demo"
	@echo
	@echo "report: $(abspath out/demo/report.html)"

# Screenshots of the demo's report.html in headless Chromium, 1280 px and 390 px wide (the page
# and each section), and a check that it logs no console errors: out/demo/report-shots/.
report-shot:
	@command -v chromium >/dev/null || { $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
	@test -f out/demo/report.html || $(MAKE) --no-print-directory demo
	bash Tests/Report/report_shot.sh out/demo

# A proxy-model data ablation on real documents from $(SHARED)/corpus (Pipelines/ablation.yaml):
# two arms, balanced and reasoning (math + code ~70%), the same model, seed and token budget,
# compared on held-out math, code and prose (bits per byte) in out/ablation/report.html.
# About 10-15 minutes on 2 cores; not part of CI.
ablation: release
	@test -d $(SHARED)/corpus || { echo "$(SHARED) is missing: the ablation reads its corpus"; exit 1; }
	$(QUARRY_RELEASE) run Pipelines/ablation.yaml --output out/ablation --log-level warning
	@echo
	@echo "report: $(abspath out/ablation/report.html)"

# A real one-node Slurm for the executor tests (root only; ../shared/tools/local-slurm).
slurm:
	@if [ "$$(id -u)" = 0 ] && [ -x $(SHARED)/tools/local-slurm/start-local-slurm.sh ]; then \
	  bash $(SHARED)/tools/local-slurm/start-local-slurm.sh; \
	else echo "skipping local Slurm (needs root and $(SHARED)/tools/local-slurm)"; fi

test: deps slurm
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	SWIFT=$(SWIFT) Tests/Fuzz/fuzz.sh replay
	@$(MAKE) --no-print-directory interop

# Records the fingerprints of the fixed HTML sample (Tests/HTMLExtractTests/FixedSample.tsv)
# after the outputs in .build/html-sample/ were reviewed by hand.
html-sample: deps
	$(SWIFT) build --build-tests
	QUARRY_RECORD_HTML_SAMPLE=1 $(SWIFT) test --skip-build --filter FixedSampleTests
	@git diff --stat -- Tests/HTMLExtractTests/FixedSample.tsv

# datatrove's JsonlReader (default settings) reads every document step of a run, and nothing
# else; dolma's required fields are there (a venv in /tmp with datatrove from PyPI).
DT_PY ?= /tmp/quarry-dtenv/bin/python
interop: build
	@$(DT_PY) -c 'import datatrove' 2>/dev/null || (python3 -m venv $(dir $(DT_PY)).. && \
	  $(DT_PY) -m pip install -q --upgrade pip && $(DT_PY) -m pip install -q datatrove orjson zstandard)
	@rm -rf /tmp/quarry-interop && .build/debug/quarry run Tests/Interop/documents.yaml --output /tmp/quarry-interop --log-level warning > /dev/null
	$(DT_PY) Tests/Interop/read_documents.py /tmp/quarry-interop

# Release-build benchmarks: extraction speed on the shared corpus, and quality + speed side by
# side with trafilatura and resiliparse (needs `make bench-env` once).
# libFuzzer on every reader of untrusted bytes: FUZZ_SECONDS per target (default 600),
# FUZZ_JOBS at a time, FUZZ_TARGETS to choose. Findings land in .build/fuzz/findings/.
fuzz: deps
	SWIFT=$(SWIFT) Tests/Fuzz/fuzz.sh run

bench: release
	@test -d $(SHARED)/corpus || { echo "$(SHARED) is missing: benchmarks need the shared corpus"; exit 1; }
	@$(BENCH_PY) -c 'import trafilatura, resiliparse, fastwarc, rensa, tokenizers, tiktoken' 2>/dev/null || { echo "run 'make bench-env' first"; exit 1; }
	@echo "== Pipeline steps on the crawl sample (Pipelines/bench.yaml, 2 workers): throughput and peak RSS per step"
	@rm -rf /tmp/quarry-bench-run && $(QUARRY_RELEASE) run Pipelines/bench.yaml --output /tmp/quarry-bench-run --log-level warning
	@echo "== Dedup: $(SHARED)/corpus/dedup (10,963 docs), quarry next to rensa, one core"
	@zstd -dcf $(SHARED)/corpus/dedup/docs.jsonl.zst > /tmp/quarry-dedup-docs.jsonl
	@rm -rf /tmp/quarry-bench-dedup && $(QUARRY_RELEASE) dedup --input /tmp/quarry-dedup-docs.jsonl --output /tmp/quarry-bench-dedup --workers 1
	$(BENCH_PY) $(SHARED)/bench/dedup/measure.py run --docs /tmp/quarry-dedup-docs.jsonl --gt $(SHARED)/corpus/dedup \
	  --methods rensa --name quarry --repeat 3 \
	  --cmd 'rm -rf {output}.d && $(abspath $(QUARRY_RELEASE)) dedup --input {input} --output {output}.d --workers 1 --log-level warning && cp {output}.d/_quarry/steps/dedup/removed.txt {output}'
	@echo "== Tokenizer: ~100 MB corpus (make_corpus.sh), quarry next to HF tokenizers and tiktoken"
	@test -f /tmp/quarry-tokcorpus/MANIFEST || bash $(SHARED)/bench/tokenizer/make_corpus.sh /tmp/quarry-tokcorpus
	$(BENCH_PY) Tests/Bench/tokenizer_speed.py $(QUARRY_RELEASE) /tmp/quarry-tokcorpus $(SHARED)/bench/tokenizer
	@echo "== Training: reference tiny MiMo config, quarry next to PyTorch (torch_ref.py bench)"
	@$(MAKE) --no-print-directory torch-env
	$(BENCH_PY) Tests/Bench/train_speed.py $(QUARRY_RELEASE) $(TORCH_PY) $(SHARED)/bench/train
	@echo "== Decoding: the reference config trained on the demo run (Pipelines/train-ref.yaml, ~2 min once), quarry next to transformers' generate, one thread"
	@test -d out/demo/mix/stage2 || $(QUARRY_RELEASE) run Pipelines/demo.yaml --output out/demo --overwrite --log-level warning
	@test -f /tmp/quarry-train-ref/train/final/model.safetensors || { rm -rf /tmp/quarry-train-ref && \
	  $(QUARRY_RELEASE) train --config Pipelines/train-ref.yaml --run out/demo --output /tmp/quarry-train-ref --log-level warning; }
	$(TORCH_PY) Tests/Bench/generate_speed.py $(QUARRY_RELEASE) /tmp/quarry-train-ref/train/final --draft-tokens 2
	@echo "== Quality filters: every third reference document (588), quarry next to datatrove, one core"
	$(BENCH_PY) Tests/Bench/filter_speed.py $(QUARRY_RELEASE) $(SHARED)/corpus/filters/reference_decisions.jsonl.zst \
	  $(SHARED)/corpus/filters/ldnoobw-en-25e679f.txt
	@echo "== WARC reading: crawl-sample.warc.gz, quarry next to FastWARC (one thread)"
	$(BENCH_PY) Tests/Bench/warc_speed.py $(QUARRY_RELEASE) $(SHARED)/corpus/warc/built/crawl-sample.warc.gz
	@echo "== WARC extraction (read + HTTP + HTML → JSONL.zst): crawl-sample.warc.gz, one worker"
	@rm -rf /tmp/quarry-bench && $(QUARRY_RELEASE) extract $(SHARED)/corpus/warc/built/crawl-sample.warc.gz --output /tmp/quarry-bench/warc --workers 1
	@echo "== HTML extraction: $(SHARED)/corpus/html/pages (652 pages, gzip), one worker"
	@$(QUARRY_RELEASE) extract $(SHARED)/corpus/html/pages --output /tmp/quarry-bench/html --workers 1
	@echo "== HTML extraction: $(SHARED)/corpus/html (652 pages), scored with measure.py, F1 per page-type tag"
	$(BENCH_PY) $(SHARED)/bench/html/measure.py --manifest $(SHARED)/corpus/html/manifest.jsonl \
	  --extractors trafilatura,resiliparse --tags article,forum,docs,product,service,collection,listing,math,code \
	  --batch-cmd 'quarry=$(abspath $(QUARRY_RELEASE)) extract-html --list {list} --out-dir {outdir}'
	@echo "== PDF extraction: $(SHARED)/corpus/pdf papers (55, 590 pages), one process per file, next to pdftotext and pymupdf (measure.py)"
	@command -v pdftotext >/dev/null || { echo "pdftotext is missing: apt-get install poppler-utils"; exit 1; }
	$(BENCH_PY) $(SHARED)/bench/pdf/measure.py --manifest $(SHARED)/corpus/pdf/manifest.jsonl --only papers \
	  --tools pdftotext,pymupdf --cmd quarry='$(abspath $(QUARRY_RELEASE)) extract-pdf {file}' --out /tmp/quarry-bench/pdf
	@echo "== PDF speed: interleaved rounds, whole process per file (pages/s; peak RSS per file is in /tmp/quarry-bench/pdf/results.json)"
	$(BENCH_PY) $(SHARED)/bench/pdf/measure.py --manifest $(SHARED)/corpus/pdf/manifest.jsonl --only papers \
	  --tools pdftotext --cmd quarry='$(abspath $(QUARRY_RELEASE)) extract-pdf {file}' --out /tmp/quarry-bench/pdf-speed --speed-rounds 3
	@echo "== PDF hostile files through quarry extract (every file ends as a document or a counted error; peak RSS)"
	@rm -rf /tmp/quarry-bench/pdf-hostile && $(QUARRY_RELEASE) extract $(SHARED)/corpus/pdf/hostile --output /tmp/quarry-bench/pdf-hostile --workers 2

# Tokenizer parity with Hugging Face tokenizers (needs ../shared and a venv; not part of CI).
parity-tokenizer: release
	@test -x /tmp/parityenv/bin/python || (python3 -m venv /tmp/parityenv && /tmp/parityenv/bin/pip install -q --upgrade pip && /tmp/parityenv/bin/pip install -q tokenizers zstandard)
	/tmp/parityenv/bin/python Tests/Bench/tokenizer_parity.py $(QUARRY_RELEASE) $(SHARED)/corpus/tokenizer

# Logits parity with transformers' Qwen2ForCausalLM (+ the MiMo MTP layer), both directions
# (needs ../shared and a venv with torch + transformers; not part of CI).
TORCH_PY ?= /tmp/torchenv/bin/python
torch-env:
	@$(TORCH_PY) -c 'import torch, transformers, safetensors' 2>/dev/null || \
	  (python3 -m venv $(dir $(TORCH_PY)).. && $(TORCH_PY) -m pip install -q --upgrade pip && \
	   $(TORCH_PY) -m pip install -q torch transformers safetensors numpy)

# With a trained checkpoint (the demo's, made when missing) it also checks that transformers'
# AutoConfig/AutoTokenizer/AutoModelForCausalLM (trust_remote_code) load it, that its logits and
# MTP logits match quarry's, and that HF greedy generation equals `quarry generate` and stops at
# <|endoftext|>.
parity: release torch-env
	@test -f out/demo/train/final/modeling_mimo.py || $(MAKE) --no-print-directory demo
	$(TORCH_PY) Tests/Bench/model_parity.py $(QUARRY_RELEASE) $(SHARED)/bench/train/torch_ref.py --ckpt out/demo/train/final

# Every example of `quarry --help`, the subcommands' help and the README, run in order in a
# fresh clone of this repository (the Slurm ones need a running Slurm: `make slurm`).
examples: release slurm
	@rm -rf /tmp/quarry-examples && git clone -q . /tmp/quarry-examples
	cd /tmp/quarry-examples && PATH=$(abspath .build/release):$$PATH bash Tests/Interop/run_examples.sh

bench-env:
	python3 -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install -q --upgrade pip && \
	/tmp/benchenv/bin/pip install -q trafilatura resiliparse lxml lxml_html_clean fastwarc warcio \
	  rensa datasketch xxhash numpy zstandard tokenizers tiktoken datatrove==0.10.1 spacy==3.8.* \
	  rapidfuzz pymupdf

clean:
	rm -rf .build out
