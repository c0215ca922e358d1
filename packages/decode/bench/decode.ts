/**
 * Decoding speed of @hcr/decode on synthetic reader outputs (see benchDecode).
 * Run: node --conditions=source --import tsx packages/decode/bench/decode.ts [msPerCase]
 */
import { benchDecode } from '../src/bench.js';

benchDecode({ msPerCase: Number(process.argv[2] ?? 1000) });
