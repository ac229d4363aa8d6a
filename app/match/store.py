"""The waiting queue and the rooms, in Redis, changed only by Lua scripts.

A script runs alone on the Redis server, so pairing is atomic across every worker and pod:
a user is never in two rooms, never paired with themselves, and never with a ghost (a queued
user whose presence key expired because their worker died) - ghosts met at the head of the
queue are dropped on the spot. The scripts also publish the frames their changes cause
(`app.match.notices`), so that a frame can never tell of a room that the script did not make.

Keys: `voxhub:match:queue` (sorted set, score = enqueue time in ms, oldest first),
`voxhub:match:rooms` (hash room id -> "caller\\ncallee"), `voxhub:match:user_room` (hash user
id -> room id). One hash per role keeps /stats to HLEN/ZCARD calls. The caller is the user whose
`find` completed the pair, the callee the one who waited (seed 004's roles).

With `requeue` (MATCH_ON_CONNECT), a user whose partner leaves goes back into the queue in the
same script, silently, as seed 004's original server did; so does a new socket (`join_pool`).

Throughput: a worker sends its `find` requests in batches, one batch in flight at a time. What
arrives while a batch is out goes in the next one, so under load one round trip serves many
users, and alone a request waits for no timer. The script handles a batch's users one after
another, exactly as if each had sent its own script.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from app.match import notices
from app.ws.delivery import USER_CHANNEL_PREFIX
from app.ws.presence import PRESENCE_PREFIX

QUEUE_KEY = "voxhub:match:queue"
ROOMS_KEY = "voxhub:match:rooms"
USER_ROOM_KEY = "voxhub:match:user_room"
_KEYS = (QUEUE_KEY, ROOMS_KEY, USER_ROOM_KEY)

# Users per script: a batch holds Redis for about 20 us per user, so this bounds the pause
# every other client sees to a couple of milliseconds.
MAX_BATCH = 64

# Shared prologue: `leave` takes a user out of their room (telling the partner left behind,
# with the partner-left template) and out of the queue; `rejoin` queues a live user who is in
# no room and not queued yet.
_LEAVE = """
local queue, rooms, user_room = KEYS[1], KEYS[2], KEYS[3]
local function leave(uid, channels, notice_head, notice_tail)
  local left, left_room = '', ''
  local room = redis.call('HGET', user_room, uid)
  if room then
    local members = redis.call('HGET', rooms, room)
    redis.call('HDEL', rooms, room)
    redis.call('HDEL', user_room, uid)
    if members then
      local caller, callee = string.match(members, '^(.-)\\n(.*)$')
      left = (caller == uid) and callee or caller
      left_room = room
      if redis.call('HGET', user_room, left) == room then
        redis.call('HDEL', user_room, left)
      end
      redis.call('PUBLISH', channels .. left, notice_head .. cjson.encode(room) .. notice_tail)
    end
  end
  redis.call('ZREM', queue, uid)
  return left, left_room
end
local function rejoin(uid, presence, now)
  if redis.call('EXISTS', presence .. uid) == 1 and redis.call('HEXISTS', user_room, uid) == 0 then
    redis.call('ZADD', queue, 'NX', now, uid)
  end
end
"""

# ARGV: now (ms), presence prefix, channel prefix, partner-left template (2 parts),
# caller's and callee's match_found templates (3 parts each), requeue ('1' or '0'), then
# (user id, room id) pairs. Returns 5 values per user (status, partner left, room left,
# partner, waited ms), then the queue length and the number of rooms.
_FIND = (
    _LEAVE
    + """
local now, presence, channels = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local function announce(to, template, partner, room)
  redis.call('PUBLISH', channels .. to, template[1] .. cjson.encode(partner) .. template[2]
             .. cjson.encode(room) .. template[3])
end
local caller, callee = {ARGV[6], ARGV[7], ARGV[8]}, {ARGV[9], ARGV[10], ARGV[11]}
local requeue = ARGV[12] == '1'
local function pair(uid, room_id)
  while true do
    local head = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
    if #head == 0 then
      redis.call('ZADD', queue, now, uid)
      return 'waiting', '', '0'
    end
    local partner, since = head[1], tonumber(head[2])
    redis.call('ZREM', queue, partner)
    if partner ~= uid and redis.call('EXISTS', presence .. partner) == 1
        and redis.call('HEXISTS', user_room, partner) == 0 then
      redis.call('HSET', rooms, room_id, uid .. '\\n' .. partner)
      redis.call('HSET', user_room, partner, room_id, uid, room_id)
      announce(partner, callee, uid, room_id)
      announce(uid, caller, partner, room_id)
      return 'matched', partner, tostring(now - since)
    end
  end
end
local function find(uid, room_id)
  local left, left_room = leave(uid, channels, ARGV[4], ARGV[5])
  local status, partner, waited = pair(uid, room_id)
  -- after pairing, so that "next" never lands straight back with the partner it skipped
  if requeue and left ~= '' then
    rejoin(left, presence, now)
  end
  return {status, left, left_room, partner, waited}
