"""The Redis keys and Lua scripts of the conversation ticket locks, shared by both environments.

bot/lock_store.py (Rasa, bot env) takes a lock for every turn; channels/forget.py (gateway, services env) takes the
same lock before it deletes a conversation, so a turn in flight cannot write the conversation back. Plain Python, no
imports: both Python versions load it.

Per conversation:
- `<prefix>:lock:{<conversation>}:seq` — a counter; INCR gives every ticket a unique, increasing number;
- `<prefix>:lock:{<conversation>}:queue` — a sorted set of the live tickets (member: number, score: expiry in ms of
  Redis's own clock, so the servers' clocks never have to agree);
- `<prefix>:lock:{<conversation>}:owners` — ticket number → the id of the Rasa server holding it.
The lowest live ticket is served; finishing removes it, and the queue goes with its last ticket.

A Rasa server keeps `<prefix>:alive:<server id>` alive (a heartbeat with a short expiry). A ticket whose owner's
heartbeat is gone belongs to a dead server: it is dropped when it blocks the queue, so a server killed while holding a
lock delays that conversation for the heartbeat's expiry (seconds), not the lock lifetime (a minute). Tickets without
an owner (the gateway's) expire with their lifetime only. The heartbeat keys are read by name inside the scripts: fine
on one Redis (and Sentinel); Redis Cluster would need them in the conversation's hash slot.
"""


def queue_key(prefix: str, conversation_id: str) -> str:
    return f"{prefix}:lock:{{{conversation_id}}}:queue"


def seq_key(prefix: str, conversation_id: str) -> str:
    return f"{prefix}:lock:{{{conversation_id}}}:seq"


def owners_key(prefix: str, conversation_id: str) -> str:
    return f"{prefix}:lock:{{{conversation_id}}}:owners"


def alive_prefix(prefix: str) -> str:
    """Prefix of the heartbeat keys: `<prefix>:alive:<server id>`."""
    return f"{prefix}:alive:"


# Shared head of every script: Redis's clock in ms, and expired tickets dropped (they were given up on).
_NOW_AND_PRUNE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
"""

# KEYS: queue, seq, owners. ARGV: lifetime in ms, owner id ('' for none). Returns the new ticket's number.
ISSUE_SCRIPT = (
    _NOW_AND_PRUNE
    + """
local lifetime = tonumber(ARGV[1])
local number = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], now + lifetime, number)
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[3], number, ARGV[2])
  redis.call('PEXPIRE', KEYS[3], lifetime + 1000)
end
-- the counter must outlive every ticket it numbered, or a number could be given twice
redis.call('PEXPIRE', KEYS[1], lifetime + 1000)
redis.call('PEXPIRE', KEYS[2], lifetime + 1000)
return number
"""
)

# KEYS: queue, owners. ARGV: ticket number, heartbeat key prefix. Returns 1 when it is this ticket's turn, 0 when it
# must wait, -1 when the ticket expired (or was never issued). Tickets ahead whose owner is dead are dropped first.
TURN_SCRIPT = (
    _NOW_AND_PRUNE
    + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return -1
end
while true do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if first == ARGV[1] then
    return 1
  end
  local owner = redis.call('HGET', KEYS[2], first)
  if (not owner) or redis.call('EXISTS', ARGV[2] .. owner) == 1 then
    return 0
  end
  redis.call('ZREM', KEYS[1], first)
  redis.call('HDEL', KEYS[2], first)
end
"""
)

# KEYS: queue, owners. ARGV: ticket number. Removes the ticket; the keys go with its last ticket. Returns tickets left.
FINISH_SCRIPT = (
    _NOW_AND_PRUNE
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
end
return left
"""
)

# KEYS: queue. Returns the live tickets as a flat list: number, expiry ms, number, expiry ms, ...
SNAPSHOT_SCRIPT = (
    _NOW_AND_PRUNE
    + """
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
"""
)
