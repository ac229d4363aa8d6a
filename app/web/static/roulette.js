// Seed 003's board as HEAD's room page speaks it on /ws: `join {key, version}` answered by a
// full `sync`, then `add` / `remove` / `sync` frames for every change from any tab, worker or
// REST call; a click sends `add {number}`, a click in the history `remove {index}`.
import { $, el, request, showError, Socket, stateLine } from "./voxhub.js";

const RED = new Set([1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36]);
const key = new URLSearchParams(location.search).get("key");
let history = [];

const colour = (n) => (n === 0 || n === "00" ? "green" : RED.has(n) ? "red" : "black");

function render() {
  const spins = history.map((n, index) =>
    el("span", { class: colour(n), title: "remove", "data-index": index, onclick: () => remove(index) }, String(n)),
  );
  $("#history").replaceChildren(...spins.reverse()); // newest first
  $("#count").textContent = `${history.length} spin${history.length === 1 ? "" : "s"}`;
}

function send(type, payload) {
  showError(null);
  try {
    socket.send(type, payload, { flat: true });
  } catch (err) {
    showError(err);
  }
}

const remove = (index) => send("remove", { index });

function drawBoard() {
  const rows = [[0], ["00"], [null]];
  for (let n = 1; n <= 36; n += 1) rows[Math.floor((n - 1) / 12)].push(n);
  const cells = rows.flat().map((n) =>
    n === null
      ? el("span")
      : el("button", { class: colour(n), "data-number": n, onclick: () => send("add", { number: n }) }, String(n)),
  );
  $("#board").replaceChildren(...cells);
}

async function listBoards() {
  $("#choose").hidden = false;
  $("#open").addEventListener("submit", (event) => {
    event.preventDefault();
    location.search = new URLSearchParams({ key: event.target.key.value.trim() }).toString();
  });
  try {
    const { sessions } = await request("api/roulette/sessions");
    $("#sessions").replaceChildren(
      ...sessions.slice(0, 50).map((s) =>
        el("li", {}, el("a", { href: `?key=${encodeURIComponent(s.key)}` }, s.key), ` · ${s.history.length} spins`),
      ),
    );
  } catch (err) {
    showError(err);
  }
}

let socket;
if (!key) {
  listBoards();
} else {
  $("#key").textContent = `“${key}”`;
  $("#board-section").hidden = false;
  drawBoard();
  socket = new Socket({ onState: stateLine($("#socket")) });
  socket
    .on("session", () => socket.send("join", { key, version: history.length }, { flat: true })) // again after a reconnect
    .on("sync", (payload) => {
      history = payload.history ?? [];
      render();
    })
    .on("add", (payload) => {
      if (payload.version !== history.length + 1) return send("join", { key, version: 0 });
      history.push(payload.number);
      render();
    })
    .on("remove", (payload) => {
      if (payload.version !== history.length - 1) return send("join", { key, version: 0 });
      history.splice(payload.index, 1);
      render();
    })
    .on("error", (_, frame) => showError(new Error(frame.error ?? frame.payload?.message)));
}
