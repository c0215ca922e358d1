// hcr drawing page, word mode: write a line -> PNG -> POST /v1/read -> text, per-character confidence,
// alternatives and the 32-px line the reader saw; lines mode: a taller canvas read with layout=lines, each
// line of writing read on its own. The mode switch lives here too.

const charMode = document.getElementById('char-mode');
const wordMode = document.getElementById('word-mode');
const linePad = document.getElementById('line-pad');
// Shown at the screen's pixel ratio; the PNG sent is the 720x200 (lines: 720x420) drawing at 1x (common.js crispPad).
const lineInk = crispPad(linePad, 720, 200);
const lineStroke = document.getElementById('line-stroke');
const lineStrokeValue = document.getElementById('line-stroke-value');
const lineClasses = document.getElementById('line-classes');
const pattern = document.getElementById('pattern');
const lineStatus = document.getElementById('line-status');
const lineText = document.getElementById('line-text');
const lineChars = document.getElementById('line-chars');
const alternatives = document.getElementById('alternatives');
const lineSeen = document.getElementById('line-seen');
const lineBoxes = document.getElementById('line-boxes');
// The boxes on show, drawn again when the screen's pixel ratio changes.
let boxesShown = [];
const boxesCanvas = crispCanvas(lineBoxes, 720, 200, () => drawBoxes(boxesShown));
const columns = document.getElementById('columns');
const alternativesBlock = document.getElementById('alternatives-block');
const alternativesTitle = document.getElementById('alternatives-title');
const lineSeenFigure = document.getElementById('line-seen-figure');
const lineClear = document.getElementById('line-clear');
const lineUndo = document.getElementById('line-undo');
const lineUpload = document.getElementById('line-upload');
const sampleForm = document.getElementById('sample-form');
const sampleText = document.getElementById('sample-text');
const sampleStatus = document.getElementById('sample-status');

let readerLoaded = null; // null until /v1/model answers
let collecting = false; // the server keeps corrected examples (hcr serve --collect): the page offers to save one
let writing = false;
let lineDirty = false;
let lineBusy = false;
let lineHasInk = false;
// An uploaded photo (a File) read instead of the canvas, until the canvas is written on or cleared.
let linePhoto = null;
// The uploaded photo, shown above its reading (as the character mode shows its upload).
const linePhotoShown = document.getElementById('line-photo');
let lastPoint = null;
// What is written, stroke by stroke ({ width, points }), so Undo can draw it again without the last one.
let strokes = [];
let patternTimer = null;
let layout = 'line'; // 'lines': the canvas holds several lines, read with layout=lines
let readerId = '';
// Each read gets the next number; an answer that is not the latest one's (the canvas was cleared, or a newer read
// was sent) is dropped, and clearing also aborts the read in flight.
let readSeq = 0;
let readAbort = null;
/** A reading under this confidence is shown as unsure: the character mode's default min_confidence. */
const UNSURE_BELOW = 0.5;
const CLEAR_KEYS = 'Escape or Delete clears it, Ctrl+Z takes back the last stroke.';
/** SEVERAL_LINES in word mode, in the page's terms: the server's hint names its API's layout=lines. */
const SEVERAL_LINES =
  'The canvas holds several lines of writing, and this mode reads one. Choose “Several lines” above to read each, or take back the strokes of the others (Undo stroke).';
/** Word mode read one line and the canvas holds writing above or below it (a second line the server let pass). */
const LEFT_OUT =
  'Only the boxed line was read: writing above or below it was left out. Choose “Several lines” above to read each line.';

/**
 * Whether strokes lie wholly above or below the line the reader found (its `box`, in the canvas's pixels), more
 * than half the line's height away and together at least a third of its height tall or wide (a dot tapped by
 * mistake is no line). Word mode reads one line: of two written one under the other the server may read the one
 * whose ink outweighs the other's and answer it alone, and the page must not let the other go without a word.
 */
function writingLeftOut(box) {
  const margin = box.height / 2;
  const out = { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
  for (const { width, points } of strokes) {
    const ys = points.map((p) => p.y);
    const top = Math.min(...ys) - width / 2;
    const bottom = Math.max(...ys) + width / 2;
    if (bottom >= box.y - margin && top <= box.y + box.height + margin) continue;
    const xs = points.map((p) => p.x);
    out.left = Math.min(out.left, Math.min(...xs) - width / 2);
    out.right = Math.max(out.right, Math.max(...xs) + width / 2);
    out.top = Math.min(out.top, top);
    out.bottom = Math.max(out.bottom, bottom);
  }
  const least = box.height / 3;
  return out.right - out.left >= least || out.bottom - out.top >= least;
}

for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener('change', () => {
    if (!radio.checked) return;
    const word = radio.value === 'word' || radio.value === 'lines';
    wordMode.hidden = !word;
    charMode.hidden = word;
    if (word) setLayout(radio.value === 'lines' ? 'lines' : 'line');
    if (word && readerLoaded === false) showNoReader(true);
  });
}

