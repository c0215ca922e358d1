// hcr drawing page: no framework, no CDN. Draw -> PNG -> POST /v1/predict -> top 5 with bars.

const pad = document.getElementById('pad');
// Shown at the screen's pixel ratio; the PNG sent is the 280x280 drawing at 1x (common.js crispPad).
const padInk = crispPad(pad, 280, 280);
const stroke = document.getElementById('stroke');
const strokeValue = document.getElementById('stroke-value');
const classes = document.getElementById('classes');
const list = document.getElementById('predictions');
const statusLine = document.getElementById('status');
const seen = document.getElementById('seen').getContext('2d');
const photo = document.getElementById('photo');

let drawing = false;
let dirty = false; // drawn since the last request was sent
// The pad's request out, as its AbortController (null when none): at most one at a time; Clear aborts it.
let inFlight = null;
// An uploaded file's request out (its AbortController): a newer upload or Clear aborts it.
let fileRequest = null;
let hasInk = false;
let last = null;
// The last request went unanswered (timed out, or the server could not be reached): the pen's moves do not ask
// again (each would say "Recognising…" and then the problem again); the stroke's end does.
let unheard = false;
// What the answer on show is for: the pad, an uploaded file (re-sent when the characters allowed change) or nothing.
let source = null;
// Each request gets the next number; an answer that is not the latest one's (the pad was cleared, or a newer
// request was sent, e.g. an upload while the pad's was out) is dropped.
let sendSeq = 0;
// The answer or problem on show that a screen reader has not heard yet: one that came while the pen was down is
// said when it lifts, if nothing newer is asked for by then (common.js announce).
let unsaid = null;

function clearPad(said = true) {
  sendSeq++;
  unsaid = null;
  // The requests out answer a pad that is gone: stopped, so a hung one holds up nothing drawn next.
  inFlight?.abort();
  inFlight = null;
  fileRequest?.abort();
  fileRequest = null;
  source = null;
  dirty = false;
  unheard = false; // a fresh start: what is drawn next is sent as it is drawn
  photo.hidden = true;
  showStatus('Nothing drawn yet.');
  if (said) announce('Nothing drawn yet.');
  padInk.clear();
  hasInk = false;
  list.replaceChildren();
  seen.clearRect(0, 0, 112, 112);
}

/** The status line; an error is set apart (styled). Only what `answer` says is heard by a screen reader. */
function showStatus(text, error) {
  if (error) statusLine.dataset.error = error;
  else delete statusLine.dataset.error;
  if (statusLine.textContent !== text) statusLine.textContent = text;
}

/**
 * An answer or a problem: shown, and said once to a screen reader (a problem at once), when the pen is up; one
 * that comes while it is down (the pad asks as it draws) is said when it lifts, unless a newer one comes first.
 */
function answer(text, error) {
  showStatus(text, error);
  unsaid = { text, error: Boolean(error) };
  // The pad changed since this was asked: the request for the drawing as it is now follows, and is the one said.
  if (!drawing && !dirty) sayAnswer();
}
function sayAnswer() {
  if (!unsaid) return;
  announce(unsaid.text, unsaid.error);
  unsaid = null;
}

function line(a, b) {
  padInk.segment(a, b, Number(stroke.value));
  hasInk = true;
  dirty = true;
}

