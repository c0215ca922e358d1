import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  DataType,
  decodeModel,
  decodeModelHeader,
  encodeModel,
  type ModelProto,
  OnnxProtoError,
  readMetadataProps,
} from '../src/index.js';

const value = (name: string) => ({
  name,
  type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_value: 3 }] } } },
});
const model = () =>
  ({
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [{ op_type: 'Relu', input: ['x'], output: ['y'] }],
      input: [value('x')],
      output: [value('y')],
    },
  }) as ModelProto;

// biome-ignore lint/suspicious/noExplicitAny: these tests misuse the API on purpose
type Loose = any;

function thrown(f: () => unknown): OnnxProtoError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxProtoError);
    return e as OnnxProtoError;
  }
  throw new Error('expected an OnnxProtoError');
}

describe('misuse of decodeModel and encodeModel', () => {
  it('what is not bytes is an OnnxProtoError (the README: the error every function throws), not a TypeError', () => {
    const bytes = encodeModel(model());
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    for (const f of [decodeModel, decodeModelHeader, readMetadataProps]) {
      const e = thrown(() => f(buffer as Loose));
      expect(e.code).toBe('ONNX_MALFORMED');
      expect(e.message).toMatch(/not an ArrayBuffer \(wrap it: new Uint8Array\(buffer\)\)/);
      expect(thrown(() => f('model.onnx' as Loose)).message).toMatch(/Uint8Array \(or Buffer\), not string/);
      expect(thrown(() => f(null as Loose)).message).toMatch(/not null/);
    }
  });

  it('encodeModel of a graph that holds itself (a subgraph attribute) is ONNX_INVALID_MODEL, not a stack overflow', () => {
    const m = model() as Loose;
    m.graph.node[0].attribute = [{ name: 'body', type: AttributeType.GRAPH, g: m.graph }];
    const e = thrown(() => encodeModel(m));
    expect(e.code).toBe('ONNX_INVALID_MODEL');
    expect(e.message).toMatch(/nests messages more than 100 deep/);
    expect(e.message.length).toBeLessThan(500);
  });

  it('a subgraph nested a few levels still encodes', () => {
    const m = model() as Loose;
    let g = m.graph;
    for (let k = 0; k < 5; k++) {
      const inner = { ...model().graph, name: `g${k}` } as Loose;
      g.node[0].attribute = [{ name: 'body', type: AttributeType.GRAPH, g: inner }];
      g = inner;
    }
    expect(decodeModel(encodeModel(m)).graph.node[0]!.attribute![0]!.g!.name).toBe('g0');
  });
});
