/** 8-connected components of a binary mask, with their boxes and ink mass. */
export interface Component {
  id: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
  mass: number;
}

/** Labels `mask` into `labels` (0 = none, k = component k) and returns the components, id k at index k-1. */
export function components(
  mask: Uint8Array,
  ink: Float32Array,
  width: number,
  height: number,
  labels: Int32Array,
): Component[] {
  labels.fill(0);
  const out: Component[] = [];
  const stack = new Int32Array(width * height);
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const id = out.length + 1;
    const c: Component = { id, x0: width, y0: height, x1: -1, y1: -1, area: 0, mass: 0 };
    let top = 0;
    stack[top++] = start;
    labels[start] = id;
    while (top > 0) {
      const p = stack[--top];
      const x = p % width;
      const y = (p - x) / width;
      c.area++;
      c.mass += ink[p];
      if (x < c.x0) c.x0 = x;
      if (x > c.x1) c.x1 = x;
      if (y < c.y0) c.y0 = y;
      if (y > c.y1) c.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if (mask[q] && !labels[q]) {
            labels[q] = id;
            stack[top++] = q;
          }
        }
      }
    }
    out.push(c);
  }
  return out;
}
