// Seed 004's random chat as its web client speaks it: find_match / waiting / match_found, the
// caller offers, offer/answer/ice_candidate go to the room partner without `to`, "Next" is a
// new find_match (the server ends the room first), "Stop" is disconnect (the socket stays).
import { $, audioStats, microphone, playAndMeasure, showError, Socket, stateLine } from "./voxhub.js";

let servers = [];
// `?relay` tries the call through the TURN relay alone (iceTransportPolicy "relay"): the way to
// check that a deployment's TURN works before a user behind a strict NAT needs it.
const transportPolicy = new URLSearchParams(location.search).has("relay") ? "relay" : "all";
let call = null; // { pc, stream, meter, pending: [candidates before the remote description] }

const status = (text) => {
  $("#status").textContent = text;
};

function buttons(inRoomOrWaiting) {
  $("#start").disabled = inRoomOrWaiting;
  $("#next").disabled = !inRoomOrWaiting;
  $("#stop").disabled = !inRoomOrWaiting;
}

function endCall() {
  if (!call) return;
  clearInterval(call.timer);
  call.meter?.stop();
  call.pc.close();
  for (const track of call.stream.getTracks()) track.stop();
  call = null;
  $("#call-state").textContent = "–";
}

async function startCall(role) {
  endCall();
  for (const id of ["packets-sent", "packets-received", "energy"]) $(`#${id}`).textContent = "0";
  $("#path").textContent = "–";
  const stream = await microphone();
  const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: transportPolicy });
  call = { pc, stream, meter: null, pending: [] };
  const mine = call;
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  pc.addEventListener("track", (event) => {
    mine.meter = playAndMeasure(event.streams[0] ?? new MediaStream([event.track]), $("#remote"));
  });
  pc.addEventListener("icecandidate", (event) => {
    if (event.candidate?.candidate) socket.send("ice_candidate", event.candidate.toJSON());
  });
  pc.addEventListener("connectionstatechange", () => {
    $("#call-state").textContent = pc.connectionState;
    if (pc.connectionState === "connected") status("Connected: say hello.");
  });
  mine.timer = setInterval(() => show(mine), 250);
  if (role === "caller") {
    await pc.setLocalDescription(await pc.createOffer());
    socket.send("offer", pc.localDescription.toJSON());
  }
}

async function show(mine) {
  const stats = await audioStats(mine.pc);
  $("#packets-sent").textContent = stats.packetsSent;
  $("#packets-received").textContent = stats.packetsReceived;
  $("#energy").textContent = stats.energy.toFixed(6);
  if (stats.path) {
    $("#path").textContent = `${stats.path.text}, ${stats.path.relayed ? "through a TURN relay" : "direct (peer to peer)"}`;
  }
  const level = mine.meter?.level();
  if (level) $("#meter").style.width = `${Math.min(100, level.rms * 250)}%`;
}

async function remoteDescription(description) {
  await call.pc.setRemoteDescription(description);
  for (const candidate of call.pending.splice(0)) await call.pc.addIceCandidate(candidate);
}

// Frames are handled one at a time, in arrival order: an offer must not start a second call
// while the first is still waiting for the microphone.
let chain = Promise.resolve();
const guard = (action) => (payload) => {
  chain = chain.then(() => action(payload)).catch((err) => showError(err));
};

const socket = new Socket({ onState: stateLine($("#socket")) });
socket
  .on("session", (payload) => {
    // A new socket is a new presence: whatever room the old one had is gone.
    endCall();
    buttons(false);
    // The session frame carries the ICE servers (a TURN credential of the socket's own);
    // a server that does not send them is asked.
    if (payload.ice_servers) servers = payload.ice_servers;
    else socket.send("get_ice_servers");
  })
  .on("ice_servers", (payload) => {
    servers = payload.iceServers ?? [];
  })
  .on("waiting", (payload) => {
    status(payload.status ?? "Looking for a partner...");
  })
  .on(
    "match_found",
    guard(async (payload) => {
      $("#partner").textContent = `user ${payload.partner_id}`;
      $("#room").textContent = payload.room_id;
      status(`Matched with user ${payload.partner_id}; you are the ${payload.role}.`);
      buttons(true);
      await startCall(payload.role);
    }),
  )
  .on(
    "offer",
    guard(async (payload) => {
      if (!call) await startCall("callee");
      await remoteDescription(payload);
      await call.pc.setLocalDescription(await call.pc.createAnswer());
      socket.send("answer", call.pc.localDescription.toJSON());
    }),
  )
  .on(
    "answer",
    guard(async (payload) => {
      if (call) await remoteDescription(payload);
    }),
  )
  .on(
    "ice_candidate",
    guard(async (payload) => {
      if (!call) return;
      if (call.pc.remoteDescription) await call.pc.addIceCandidate(payload);
      else call.pending.push(payload);
    }),
  )
  .on(
    "partner_disconnected",
    guard(async (payload) => {
      endCall();
    buttons(false);
    $("#notice").textContent = payload.reason ?? "Your partner left.";
    $("#notice").hidden = false;
    $("#partner").textContent = "–";
    $("#room").textContent = "–";
      status("Press Start to be matched again.");
    }),
  )
  .on("error", (payload) => showError(new Error(payload.message ?? "the server refused")));

function act(type, after) {
  return () => {
    showError(null);
    $("#notice").hidden = true;
    try {
      endCall();
      socket.send(type);
      after();
    } catch (err) {
      showError(err);
    }
  };
}

$("#start").addEventListener("click", act("find_match", () => buttons(true)));
$("#next").addEventListener(
  "click",
  act("find_match", () => {
    $("#partner").textContent = "–";
    $("#room").textContent = "–";
    status("Looking for someone new...");
  }),
);
$("#stop").addEventListener(
  "click",
  act("disconnect", () => {
    buttons(false);
    $("#partner").textContent = "–";
    $("#room").textContent = "–";
    status("Stopped. Press Start to be matched.");
  }),
);
