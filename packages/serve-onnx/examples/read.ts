import { readFile } from 'node:fs/promises';
import { createLineReader } from '@hcr/serve-onnx/reader';

const reader = await createLineReader({
  model: 'artifacts/model/reader/model.onnx', // the pipeline's reader (two readers packed in one file)
  lexicons: { surnames: ['MARTIN', 'DUPONT', 'LEROY'] }, // or loadLexicons(['surnames=surnames.txt'])
});
const amount = await reader.read(await readFile('amount.png'), { classes: 'chars:0123456789.,', topK: 3 });
console.log(amount.text, amount.confidence, amount.alternatives); // text, p(text), [{ text, confidence }, ...]
const codes = await reader.read([await readFile('code-1.jpg'), await readFile('code-2.jpg')], {
  pattern: '[A-Z]{2}[0-9]{4}', // options apply to every line of the call
});
const name = await reader.read(await readFile('name.webp'), { lexicon: 'surnames' }); // a word of the list
console.log(codes[0].text, codes[1].text, name.text); // e.g. TA1470 AX4710 LEROY
await reader.close();
