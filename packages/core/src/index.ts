export * from './alphabet.js';
export * from './errors.js';
export * from './fs.js';
export * from './labels.js';
export * from './metadata.js';
export * from './random.js';
export * from './sources.js';
export * from './twins.js';
