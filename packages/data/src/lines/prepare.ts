import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { HcrError, isHcrError, writeDirAtomic } from '@hcr/core';
import {
  checkDatasetOutput,
  datasetWriteTarget,
  readDatasetManifest,
  sweepInterrupted,
} from '../dataset-dir.js';
import { sha256 } from '../hash.js';
import type { DataDirOptions } from '../locate.js';
import type { RawInputEntry } from '../manifest.js';
import { unverifiedNotice } from '../raw-sources.js';
import { concatChunks, type LineChunk, renderChunk } from './chunk.js';
import {
  LINE_KINDS,
  LINE_SPLITS,
  type LineConfig,
  type LineSplitName,
  lineConfigAlphabet,
  resolveLineConfig,
} from './config.js';
import { generatorFingerprint } from './fingerprint.js';
import { encodeLineShard, LINE_SHARD_VERSION } from './format.js';
import { glyphLetterSource, loadGlyphBank, locateGlyphFiles } from './glyphs.js';
import {
  DEFAULT_LINES_DIR,
  type GeneratedLineManifest,
  type ImportedLineManifest,
  isImportedLines,
  LINE_MANIFEST_FILE,
  type LineShardEntry,
  type LineSplitCounts,
  lineManifestText,
} from './manifest.js';
import { LinePool } from './pool.js';
import { createLineGenerator } from './render.js';
import { verifyLineDataset } from './verify.js';

export interface PrepareLinesOptions extends DataDirOptions {
  config?: Partial<LineConfig>;
  /** Output directory (manifest.json + shards); default artifacts/data/lines. */
  outDir?: string;
  /** Rebuild even when an identical, intact line dataset is there. */
  force?: boolean;
  /** Render threads; 0 renders in this thread. Default: one per core, at most 4. The bytes do not depend on it. */
  workers?: number;
  onProgress?: (message: string) => void;
}

export interface PrepareLinesResult {
  outDir: string;
  manifest: GeneratedLineManifest;
  manifestSha256: string;
  upToDate: boolean;
  seconds: number;
  /**
   * Drawn lines the preprocessing refused, each drawn again from another stream (so with another text), by split
   * and error code; {} for a split with none, undefined when nothing was drawn (up to date). Not in the manifest.
   * A change to `preprocessLine` that moves these counts changes the lines.
   */
  redrawn?: Record<LineSplitName, Record<string, number>>;
}

/** Lines per job sent to a worker: small enough to balance two cores, large enough to amortise messages. */
const CHUNK = 200;

/**
 * Synthetic handwritten lines -> line shards + manifest, deterministic (same config and raw files, same
 * bytes), idempotent like prepareShards: an up-to-date dataset (same config, raw files and generator
 * fingerprint, intact shards) is left alone; the directory appears whole.
 */
