import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, arch as osArch, platform, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256File } from '@hcr/data/reader';
import { WEIGHTS_BIN } from '@hcr/model';
import type { ModelRun } from './model-files.js';

/**
 * What tells two reports' runs and evaluations apart: hashes of the files evaluated (deterministic, beside the
 * figures) and the machine and time of the evaluation (`EvalEnvironment`, beside `timing`: not deterministic).
 */

/** Where, when and with what an evaluation ran: eval.json's and lines.json's `environment` (not deterministic). */
export interface EvalEnvironment {
  /** When the report was made (ISO 8601, UTC). */
  evaluatedAt: string;
  /** `git rev-parse HEAD` of the checkout holding the evaluation code; null outside a git checkout. */
  evalCommit: string | null;
  /** The version of @hcr/eval that wrote the report. */
  hcrVersion: string;
  /** `process.version`, e.g. `v20.19.0`. */
  node: string;
  /** The first CPU's model name (`os.cpus()`), null when the system does not say. */
  cpu: string | null;
  /** Logical CPUs. */
  cpus: number;
  /** `<platform> <release> <arch>`, e.g. `linux 6.8.0 x64`. */
  os: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
/** src/ and dist/ both sit next to package.json. */
const VERSION: string = createRequire(import.meta.url)('../package.json').version;

let commit: string | null | undefined;

/** The commit of the evaluation code (asked once per process); null when git or the checkout is missing. */
export function evalCommit(): string | null {
  if (commit !== undefined) return commit;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: HERE,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    })
      .toString()
      .trim();
    commit = /^[0-9a-f]{40,64}$/.test(out) ? out : null;
  } catch {
    commit = null;
  }
  return commit;
}

/** The `environment` block of a report made now. */
export function evalEnvironment(now: Date = new Date()): EvalEnvironment {
  const list = cpus();
  return {
    evaluatedAt: now.toISOString(),
    evalCommit: evalCommit(),
    hcrVersion: VERSION,
    node: process.version,
    cpu: list[0]?.model?.trim() || null,
    cpus: list.length,
    os: `${platform()} ${release()} ${osArch()}`,
  };
}

/** sha256 of a file, or null when it does not exist (a model without weights.bin: an ONNX reader file). */
export async function fileSha256(path: string): Promise<string | null> {
  return sha256File(resolve(path)).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'ENOTDIR') return null;
    throw e;
  });
}

/** sha256 of a model directory's weights.bin (null when it has none). */
export function weightsSha256(modelDir: string): Promise<string | null> {
  return fileSha256(join(modelDir, WEIGHTS_BIN));
}

/**
 * What every report says of a model it evaluated: id, uid, where it lies, the hashes of its files (the ONNX file
 * when onnxruntime read it) and how it was trained.
 */
export async function runProvenance(run: ModelRun, onnxFile: string | undefined) {
  const m = run.metadata;
  return {
    id: run.id,
    uid: m.uid ?? null,
    dir: relative(process.cwd(), run.dir) || '.',
    weightsSha256: await weightsSha256(run.dir),
    onnxSha256: onnxFile === undefined ? null : await fileSha256(onnxFile),
    architecture: m.architecture,
    commit: m.commit,
    createdAt: m.createdAt,
    trainingConfig: m.trainingConfig ?? {},
  };
}
