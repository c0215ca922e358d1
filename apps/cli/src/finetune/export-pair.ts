import { join } from 'node:path';
import { HcrError } from '@hcr/core';
import { log } from '../output.js';
import type { Member } from './members.js';

/** Each run exported to `<run>/model.onnx` (written only when it matches tfjs), then packed into `packed`. */
export async function exportMembers(members: Member[], packed: string): Promise<void> {
  const { checkPackedEnsemble, DEFAULT_OPSET, exportModelFile, packReaderEnsemble, verifyExport, writeOnnx } =
    await import('@hcr/export-onnx');
  const files: { bytes: Uint8Array; name: string }[] = [];
  for (const m of members) {
    const { bytes, loaded } = await exportModelFile(m.runDir, { opset: DEFAULT_OPSET, inputLayout: 'nhwc' });
    const verify = await verifyExport(loaded, bytes, { tolerance: 1e-4, samples: 8, inputLayout: 'nhwc' });
    const worst = Math.max(...verify.checks.map((c) => c.maxAbsDiff));
    if (!verify.passed)
      throw new HcrError(
        'PARITY_FAILED',
        `${m.runId}'s ONNX export differs from tfjs by up to ${worst.toExponential(2)}.`,
        {
          hint: 'Report the run (this is an exporter bug); `hcr export onnx <run> --force` writes it anyway.',
          exitCode: 2,
        },
      );
    const file = join(m.runDir, 'model.onnx');
    await writeOnnx(file, bytes);
    files.push({ bytes, name: file });
    log(`exported ${file} (max abs diff to tfjs ${worst.toExponential(2)})`);
  }
  if (files.length === 1) {
    await writeOnnx(packed, files[0]!.bytes);
    return;
  }
  const { bytes } = packReaderEnsemble(files);
  const check = await checkPackedEnsemble(bytes, files);
  if (!check.passed)
    throw new HcrError(
      'PARITY_FAILED',
      `The packed pair differs from its readers by up to ${check.maxAbsDiff.toExponential(2)}.`,
      {
        hint: 'Report the runs (this is an exporter bug); read with the separate files meanwhile (--model a.onnx,b.onnx).',
        exitCode: 2,
      },
    );
  await writeOnnx(packed, bytes);
  log(`packed ${members.map((m) => m.runId).join(' + ')} -> ${packed}`);
}