export async function prepareLines(options: PrepareLinesOptions = {}): Promise<PrepareLinesResult> {
  const t0 = performance.now();
  const config = resolveLineConfig(options.config);
  const outDir = resolve(options.outDir ?? DEFAULT_LINES_DIR);
  const progress = options.onProgress ?? (() => {});
  const alphabet = lineConfigAlphabet(config);
  const letters = glyphLetterSource(options);
  // an up-to-date dataset where this user cannot write (read-only, shared) is fine: refused only if it must be written
  const target = await datasetWriteTarget(outDir); // a symbolic link's folder: the link is kept
  const unwritable = await checkDatasetOutput(target, 'lines', { unwritable: 'return' });
  if (unwritable && (options.force || !existsSync(join(outDir, LINE_MANIFEST_FILE)))) throw unwritable; // no dataset to keep
  progress(`verifying raw files (MNIST, ${letters})`);
  const { parts, files, rawInputs } = await locateGlyphFiles(options, letters);
  const unchecked = unverifiedNotice(rawInputs);
  if (unchecked) progress(unchecked);
  const generator = generatorFingerprint(config);
  if (!options.force) {
    const existing = await upToDate(outDir, config, generator, rawInputs);
    if (existing) {
      progress('up to date: same config, generator and raw files, every shard matches its sha256');
      await sweepInterrupted(target, progress);
      return { outDir, ...existing, upToDate: true, seconds: (performance.now() - t0) / 1000 };
    }
  }
  if (unwritable) throw unwritable;
  const workers = options.workers ?? Math.max(1, Math.min(4, cpus().length));
  const bank = await loadGlyphBank(files, workers > 0, parts);
  const pool = workers > 0 ? new LinePool(workers, config, bank) : undefined;
  const local = pool ? undefined : createLineGenerator(config, bank, alphabet);
  const render = (split: LineSplitName, start: number, end: number): Promise<LineChunk> =>
    pool
      ? pool.render(split, start, end)
      : Promise.resolve(renderChunk(local!, split, start, end, config.height));

  const shards: LineShardEntry[] = [];
  const counts = {} as Record<LineSplitName, LineSplitCounts>;
  const redrawn = {} as Record<LineSplitName, Record<string, number>>;
  let manifest: GeneratedLineManifest | undefined;
  try {
    await writeDirAtomic(
      target,
      async (tmp) => {
        for (const split of LINE_SPLITS) {
          const total = config.counts[split];
          const c: LineSplitCounts = { lines: total, characters: 0, columns: 0, perKind: {} };
          const again: Record<string, number> = {};
          const tSplit = performance.now();
          for (let start = 0, index = 0; start < total; start += config.shardSize, index++) {
            const end = Math.min(total, start + config.shardSize);
            const jobs: Promise<LineChunk>[] = [];
            for (let s = start; s < end; s += CHUNK) jobs.push(render(split, s, Math.min(end, s + CHUNK)));
            const chunks = await Promise.all(jobs);
            for (const chunk of chunks)
              for (const [code, n] of Object.entries(chunk.redrawn)) again[code] = (again[code] ?? 0) + n;
            const shard = concatChunks(chunks, config.height);
            c.characters += shard.labels.length;
            for (const w of shard.widths) c.columns += w;
            for (const k of shard.kinds) c.perKind[LINE_KINDS[k]!] = (c.perKind[LINE_KINDS[k]!] ?? 0) + 1;
            const bytes = encodeLineShard(shard);
            const file = `${split}-${String(index).padStart(4, '0')}.lines`;
            await writeFile(join(tmp, file), bytes);
            shards.push({ file, split, count: shard.count, bytes: bytes.length, sha256: sha256(bytes) });
            const ms = (performance.now() - tSplit) / end;
            progress(
              `${split} ${end}/${total} lines (${ms.toFixed(2)} ms/line, ${workers || 1} thread${workers > 1 ? 's' : ''}) -> ${file}`,
            );
          }
          counts[split] = c;
          redrawn[split] = again;
          const n = Object.values(again).reduce((a, b) => a + b, 0);
          if (n > 0)
            progress(
              `${split}: ${n} drawn line${n > 1 ? 's' : ''} refused by the preprocessing and drawn again (${Object.entries(
                again,
              )
                .sort(([x], [y]) => x.localeCompare(y))
                .map(([code, k]) => `${code} ${k}`)
                .join(', ')})`,
            );
        }
        manifest = {
          formatVersion: 1,
          kind: 'hcr-lines',
          shardFormatVersion: LINE_SHARD_VERSION,
          alphabet: alphabet.id,
          symbols: [...alphabet.symbols],
          height: config.height,
          kinds: [...LINE_KINDS],
          glyphParts: parts.map((p, i) => ({
            name: p.name,
            start: bank.partStarts[i]!,
            count: bank.partStarts[i + 1]! - bank.partStarts[i]!,
          })),
          config,
          generator,
          counts,
          shards,
          rawInputs,
        };
        await writeFile(join(tmp, LINE_MANIFEST_FILE), lineManifestText(manifest));
      },
      { replace: true },
    );
  } finally {
    await pool?.close();
  }
  return {
    outDir,
    manifest: manifest!,
    manifestSha256: sha256(lineManifestText(manifest!)),
    upToDate: false,
    seconds: (performance.now() - t0) / 1000,
    redrawn,
  };
}

export { LINE_MANIFEST_FILE, lineManifestText } from './manifest.js';

async function upToDate(
  outDir: string,
  config: LineConfig,
  generator: string,
  rawInputs: RawInputEntry[],
): Promise<{ manifest: GeneratedLineManifest; manifestSha256: string } | undefined> {
  let read: Awaited<ReturnType<typeof readDatasetManifest>>;
  try {
    read = await readDatasetManifest(outDir, 'lines');
  } catch (e) {
    // a damaged manifest (not JSON, JSON without shards) or another version's: rebuilt and replaced
    if (isHcrError(e)) return undefined;
    throw e;
  }
  if (!read) return undefined;
  const { text } = read;
  const manifest = read.manifest as unknown as GeneratedLineManifest | ImportedLineManifest;
  if (read.kind !== 'lines')
    throw new HcrError('LINE_OUTPUT_OCCUPIED', `${outDir} holds something that is not a line dataset.`, {
      hint: 'Choose another --out directory (the default is artifacts/data/lines).',
    });
  // imported lines are never "the same" as drawn ones: preparing replaces them (the folder is a line dataset)
  if (isImportedLines(manifest)) return undefined;
  const same =
    JSON.stringify(manifest.config) === JSON.stringify(config) &&
    manifest.generator === generator &&
    manifest.alphabet === lineConfigAlphabet(config).id &&
    JSON.stringify(manifest.rawInputs?.map((r) => r.sha256)) ===
      JSON.stringify(rawInputs.map((r) => r.sha256));
  if (!same || !(await verifyLineDataset(outDir)).ok) return undefined;
  return { manifest, manifestSha256: sha256(text) };
}
