// Seed 001's echo: one SDP offer (every candidate gathered first) to POST /webrtc as
// application/sdp, the answer read as text; DELETE /webrtc/{id} hangs up and finalizes the
// recording, which a signed-in caller then plays from /api/conversations/{id}/recording.
import {
  $,
  api,
  audioStats,
  auth,
  gatheringComplete,
  iceServers,
  microphone,
  mountSignIn,
  playAndMeasure,
  request,
  showError,
  stateLine,
} from "./voxhub.js";

const setState = stateLine($("#state"));
let call = null;

async function refusalOf(response) {
  try {
    return (await response.json()).error;
  } catch {
    return `HTTP ${response.status}`;
  }
}

async function start() {
  showError(null);
  $("#call").disabled = true;
  $("#recording").hidden = true;
  setState("connecting", "asking for the microphone…");
  const stream = await microphone();
  const pc = new RTCPeerConnection({ iceServers: await iceServers() });
  call = { pc, stream, started: null, id: null, meter: null, owned: Boolean(auth.token) };
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  pc.addEventListener("track", (event) => {
    call.meter = playAndMeasure(event.streams[0] ?? new MediaStream([event.track]), $("#remote"));
  });
  const offered = performance.now();
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "connected" && call?.pc === pc) {
      call.started = performance.now();
      $("#connect-ms").textContent = `${Math.round(call.started - offered)} ms`;
      setState("open", "connected: speak and hear yourself");
    } else if (["failed", "disconnected"].includes(pc.connectionState)) {
      setState("closed", `the call ${pc.connectionState}`);
    }
  });
  await pc.setLocalDescription(await pc.createOffer());
  setState("connecting", "gathering network candidates…");
  await gatheringComplete(pc);
  setState("connecting", "sending the offer…");
  const response = await fetch(api("webrtc"), {
    method: "POST",
    headers: { "Content-Type": "application/sdp", ...auth.headers() },
    body: pc.localDescription.sdp,
  });
  if (!response.ok) throw new Error(await refusalOf(response));
  call.id = response.headers.get("X-Conversation-Id");
  $("#conversation").textContent = call.id;
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  $("#hangup").disabled = false;
  call.timer = setInterval(update, 250);
}

async function update() {
  if (!call) return;
  const stats = await audioStats(call.pc);
  $("#packets-sent").textContent = stats.packetsSent;
  $("#packets-received").textContent = stats.packetsReceived;
  $("#energy").textContent = stats.energy.toFixed(6);
  if (stats.path) $("#path").textContent = `${stats.path.text}${stats.path.relayed ? " (TURN relay)" : ""}`;
  if (call.started) $("#duration").textContent = `${((performance.now() - call.started) / 1000).toFixed(2)} s`;
  const level = call.meter?.level();
  if (level) $("#meter").style.width = `${Math.min(100, level.rms * 250)}%`;
}

async function hangUp() {
  const ended = call;
  if (!ended) return;
  $("#hangup").disabled = true;
  await update();
  clearInterval(ended.timer);
  if (ended.started) {
    $("#duration").textContent = `${((performance.now() - ended.started) / 1000).toFixed(2)} s`;
  }
  call = null;
  ended.meter?.stop();
  ended.pc.close();
  for (const track of ended.stream.getTracks()) track.stop();
  setState("closed", "hung up");
  $("#call").disabled = false;
  if (!ended.id) return;
  const response = await fetch(api(`webrtc/${encodeURIComponent(ended.id)}`), {
    method: "DELETE",
    headers: auth.headers(),
  });
  if (!response.ok && response.status !== 404) throw new Error(await refusalOf(response));
  if (ended.owned) await showRecording(ended.id);
}

async function showRecording(id) {
  const facts = await request(`api/conversations/${encodeURIComponent(id)}`);
  const response = await fetch(api(`api/conversations/${encodeURIComponent(id)}/recording`), {
    headers: auth.headers(),
  });
  if (!response.ok) throw new Error(await refusalOf(response));
  const blob = await response.blob();
  $("#player").src = URL.createObjectURL(blob);
  $("#recording-facts").textContent =
    `${(blob.size / 1024).toFixed(1)} KB of Opus in OGG, ${facts.duration.toFixed(2)} s and ${facts.packets} packets by the server's clock`;
  $("#recording").hidden = false;
}

/** A failed step ends the call attempt: microphone released, peer connection closed. */
function guarded(action) {
  return () =>
    action().catch((err) => {
      showError(err);
      if (call) {
        clearInterval(call.timer);
        call.meter?.stop();
        call.pc.close();
        for (const track of call.stream.getTracks()) track.stop();
        call = null;
      }
      setState("closed", "stopped");
      $("#call").disabled = false;
      $("#hangup").disabled = true;
    });
}

mountSignIn($("#signin"));
$("#call").addEventListener("click", guarded(start));
$("#hangup").addEventListener("click", guarded(hangUp));
