#!/bin/sh
# Each reader of the pair to its own model.onnx (the tfjs/ONNX parity is checked per reader), then both packed
# into one file, artifacts/model/reader/model.onnx: what `hcr read` and `hcr serve` load by default. The packed
# file is written only if onnxruntime reads each member's slice of it exactly as that member's own file.
set -e
for run in reader-pipeline reader-pipeline-bilstm; do
  pnpm -w -s hcr export onnx "artifacts/model/$run" -o "artifacts/model/$run/model.onnx"
done
pnpm -w -s hcr export ensemble artifacts/model/reader-pipeline artifacts/model/reader-pipeline-bilstm -o artifacts/model/reader/model.onnx