/** One line on a wide canvas, or several on a taller one; switching clears what was written. */
function setLayout(next) {
  if (next === layout) return;
  layout = next;
  // The canvases' size sets their shape on the page (common.js crispCanvas, style.css: aspect-ratio).
  lineInk.resize(720, layout === 'lines' ? 420 : 200);
  boxesCanvas.resize(720, lineInk.height);
  // Columns are a page's matter: the switch shows in lines mode only.
  for (const el of document.querySelectorAll('.lines-only')) el.hidden = layout !== 'lines';
  lineClear.textContent = layout === 'lines' ? 'Clear all lines' : 'Clear line';
  linePad.setAttribute(
    'aria-label',
    layout === 'lines'
      ? `Writing area: write several lines, one under another. ${CLEAR_KEYS}`
      : `Writing area: write a word, a name or a number on one line. ${CLEAR_KEYS}`,
  );
  showTitle();
  clearLine();
}

function showTitle() {
  const what = layout === 'lines' ? 'Write several lines' : 'Write a word or a number';
  document.getElementById('line-title').textContent = readerId ? `${what} (reader ${readerId})` : what;
}

/** Wipes the canvas and its reading; `said` (a person cleared it) says so to a screen reader. */
/** The photo read instead of the canvas (`file`), shown above its reading; null takes it (and its shown copy) away. */
function setLinePhoto(file) {
  linePhoto = file;
  if (linePhotoShown.src) URL.revokeObjectURL(linePhotoShown.src);
  linePhotoShown.removeAttribute('src');
  linePhotoShown.hidden = !file;
  if (!file) return;
  // Browsers show no TIFF or PDF: then only the line the reader saw is shown.
  linePhotoShown.onerror = () => {
    linePhotoShown.hidden = true;
  };
  linePhotoShown.src = URL.createObjectURL(file);
}

function clearLine(said = false) {
  // The read in flight (if any) answers a canvas that is gone.
  readSeq++;
  readAbort?.abort();
  readAbort = null;
  lineDirty = false;
  lineInk.clear();
  lineHasInk = false;
  setLinePhoto(null);
  strokes = [];
  // Undo pressed from the keyboard took back the last stroke: the button goes off under the focus, which would
  // fall to the page's start (a screen reader says nothing, the next Tab starts over); it goes to the pad.
  if (document.activeElement === lineUndo) linePad.focus();
  lineUndo.disabled = true;
  clearReading();
  if (readerLoaded !== false) showNothingWritten(said);
}

/** The status of an empty canvas; said to a screen reader when `said`, or when it takes a problem's place. */
function showNothingWritten(said = false) {
  delete lineStatus.dataset.error;
  lineStatus.textContent = 'Nothing written yet.';
  if (said || problemSaid) say(lineStatus.textContent);
}

// The last thing said of this mode was a problem: the empty canvas that follows (the pattern fixed) is said too.
let problemSaid = false;
/** Says `text` to a screen reader (common.js announce), at once when it is a problem. */
function say(text, problem = false) {
  problemSaid = problem;
  announce(text, problem);
}

/** Takes the last reading off the page: text, characters, alternatives, boxes and the strip the reader saw. */
function clearReading() {
  delete lineStatus.dataset.leftOut;
  lineText.textContent = '';
  delete lineText.dataset.text;
  delete lineText.dataset.unsure;
  lineChars.replaceChildren();
  alternatives.replaceChildren();
  alternativesBlock.hidden = true;
  sampleForm.hidden = true;
  sampleStatus.textContent = '';
  // Hidden until there is something to show, back to one line's size (lines mode makes it taller).
  lineSeenFigure.hidden = true;
  lineSeen.width = 720;
  lineSeen.height = 32;
  lineSeen.style.width = '';
  lineSeen.getContext('2d').clearRect(0, 0, lineSeen.width, lineSeen.height);
  drawBoxes([]);
}

