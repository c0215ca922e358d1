#!/bin/sh
# Opt-in (`pnpm turbo run ensemble --filter @hcr/reader-pipeline`, not part of `turbo run train eval`): two more
# readers of the pipeline's two recipes with training seed 3 (one convolutional, one with the LSTM context),
# exported, and the four read as one ensemble; the four are also packed into one ONNX file,
# artifacts/model/reader-ensemble/model.onnx (`hcr serve --reader` it). Runs from the repository root (pnpm -w).
set -e
pnpm -w -s hcr train --config configs/reader.json --seed 3 --run reader-pipeline-s3 --force
pnpm -w -s hcr train --config configs/reader-bilstm.json --seed 3 --run reader-pipeline-bilstm-s3 --force
for run in reader-pipeline-s3 reader-pipeline-bilstm-s3; do
  pnpm -w -s hcr export onnx "artifacts/model/$run" -o "artifacts/model/$run/model.onnx"
done
pnpm -w -s hcr eval reader-pipeline --ensemble reader-pipeline-bilstm,reader-pipeline-s3,reader-pipeline-bilstm-s3 --runtime onnx --lines artifacts/data/lines --report reader-ensemble --force
pnpm -w -s hcr export ensemble artifacts/model/reader-pipeline artifacts/model/reader-pipeline-bilstm artifacts/model/reader-pipeline-s3 artifacts/model/reader-pipeline-bilstm-s3 -o artifacts/model/reader-ensemble/model.onnx
