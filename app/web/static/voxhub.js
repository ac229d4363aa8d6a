// The plumbing every page shares: URLs relative to where Voxhub is served, sign-in, REST calls
// that turn the server's refusals into plain sentences, the /ws socket with its reconnects, and
// the WebRTC pieces (ICE servers, microphone, stats). No page talks to the server any other way.

const ROOT = new URL("../", import.meta.url); // this module lives in <root>/web/
const TOKEN_KEY = "voxhub.token";

/** An absolute URL for a server path ("api/plans"), under whatever prefix serves the pages. */
export function api(path, query) {
  const url = new URL(path.replace(/^\//, ""), ROOT);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) url.searchParams.set(name, value);
  }
  return url;
}

/** The socket URL: `ws` from an `http` page, `wss` from an `https` one (as nginx serves it). */
export function socketUrl(path, query) {
  const url = api(path, query);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** An element with attributes and children, for the few lists the pages draw. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick") node.addEventListener("click", value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
  }
  node.append(...children.filter((child) => child !== undefined && child !== null));
  return node;
}

/** Show an error where the page keeps its messages; `null` clears it. */
export function showError(error, where = $("#error")) {
  if (!where) return;
  where.textContent = error ? String(error.message ?? error) : "";
  where.hidden = !error;
}

// -- identity ---------------------------------------------------------------------------------

/** The signed-in user's token (a `user` JWT from /api/auth/*), kept across pages. */
export const auth = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  },
  headers() {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  },
};

/** The server's own words for a refusal: `error`, a socket `payload.message`, or the status. */
function refusal(status, body) {
  const text = body?.error ?? body?.message ?? body?.payload?.message;
  if (typeof text === "string" && text) return text;
  if (status === 429) return "too many requests; wait a moment and try again";
  if (status >= 500) return `the server could not answer (HTTP ${status})`;
  return `the request was refused (HTTP ${status})`;
}

/** A JSON call; throws an Error carrying the server's message on any non-2xx answer. */
export async function request(path, { method = "GET", body, query, headers = {} } = {}) {
  const init = { method, headers: { ...auth.headers(), ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(api(path, query), init);
  } catch {
    throw new Error("the server cannot be reached; check that Voxhub is running");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new Error(refusal(response.status, data));
    error.status = response.status;
    throw error;
  }
  return data;
}

/** Log in, or sign up first when `create` is set; the token is kept for every page. */
export async function signIn(username, password, create = false) {
  const session = await request(create ? "api/auth/register" : "api/auth/login", {
    method: "POST",
    body: { username, password },
  });
  auth.token = session.access_token;
  return session;
}

/** The small sign-in form the pages share: calls `onChange(me | null)` on every change. */
export function mountSignIn(root, onChange) {
  const form = el(
    "form",
    { class: "signin" },
    el("input", { name: "username", placeholder: "username", autocomplete: "username" }),
    el("input", { name: "password", type: "password", placeholder: "password" }),
    el("button", { name: "login", type: "submit" }, "Log in"),
    el("button", { name: "register", type: "button" }, "Sign up"),
  );
  const who = el("span", { class: "who" });
  const out = el("button", { name: "logout", type: "button" }, "Log out");
  const signedIn = el("div", { class: "signed-in" }, who, " ", out);
  const error = el("p", { class: "error", hidden: true });
  root.replaceChildren(form, signedIn, error);

  async function refresh() {
    let me = null;
    if (auth.token) {
      try {
        me = await request("api/auth/me");
      } catch (err) {
        if (err.status === 401) auth.token = null;
        else showError(err, error);
      }
    }
    form.hidden = Boolean(me);
    signedIn.hidden = !me;
    const id = me?.user?.id ?? me?.sub ?? "";
    const name = me?.user?.username ?? me?.user?.first_name ?? `user ${id}`;
    who.textContent = me ? `Signed in as ${name} (#${id})` : "";
    who.dataset.userId = id;
    onChange?.(me);
  }

  async function submit(create) {
    showError(null, error);
    try {
      await signIn(form.username.value.trim(), form.password.value, create);
      await refresh();
    } catch (err) {
      showError(err, error);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(false);
  });
  form.register.addEventListener("click", () => submit(true));
  out.addEventListener("click", () => {
    auth.token = null;
    refresh();
  });
  refresh();
  return { refresh };
}

// -- the /ws socket ---------------------------------------------------------------------------

/**
 * Voxhub's `/ws`: JSON frames by `type`, the `session` frame first, `ping` answered with
 * `pong`. After a drop it reconnects as the README asks: `Retry-After`-like hints of a 1013
 * close, otherwise exponential back-off (1, 2, 4 ... 30 s) with jitter, and with the token of
 * the last `session` frame so the user id stays the same.
 */
export class Socket {
  constructor({ token = auth.token, onState } = {}) {
    this.token = token;
    this.onState = onState ?? (() => {});
    this.handlers = new Map();
    this.attempt = 0;
    this.session = null;
    this.closed = false;
    this.connect();
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
    return this;
  }

  /** Handlers get the frame's `payload`, or the frame itself for the seeds' flat frames. */
  emit(type, frame) {
    for (const handler of this.handlers.get(type) ?? []) handler(frame.payload ?? frame, frame);
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN && this.session !== null;
  }

  connect() {
    this.session = null;
    this.onState("connecting", "connecting…");
    const ws = new WebSocket(socketUrl("ws", this.token ? { token: this.token } : {}));
    this.ws = ws;
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => this.dropped(ws, event);
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "ping") {
      this.send("pong");
      return;
    }
    if (frame.type === "session") {
      this.session = frame.payload;
      this.token = frame.payload.token;
      this.attempt = 0;
      this.onState("open", `connected as user ${frame.payload.user_id} (worker ${frame.payload.worker})`);
    }
    this.emit(frame.type, frame);
  }

  dropped(ws, event) {
    if (ws !== this.ws) return;
    this.session = null;
    if (this.closed) {
      this.onState("closed", "disconnected");
      return;
    }
    if (event.code === 4001) {
      this.onState("closed", "the server refused the sign-in token; sign in again");
      return;
    }
    const hinted = /retry in (\d+)/.exec(event.reason ?? "");
    const step = Math.min(30, 2 ** this.attempt);
    const delay = hinted ? Number(hinted[1]) : step * (0.5 + Math.random());
    this.attempt += 1;
    const why = event.reason || `code ${event.code}`;
    this.onState("reconnecting", `connection lost (${why}); reconnecting in ${delay.toFixed(1)} s`);
    this.timer = setTimeout(() => this.connect(), delay * 1000);
  }

  /** `{type, payload}`, or with `flat` the fields beside `type` as the roulette clients send. */
  send(type, fields = {}, { flat = false } = {}) {
    if (this.ws?.readyState !== WebSocket.OPEN) throw new Error("not connected to the server yet");
    this.ws.send(JSON.stringify(flat ? { ...fields, type } : { type, payload: fields }));
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
  }
}