function segment(a, b) {
  const stroke = strokes[strokes.length - 1];
  stroke.points.push(b);
  lineInk.segment(a, b, stroke.width);
  lineHasInk = true;
  lineDirty = true;
}

/** Takes back the last stroke: the canvas is drawn again from the strokes left, and read again (or cleared). */
function undoStroke() {
  if (writing || strokes.length === 0) return;
  strokes.pop();
  if (strokes.length === 0) {
    clearLine(true);
    return;
  }
  // The read in flight answers a canvas that is gone; the next one reads what is left.
  readSeq++;
  readAbort?.abort();
  lineInk.clear();
  for (const { width, points } of strokes)
    for (let i = 0; i < points.length; i++) lineInk.segment(points[Math.max(0, i - 1)], points[i], width);
  drawBoxes([]);
  lineDirty = true;
  readSoon();
}

// One pointer writes: a second finger on a touch screen (not the primary pointer) is ignored, and so is any button
// but the main one (the right one opens the context menu, which takes its release).
linePad.addEventListener('pointerdown', (e) => {
  if (readerLoaded === false || !e.isPrimary || e.button !== 0) return; // nothing would read it
  linePad.setPointerCapture(e.pointerId);
  // Writing after an upload: the canvas is read again, not the photo (whose reading goes).
  if (linePhoto) {
    setLinePhoto(null);
    clearReading();
  }
  drawBoxes([]); // the boxes are the last reading's: new writing makes them stale
  writing = true;
  lastPoint = lineInk.point(e);
  strokes.push({ width: Number(lineStroke.value), points: [] });
  lineUndo.disabled = false;
  segment(lastPoint, lastPoint);
});
linePad.addEventListener('pointermove', (e) => {
  if (!writing || !e.isPrimary) return;
  // No button held: its release went elsewhere (a dialog or menu opened meanwhile), the stroke is over.
  if (e.buttons === 0) return endLineStroke();
  // A busy page gets one move event per frame; its coalesced events keep every point the pen passed.
  for (const ev of e.getCoalescedEvents?.().length ? e.getCoalescedEvents() : [e]) {
    const p = lineInk.point(ev);
    segment(lastPoint, p);
    lastPoint = p;
  }
});
// A line is read when a stroke ends, never while the pen is down (that would show half-written letters).
function endLineStroke() {
  writing = false;
  readSoon();
}
for (const type of ['pointerup', 'pointercancel']) {
  linePad.addEventListener(type, (e) => {
    if (writing && e.isPrimary) endLineStroke();
  });
}
lineStroke.addEventListener('input', () => {
  lineStrokeValue.textContent = lineStroke.value;
  lineStroke.setAttribute('aria-valuetext', `${lineStroke.value} px`);
});
for (const control of [lineClasses, columns])
  control.addEventListener('change', () => {
    lineDirty = true;
    readSoon();
  });
pattern.addEventListener('input', () => {
  clearTimeout(patternTimer);
  patternTimer = setTimeout(() => {
    // Nothing written and no pattern left: nothing to check, and an error said of the last pattern is gone.
    if (!lineHasInk && !linePhoto && !pattern.value.trim()) {
      readSeq++;
      readAbort?.abort();
      lineDirty = false;
      if (readerLoaded !== false) showNothingWritten();
      return;
    }
    lineDirty = true;
    readSoon();
  }, 300);
});
document.getElementById('line-clear').addEventListener('click', () => clearLine(true));
// A photo or scan of the writing, read in the canvas's stead (the way in from a keyboard): the canvas is cleared.
lineUpload.addEventListener('change', () => {
  const file = lineUpload.files[0];
  if (!file) return;
  lineUpload.value = '';
  clearLine();
  setLinePhoto(file);
  lineDirty = true;
  readSoon();
});
lineUndo.addEventListener('click', undoStroke);
linePad.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' || e.key === 'Delete') clearLine(true);
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === 'z') {
    e.preventDefault();
    undoStroke();
  }
});

/**
 * At most one request in flight; when it returns and something changed meanwhile, read again. Nothing is sent
 * while the pen is down: a read asked for then (a stroke's own, or a changed control's) waits for it to lift.
 * An empty canvas with a pattern is sent too, to check the pattern: the server refuses an invalid one before it
 * looks at the image.
 */
