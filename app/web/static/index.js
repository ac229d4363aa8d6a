// The landing page: /health and /stats, refreshed every two seconds, and the shared sign-in.
import { $, api, mountSignIn, request, showError } from "./voxhub.js";

const REFRESH_MS = 2000;

function put(id, value) {
  $(`#${id}`).textContent = value ?? "–";
}

async function health() {
  // /health answers 503 with the same body when a dependency is down: show it, not an error.
  const response = await fetch(api("health"));
  const body = await response.json();
  put("health-status", body.status);
  put("health-database", body.checks?.database);
  put("health-redis", body.checks?.redis);
  put("health-calls", body.active_conversations);
  put("health-uptime", `${Math.round(body.uptime_seconds)} s`);
  $("#health-state").dataset.state = body.status === "ok" ? "open" : "closed";
}

async function stats() {
  const body = await request("stats");
  put("stats-active", body.active_users);
  put("stats-waiting", body.waiting_users);
  put("stats-rooms", body.active_rooms);
  put("stats-workers", body.workers);
}

async function refresh() {
  try {
    await Promise.all([health(), stats()]);
    showError(null);
  } catch (err) {
    showError(err.message ? err : new Error("the server cannot be reached"));
    $("#health-state").dataset.state = "closed";
  }
  setTimeout(refresh, REFRESH_MS);
}

mountSignIn($("#signin"));
refresh();
