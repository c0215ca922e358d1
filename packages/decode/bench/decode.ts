/**
 * Decoding speed of @hcr/decode on synthetic reader outputs (see benchDecode).
 * Run: node --conditions=source --import tsx packages/decode/bench/decode.ts [msPerCase]
 */
import { loadavg } from 'node:os';
import { benchDecode } from '../src/bench.js';

const load0 = loadavg()[0]!;
benchDecode({ msPerCase: Number(process.argv[2] ?? 1000) });
console.log(`load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`);
