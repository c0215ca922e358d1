// pdfjs-dist ships no types for its worker module; pdf.js itself only reads WorkerMessageHandler from it.
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
