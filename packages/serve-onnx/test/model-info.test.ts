import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { randomModel } from './support/models.js';

// Reading a signature must not decode every node and weight: a file of millions of empty nodes took
// 47 s and 3.4 GB to be refused. decodeModel is made to throw, so only the header decode may run.
vi.mock('@hcr/onnx-proto', async (importOriginal) => {
  const real = await importOriginal<typeof import('@hcr/onnx-proto')>();
  return {
    ...real,
    decodeModel: () => {
      throw new Error('decodeModel called: it decodes every node and weight');
    },
  };
});

const { inspectModel } = await import('../src/onnx/model-info.js');
const { inspectReader } = await import('../src/reader/reader-info.js');
const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, 'fixtures', name)));

describe('inspectModel and inspectReader read the header only', () => {
  it('a character model: signature, metadata and opset without the nodes', () => {
    const info = inspectModel(fixture('hcr-mlp.onnx'));
    expect(info.input.dims).toEqual([-1, 28, 28, 1]);
    expect(info.classNames.length).toBe(info.output.dims[1]);
    expect(info.opsetVersion).toBeGreaterThan(0);
  });

  it('a line reader: signature and hcr.reader without the nodes', () => {
    const info = inspectReader(fixture('hcr-reader.onnx'));
    expect(info.input.dims).toEqual([-1, info.reader.height, -1, 1]);
    expect(info.readers.length).toBe(1);
  });

  it('a file of a million empty nodes is read in bounded memory and refused for what it lacks', () => {
    const n = 1 << 20;
    const nodes = new Uint8Array(2 * n);
    for (let i = 0; i < nodes.length; i += 2) nodes[i] = 0x0a; // GraphProto.node {}, length 0
    const len: number[] = [];
    for (let v = nodes.length; ; v >>>= 7) {
      if (v < 0x80) {
        len.push(v);
        break;
      }
      len.push(0x80 | (v & 0x7f));
    }
    const bytes = new Uint8Array([0x3a, ...len, ...nodes]); // ModelProto.graph
    expect(() => inspectModel(bytes)).toThrow(/no graph inputs or outputs/);
    expect(() => inspectReader(bytes)).toThrow(/no graph inputs or outputs/);
  });
});

describe('inspectModel: class names are answers', () => {
  const withClasses = (classNames: string[]) => randomModel({ classNames });
  const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];

  it('refuses an empty name or one named twice, saying which, as MODEL_METADATA', () => {
    const twice = letters.map((c) => (c === '0' ? 'O' : c));
    const bytesTwice = withClasses(twice);
    expect(() => inspectModel(bytesTwice)).toThrow(
      expect.objectContaining({
        code: 'MODEL_METADATA',
        problem: 'The ONNX model\'s hcr.class_names names classes 14 and 26 both "O".',
      }),
    );
    const blank = withClasses(letters.map((c) => (c === 'Q' ? ' ' : c)));
    expect(() => inspectModel(blank)).toThrow(
      expect.objectContaining({
        code: 'MODEL_METADATA',
        problem: expect.stringMatching(/names class 16 " ": no answer/),
      }),
    );
  });

  it('serves classes of its own: any distinct non-empty names', () => {
    const own = letters.map((c, i) => (i < 2 ? ['yes', 'no'][i]! : `class-${c}`));
    expect(inspectModel(withClasses(own)).classNames).toEqual(own);
  });
});
