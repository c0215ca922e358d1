// hcr drawing page, shared by app.js (one character) and word.js (a word, several lines): sending an image and
// putting what went wrong in words for a person, where the pen lands on a canvas, and GET /v1/model.
// Classic scripts share one global scope: the names here are used by both and must not be declared again.

/** How long the page waits for an answer before it says the server is not answering (the server's own is 10 s). */
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * A 503 OVERLOADED or a 429 RATE_LIMITED is retried once by itself after its Retry-After, when that is no longer
 * than this.
 */
const MAX_RETRY_AFTER_MS = 10_000;
/** How often GET /v1/model is tried again while the server cannot be reached. */
const MODEL_RETRY_MS = 3_000;
const UNREACHABLE = 'The server cannot be reached (is hcr serve running?).';
/** Where the API token is kept once asked for: this tab only, gone when it closes. */
const TOKEN_KEY = 'hcr-api-token';

/**
 * Says `text` to a screen reader, once: politely (#announce, role status), or at once when `error` (#announce-alert,
 * role alert). The page calls it for a reading or a problem a person is waiting for, when the pen is up, never
 * for what is under way ("Recognising…"): the status lines on show are not live regions. What the other region
 * last said is taken away, so a stale problem is not found there later.
 */
// biome-ignore lint/correctness/noUnusedVariables: used by app.js and word.js (classic scripts share one global scope)
function announce(text, error = false) {
  const polite = document.getElementById('announce');
  const alert = document.getElementById('announce-alert');
  (error ? polite : alert).replaceChildren();
  // A new text node even for the same words: the same problem twice is said twice.
  (error ? alert : polite).replaceChildren(document.createTextNode(text));
}

/** The Authorization header of the token this tab was given, if any. */
function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** What the page says once the person has cancelled the question for the token. */
const TOKEN_NEEDED = 'This server needs an API token: reload the page to enter it.';

let tokenAsked = null;
// Cancelled once, the question is not asked again until a reload: the pad sends while the pen moves, and each
// request refused would ask it again.
let tokenDeclined = false;
/**
 * Asks the person for the API token after a 401 (a server started with --api-token-file or HCR_API_TOKEN); true
 * when one was given. Requests refused together share one question.
 */
function askToken(code) {
  if (tokenDeclined) return Promise.resolve(false);
  tokenAsked ??= new Promise((resolve) => {
    const question =
      code === 'TOKEN_INVALID'
        ? 'The server refused this API token. Paste the token hcr serve was started with:'
        : 'This server needs an API token (hcr serve was started with --api-token-file or HCR_API_TOKEN). Paste it:';
    const answer = window.prompt(question)?.trim();
    if (answer) sessionStorage.setItem(TOKEN_KEY, answer);
    else tokenDeclined = true;
    resolve(Boolean(answer));
  }).finally(() => {
    tokenAsked = null;
  });
  return tokenAsked;
}

/** Whether an answer is the server asking for the API token. */
function needsToken(res, body) {
  return res.status === 401 && /^TOKEN_(REQUIRED|INVALID)$/.test(body?.error?.code ?? '');
}

/**
 * POSTs an image and returns `{ ok: true, body }` or `{ ok: false, code, message }` (the message for a person);
 * null when `signal` aborted it (the page moved on: cleared, or a newer request). No answer in REQUEST_TIMEOUT_MS
 * is a TIMEOUT; an OVERLOADED server, or one whose rate limit this page reached, is asked again once after its
 * Retry-After (`onWait(text)` says so meanwhile, for a person).
 */
// biome-ignore lint/correctness/noUnusedVariables: used by app.js and word.js (classic scripts share one global scope)
async function postImage(url, blob, { signal, verb = 'write', onWait } = {}) {
  for (let retried = false; ; retried = true) {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), REQUEST_TIMEOUT_MS);
    const stop = () => timeout.abort();
    signal?.addEventListener('abort', stop);
    let res;
    let body;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': blob.type || 'image/png', ...authHeaders() },
        body: blob,
        signal: timeout.signal,
      });
      body = await jsonOrNull(res);
    } catch {
      if (signal?.aborted) return null;
      if (timeout.signal.aborted)
        return {
          ok: false,
          code: 'TIMEOUT',
          message: `The server did not answer within ${REQUEST_TIMEOUT_MS / 1000} s (busy or stuck). ${verb === 'draw' ? 'Draw' : 'Write'} again or press Clear to try again.`,
        };
      return { ok: false, code: 'UNREACHABLE', message: UNREACHABLE };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    }
    if (signal?.aborted) return null;
    if (res.ok && body) return { ok: true, body };
    // asked until the server takes the token or the person cancels
    if (needsToken(res, body) && (await askToken(body.error.code))) continue;
    const wait = retryAfterMs(res);
    const code = body?.error?.code;
    const passing =
      (res.status === 503 && code === 'OVERLOADED') || (res.status === 429 && code === 'RATE_LIMITED');
    if (!retried && passing && wait !== null) {
      const why =
        code === 'OVERLOADED' ? 'The server is busy' : 'The server limits how often a client may ask';
      onWait?.(`${why}: asking again in ${Math.ceil(wait / 1000)} s…`);
      if (!(await sleep(wait, signal))) return null;
      continue;
    }
    return {
      ok: false,
      code: body?.error?.code ?? `HTTP_${res.status}`,
      message: problemText(res, body, verb),
    };
  }
}