function readSoon() {
  if (!lineDirty || writing || readerLoaded === false) return;
  const checkOnly = !lineHasInk && !linePhoto;
  if (checkOnly && !pattern.value.trim()) return;
  // At once, not when the request leaves: the answer on show no longer matches the canvas (nor does an error).
  // Shown, not said: a screen reader hears the reading when it comes.
  delete lineStatus.dataset.error;
  lineStatus.textContent = checkOnly
    ? 'Checking the pattern…'
    : linePhoto
      ? 'Reading the photo…'
      : 'Reading…';
  if (lineBusy) return;
  lineDirty = false;
  lineBusy = true;
  const seq = ++readSeq;
  const read = (blob) => {
    let answered = true;
    readLine(blob, seq, checkOnly)
      .then((a) => {
        answered = a;
      })
      .finally(() => {
        lineBusy = false;
        // A server that did not answer is not asked again at once (its problem stays on show): the next stroke asks.
        if (answered) readSoon();
      });
  };
  if (linePhoto) read(linePhoto);
  else lineInk.toBlob(read);
}

/** Reads the canvas's PNG and shows the answer; false when the server did not answer. */
async function readLine(blob, seq, checkOnly) {
  // Cleared between the snapshot and now: nothing to read.
  if (seq !== readSeq) return true;
  const q = new URLSearchParams({ top_k: layout === 'lines' ? '3' : '5', debug: '1' });
  if (layout === 'lines') q.set('layout', 'lines');
  if (layout === 'lines' && !columns.checked) q.set('columns', 'false');
  if (lineClasses.value) q.set('classes', lineClasses.value);
  if (pattern.value.trim()) q.set('pattern', pattern.value.trim());
  const abort = new AbortController();
  readAbort = abort;
  try {
    const r = await postImage(`/v1/read?${q}`, blob, {
      signal: abort.signal,
      onWait: (text) => {
        if (seq === readSeq) lineStatus.textContent = text;
      },
    });
    if (r === null || seq !== readSeq) return true; // a late answer: the canvas was cleared or a newer read sent
    // The empty canvas sent to check the pattern: its NO_INK means the pattern is fine.
    if (checkOnly && !r.ok && r.code === 'NO_INK') {
      if (!lineDirty) showNothingWritten();
      return true;
    }
    if (!r.ok) {
      // Said unless a read of the canvas as it is now follows: one that did not answer is not asked again until
      // the next stroke ends, so its problem is said unless the pen is down.
      showError(
        r.code,
        r.code === 'SEVERAL_LINES' && layout === 'line' ? SEVERAL_LINES : r.message,
        !lineDirty || (unanswered(r) && !writing),
      );
      return !unanswered(r);
    }
    // An empty canvas the server read all the same (it found no writing in it, so none): nothing written.
    if (checkOnly) showNothingWritten();
    else showReading(r.body);
    return true;
  } finally {
    if (readAbort === abort) readAbort = null;
  }
}

/**
 * A problem instead of a reading: the last reading goes, and the status says what is wrong, said at once to a
 * screen reader unless the canvas changed meanwhile (its own read follows, and is said).
 */
function showError(code, message, said = !lineDirty) {
  clearReading();
  lineStatus.dataset.error = code;
  lineStatus.textContent = message;
  if (said) say(message, true);
}

