import { parentPort, workerData } from 'node:worker_threads';
import { isHcrError } from '@hcr/core';
import { renderChunk } from './chunk.js';
import type { LineConfig, LineSplitName } from './config.js';
import type { GlyphBank } from './glyphs.js';
import { createLineGenerator } from './render.js';

/** Renders chunks of lines for prepareLines; the glyph bank arrives in shared memory, once. */
const { config, bank } = workerData as { config: LineConfig; bank: GlyphBank };
const gen = createLineGenerator(config, bank);

parentPort!.on('message', (job: { id: number; split: LineSplitName; start: number; end: number }) => {
  try {
    const chunk = renderChunk(gen, job.split, job.start, job.end, config.height);
    parentPort!.postMessage({ id: job.id, chunk }, [
      chunk.widths.buffer,
      chunk.labelOffsets.buffer,
      chunk.labels.buffer,
      chunk.glyphIds.buffer,
      chunk.kinds.buffer,
      chunk.pixels.buffer,
    ] as ArrayBuffer[]);
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({
      id: job.id,
      error: {
        message: isHcrError(e) ? e.problem : err.message,
        stack: err.stack,
        code: isHcrError(e) ? e.code : undefined,
        hint: isHcrError(e) ? e.hint : undefined,
      },
    });
  }
});
