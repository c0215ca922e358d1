import { HcrError } from '@hcr/core';
import { type DimNames, onnxDims } from '../dims.js';
import { SUPPORTED_ACTIVATIONS } from '../emit.js';
import type { OnnxGraphBuilder, Value } from '../graph-builder.js';
import { channelsFirstPerm, identityPerm } from '../layout.js';
import { LAYER_CONVERTERS as FEED_FORWARD_CONVERTERS, RefusedConfig } from './layer-converters.js';
import { RECURRENT_CONVERTERS } from './recurrent.js';

// biome-ignore lint/suspicious/noExplicitAny: tfjs-layers internals (nodes, symbolic tensors) are untyped
type Any = any;

const LAYER_CONVERTERS = { ...FEED_FORWARD_CONVERTERS, ...RECURRENT_CONVERTERS };

/** tfjs-layers classes the exporter handles (InputLayer, Sequential and Functional containers included). */
export const SUPPORTED_LAYERS: readonly string[] = Object.freeze(
  ['InputLayer', 'Sequential', 'Functional', 'Model', ...Object.keys(LAYER_CONVERTERS)].sort(),
);

function isContainer(layer: Any): boolean {
  return Array.isArray(layer.layers) && Array.isArray(layer.inputs) && Array.isArray(layer.outputs);
}

/** Every leaf layer of a model, nested models included, as [path, layer]. */
function leafLayers(model: Any, path = ''): [string, Any][] {
  const out: [string, Any][] = [];
  for (const layer of model.layers) {
    if (isContainer(layer)) out.push(...leafLayers(layer, `${path}${layer.name}/`));
    else out.push([`${path}${layer.name}`, layer]);
  }
  return out;
}

function unsupportedLayer(path: string, cls: string): HcrError {
  return new HcrError(
    'UNSUPPORTED_LAYER',
    `Layer '${path}' of class ${cls} cannot be exported to ONNX; nothing was written.`,
    {
      hint: `Supported layer classes: ${SUPPORTED_LAYERS.join(', ')}. Replace the layer, or open an issue with the model attached.`,
    },
  );
}

function unsupportedActivation(
  path: string,
  cls: string,
  act: string,
  why: string,
  what = 'activation',
): HcrError {
  return new HcrError(
    'UNSUPPORTED_ACTIVATION',
    `Layer '${path}' (${cls}) uses ${what} '${act}', which ${why}; nothing was written.`,
    {
      hint: `Supported activations: ${SUPPORTED_ACTIVATIONS.join(', ')}. Replace it with one of them (a Keras model: before converting it).`,
    },
  );
}

/** model.json spells activations in snake_case (`hard_sigmoid`); tfjs camel-cases them when it loads one. */
function knownActivation(name: string): boolean {
  const camel = name.replace(/_+(\w|$)/g, (_, c: string) => c.toUpperCase());
  return [name, camel].some((n) => (SUPPORTED_ACTIVATIONS as readonly string[]).includes(n));
}

/**
 * Check a model.json's Keras topology before tfjs parses it, so a class tfjs does not know either
 * (a Python-only or custom layer), or a Keras-only activation (`exponential`), is reported with its layer
 * name like any other unsupported layer.
 */
export function assertTopologySupported(modelTopology: unknown): void {
  const topo = modelTopology as { model_config?: unknown; config?: unknown; class_name?: string };
  const walk = (entry: Any, path: string) => {
    const cls: string = entry?.class_name;
    const cfg = entry?.config;
    const layers = Array.isArray(cfg) ? cfg : cfg?.layers;
    if (['Sequential', 'Functional', 'Model'].includes(cls) && Array.isArray(layers)) {
      const here = path && cfg?.name ? `${path}${cfg.name}/` : path;
      for (const l of layers) walk(l, here);
      return;
    }
    const name = `${path}${cfg?.name ?? entry?.name ?? '?'}`;
    if (cls && !SUPPORTED_LAYERS.includes(cls)) throw unsupportedLayer(name, cls);
    // a wrapper (Bidirectional) keeps its layer's activations in config.layer.config
    for (const c of [cfg, cfg?.layer?.config]) {
      for (const key of ['activation', 'recurrent_activation']) {
        const act = c?.[key];
        if (typeof act === 'string' && !knownActivation(act))
          throw unsupportedActivation(
            name,
            cls,
            act,
            'tfjs 4.22 does not have, so the model cannot be loaded or exported',
            key === 'activation' ? 'activation' : 'recurrent activation',
          );
      }
    }
  };
  walk(topo.model_config ?? topo, '');
}

/** Fail before emitting anything when a layer or an activation cannot be converted. */
export function assertLayersSupported(model: Any): void {
  for (const [path, layer] of leafLayers(model)) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') continue;
    if (!LAYER_CONVERTERS[cls]) throw unsupportedLayer(path, cls);
    const act = layer.getConfig().activation;
    if (typeof act === 'string' && !(SUPPORTED_ACTIVATIONS as readonly string[]).includes(act)) {
      throw unsupportedActivation(path, cls, act, 'cannot be exported to ONNX');
    }
  }
}