function showReading(r) {
  // Nothing fits the pattern and the characters allowed (the server answers no text): a problem, shown as one.
  if ((r.lines ?? [r]).every((l) => l.constraintUnsatisfied)) {
    showError('CONSTRAINT_UNSATISFIED', 'No text fits the pattern and the characters allowed.');
    return;
  }
  delete lineStatus.dataset.error;
  const pct = (c) => `${(c * 100).toFixed(1)}%`;
  // layout=lines answers each line of writing in `lines`; one line is its own answer.
  const lines = r.lines ?? [r];
  // Writing was found but no character read in it, or the reading is less sure than a character's answer must
  // be (character mode's min_confidence): not shown as a plain success.
  const empty = lines.every((l) => l.text === '');
  const unsure = !empty && r.confidence < UNSURE_BELOW;
  lineText.textContent = r.text;
  lineText.dataset.text = r.text;
  // one line of writing can be kept as an example, its reading corrected by hand
  if (collecting && layout === 'line' && !linePhoto) {
    sampleText.value = r.text;
    sampleStatus.textContent = '';
    sampleForm.hidden = false;
  }
  if (unsure) lineText.dataset.unsure = 'true';
  else delete lineText.dataset.unsure;
  lineChars.replaceChildren(
    ...lines.flatMap((line, i) => [
      ...(i > 0 ? [document.createElement('br')] : []),
      ...line.characters.map((c) => {
        const span = document.createElement('span');
        // A space is shown as ␣ and said as "space"; each character's confidence is said after it (it is shown
        // by the underline, and by the title to a mouse only: a screen reader heard the letters alone).
        const glyph = document.createElement('span');
        glyph.textContent = c.char === ' ' ? '␣' : c.char;
        glyph.setAttribute('aria-hidden', 'true');
        const said = document.createElement('span');
        said.className = 'visually-hidden';
        said.textContent = `${c.char === ' ' ? 'space' : c.char} ${pct(c.confidence)},`;
        span.append(glyph, said);
        span.title = pct(c.confidence);
        // The underline fades with the confidence: weak characters stand out, and one less sure than a sure
        // reading needs is dashed too (not told by a faint colour alone).
        span.style.borderBottomColor = `rgba(38, 162, 105, ${Math.max(0.1, c.confidence)})`;
        if (c.confidence < UNSURE_BELOW) span.dataset.unsure = 'true';
        return span;
      }),
    ]),
  );
  alternatives.replaceChildren(
    ...(r.lines
      ? r.lines.map((line) => {
          const li = document.createElement('li');
          li.dataset.text = line.text;
          const others = line.alternatives.map(
            (a) => `${a.text === '' ? '(empty)' : a.text} ${pct(a.confidence)}`,
          );
          // The list's own number is the line's.
          li.textContent = others.join(' · ');
          return li;
        })
      : r.alternatives.map((a) => {
          const li = document.createElement('li');
          li.dataset.text = a.text;
          li.textContent = `${a.text === '' ? '(empty)' : a.text}  ${pct(a.confidence)}`;
          return li;
        })),
  );
  // Strokes drawn while this request was out make its answer stale: say so until theirs arrives.
  const what = r.lines ? `${r.lines.length} line${r.lines.length === 1 ? '' : 's'}: ` : '';
  const unfit = lines.flatMap((l, i) => (l.constraintUnsatisfied ? [i + 1] : []));
  alternativesBlock.hidden = alternatives.childElementCount === 0;
  alternativesTitle.textContent = r.lines ? 'Alternatives, line by line' : 'Alternatives';
  const text = `"${r.text.replaceAll('\n', ' / ')}" (${pct(r.confidence)})`;
  const status = lineDirty
    ? 'Reading…'
    : unfit.length
      ? `No text fits the pattern and the characters allowed on line ${unfit.join(', ')}.`
      : empty
        ? `No writing read: the reader found marks but no characters in them (in ${r.timing.totalMs} ms). Write them bigger or more clearly.`
        : unsure
          ? `Unsure: ${what}${text} is below the ${UNSURE_BELOW * 100}% a sure reading needs (in ${r.timing.totalMs} ms). ${linePhoto ? 'Set the characters allowed or a pattern, or upload a sharper photo.' : 'Write it again more clearly, or set the characters allowed or a pattern.'}`
          : `Read: ${what}${text} in ${r.timing.totalMs} ms`;
  const leftOut = !lineDirty && !linePhoto && !r.lines && !empty && r.box && writingLeftOut(r.box);
  if (leftOut) lineStatus.dataset.leftOut = 'true';
  else delete lineStatus.dataset.leftOut;
  // Written once, and said once: the reading with what was left out, if anything (not "Reading…").
  lineStatus.textContent = leftOut ? `${status} ${LEFT_OUT}` : status;
  if (!lineDirty) say(lineStatus.textContent);
  const seen = lines.map((l) => l.input).filter(Boolean);
  if (seen.length) drawLinesSeen(seen);
  // A photo's boxes are in its own pixels, not the canvas's.
  if (!lineDirty && !linePhoto) drawBoxes(lines.filter((l) => l.box));
}

/**
 * Where the reader found each line (its `box`, in the pad's 1x pixels: those of the PNG sent), numbered in
 * reading order when there are several, and its lean when it was turned flat.
 */
