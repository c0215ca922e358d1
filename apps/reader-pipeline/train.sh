#!/bin/sh
# The pipeline's reader is two readers read as one ensemble, 2 epochs each on the same lines: one with the
# convolutional context (configs/reader.json, training seed 1) and one with a bidirectional LSTM over the line
# (configs/reader-bilstm.json, seed 2). Two measured pairs of that mix read the real names and amounts better than
# two pairs of convolutional readers, and the synthetic lines 6 points better (README, "Reading with several
# readers"). The LSTM reader trains first, beside the character pipeline; the convolutional one last, so that
# artifacts/model/latest-reader points at `reader-pipeline`. Runs from the repository root (pnpm -w).
set -e
pnpm -w -s hcr train --config configs/reader-bilstm.json --run reader-pipeline-bilstm --force
pnpm -w -s hcr train --config configs/reader.json --seed 1 --run reader-pipeline --force