export interface LayersGraphOptions {
  inputLayout: 'nhwc' | 'nchw';
  /** Names of the unknown dims of graph inputs/outputs (default `batch`, `<name>_dim<k>`). */
  dimNames?: DimNames;
}

/**
 * Convert a tfjs LayersModel (Sequential or Functional; nested models and shared layers included) into
 * `g`. Graph inputs and outputs carry the model's own input/output names.
 */
export function convertLayersModel(g: OnnxGraphBuilder, model: Any, opts: LayersGraphOptions): void {
  assertLayersSupported(model);
  // A Sequential model fills inputNames/outputNames only once built.
  if (!model.built && typeof model.build === 'function') model.build(model.inputs[0]?.shape);
  for (const kind of ['inputs', 'outputs'] as const) {
    const given = opts.dimNames?.[kind]?.length ?? 0;
    if (given > model[kind].length) {
      throw new HcrError(
        'BAD_DIM_NAMES',
        `dimNames.${kind} has ${given} entries, but the model has ${model[kind].length} ${kind}.`,
        { hint: `Give one list of names per model ${kind.slice(0, -1)}, in order.` },
      );
    }
  }
  const bound = new Map<number, Value>();
  model.inputs.forEach((st: Any, i: number) => {
    const name = model.inputNames[i] as string;
    g.reserve(name);
    const rank = st.shape.length;
    const perm = opts.inputLayout === 'nchw' && rank >= 3 ? channelsFirstPerm(rank) : identityPerm(rank);
    const tfDims = onnxDims(name, 'input', st.shape, opts.dimNames?.inputs?.[i]);
    g.addInput(
      name,
      perm.map((d) => tfDims[d]),
    );
    bound.set(st.id, { name, perm, shape: [...st.shape] });
  });
  // tfjs repeats a layer's name for each of its outputs (an RNN's returnState): later ones get _1, _2...
  const outputNames = (model.outputNames as string[]).map((n) => g.unique(n));
  model.outputs.forEach((st: Any, i: number) => {
    const v = convertTensor(g, st, bound, '');
    g.source = `graph output ${outputNames[i]}`;
    g.scope = outputNames[i];
    // Outputs are always in TF order, named after the model's outputs.
    const tf = g.asTf(v);
    g.nodes.push({
      name: g.unique(`${outputNames[i]}/Identity`),
      op_type: 'Identity',
      input: [tf],
      output: [outputNames[i]],
      attribute: [],
      doc_string: g.source,
    });
    g.addOutput(outputNames[i], onnxDims(outputNames[i], 'output', st.shape, opts.dimNames?.outputs?.[i]));
  });
}

function convertTensor(g: OnnxGraphBuilder, st: Any, bound: Map<number, Value>, path: string): Value {
  const hit = bound.get(st.id);
  if (hit) return hit;
  const layer = st.sourceLayer;
  const node = layer.inboundNodes[st.nodeIndex];
  if (layer.getClassName() === 'InputLayer' || !node) {
    throw new HcrError(
      'GRAPH_DISCONNECTED',
      `Tensor '${st.name}' of layer '${path}${layer.name}' has no source.`,
      {
        hint: 'The model graph is disconnected; rebuild it with tf.model({inputs, outputs}).',
      },
    );
  }
  const inputs: Value[] = node.inputTensors.map((t: Any) => convertTensor(g, t, bound, path));
  let outs: Value[];
  if (isContainer(layer)) {
    // Inline a nested model: bind its own input tensors to ours, then convert its outputs.
    const inner = new Map<number, Value>();
    layer.inputs.forEach((t: Any, i: number) => {
      inner.set(t.id, inputs[i]);
    });
    outs = layer.outputs.map((t: Any) => convertTensor(g, t, inner, `${path}${layer.name}/`));
  } else {
    const cls = layer.getClassName();
    g.scope = `${path}${layer.name}`;
    g.source = `layer ${path}${layer.name} (${cls})`;
    try {
      outs = LAYER_CONVERTERS[cls]({
        g,
        layer,
        config: layer.getConfig(),
        inputs,
        outputShapes: node.outputTensors.map((t: Any) => [...t.shape]),
      });
    } catch (e) {
      if (e instanceof HcrError) throw e;
      throw new HcrError(
        'LAYER_CONVERSION_FAILED',
        `Layer '${path}${layer.name}' (${cls}) could not be converted: ${(e as Error).message}; nothing was written.`,
        {
          hint:
            e instanceof RefusedConfig
              ? e.hint
              : 'This configuration of the layer is not supported; see the supported-layer table in the README.',
          cause: e,
        },
      );
    }
  }
  node.outputTensors.forEach((t: Any, i: number) => {
    bound.set(t.id, outs[i]);
  });
  return bound.get(st.id) as Value;
}