/** Writes a socket's state into `element` (class and text), for the pages' status line. */
export function stateLine(element) {
  return (state, text) => {
    element.dataset.state = state;
    element.textContent = text;
  };
}

// -- WebRTC -----------------------------------------------------------------------------------

/** The ICE servers to hand to RTCPeerConnection, with a TURN credential for a signed-in user. */
export async function iceServers() {
  return (await request("api/ice-servers")).iceServers;
}

export async function microphone() {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error("this browser gives no microphone here (pages need https or localhost)");
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  } catch (err) {
    throw new Error(`no microphone: ${err.message || err.name}`);
  }
}

/** Resolves once the peer connection has gathered every candidate (non-trickle offers). */
export function gatheringComplete(pc, timeoutMs = 5000) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, timeoutMs); // send what was gathered rather than hang
  });
}

/** The network path ICE chose: "addr:port ↔ addr:port", and whether a TURN relay carries it. */
function selectedPath(report) {
  let pair = null;
  report.forEach((stat) => {
    if (stat.type === "transport" && stat.selectedCandidatePairId) pair = report.get(stat.selectedCandidatePairId);
  });
  const local = pair && report.get(pair.localCandidateId);
  const remote = pair && report.get(pair.remoteCandidateId);
  if (!local || !remote) return null;
  const relayed = local.candidateType === "relay" || remote.candidateType === "relay";
  const where = (c) => `${c.address ?? c.ip}:${c.port}`;
  return { text: `${where(local)} ↔ ${where(remote)}`, relayed };
}

/** Audio counters of a call: packets each way, the received audio's energy, the path. */
export async function audioStats(pc) {
  const totals = { packetsSent: 0, packetsReceived: 0, bytesReceived: 0, energy: 0 };
  const report = await pc.getStats();
  totals.path = selectedPath(report);
  report.forEach((stat) => {
    if (stat.kind !== "audio") return;
    if (stat.type === "outbound-rtp") totals.packetsSent += stat.packetsSent ?? 0;
    if (stat.type === "inbound-rtp") {
      totals.packetsReceived += stat.packetsReceived ?? 0;
      totals.bytesReceived += stat.bytesReceived ?? 0;
      totals.energy += stat.totalAudioEnergy ?? 0;
    }
  });
  return totals;
}

/** Plays a remote stream in `audio` and measures its loudness with WebAudio (0..1 RMS). */
export function playAndMeasure(stream, audio) {
  audio.srcObject = stream;
  audio.play().catch(() => {});
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let peak = 0;
  return {
    level() {
      analyser.getFloatTimeDomainData(samples);
      const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
      peak = Math.max(peak, rms);
      return { rms, peak };
    },
    stop() {
      context.close();
      audio.srcObject = null;
    },
  };
}
