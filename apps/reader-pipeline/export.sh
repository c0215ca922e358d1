#!/bin/sh
# Each reader of the pair to its own model.onnx (the tfjs/ONNX parity is checked per reader), then both packed
# into one file, artifacts/model/reader/model.onnx: what `hcr read` and `hcr serve` load by default. The packed
# file is written only if onnxruntime reads each member's slice of it exactly as that member's own file. The two
# exports run side by side: each is one thread of work, and nothing else runs at the pipeline's end.
set -e
pids=""
for run in reader-pipeline reader-pipeline-bilstm; do
  pnpm -w -s hcr export onnx "artifacts/model/$run" -o "artifacts/model/$run/model.onnx" &
  pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done
pnpm -w -s hcr export ensemble artifacts/model/reader-pipeline artifacts/model/reader-pipeline-bilstm -o artifacts/model/reader/model.onnx
