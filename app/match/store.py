"""The waiting queue and the rooms, in Redis, changed only by Lua scripts.

A script runs alone on the Redis server, so pairing is atomic across every worker and pod:
a user is never in two rooms, never paired with themselves, and never with a ghost (a queued
user whose presence key expired because their worker died) - ghosts met at the head of the
queue are dropped on the spot.

Keys: `voxhub:match:queue` (sorted set, score = enqueue time in ms, oldest first),
`voxhub:match:rooms` (hash room id -> "caller\\ncallee"), `voxhub:match:user_room` (hash user
id -> room id). One hash per role keeps /stats to HLEN/ZCARD calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from app.ws.presence import PRESENCE_PREFIX

QUEUE_KEY = "voxhub:match:queue"
ROOMS_KEY = "voxhub:match:rooms"
USER_ROOM_KEY = "voxhub:match:user_room"
_KEYS = (QUEUE_KEY, ROOMS_KEY, USER_ROOM_KEY)

# Shared prologue: leave the current room (returns the partner left behind) and the queue.
_LEAVE = """
local queue, rooms, user_room = KEYS[1], KEYS[2], KEYS[3]
local uid = ARGV[1]
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
  end
end
redis.call('ZREM', queue, uid)
"""

_FIND = (
    _LEAVE
    + """
local room_id, now, presence = ARGV[2], tonumber(ARGV[3]), ARGV[4]
while true do
  local head = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
  if #head == 0 then
    redis.call('ZADD', queue, now, uid)
    return {'waiting', left, left_room, '', '0',
            redis.call('ZCARD', queue), redis.call('HLEN', rooms)}
  end
  local partner, since = head[1], tonumber(head[2])
  redis.call('ZREM', queue, partner)
  if partner ~= uid and redis.call('EXISTS', presence .. partner) == 1
      and redis.call('HEXISTS', user_room, partner) == 0 then
    redis.call('HSET', rooms, room_id, partner .. '\\n' .. uid)
    redis.call('HSET', user_room, partner, room_id, uid, room_id)
    return {'matched', left, left_room, partner, tostring(now - since),
            redis.call('ZCARD', queue), redis.call('HLEN', rooms)}
  end
end
"""
)

_LEAVE_ONLY = (
    _LEAVE
    + """
return {left, left_room, redis.call('ZCARD', queue), redis.call('HLEN', rooms)}
"""
)


@dataclass(frozen=True, slots=True)
class Left:
    """The room a user just left: the partner to tell, or '' when there was none."""

    partner: str
    room_id: str
    waiting: int
    rooms: int


@dataclass(frozen=True, slots=True)
class Found:
    """`partner` is '' while waiting; when matched, the partner is the caller."""

    left: Left
    partner: str
    waited_seconds: float

    @property
    def matched(self) -> bool:
        return bool(self.partner)


class MatchStore:
    def __init__(self, redis: Redis, departures: Redis) -> None:
        self.redis = redis
        self.departures = departures
        self._find = redis.register_script(_FIND)
        self._leave = departures.register_script(_LEAVE_ONLY)

    async def find(self, user_id: str, room_id: str) -> Found:
        now_ms = int(time.time() * 1000)
        status, left, left_room, partner, waited_ms, waiting, rooms = await self._find(
            keys=_KEYS, args=[user_id, room_id, now_ms, PRESENCE_PREFIX]
        )
        gone = Left(left, left_room, int(waiting), int(rooms))
        if status == "waiting":
            return Found(gone, "", 0.0)
        return Found(gone, partner, int(waited_ms) / 1000)

    async def leave(self, user_id: str) -> Left:
        left, left_room, waiting, rooms = await self._leave(keys=_KEYS, args=[user_id])
        return Left(left, left_room, int(waiting), int(rooms))

    async def sizes(self) -> tuple[int, int, int]:
        """(waiting users, rooms, users in rooms)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(QUEUE_KEY)
            pipe.hlen(ROOMS_KEY)
            pipe.hlen(USER_ROOM_KEY)
            waiting, rooms, in_rooms = await pipe.execute()
        return int(waiting), int(rooms), int(in_rooms)