end
local results = {}
for i = 13, #ARGV, 2 do
  for _, value in ipairs(find(ARGV[i], ARGV[i + 1])) do
    results[#results + 1] = value
  end
end
results[#results + 1] = redis.call('ZCARD', queue)
results[#results + 1] = redis.call('HLEN', rooms)
return results
"""
)
_FIND_FIELDS = 5

# ARGV: channel prefix, partner-left template (2 parts), user id, presence prefix, and the
# time (ms) to requeue the partner left behind at, or '' to leave them out of the queue.
_LEAVE_ONLY = (
    _LEAVE
    + """
if ARGV[7] == '1' and redis.call('EXISTS', ARGV[5] .. ARGV[4]) == 1 then
  return {'', '', redis.call('ZCARD', queue), redis.call('HLEN', rooms)}
end
local left, left_room = leave(ARGV[4], ARGV[1], ARGV[2], ARGV[3])
if ARGV[6] ~= '' and left ~= '' then
  rejoin(left, ARGV[5], tonumber(ARGV[6]))
end
return {left, left_room, redis.call('ZCARD', queue), redis.call('HLEN', rooms)}
"""
)

# ARGV: user id, presence prefix, now (ms). Returns the queue length and the number of rooms.
_JOIN = (
    _LEAVE
    + """
rejoin(ARGV[1], ARGV[2], tonumber(ARGV[3]))
return {redis.call('ZCARD', queue), redis.call('HLEN', rooms)}
"""
)


@dataclass(frozen=True, slots=True)
class Left:
    """The room a user just left: the partner told, or '' when there was none."""

    partner: str
    room_id: str
    waiting: int
    rooms: int


@dataclass(frozen=True, slots=True)
class Found:
    """`partner` is '' while waiting; when matched, the partner is the callee."""

    left: Left
    partner: str
    waited_seconds: float

    @property
    def matched(self) -> bool:
        return bool(self.partner)


@dataclass(frozen=True, slots=True)
class _Request:
    user_id: str
    room_id: str
    answer: asyncio.Future[Found]


def _now_ms() -> int:
    return int(time.time() * 1000)


class MatchStore:
    def __init__(self, redis: Redis, departures: Redis, *, requeue: bool = False) -> None:
        self.redis = redis
        self.departures = departures
        self.requeue = requeue
        self._find = redis.register_script(_FIND)
        self._leave = departures.register_script(_LEAVE_ONLY)
        self._join = redis.register_script(_JOIN)
        self._queued: list[_Request] = []
        self._sender: asyncio.Task[None] | None = None

    async def find(self, user_id: str, room_id: str) -> Found:
        """Leave the current room, then pair with the longest-waiting live user (room
        `room_id`, both members told) or join the queue."""
        answer: asyncio.Future[Found] = asyncio.get_running_loop().create_future()
        self._queued.append(_Request(user_id, room_id, answer))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_batches())
        return await answer

    async def _send_batches(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued[:MAX_BATCH], self._queued[MAX_BATCH:]
                # A request whose socket closed meanwhile was cancelled with its handler:
                # sending it would queue a user who has already left.
                batch = [request for request in batch if not request.answer.cancelled()]
                if batch:
                    await self._find_batch(batch)
        finally:
            self._sender = None

    async def _find_batch(self, batch: list[_Request]) -> None:
        args: list[str | int] = [
            _now_ms(),
            PRESENCE_PREFIX,
            USER_CHANNEL_PREFIX,
            *notices.partner_left(notices.REASON_LEFT),
            *notices.match_found("caller"),
            *notices.match_found("callee"),
            "1" if self.requeue else "0",
        ]
        for request in batch:
            args += (request.user_id, request.room_id)
        try:
            answers = self._answers(await self._find(keys=_KEYS, args=args), len(batch))
        except Exception as exc:  # every request of the batch fails alike; none may hang
            for request in batch:
                if not request.answer.done():
                    request.answer.set_exception(exc)
            return
        for request, found in zip(batch, answers, strict=True):
            if not request.answer.done():  # its handler may have been cancelled meanwhile
                request.answer.set_result(found)

    @staticmethod
    def _answers(reply: list[str | int], count: int) -> list[Found]:
        waiting, rooms = int(reply[-2]), int(reply[-1])
        answers = []
        for index in range(count):
            status, left, left_room, partner, waited_ms = reply[
                index * _FIND_FIELDS : (index + 1) * _FIND_FIELDS
            ]
            gone = Left(str(left), str(left_room), waiting, rooms)
            if status == "matched":
                answers.append(Found(gone, str(partner), int(waited_ms) / 1000))
            else:
                answers.append(Found(gone, "", 0.0))
        return answers

    async def leave(self, user_id: str, reason: str, *, only_if_offline: bool = False) -> Left:
        """Leave the room (the partner is told, with `reason`) and the queue.

        `only_if_offline`: for a user whose worker died (the janitor's call), nothing is left
        if the user is online now. The janitor saw them offline, but they may have reconnected
        to a live worker and joined a new room since: checked in the same script as the leave,
        and a reconnecting socket marks its presence before it can join anything, so a new
        room is never ended on behalf of the dead worker's socket."""
        left, left_room, waiting, rooms = await self._leave(
            keys=_KEYS,
            args=[
                USER_CHANNEL_PREFIX,
                *notices.partner_left(reason),
                user_id,
                PRESENCE_PREFIX,
                _now_ms() if self.requeue else "",
                "1" if only_if_offline else "",
            ],
        )
        return Left(left, left_room, int(waiting), int(rooms))

    async def join_pool(self, user_id: str) -> tuple[int, int]:
        """Wait for a partner without a `find` of one's own (unless in a room or queued
        already): someone else's `find` may pick this user. Returns (waiting users, rooms)."""
        waiting, rooms = await self._join(keys=_KEYS, args=[user_id, PRESENCE_PREFIX, _now_ms()])
        return int(waiting), int(rooms)

    async def sizes(self) -> tuple[int, int, int]:
        """(waiting users, rooms, users in rooms)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(QUEUE_KEY)
            pipe.hlen(ROOMS_KEY)
            pipe.hlen(USER_ROOM_KEY)
            waiting, rooms, in_rooms = await pipe.execute()
        return int(waiting), int(rooms), int(in_rooms)
