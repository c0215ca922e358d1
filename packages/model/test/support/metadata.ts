import { DEFAULT_INPUT_NORMALISATION, LABEL_SPACE_36, LINE_ALPHABET_36, type ModelMetadata } from '@hcr/core';
import { INPUT_SHAPE, LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE } from '../../src/index.js';

/** What `hcr train` writes for a character model (packages/train/src/session.ts + train.ts). */
export function characterMetadata(over: Partial<ModelMetadata> = {}): ModelMetadata {
  return {
    formatVersion: 1,
    id: 'pipeline',
    uid: '26041beb-7f5c-4474-9023-0a6301332b2b',
    modelVersion: 20261205174335,
    architecture: 'hcrnet',
    labelSpace: 'hcr36',
    classNames: [...LABEL_SPACE_36.classes],
    inputShape: [...INPUT_SHAPE],
    characterNormalisation: 'canonical',
    letterSource: 'emnist-letters-repack',
    inputNormalisation: { ...DEFAULT_INPUT_NORMALISATION },
    dataManifestSha256: 'd4e8',
    commit: 'unknown',
    createdAt: '2026-12-05T17:59:10.195Z',
    engine: 'wasm',
    trainingConfig: { model: 'hcrnet' },
    metrics: { test_acc: 0.9 },
    ...over,
  };
}

/** What `hcr train --model reader` writes (packages/train/src/train-lines.ts). */
export function readerMetadata(over: Partial<ModelMetadata> = {}): ModelMetadata {
  return characterMetadata({
    id: 'reader-pipeline',
    architecture: 'reader',
    classNames: [...LINE_ALPHABET_36.symbols],
    inputShape: [LINE_HEIGHT, -1, 1],
    characterNormalisation: 'none',
    task: 'line',
    reader: {
      alphabetId: LINE_ALPHABET_36.id,
      symbols: [...LINE_ALPHABET_36.symbols],
      height: LINE_HEIGHT,
      stride: LINE_STRIDE,
      minWidth: LINE_MIN_WIDTH,
    },
    ...over,
  });
}