/** The answer's JSON, or null when it is not JSON (a proxy's HTML error page, an empty body). */
async function jsonOrNull(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Whether a failed request's answer says the server did not answer (no use asking again at once). */
// biome-ignore lint/correctness/noUnusedVariables: used by app.js and word.js (classic scripts share one global scope)
function unanswered(r) {
  return r !== null && !r.ok && (r.code === 'TIMEOUT' || r.code === 'UNREACHABLE');
}

/** What went wrong, for a person: the server's message and hint, else the HTTP status and its reason. */
function problemText(res, body, verb) {
  const error = body?.error;
  // the server's own text tells an API client which header to send; a person gives the token to the page
  if (needsToken(res, body)) return TOKEN_NEEDED;
  if (error?.code === 'NO_INK')
    return verb === 'draw'
      ? 'No drawing found on the pad: draw a little bigger or with a thicker stroke.'
      : 'No writing found on the canvas yet: write a little bigger or with a wider pen.';
  if (error?.message) return `${error.message} ${error.hint ?? ''}`.trim();
  const status = `HTTP ${res.status} ${res.statusText}`.trim();
  return res.ok
    ? `${status}, but the answer is not the server's (not JSON): is hcr serve at this address?`
    : status;
}

/** Retry-After (seconds or a date) in ms, or null when absent or longer than MAX_RETRY_AFTER_MS. */
function retryAfterMs(res) {
  const raw = res.headers.get('retry-after')?.trim();
  if (!raw) return null;
  const ms = /^\d+$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw) - Date.now();
  if (Number.isNaN(ms)) return null;
  return ms > MAX_RETRY_AFTER_MS ? null : Math.max(0, ms);
}

/** Waits `ms`; false when `signal` aborted meanwhile. */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Where a pointer event lands on a canvas of `width` x `height` pixels (its own, unless it is shown at the
 * screen's pixel ratio: crispPad's size at 1x): measured from its content box (inside the border and any
 * padding), which is what the canvas's pixels fill, not from its outer box.
 */
function canvasPoint(canvas, e, width = canvas.width, height = canvas.height) {
  const r = canvas.getBoundingClientRect();
  const s = getComputedStyle(canvas);
  const px = (name) => Number.parseFloat(s[name]) || 0;
  const left = px('borderLeftWidth') + px('paddingLeft');
  const top = px('borderTopWidth') + px('paddingTop');
  const shownWidth = r.width - left - px('borderRightWidth') - px('paddingRight');
  const shownHeight = r.height - top - px('borderBottomWidth') - px('paddingBottom');
  return {
    x: ((e.clientX - r.left - left) * width) / shownWidth,
    y: ((e.clientY - r.top - top) * height) / shownHeight,
  };
}

/**
 * Calls `fn` each time the screen's pixel ratio (devicePixelRatio) changes: the window moved to another screen,
 * or the page zoomed (Chromium and Firefox count zoom in the ratio). A media query on the ratio says so; a resize
 * is looked at too, as a zoom resizes the page and some changes of screen reach the page only so.
 */
function onPixelRatioChange(fn) {
  let ratio = window.devicePixelRatio;
  let query = null;
  const check = () => {
    if (window.devicePixelRatio === ratio) return;
    ratio = window.devicePixelRatio;
    watch();
    fn();
  };
  const watch = () => {
    query?.removeEventListener('change', check);
    query = window.matchMedia(`(resolution: ${ratio}dppx)`);
    query.addEventListener('change', check);
  };
  watch();
  window.addEventListener('resize', check);
}

/**
 * A canvas whose backing store has the screen's pixel ratio: `width` x `height` pixels at 1x (its size in the
 * page's terms, what its drawing is written in), devicePixelRatio times as many each way, so a phone's or a
 * HiDPI screen's own pixels draw its edges rather than 1x pixels blown up (blurred, jagged). Its context is
 * scaled, so drawing is done in 1x pixels; when the ratio changes (or the size: `resize`) the backing store
 * follows and `paint(context, size)` draws the canvas again. Returns the context and `resize(width, height)`.
 */
