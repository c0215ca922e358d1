import { HcrError } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { fileIOHandler, modelFormat, readModelJson, resolveModelJson } from './model-io.js';

// biome-ignore lint/suspicious/noExplicitAny: Keras topology JSON is untyped
type Any = any;

/** The model and every layer of a Keras topology, with paths; nested models and wrapped layers included. */
function topologyClasses(topology: unknown): { path: string; className: string }[] {
  const out: { path: string; className: string }[] = [];
  const nameOf = (entry: Any) => entry?.config?.name ?? entry?.name ?? '?';
  const children = (entry: Any, prefix: string) => {
    const cfg = entry?.config;
    const inner = Array.isArray(cfg) ? cfg : cfg?.layers;
    if (Array.isArray(inner)) for (const l of inner) visit(l, prefix);
    if (cfg?.layer) visit(cfg.layer, prefix);
  };
  const visit = (entry: Any, prefix: string) => {
    const path = `${prefix}${nameOf(entry)}`;
    if (typeof entry?.class_name === 'string') out.push({ path, className: entry.class_name });
    children(entry, `${path}/`);
  };
  const root = (topology as Any)?.model_config ?? topology;
  // layer paths as tfjs names them: without the model's own name in front
  if (typeof root?.class_name === 'string') out.push({ path: nameOf(root), className: root.class_name });
  children(root, '');
  return out;
}

/**
 * A layer class tfjs has no implementation of (a Python-only or custom layer, or a damaged model.json) is named
 * here, with its layer, before tfjs says only "Unknown layer: X ... defined in Python".
 */
export function checkLayerClassesKnown(file: string, topology: unknown): void {
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  const unknown = topologyClasses(topology).filter((l) => !(l.className in known));
  if (unknown.length === 0) return;
  const list = unknown.map((l) => `'${l.path}' (${l.className})`).join(', ');
  throw new HcrError(
    'UNKNOWN_LAYER',
    `${file} has layer ${list} of a class tfjs does not know, so the model cannot be run.`,
    {
      hint: "model.json is damaged, or the model uses a custom or Python-only layer: copy model.json again from the model's own save (an hcr run: its training directory, or re-train with `hcr train`), or replace the layer with a built-in one.",
    },
  );
}

/** A tfjs load failure as an HcrError naming the file (tfjs' own messages name neither file nor fix). */
export function rethrowLoad(file: string, e: unknown): never {
  if (e instanceof HcrError) throw e;
  const msg = (e as Error).message ?? String(e);
  // tfjs: "Unknown layer: X", "Unknown activation: X", "Unknown initializer: X" ... (not a mismatched save)
  const unknown = /Unknown (layer|op|activation|initializer|regularizer|constraint)[^:]*: ?([^\s.]+)/i.exec(
    msg,
  );
  const kind = unknown?.[1].toLowerCase();
  throw new HcrError(
    kind === 'layer' || kind === 'op'
      ? 'UNSUPPORTED_LAYER'
      : kind === 'activation'
        ? 'UNSUPPORTED_ACTIVATION'
        : 'MODEL_LOAD_FAILED',
    `tfjs cannot load ${file}: ${msg}; nothing was written.`,
    {
      hint: unknown
        ? `The model uses ${/^[aeiou]/.test(kind ?? '') ? 'an' : 'a'} ${kind} tfjs itself does not know ('${unknown[2]}': Python-only or custom), so it cannot be run or exported; replace it with a built-in one.`
        : 'Check that model.json and its weight shards come from the same save.',
      cause: e,
    },
  );
}

/**
 * A saved LayersModel (`dir` or `dir/model.json`) for running it, e.g. in `hcr eval`: every damaged input is an
 * HcrError naming the file and the fix (model.json that is not JSON or not a LayersModel, a layer class tfjs does
 * not know, missing, short or long shards, NaN/Infinity weights; see checkWeightData).
 */
export async function loadLayersModelFile(
  path: string,
): Promise<{ model: LayersModel; modelJsonPath: string }> {
  const modelJsonPath = await resolveModelJson(path);
  const json = await readModelJson(modelJsonPath);
  if (modelFormat(json) === 'graph')
    throw new HcrError(
      'MODEL_JSON_INVALID',
      `${modelJsonPath} is a tfjs GraphModel (a frozen graph); this needs a LayersModel (Keras layers, as \`hcr train\` saves).`,
      { hint: 'Pass the directory of a LayersModel, e.g. an hcr training run.' },
    );
  checkLayerClassesKnown(modelJsonPath, json.modelTopology);
  const artifacts = await fileIOHandler(modelJsonPath).load!();
  const model = await loadLayersModel({ load: async () => artifacts }).catch((e) =>
    rethrowLoad(modelJsonPath, e),
  );
  return { model, modelJsonPath };
}
