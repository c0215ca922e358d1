#!/bin/sh
# Opt-in (`pnpm turbo run ensemble --filter @hcr/reader-pipeline`, not part of `turbo run train eval`): two more
# readers of the pipeline's recipe with training seeds 3 and 4, exported, and the four read as one ensemble;
# the four are also packed into one ONNX file, artifacts/model/reader-ensemble/model.onnx (`hcr serve --reader` it).
# Runs from the repository root (pnpm -w), like the other tasks.
set -e
for seed in 3 4; do
  pnpm -w -s hcr train --config configs/reader.json --seed "$seed" --run "reader-pipeline-s$seed" --force
  pnpm -w -s hcr export onnx "artifacts/model/reader-pipeline-s$seed" -o "artifacts/model/reader-pipeline-s$seed/model.onnx"
done
pnpm -w -s hcr eval reader-pipeline --ensemble reader-pipeline-s2,reader-pipeline-s3,reader-pipeline-s4 --runtime onnx --lines artifacts/data/lines --report reader-ensemble --force
pnpm -w -s hcr export ensemble artifacts/model/reader-pipeline artifacts/model/reader-pipeline-s2 artifacts/model/reader-pipeline-s3 artifacts/model/reader-pipeline-s4 -o artifacts/model/reader-ensemble/model.onnx
