import { readFile } from 'node:fs/promises';
import { createRecognizer } from '@hcr/serve-onnx/recognizer'; // no HTTP stack loaded

const rec = await createRecognizer({ model: 'artifacts/model/latest/model.onnx' }); // any hcr ONNX export
const photo = await readFile('seven.jpg'); // a photo of a handwritten 7
const best = await rec.recognize(photo, { topK: 3 });
console.log(best.label, best.confidence.toFixed(3), best.topK.map((k) => k.label).join(' '));
// 7 0.998 7 2 T
const [a, b] = await rec.recognize([photo, await readFile('letter-o.jpg')], {
  classes: 'digits',
});
console.log(a.label, b.label); // 7 0   (an O in a digits-only field is read as 0)
await rec.close();