function crispCanvas(canvas, width, height, paint) {
  const context = canvas.getContext('2d');
  const size = { width, height };
  function fit(repaint = true) {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(size.width * ratio));
    canvas.height = Math.max(1, Math.round(size.height * ratio));
    // Its shape on the page is the backing store's (style.css: aspect-ratio auto), the 1x size's to a rounding.
    canvas.dataset.width = String(size.width);
    canvas.dataset.height = String(size.height);
    context.setTransform(canvas.width / size.width, 0, 0, canvas.height / size.height, 0, 0);
    if (repaint) paint(context, size);
  }
  onPixelRatioChange(fit);
  fit(false); // blank, its owner draws it
  return {
    context,
    size,
    resize(w, h) {
      size.width = w;
      size.height = h;
      fit();
    },
  };
}

/**
 * A drawing pad: `canvas` is shown crisp at the screen's pixel ratio (crispCanvas), and every stroke is drawn
 * alike on a canvas of its 1x size that is never shown: that one is the image sent (`toBlob`), the same pixels
 * whatever the screen, as the models were measured on (a 280x280 or 720x200 drawing at 1x).
 */
// biome-ignore lint/correctness/noUnusedVariables: used by app.js and word.js (classic scripts share one global scope)
function crispPad(canvas, width, height) {
  const sent = document.createElement('canvas');
  const ink = sent.getContext('2d');
  // Drawn since the last clear: drawn again on the shown canvas when the pixel ratio changes.
  let segments = [];
  const white = (context, size) => {
    context.fillStyle = '#fff';
    context.fillRect(0, 0, size.width, size.height);
  };
  const shown = crispCanvas(canvas, width, height, (context, size) => {
    white(context, size);
    for (const [a, b, w] of segments) drawSegment(context, a, b, w);
  });
  const pad = {
    canvas,
    sent,
    get width() {
      return shown.size.width;
    },
    get height() {
      return shown.size.height;
    },
    /** Wipes both canvases white. */
    clear() {
      segments = [];
      white(shown.context, shown.size);
      white(ink, sent);
    },
    /** A new 1x size (lines mode's taller canvas), wiped. */
    resize(w, h) {
      segments = [];
      sent.width = w;
      sent.height = h;
      shown.resize(w, h);
      pad.clear();
    },
    /** One pen segment, in 1x pixels, on both canvases (drawSegment). */
    segment(a, b, w) {
      segments.push([a, b, w]);
      drawSegment(shown.context, a, b, w);
      drawSegment(ink, a, b, w);
    },
    /** Where a pointer event lands, in 1x pixels. */
    point(e) {
      return canvasPoint(canvas, e, shown.size.width, shown.size.height);
    },
    /** The drawing as sent: a PNG of the 1x canvas. */
    toBlob(callback) {
      sent.toBlob(callback, 'image/png');
    },
  };
  pad.resize(width, height);
  return pad;
}

const modelListeners = [];
let modelAnswer = null;

/** Calls `fn` with GET /v1/model's answer, once it has come. */
// biome-ignore lint/correctness/noUnusedVariables: used by app.js and word.js (classic scripts share one global scope)
function onModel(fn) {
  if (modelAnswer) fn(modelAnswer);
  else modelListeners.push(fn);
}

/**
 * GET /v1/model; while the server cannot be reached (or answers no model), the page says so and tries again. A
 * server that needs an API token has it asked for until it takes one; cancelled, the page says so and does not nag.
 */
function fetchModel() {
  fetch('/v1/model', { headers: authHeaders() })
    .then(async (r) => {
      if (r.ok) return r.json();
      const body = await jsonOrNull(r);
      if (!needsToken(r, body)) throw new Error(`HTTP ${r.status}`);
      if (await askToken(body.error.code)) fetchModel();
      else {
        const line = document.getElementById('model-line');
        line.dataset.error = body.error.code;
        line.textContent = TOKEN_NEEDED;
      }
      return null;
    })
    .then(
      (m) => {
        if (m === null) return; // asked again, or waiting for a reload
        modelAnswer = m;
        delete document.getElementById('model-line').dataset.error;
        // One listener's failure is its own: the others still hear, and the model is not asked for again.
        for (const fn of modelListeners.splice(0))
          try {
            fn(m);
          } catch (err) {
            console.error(err);
          }
      },
      () => {
        const line = document.getElementById('model-line');
        line.dataset.error = 'UNREACHABLE';
        line.textContent = `The server could not be reached, so the model is not known yet (is hcr serve running?). Trying again every ${MODEL_RETRY_MS / 1000} s…`;
        setTimeout(fetchModel, MODEL_RETRY_MS);
      },
    );
}

fetchModel();

/**
 * One pen segment from a to b on a canvas, round-capped; a tap (a dot, a decimal point) draws a round dot of the
 * pen's width, since a line of no length draws nothing.
 */
function drawSegment(context, a, b, width) {
  context.strokeStyle = '#111';
  context.lineWidth = width;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  context.beginPath();
  if (a.x === b.x && a.y === b.y) {
    context.fillStyle = context.strokeStyle;
    context.arc(a.x, a.y, width / 2, 0, 2 * Math.PI);
    context.fill();
  } else {
    context.moveTo(a.x, a.y);
    context.lineTo(b.x, b.y);
    context.stroke();
  }
}
