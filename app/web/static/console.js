// Seed 000's mini-app routes, as its client calls them: every call carries `tma <initData>`
// inside Telegram (else a log-in's Bearer token) and reads the `{success, data}` envelope.
// A voice session is a server-metered Realtime call (POST /api/realtime/calls with this page's
// offer); the page shows what the server charges as the call goes, by polling the call.
import {
  $,
  audioStats,
  el,
  gatheringComplete,
  iceServers,
  microphone,
  mountSignIn,
  playAndMeasure,
  request,
  showError,
} from "./voxhub.js";

const VOICES = ["alloy", "ash", "ballad", "cedar", "coral", "echo", "marin", "sage", "shimmer", "verse"];

/** Telegram's initData: from its script's `Telegram.WebApp`, or the launch URL's hash. */
function telegramInitData() {
  const fromScript = window.Telegram?.WebApp?.initData;
  if (fromScript) return fromScript;
  return new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") ?? "";
}

const initData = telegramInitData();
const identity = initData ? { Authorization: `tma ${initData}` } : {};

/** A mini-app call: the envelope's `data`. */
async function call(path, options = {}) {
  const body = await request(path, { ...options, headers: identity });
  return body.data;
}

const report = (promise) => promise.catch((err) => showError(err));

function drawPlans(plans, currentName) {
  $("#plans").replaceChildren(
    ...plans.map((plan) =>
      el(
        "tr",
        { class: plan.name === currentName ? "active" : "" },
        el("td", {}, plan.name + (plan.name === currentName ? " (yours)" : "")),
        el("td", {}, `${plan.price} ${plan.currency}`),
        el("td", {}, String(plan.token_amount)),
        el("td", {}, (plan.features ?? []).join(", ")),
      ),
    ),
  );
}

function drawPrompts(prompts) {
  const limits = prompts.promptLimits;
  $("#prompt-limits").textContent =
    `plan level ${prompts.userPlan.plan_level}; own prompts ${limits.current} of ${limits.max === -1 ? "unlimited" : limits.max}`;
  const all = [...prompts.userPrompts, ...prompts.basePrompts];
  $("#prompts").replaceChildren(
    ...all.map((prompt) => {
      const chosen = prompt.id === prompts.selectedPromptId;
      return el(
        "li",
        { "data-prompt-id": prompt.id },
        el("b", {}, prompt.title),
        prompt.description ? ` · ${prompt.description} ` : " ",
        chosen
          ? el("span", { class: "muted" }, "(selected)")
          : el("button", { class: "plain", onclick: () => report(selectPrompt(prompt.id)) }, "Use"),
      );
    }),
  );
}

async function selectPrompt(id) {
  await call("api/user-prompt", { method: "POST", body: { prompt_id: id } });
  drawPrompts(await call("api/prompts"));
}

function drawHistory(messages) {
  const lines = messages.map((m) => el("p", {}, el("b", {}, `${m.message_type}: `), m.content));
  $("#history").replaceChildren(...(lines.length ? lines : [el("p", { class: "muted" }, "No conversation yet.")]));
}

async function load() {
  showError(null);
  const [account, balance, current, plans, prompts, history, voice] = await Promise.all([
    call("api/users"),
    call("api/tokens"),
    call("api/user-current-plan"),
    call("api/plans"),
    call("api/prompts"),
    call("api/conversation", { query: { limit: 20 } }),
    call("api/user-voice"),
  ]);
  const user = account.user;
  $("#name").textContent = [user.first_name, user.last_name].filter(Boolean).join(" ") +
    (user.username ? ` (@${user.username})` : "");
  $("#balance").textContent = `${balance.token_balance} tokens`;
  $("#plan").textContent = current.current_plan_name;
  $("#model").value = user.selected_model ?? "gpt-realtime";
  $("#voice").value = voice.voice;
  drawPlans(plans.plans, current.has_active_subscription ? current.current_plan_name : null);
  drawPrompts(prompts);
  drawHistory(history.messages);
  $("#app").hidden = false;
}

let voiceCall = null; // { id, pc, stream, meter, timer }

function endVoiceCall() {
  if (!voiceCall) return;
  clearInterval(voiceCall.timer);
  voiceCall.meter?.stop();
  voiceCall.pc.close();
  for (const track of voiceCall.stream.getTracks()) track.stop();
  voiceCall = null;
  $("#start-session").disabled = false;
  $("#hang-up").disabled = true;
}

/** The call as the server meters it, and the audio as this page hears it. */
async function showVoiceCall(mine) {
  const state = await call(`api/realtime/calls/${mine.id}`);
  $("#call-state").textContent = state.end_reason ? `${state.state} (${state.end_reason})` : state.state;
  $("#call-responses").textContent = String(state.responses);
  $("#call-charged").textContent = String(state.charged);
  $("#call-held").textContent = String(state.held);
  const audio = await audioStats(mine.pc);
  $("#call-packets").textContent = String(audio.packetsReceived);
  $("#call-energy").textContent = audio.energy.toFixed(6);
  $("#call-connection").textContent = mine.pc.connectionState;
  if (state.state === "ended") {
    endVoiceCall();
    $("#balance").textContent = `${(await call("api/tokens")).token_balance} tokens`;
  }
}

async function startSession() {
  $("#start-session").disabled = true;
  $("#session").textContent = "asking for the microphone…";
  try {
    const stream = await microphone();
    const pc = new RTCPeerConnection({ iceServers: await iceServers() });
    const mine = { id: null, pc, stream, meter: null, timer: null };
    voiceCall = mine;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    pc.addEventListener("track", (event) => {
      mine.meter = playAndMeasure(event.streams[0] ?? new MediaStream([event.track]), $("#assistant"));
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    $("#session").textContent = "starting the call…";
    const started = await call("api/realtime/calls", {
      method: "POST",
      body: { sdp: pc.localDescription.sdp, voice: $("#voice").value, model: $("#model").value },
    });
    mine.id = started.call_id;
    $("#call-id").textContent = String(started.call_id);
    await pc.setRemoteDescription({ type: "answer", sdp: started.sdp });
    $("#session").textContent = `Call ${started.call_id} started: speak to the assistant.`;
    $("#session").dataset.state = "ready";
    $("#hang-up").disabled = false;
    mine.timer = setInterval(() => report(showVoiceCall(mine)), 1000);
  } catch (err) {
    $("#session").textContent = "";
    endVoiceCall();
    throw err;
  }
}

async function hangUp() {
  if (!voiceCall?.id) return;
  const mine = voiceCall;
  await call(`api/realtime/calls/${mine.id}`, { method: "DELETE" });
  await showVoiceCall(mine);
}

$("#voice").replaceChildren(...VOICES.map((v) => el("option", { value: v }, v)));
$("#voice").addEventListener("change", (e) =>
  report(call("api/user-voice", { method: "POST", body: { voice: e.target.value } })),
);
$("#model").addEventListener("change", (e) =>
  report(call("api/users", { method: "PATCH", body: { selected_model: e.target.value } })),
);
$("#start-session").addEventListener("click", () => report(startSession()));
$("#hang-up").addEventListener("click", () => report(hangUp()));

if (initData) {
  $("#telegram").hidden = false;
  $("#telegram").textContent = "Signed in through Telegram.";
  $("#signin").hidden = true;
  report(load());
} else {
  mountSignIn($("#signin"), (me) => {
    $("#app").hidden = true;
    if (me) report(load());
  });
}
