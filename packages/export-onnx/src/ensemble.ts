import {
  createRng,
  HcrError,
  type InputNormalisation,
  type LineReaderInfo,
  ONNX_METADATA_KEYS,
  parseReaderOnnxMetadata,
  type ReaderMember,
  readerDifference,
} from '@hcr/core';
import {
  AttributeType,
  type DimensionObject,
  decodeModel,
  encodeModel,
  type ModelProtoObject,
  metadataRecord,
  type NodeProtoObject,
} from '@hcr/onnx-proto';
import type * as ort from 'onnxruntime-node';
import { onnxRuntime } from './onnxruntime.js';
import { openSession } from './parity.js';

/** One reader of a packed ensemble, as `hcr.reader_members` lists it. */
export type EnsembleMember = ReaderMember;

export interface PackedEnsemble {
  bytes: Uint8Array;
  members: EnsembleMember[];
}

const PACK_HINT =
  'Pack line readers exported by `hcr export onnx` that read alike: the same alphabet, line height, stride and normalisation (e.g. other training seeds, or the conv and bilstm contexts, on the same lines).';

/**
 * Several ONNX line readers -> one ONNX model that runs them all on the same input: every member's graph,
 * its names prefixed `m<i>/`, and a Concat of their outputs along axis 1, so the output is [N, M, T, C]
 * (a reader's own is [N, 1, T, C]). Serving splits it per member and reads with `decodeCtcEnsemble`: the
 * same texts as the separate files, from one file and one onnxruntime session. Members must read a line
 * alike (alphabet, height, stride, narrowest width, normalisation, opset); a packed file can be packed again.
 */
export function packReaderEnsemble(files: readonly { bytes: Uint8Array; name: string }[]): PackedEnsemble {
  if (files.length < 2)
    throw new HcrError('ENSEMBLE_INVALID', `An ensemble needs at least two readers, not ${files.length}.`, {
      hint: PACK_HINT,
    });
  const models = files.map((f) => ({ ...f, model: decode(f) }));
  const first = models[0]!;
  const firstGeometry = geometry(first.model, first.name);
  const members: EnsembleMember[] = [];
  const nodes: NodeProtoObject[] = [];
  const initializers: ModelProtoObject['graph']['initializer'] = [];
  const outputs: string[] = [];
  const inputName = first.model.graph.input[0]!.name;
  let readers = 0;
  const seen = new Map<string, string>();
  for (const [i, { model, name }] of models.entries()) {
    const g = geometry(model, name);
    const d = readerDifference(firstGeometry, g);
    if (d)
      throw new HcrError(
        'ENSEMBLE_INVALID',
        `${first.name} and ${name} differ in ${d.what}: ${d.a} vs ${d.b}; they cannot read as one.`,
        { hint: PACK_HINT },
      );
    const opset = (m: ModelProtoObject) => JSON.stringify(m.opset_import);
    if (opset(model) !== opset(first.model))
      throw new HcrError('ENSEMBLE_INVALID', `${name} was exported with another opset than ${first.name}.`, {
        hint: 'Export every member with the same --opset.',
      });
    // The same trained reader twice would count twice in the vote: a mistake, not an ensemble.
    for (const m of g.members) {
      const key = m.uid ?? m.id;
      const earlier = seen.get(key);
      if (earlier)
        throw new HcrError(
          'ENSEMBLE_INVALID',
          `The reader ${m.id} is in the ensemble twice (in ${earlier} and in ${name}): it would count twice in its vote.`,
          { hint: 'Pass each reader once (a packed file already holds its members).' },
        );
      seen.set(key, name);
    }
    members.push(...g.members);
    readers += g.readers;
    const own = model.graph.input[0]!.name;
    const rename = (t: string) => (t === own ? inputName : t === '' ? '' : `m${i}/${t}`);
    for (const n of model.graph.node)
      nodes.push({
        ...n,
        name: n.name ? `m${i}/${n.name}` : undefined,
        input: n.input.map(rename),
        output: n.output.map(rename),
      });
    for (const t of model.graph.initializer) initializers.push({ ...t, name: rename(t.name) });
    outputs.push(rename(model.graph.output[0]!.name));
  }
  const output = first.model.graph.output[0]!;
  nodes.push({
    op_type: 'Concat',
    name: 'members',
    input: outputs,
    output: [output.name],
    attribute: [{ name: 'axis', type: AttributeType.INT, i: 1 }],
  });
  const dims: DimensionObject[] = output.type.tensor_type.shape.dim.map((d, k) =>
    k === 1 ? { dim_value: readers } : d,
  );
  const props = metadataRecord(first.model);
  props[ONNX_METADATA_KEYS.modelId] = members.map((m) => m.id).join('+');
  props[ONNX_METADATA_KEYS.readerMembers] = JSON.stringify(members);
  delete props[ONNX_METADATA_KEYS.modelUid];
  const packed: ModelProtoObject = {
    ...first.model,
    doc_string: `${readers} hcr line readers read as one: ${members.map((m) => m.id).join(', ')}`,
    graph: {
      ...first.model.graph,
      name: 'reader_ensemble',
      node: nodes,
      initializer: initializers,
      input: [first.model.graph.input[0]!],
      output: [{ ...output, type: { tensor_type: { ...output.type.tensor_type, shape: { dim: dims } } } }],
    },
    metadata_props: Object.entries(props).map(([key, value]) => ({ key, value })),
  };
  return { bytes: encodeModel(packed), members };
}

