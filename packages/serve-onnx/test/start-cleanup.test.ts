import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/index.js';
import { MAX_PREPARE_WORKERS, PreparePool } from '../src/workers/pool.js';
import { FIXTURE_MODEL } from './support/models.js';
import { RANDOM_READER } from './support/paths.js';

const run = promisify(execFile);

describe('startServer: a start that fails leaves nothing running', () => {
  it('an option buildApp refuses (bodyLimit 0): the error, and the process exits on its own', async () => {
    // the models' sessions, the inference thread and the preparation workers were left open: the process never exited
    const index = new URL('../src/index.ts', import.meta.url).href;
    const script = `const { startServer } = await import(${JSON.stringify(index)});
try {
  await startServer({ model: ${JSON.stringify(FIXTURE_MODEL)}, reader: ${JSON.stringify(RANDOM_READER)},
    port: 0, prepareWorkers: 2, inferenceThread: true, logLevel: 'silent', limits: { bodyLimit: 0 } });
  console.log('started');
} catch (e) {
  console.log('refused: ' + e.message);
}`;
    const { stdout } = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 30_000 },
    );
    expect(stdout).toMatch(/^refused: .*bodyLimit/);
  }, 60_000);

  it(`prepareWorkers above ${MAX_PREPARE_WORKERS}: BAD_OPTION before any model loads or thread starts`, async () => {
    await expect(
      startServer({ model: '/nonexistent/model.onnx', port: 0, logLevel: 'silent', prepareWorkers: 99_999 }),
    ).rejects.toMatchObject({
      code: 'BAD_OPTION',
      problem: `prepareWorkers must be a whole number from 0 to ${MAX_PREPARE_WORKERS}, got 99999.`,
    });
    expect(() => new PreparePool(MAX_PREPARE_WORKERS + 1)).toThrow(
      `prepareWorkers must be a whole number from 1 to ${MAX_PREPARE_WORKERS}, got ${MAX_PREPARE_WORKERS + 1}.`,
    );
  });
});