function drawBoxes(lines) {
  boxesShown = lines;
  const { context: ctx, size } = boxesCanvas;
  ctx.clearRect(0, 0, size.width, size.height);
  lineBoxes.dataset.boxes = String(lines.length);
  ctx.strokeStyle = 'rgba(28, 113, 216, 0.8)';
  ctx.fillStyle = 'rgba(28, 113, 216, 0.9)';
  // Sizes in CSS px: the canvas is shown narrower than its 720 pixels on a phone (a 16-px label stood 5 px tall).
  const px = size.width / (lineBoxes.clientWidth || size.width);
  ctx.lineWidth = 2 * px;
  ctx.font = `bold ${Math.round(16 * px)}px sans-serif`;
  for (const [i, { box, skew }] of lines.entries()) {
    ctx.strokeRect(box.x + px, box.y + px, box.width - 2 * px, box.height - 2 * px);
    const label = [lines.length > 1 ? String(i + 1) : '', skew ? `${skew}°` : ''].filter(Boolean).join('  ');
    if (label) ctx.fillText(label, box.x + 4 * px, Math.max(16 * px, box.y - 4 * px));
  }
}

/** The 32-px lines the reader saw, one under another. */
function drawLinesSeen(inputs) {
  const gap = 4;
  lineSeen.width = Math.max(...inputs.map((l) => l.width));
  lineSeen.height = inputs.reduce((h, l) => h + l.height, 0) + gap * (inputs.length - 1);
  // Shown at twice its size, narrowed to the section when wider (the height follows: style.css), never squashed.
  lineSeen.style.width = `${2 * lineSeen.width}px`;
  lineSeenFigure.hidden = false;
  const ctx = lineSeen.getContext('2d');
  let top = 0;
  for (const { width, height, pixels } of inputs) {
    const img = new ImageData(width, height);
    for (let i = 0; i < width * height; i++) img.data.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
    ctx.putImageData(img, 0, top);
    top += height + gap;
  }
}

/**
 * No reader on the server: the writing area and its controls are switched off, and the status says how to get
 * one; `said` (a person chose word or lines mode) says so at once to a screen reader.
 */
function showNoReader(said = false) {
  clearReading();
  for (const control of [lineClasses, pattern, columns, lineStroke, lineUndo, lineClear, lineUpload])
    control.disabled = true;
  linePad.setAttribute('aria-disabled', 'true');
  linePad.classList.add('disabled');
  lineStatus.dataset.error = 'NO_READER';
  lineStatus.textContent =
    'This server has no line reader, so word and line reading are off. Start it with hcr serve --reader <model.onnx>, or without --no-reader: it loads artifacts/model/reader/model.onnx (the pipeline writes it) by itself.';
  if (said || !wordMode.hidden) say(lineStatus.textContent, true);
}

/** A case-sensitive reader (it offers uppercase and lowercase) gets capitals-only and lowercase-only fields. */
function offerCaseChoices(choices) {
  if (!choices.includes('uppercase') || !choices.includes('lowercase')) return;
  const letters = [...lineClasses.options].find((o) => o.value === 'letters');
  letters.textContent = 'Letters only (any case)';
  letters.after(
    new Option('Capitals only (A-Z)', 'uppercase'),
    new Option('Lowercase only (a-z)', 'lowercase'),
  );
}

/** Keeps the canvas and the corrected text as an example (POST /v1/samples), and says how many there are. */
sampleForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = sampleText.value.trim();
  if (!text) {
    sampleStatus.textContent = 'Type what is written first.';
    announce(sampleStatus.textContent, true);
    return;
  }
  sampleStatus.textContent = 'Saving…';
  lineInk.toBlob(async (blob) => {
    const r = await postImage(`/v1/samples?${new URLSearchParams({ text })}`, blob);
    if (r === null) return;
    sampleStatus.textContent = r.ok
      ? `Saved as "${r.body.text}"${r.body.replaced ? ' (replacing its earlier text)' : ''}: ${r.body.examples} example${r.body.examples === 1 ? '' : 's'} kept.`
      : r.message;
    if (r.ok) sampleStatus.dataset.saved = r.body.file;
    else delete sampleStatus.dataset.saved;
    announce(sampleStatus.textContent, !r.ok);
  });
});

onModel((m) => {
  readerLoaded = Boolean(m.reader);
  // offered only when this page's token may collect (hcr token ... --scopes): else the save would be refused
  collecting = m.collecting === true && (!m.client || m.client.scopes.includes('collect'));
  readerId = m.reader?.id ?? '';
  showTitle();
  if (!m.reader) {
    showNoReader();
    // The mode switch says so too, before anyone picks a mode that cannot work.
    for (const radio of document.querySelectorAll('input[name="mode"]:not([value="char"])')) {
      const note = document.createElement('span');
      note.className = 'hint';
      note.textContent = ' (no reader)';
      radio.parentElement.append(note);
    }
  }
  offerCaseChoices(m.reader?.classChoices ?? []);
});

clearLine();