function decode(file: { bytes: Uint8Array; name: string }): ModelProtoObject {
  const { bytes, name } = (file ?? {}) as { bytes?: unknown; name?: unknown };
  if (!(bytes instanceof Uint8Array) || typeof name !== 'string')
    throw new HcrError(
      'MODEL_INVALID',
      `packReaderEnsemble takes { bytes, name } per reader, got ${file instanceof Uint8Array ? 'the bytes alone' : typeof file === 'string' ? `the path '${file}'` : 'something else'}.`,
      { hint: "Pass e.g. [{ bytes: await readFile('a/model.onnx'), name: 'a' }, ...]." },
    );
  try {
    const model = decodeModel(bytes);
    if (model.graph?.input?.length !== 1 || model.graph.output?.length !== 1)
      throw new Error('not one input and one output');
    return model;
  } catch (e) {
    throw new HcrError('MODEL_INVALID', `${name} is not an ONNX line reader (${(e as Error).message}).`, {
      hint: PACK_HINT,
    });
  }
}

/** What a member must share with the others, and the readers it holds (one, or a packed ensemble's). */
function geometry(
  model: ModelProtoObject,
  name: string,
): { reader: LineReaderInfo; normalisation: InputNormalisation; readers: number; members: EnsembleMember[] } {
  const { reader, normalisation, members } = parseReaderOnnxMetadata(metadataRecord(model), {
    source: name,
    hint: PACK_HINT,
    fallbackId: name,
  });
  const dim1 = model.graph.output[0]!.type.tensor_type.shape.dim[1];
  const readers = dim1 && 'dim_value' in dim1 ? dim1.dim_value : 0;
  if (readers < 1 || members.length !== readers)
    throw new HcrError(
      'MODEL_INVALID',
      `${name}'s output holds ${readers || 'an unknown number of'} readers along axis 1, but its metadata lists ${members.length}.`,
      { hint: PACK_HINT },
    );
  return { reader, normalisation, readers, members };
}

export interface PackedEnsembleCheck {
  /** Line widths tried (a batch of random lines each). */
  widths: number[];
  /** Largest |packed - member's own file| over every output value. */
  maxAbsDiff: number;
  passed: boolean;
}

/**
 * Runs the packed file and every member's own file in onnxruntime on the same random lines (a few widths,
 * batch 3) and compares each member's slice of the packed output with its own file's output.
 */
export async function checkPackedEnsemble(
  packed: Uint8Array,
  files: readonly { bytes: Uint8Array; name: string }[],
  tolerance = 1e-6,
): Promise<PackedEnsembleCheck> {
  const { reader } = geometry(decodeModel(packed), 'the packed ensemble');
  const whole = await openSession(packed);
  const own = await Promise.all(files.map((f) => openSession(f.bytes)));
  const { Tensor } = await onnxRuntime();
  const rng = createRng(7);
  const widths = [reader.minWidth, 64, 203];
  let maxAbsDiff = 0;
  try {
    for (const width of widths) {
      const n = 3;
      const x = Float32Array.from({ length: n * reader.height * width }, () => rng.next() * 2 - 1);
      const run = async (s: ort.InferenceSession) => {
        const out = await s.run({
          [s.inputNames[0]!]: new Tensor('float32', x, [n, reader.height, width, 1]),
        });
        return out[s.outputNames[0]!]!;
      };
      const y = await run(whole);
      const [, R, T, C] = y.dims as [number, number, number, number];
      let r0 = 0;
      for (const s of own) {
        const z = await run(s);
        const k = z.dims[1]!;
        for (let b = 0; b < n; b++)
          for (let r = 0; r < k; r++)
            for (let i = 0; i < T * C; i++) {
              const a = (y.data as Float32Array)[(b * R + r0 + r) * T * C + i]!;
              const e = (z.data as Float32Array)[(b * k + r) * T * C + i]!;
              maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a - e));
            }
        r0 += k;
      }
    }
  } finally {
    for (const s of [whole, ...own]) await s.release();
  }
  return { widths, maxAbsDiff, passed: maxAbsDiff <= tolerance };
}
