import type { StoppedAt } from '@hcr/train';

/** What `hcr train` reports when Ctrl-C stopped a run: a line for the log and, with --json, an object for scripts. */
export function describeStoppedRun(
  stoppedAt: StoppedAt,
  runDir: string,
  out?: string,
): { message: string; json: Record<string, unknown> } {
  const { epoch, batchInEpoch, step, runId, trained } = stoppedAt;
  const resume = `hcr train --resume ${runId}${out ? ` --out ${out}` : ''}`;
  const message = trained
    ? `stopped after training all ${epoch} epochs (step ${step}), before its test and model were written; ` +
      `checkpoint saved in ${runDir}. Resume with \`${resume}\` (it tests the run and writes its model).`
    : `stopped at epoch ${epoch + 1}, batch ${batchInEpoch} (step ${step}); checkpoint saved in ${runDir}. ` +
      `Resume with \`${resume}\` (it continues exactly where it stopped).`;
  // Epochs counted from 1 as in the message; `trained`: every step ran, only the test and the model are missing.
  const json = {
    stopped: true,
    trained: trained === true,
    runId,
    runDir,
    epoch: trained ? epoch : epoch + 1,
    batchInEpoch,
    step,
    resume,
  };
  return { message, json };
}