// One pointer draws: a second finger on a touch screen (not the primary pointer) is ignored, else the line
// would jump between the fingers and fill the space between them. So is any button but the main one (the right
// one opens the context menu, which takes its release).
pad.addEventListener('pointerdown', (e) => {
  if (!e.isPrimary || e.button !== 0) return;
  pad.setPointerCapture(e.pointerId);
  drawing = true;
  photo.hidden = true;
  source = 'pad';
  last = padInk.point(e);
  line(last, last);
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing || !e.isPrimary) return;
  // No button held: its release went elsewhere (a dialog or menu opened meanwhile), the stroke is over.
  if (e.buttons === 0) return endStroke();
  // A busy page gets one move event per frame; its coalesced events keep every point the pen passed.
  for (const ev of e.getCoalescedEvents?.().length ? e.getCoalescedEvents() : [e]) {
    const p = padInk.point(ev);
    line(last, p);
    last = p;
  }
  if (!unheard) predictSoon();
});
function endStroke() {
  drawing = false;
  predictSoon();
  // Nothing more to ask: the answer on show, come while the pen was down, is the drawing's.
  if (!inFlight && !dirty) sayAnswer();
}
for (const type of ['pointerup', 'pointercancel']) {
  pad.addEventListener(type, (e) => {
    if (drawing && e.isPrimary) endStroke();
  });
}

stroke.addEventListener('input', () => {
  strokeValue.textContent = stroke.value;
  stroke.setAttribute('aria-valuetext', `${stroke.value} px`);
});
// The answer on show is re-asked with the new choice: the uploaded file's, or the pad's.
classes.addEventListener('change', () => {
  if (source instanceof Blob) {
    sendFile(source);
    return;
  }
  dirty = true;
  predictSoon();
});
document.getElementById('clear').addEventListener('click', () => clearPad());
pad.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' || e.key === 'Delete') clearPad();
});

// At most one request in flight; when it returns and the drawing changed meanwhile, send again.
function predictSoon() {
  if (!dirty || !hasInk) return;
  // At once, not when the request leaves: the guess on show no longer matches the pad.
  showStatus('Recognising…');
  unsaid = null; // the answer on show is stale: the next is said
  if (inFlight) return;
  dirty = false;
  const request = new AbortController();
  inFlight = request;
  const seq = ++sendSeq;
  padInk.toBlob((blob) => {
    let answered = true;
    send(blob, seq, request.signal)
      .then((a) => {
        answered = a;
      })
      .finally(() => {
        if (inFlight !== request) return; // cleared meanwhile: Clear let it go
        inFlight = null;
        // A server that did not answer is not asked again at once (its problem stays on show): the next stroke asks.
        unheard = !answered;
        if (answered) predictSoon();
        // Nothing more asked for a pen that is up (a newer request clears what is unsaid): say what is on show.
        if (!drawing && !inFlight) sayAnswer();
      });
  });
}

/** Sends the pad's PNG or an uploaded file and shows the answer; false when the server did not answer. */
async function send(blob, seq, signal) {
  if (seq !== sendSeq) return true; // cleared (or a newer request sent) before the pad's PNG was ready
  const url = `/v1/predict?top_k=5&debug=1&classes=${encodeURIComponent(classes.value)}`;
  const r = await postImage(url, blob, {
    signal,
    verb: 'draw',
    onWait: (text) => {
      if (seq === sendSeq) showStatus(text);
    },
  });
  if (r === null || seq !== sendSeq) return true; // a late answer: the pad was cleared or a newer request sent
  if (!r.ok) {
    list.replaceChildren();
    seen.clearRect(0, 0, 112, 112);
    // A file of another kind ("All files" in the file picker): the server's text lists the API's JSON forms.
    const message =
      r.code === 'UNSUPPORTED_MEDIA_TYPE' && blob instanceof File
        ? `${blob.name} (${blob.type}) is not a file the server reads: upload a photo (PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF or HEIC) or a PDF of one handwritten character.`
        : r.message;
    answer(message, r.code);
    return !unanswered(r);
  }
  show(r.body.predictions[0], r.body.timing);
  return true;
}

