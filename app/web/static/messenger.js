// Seed 002's messenger: chats over REST, `chat.send` on /ws answered by `chat.ack`, every
// member's sockets get `chat.message`, `ai.advice` reaches its owner alone. After a reconnect
// the open chat is backfilled from `messages?after_id=<last seen>` (and its advice likewise).
import { $, auth, el, mountSignIn, request, showError, Socket, stateLine } from "./voxhub.js";

const setSocketState = stateLine($("#socket"));
let me = null;
let socket = null;
let chats = [];
let current = null; // { id, lastId, lastAdviceId }
const unread = new Set();

const clientMsgId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
const report = (promise) => promise.catch((err) => showError(err));

function chatName(chat) {
  const others = chat.members.map((m) => m.user_id).filter((id) => id !== me.user.id);
  return chat.title ?? `Chat #${chat.id} with ${others.length ? others.map((id) => `#${id}`).join(", ") : "yourself"}`;
}

function drawChats() {
  $("#chats").replaceChildren(
    ...chats.map((chat) =>
      el(
        "li",
        {
          "data-chat-id": chat.id,
          class: [current?.id === chat.id ? "active" : "", unread.has(chat.id) ? "unread" : ""].join(" "),
          onclick: () => report(openChat(chat.id)),
        },
        chatName(chat),
      ),
    ),
  );
}

async function loadChats() {
  chats = await request("api/chats");
  drawChats();
}

function addMessage(message) {
  if (message.chat_id !== current?.id || message.id <= current.lastId) return;
  current.lastId = message.id;
  const mine = message.sender_id === me.user.id;
  const who = mine ? "me" : `#${message.sender_id}${message.ai_generated ? " (AI)" : ""}`;
  const line = el("p", { class: `${mine ? "mine" : ""} ${message.ai_generated ? "ai" : ""}`, "data-id": message.id });
  line.append(el("b", {}, `${who}: `), message.text);
  $("#messages").append(line);
  $("#messages").scrollTop = $("#messages").scrollHeight;
}

function addAdvice(advice) {
  if (advice.chat_id !== current?.id || advice.id <= current.lastAdviceId) return;
  current.lastAdviceId = advice.id;
  $("#advice").append(el("p", { "data-id": advice.id }, advice.text));
}

async function openChat(id) {
  current = { id, lastId: 0, lastAdviceId: 0 };
  unread.delete(id);
  const chat = chats.find((c) => c.id === id);
  $("#chat-title").textContent = chatName(chat);
  $("#ai-mode").value = chat.members.find((m) => m.user_id === me.user.id)?.ai_mode ?? "off";
  $("#ai-mode").disabled = false;
  $("#send-button").disabled = false;
  $("#messages").replaceChildren();
  $("#advice").replaceChildren();
  drawChats();
  await backfill();
}

/** Everything of the open chat after what is shown: the first load and every reconnect. */
async function backfill() {
  if (!current) return;
  const { id, lastId, lastAdviceId } = current;
  const query = lastId ? { after_id: lastId, limit: 200 } : { limit: 50 };
  for (const message of await request(`api/chats/${id}/messages`, { query })) addMessage(message);
  for (const advice of await request(`api/chats/${id}/advice`, { query: { after_id: lastAdviceId || undefined, limit: 200 } })) {
    addAdvice(advice);
  }
}

function connect() {
  socket?.close();
  socket = new Socket({ token: auth.token, onState: setSocketState });
  socket
    .on("session", () => report(backfill()))
    .on("chat.message", (message) => {
      if (!chats.some((c) => c.id === message.chat_id)) report(loadChats()); // a chat new to me
      if (message.chat_id === current?.id) addMessage(message);
      else {
        unread.add(message.chat_id);
        drawChats();
      }
    })
    .on("chat.ack", (payload) => addMessage(payload.message))
    .on("ai.advice", (advice) => {
      if (advice.chat_id === current?.id) addAdvice(advice);
      else {
        unread.add(advice.chat_id);
        drawChats();
      }
    })
    .on("error", (payload) => showError(new Error(payload.message ?? "the server refused")));
}

mountSignIn($("#signin"), (who) => {
  me = who?.user ? who : null;
  $("#app").hidden = !me;
  current = null;
  if (!me) {
    socket?.close();
    socket = null;
    setSocketState("closed", "sign in to chat");
    return;
  }
  connect();
  report(loadChats());
});

$("#refresh").addEventListener("click", () => report(loadChats()));

$("#new-chat").addEventListener("submit", (event) => {
  event.preventDefault();
  showError(null);
  const ids = $("#new-members").value.split(/[\s,]+/).filter(Boolean).map(Number);
  const title = $("#new-title").value.trim() || undefined;
  report(
    (async () => {
      const chat = await request("api/chats", { method: "POST", body: { member_ids: ids, title } });
      await loadChats();
      await openChat(chat.id);
      event.target.reset();
    })(),
  );
});

$("#send").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("#text").value;
  if (!current || !text.trim()) return;
  showError(null);
  try {
    socket.send("chat.send", { chat_id: current.id, text, client_msg_id: clientMsgId() });
    $("#text").value = "";
  } catch (err) {
    showError(err);
  }
});

$("#ai-mode").addEventListener("change", (event) => {
  showError(null);
  const mode = event.target.value;
  report(
    (async () => {
      try {
        const chat = await request(`api/chats/${current.id}/ai`, { method: "PUT", body: { mode } });
        chats = chats.map((c) => (c.id === chat.id ? chat : c));
      } catch (err) {
        event.target.value = "off";
        throw err;
      }
    })(),
  );
});
