"""Reproduce hcr's character-model input in Python (numpy; Pillow and onnxruntime for the command line).

    python3 hcr_preprocess.py model.onnx character.png

The steps are the ones the model's ONNX metadata names (`hcr.preprocessing`): ink bright on black, crop to the
ink, longer side to 20 px, centre of mass in 28x28, stretch to 0..255, then x = (p / 255 - mean) / std.
`normalise_character` and `prepare_clean_image` match hcr's `normaliseCharacter` (@hcr/image) and
`preparePixels` (28x28 drawings) to within one grey level (packages/serve-onnx/test/python-preprocess.test.ts).
`prepare_photo` approximates hcr's photo path (which also flattens uneven light, thresholds, removes specks and
evens stroke widths) by subtracting the paper level: on the 72 handwriting test photos of the serving tests the
pipeline model gives the same answer both ways on all 72 (65 of them right).
"""
import json
import sys

import numpy as np


def _round(x):
    """JavaScript's Math.round (half up), not Python's round (half to even)."""
    return int(np.floor(x + 0.5))


def _filter_weights(n_in, n_out):
    """Triangle filter, radius max(1, n_in / n_out), samples at pixel centres, rows normalised."""
    scale = n_in / n_out
    support = max(1.0, scale)
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        centre = (o + 0.5) * scale
        start = max(0, int(np.floor(centre - support)))
        end = min(n_in, int(np.ceil(centre + support)))
        i = np.arange(start, end)
        k = np.maximum(0.0, 1.0 - np.abs(i + 0.5 - centre) / support)
        if k.sum() > 0:
            w[o, start:end] = k / k.sum()
        else:
            w[o, min(start, n_in - 1)] = 1.0
    return w


def normalise_character(pixels, size=28, box_size=20, ink_threshold=0.15):
    """Bright ink on black (2-D array, any size, any non-negative scale) -> canonical size x size uint8."""
    p = np.asarray(pixels, dtype=np.float64)
    out = np.zeros((size, size), np.uint8)
    peak = p.max()
    if peak <= 0:
        return out
    ys, xs = np.nonzero(p >= peak * ink_threshold)
    y0, x0 = ys.min(), xs.min()
    h, w = ys.max() - y0 + 1, xs.max() - x0 + 1
    scale = box_size / max(w, h)
    ow = max(1, min(size, _round(w * scale)))
    oh = max(1, min(size, _round(h * scale)))
    crop = p[y0 : y0 + h, x0 : x0 + w]
    scaled = _filter_weights(h, oh) @ (crop @ _filter_weights(w, ow).T)
    mass = scaled.sum()
    if mass <= 0:
        return out
    cx = (scaled.sum(axis=0) * (np.arange(ow) + 0.5)).sum() / mass
    cy = (scaled.sum(axis=1) * (np.arange(oh) + 0.5)).sum() / mass
    ox = min(max(_round(size / 2 - cx), 0), size - ow)
    oy = min(max(_round(size / 2 - cy), 0), size - oh)
    values = np.floor(scaled * (255 / scaled.max()) + 0.5)
    out[oy : oy + oh, ox : ox + ow] = np.minimum(values, 255).astype(np.uint8)
    return out


def dark_on_light(grey):
    """hcr's polarity rule (isDarkOnLight): the paper is the median of a border ring 3% of the shorter side
    wide; the image is dark-on-light when the darkest 0.5% lies farther from the paper than the lightest 0.5%."""
    v = grey / grey.max() * 255 if grey.max() > 0 else grey
    h, w = v.shape
    ring = max(1, _round(min(w, h) * 0.03))
    mask = np.ones(v.shape, dtype=bool)
    mask[ring : h - ring, ring : w - ring] = False
    border = np.sort(v[mask])
    paper = border[len(border) >> 1]
    cumulative = np.bincount(np.clip(np.floor(v + 0.5), 0, 255).astype(int).ravel(), minlength=256).cumsum()
    dark = int(np.argmax(cumulative >= 0.005 * v.size))
    light = int(np.argmax(cumulative >= 0.995 * v.size))
    return paper - dark > light - paper


def prepare_clean_image(grey):
    """A clean drawing or scan (2-D grey array, either polarity) -> canonical 28x28 uint8, ink bright."""
    g = np.asarray(grey, dtype=np.float64)
    if dark_on_light(g):
        g = g.max() - g
    return normalise_character(g)


def image_values(rgba):
    """An RGBA image (H x W x 4 uint8 array, e.g. np.asarray(Image.open(f).convert("RGBA"))) -> (grey, ink_bright),
    as hcr decodes it: a cut-out on transparency (at least 5% of its pixels under half opacity, some over) is read
    by its opacity, the ink bright whatever its colour (white ink on a transparent PNG is still ink); anything else
    is composited on white paper (luminance 0.299 R + 0.587 G + 0.114 B)."""
    px = np.asarray(rgba, dtype=np.float64)
    alpha = px[..., 3]
    transparent = int((alpha < 128).sum())
    if transparent >= 0.05 * alpha.size and transparent < alpha.size:
        return alpha, True
    lum = 0.299 * px[..., 0] + 0.587 * px[..., 1] + 0.114 * px[..., 2]
    a = alpha / 255
    return lum * a + 255 * (1 - a), False


def prepare_photo(grey, ink_bright=False):
    """A photo or scan of one character (2-D grey array) -> canonical 28x28 uint8: an approximation of hcr's
    photo path (extractInk) in three lines: ink bright, the paper level (border median) and a quarter of the
    ink's contrast above it subtracted, then the canonical normalisation. ink_bright: the polarity is known
    (a cut-out's opacity, from image_values), not guessed."""
    g = np.asarray(grey, dtype=np.float64)
    if not ink_bright and dark_on_light(g):
        g = g.max() - g
    h, w = g.shape
    ring = max(1, _round(min(w, h) * 0.03))
    mask = np.ones(g.shape, dtype=bool)
    mask[ring : h - ring, ring : w - ring] = False
    paper = np.median(g[mask])
    spread = np.percentile(g, 99.5) - paper
    return normalise_character(np.clip(g - paper - 0.25 * spread, 0, None))


def model_input(canonical, preprocessing):
    """Canonical 28x28 -> the model's float32 tensor, as `hcr.preprocessing` says (layout NHWC or NCHW)."""
    px = preprocessing["pixels"]
    x = (canonical.astype(np.float32) / 255 - px["mean"]) / px["std"]
    shape = [1 if d == "N" else d for d in preprocessing["input"]["shape"]]
    return x.reshape(shape).astype(np.float32)


def main(model_path, image_path):
    import onnxruntime as ort
    from PIL import Image

    session = ort.InferenceSession(model_path)
    meta = session.get_modelmeta()
    props = meta.custom_metadata_map
    preprocessing = json.loads(props["hcr.preprocessing"])
    classes = json.loads(props["hcr.class_names"])
    grey, ink_bright = image_values(np.asarray(Image.open(image_path).convert("RGBA")))
    x = model_input(prepare_photo(grey, ink_bright), preprocessing)
    probs = session.run(None, {session.get_inputs()[0].name: x})[0].reshape(-1)
    best = int(probs.argmax())
    version = props.get("hcr.model_version", "none (trained before model versions)")
    print(classes[best], f"{probs[best]:.3f}", "model", props.get("hcr.model_id"), "version", version)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python3 hcr_preprocess.py model.onnx image.png")
    main(sys.argv[1], sys.argv[2])
