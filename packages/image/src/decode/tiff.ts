/**
 * The size of every image of a TIFF, read from its chain of image file directories (IFDs) in one pass: a fax of
 * 3000 pages is 3000 small reads, where asking sharp for each page's header re-walks the chain up to it each time
 * (109 s for 3000 pages of 16x16). Undefined when the chain cannot be followed to its end (a file cut short, an
 * offset out of the file, a loop, a size tag missing): the caller then asks sharp.
 */
export function tiffImageSizes(bytes: Uint8Array): { width: number; height: number }[] | undefined {
  if (bytes.byteLength < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49; // 'II'; 'MM' is big-endian
  if (view.getUint16(2, little) !== 42) return undefined; // BigTIFF (43) and anything else: sharp's
  const sizes: { width: number; height: number }[] = [];
  const seen = new Set<number>();
  let at = view.getUint32(4, little);
  while (at !== 0) {
    if (seen.has(at) || at + 2 > bytes.byteLength) return undefined;
    seen.add(at);
    const entries = view.getUint16(at, little);
    const end = at + 2 + 12 * entries;
    if (end + 4 > bytes.byteLength) return undefined;
    let width = 0;
    let height = 0;
    for (let e = at + 2; e < end; e += 12) {
      const tag = view.getUint16(e, little);
      if (tag !== 256 && tag !== 257) continue;
      const type = view.getUint16(e + 2, little);
      // SHORT (3) or LONG (4), one value, held in the entry itself
      const value =
        type === 3 ? view.getUint16(e + 8, little) : type === 4 ? view.getUint32(e + 8, little) : 0;
      if (tag === 256) width = value;
      else height = value;
    }
    if (width === 0 || height === 0) return undefined;
    sizes.push({ width, height });
    at = view.getUint32(end, little);
  }
  return sizes;
}
