/**
 * Preloaded into every benchmark script `hcr bench` runs (`--import`): an HcrError that reaches the top (a dataset
 * not found, a model missing) prints as the CLI's errors do, one paragraph with its fix, not as a stack trace.
 * Anything else keeps Node's report, stack included: a benchmark's own bug is for its author to read.
 */
import { isHcrError } from '@hcr/core';
import { reportError } from './output.js';

process.on('uncaughtException', (e) => {
  if (!isHcrError(e)) {
    console.error(e);
    process.exit(1);
  }
  process.exit(reportError(e));
});
