import { initEngine } from '@hcr/engine';
import { buildReader } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
await initEngine({ engine: "auto" } as any);
const m = buildReader({classes: 43});
m.summary();
for (const w of [16, 17, 100, 203]) {
  const y = m.predict(tf.zeros([2,32,w,1])) as tf.Tensor;
  console.log(w, y.shape);
}
console.log(m.countParams());
