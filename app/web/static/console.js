// Seed 000's mini-app routes, as its client calls them: every call carries `tma <initData>`
// inside Telegram (else a log-in's Bearer token) and reads the `{success, data}` envelope.
// A voice session is the ephemeral-token flow: GET /api/token mints an OpenAI Realtime key.
import { $, el, mountSignIn, request, showError } from "./voxhub.js";

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

async function startSession() {
  $("#session").textContent = "asking for a session key…";
  try {
    const token = await call("api/token");
    const expires = new Date(token.expires_at * 1000).toLocaleTimeString();
    const session = token.session ?? {};
    $("#session").textContent =
      `Session ready: ${session.model ?? "model"} with voice ${session.audio?.output?.voice ?? "?"}, key valid until ${expires}.`;
    $("#session").dataset.state = "ready";
  } catch (err) {
    $("#session").textContent = "";
    throw err;
  }
}

$("#voice").replaceChildren(...VOICES.map((v) => el("option", { value: v }, v)));
$("#voice").addEventListener("change", (e) =>
  report(call("api/user-voice", { method: "POST", body: { voice: e.target.value } })),
);
$("#model").addEventListener("change", (e) =>
  report(call("api/users", { method: "PATCH", body: { selected_model: e.target.value } })),
);
$("#start-session").addEventListener("click", () => report(startSession()));

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
