import { type EngineName, fastKernelNames, initEngine } from '@hcr/engine';
import * as tf from '@tensorflow/tfjs-core';

// 'auto' (the default) takes @tensorflow/tfjs-node when it loads, else wasm; here wasm, whatever is installed
const engine: EngineName = 'wasm';
const lines: string[] = []; // by default the line goes to console.error
const info = await initEngine({ engine, purpose: 'train', log: (line) => lines.push(line) });
console.log(info); // { name: 'wasm', backend: 'wasm', fastKernels: true }
console.log(lines); // [ 'engine: wasm (WebAssembly SIMD, XNNPACK) with @hcr/engine fast training kernels' ]
await initEngine({ engine, log: (line) => lines.push(line) }); // the same engine again: nothing to do
console.log(lines.length); // 1

// a convolution's filter gradient runs Conv2DBackpropFilter, which stock tfjs-backend-wasm does not have
console.log(fastKernelNames.includes('Conv2DBackpropFilter')); // true
const x = tf.ones([2, 8, 8, 1]) as tf.Tensor4D;
const filterGrad = tf.grad((f) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'same')));
const dF = filterGrad(tf.zeros([3, 3, 1, 4]));
console.log(dF.shape); // [ 3, 3, 1, 4 ]
// each tap sums the ones it meets over 2 images of 8 x 8 ('same' padding: a corner tap misses a row and a column)
console.log([...dF.dataSync()].filter((_, i) => i % 4 === 0)); // [ 98, 112, 98, 112, 128, 112, 98, 112, 98 ]