function show(pred, timing) {
  const items = pred.topK.map((r) => {
    const li = document.createElement('li');
    const pct = (r.confidence * 100).toFixed(1);
    li.setAttribute('aria-label', `${r.label}: ${pct} percent`);
    li.dataset.label = r.label;
    li.innerHTML = `<span class="label"></span><span class="bar"><span class="fill"></span></span><span class="pct"></span>`;
    li.querySelector('.label').textContent = r.label;
    li.querySelector('.fill').style.width = `${Math.max(1, r.confidence * 100)}%`;
    li.querySelector('.pct').textContent = `${pct}%`;
    return li;
  });
  list.replaceChildren(...items);
  list.classList.toggle('answered', pred.answer !== null);
  // Strokes drawn while this request was out make its guess stale: say so until theirs arrives.
  if (dirty) showStatus('Recognising…');
  else
    answer(
      pred.label === null
        ? `${verdictText(pred)} (${timing.totalMs} ms)`
        : `Best guess: ${pred.label} (${(pred.confidence * 100).toFixed(1)}%) in ${timing.totalMs} ms${pred.answer === null ? `. ${verdictText(pred)}` : ''}`,
    );
  if (pred.input) drawSeen(pred.input);
}

/** Why there is no answer, in the page's terms: several characters are read by its word mode, not by an API route. */
function verdictText(pred) {
  return pred.verdict === 'several-characters'
    ? 'Not one character: characters side by side (a word or a number). Choose “A word or a number” above to read them.'
    : pred.message;
}

function drawSeen(pixels) {
  const img = seen.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    img.data.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
  }
  const tmp = document.createElement('canvas');
  tmp.width = 28;
  tmp.height = 28;
  tmp.getContext('2d').putImageData(img, 0, 0);
  seen.imageSmoothingEnabled = false;
  seen.drawImage(tmp, 0, 0, 112, 112);
}

document.getElementById('upload').addEventListener('change', (e) => {
  const file = e.target.files[0];
  if (!file) return;
  photo.src = URL.createObjectURL(file);
  photo.hidden = false;
  // Browsers show no TIFF: then only the server's view of it (the 28x28 input) is shown.
  photo.onerror = () => {
    photo.hidden = true;
  };
  e.target.value = '';
  sendFile(file);
});

/** Sends an uploaded file (the pad's drawing is no longer what the answer is for). */
function sendFile(file) {
  source = file;
  dirty = false;
  showStatus('Reading the photo…');
  fileRequest?.abort();
  const request = new AbortController();
  fileRequest = request;
  return send(file, ++sendSeq, request.signal).finally(() => {
    if (fileRequest === request) fileRequest = null;
  });
}

/** The choices each named character class gets on the page; only those the model can answer are shown. */
const CLASS_LABELS = {
  digits: 'Digits only',
  letters: 'Letters only',
  uppercase: 'Capitals only (A-Z)',
  lowercase: 'Lowercase only (a-z)',
};

/**
 * Offers the model's own choices (GET /v1/model classChoices): a case-sensitive (62-class) model adds
 * capitals and lowercase. alnum is `all` for every hcr model, and uppercase is `letters` when case is merged.
 */
function offerClassChoices(choices, caseSensitive) {
  if (!Array.isArray(choices)) return;
  const chosen = classes.value;
  classes.replaceChildren(
    new Option(caseSensitive ? 'Digits and letters (any case)' : 'Digits and letters', 'all'),
  );
  for (const name of choices)
    if (CLASS_LABELS[name] && (caseSensitive || name !== 'uppercase'))
      classes.add(new Option(CLASS_LABELS[name], name));
  classes.value = [...classes.options].some((o) => o.value === chosen) ? chosen : 'all';
}

onModel((m) => {
  const caseSensitive = m.classNames.some((c) => c !== c.toUpperCase());
  const what = caseSensitive
    ? 'Draw a digit (0-9) or a letter, capital or lowercase'
    : 'Draw a digit (0-9) or a capital letter (A-Z)';
  document.getElementById('model-line').textContent =
    `${what}. Model: ${m.id}, ${m.classNames.length} classes${m.labelSpace ? ` (${m.labelSpace})` : ''}: ${m.classNames.join('')}.`;
  offerClassChoices(m.classChoices, caseSensitive);
});

clearPad(false);
