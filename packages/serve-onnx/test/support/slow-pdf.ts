import { deflateSync } from 'node:zlib';
import { type PDFDict, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';

/**
 * A PDF of one letter-size page holding `curves` copies of one stroked Bezier curve: a few kB on the wire
 * (its content stream is deflated), seconds to minutes to draw (20,000 curves: ~8 s on this project's
 * machines). What a server must not let hold a worker.
 */
export async function slowPdf(curves: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([612, 792]);
  const ops = `0.5 w\n${'10 10 m 600 780 10 780 600 10 c S\n'.repeat(curves)}`;
  const content = deflateSync(Buffer.from(ops));
  const dict = doc.context.obj({ Filter: 'FlateDecode', Length: content.length }) as PDFDict;
  page.node.set(PDFName.of('Contents'), doc.context.register(PDFRawStream.of(dict, content)));
  return doc.save();
}
