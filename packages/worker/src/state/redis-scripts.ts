/**
 * The Lua scripts of backend `redis`. Each runs atomically on the server and reads the clock with
 * TIME, so hosts with skewed clocks still share one window. Redis >= 5 replicates a script's
 * effects (not the script), which is what makes TIME allowed in a writing script.
 *
 * rpm and tpm are exact sliding windows kept as weighted logs. A process sends its turn's admits in
 * one script call, which happens at one instant (one TIME), so the call's admissions are one log
 * entry, its "bucket" (the server time in microseconds), weighing their total: the log grows by one
 * entry per call and key, not per request, and nothing is rounded. Data per limit scope (all keys
 * of all scopes carry the hash tag {limits}: see redis-keys.ts):
 *   rpm, tpm   ZSET  member = bucket, score = its time (ms)
 *              HASH  member = bucket -> requests (rpm) or tokens (tpm), plus '#sum' = total of the
 *                    buckets still in the window
 *   conc       ZSET  member = ticket, score = lease expiry (ms): a crashed host's slots expire by themselves
 * Every key gets a PEXPIRE on every write: idle scopes vanish after the window (or lease).
 * Lua numbers are truncated on the way out as integers, so every value is ceiled.
 */

/** Drops log entries that left the window, in chunks (unpack() has a stack limit), and their weight. */
const PRUNE_LOG = `
local function prune_log(zkey, hkey, cutoff)
  local freed = 0
  while true do
    local gone = redis.call('ZRANGEBYSCORE', zkey, '-inf', cutoff, 'LIMIT', 0, 500)
    if #gone == 0 then break end
    local weights = redis.call('HMGET', hkey, unpack(gone))
    for j = 1, #weights do freed = freed + (tonumber(weights[j]) or 0) end
    redis.call('ZREM', zkey, unpack(gone))
    redis.call('HDEL', hkey, unpack(gone))
    if #gone < 500 then break end
  end
  if freed ~= 0 then redis.call('HINCRBY', hkey, '#sum', -freed) end
end
`;

/** Time from now until the newest entry of a log leaves the window; 0 for an empty log. */
const RESET_MS = `
local function reset_ms(zkey, now, window)
  local newest = redis.call('ZRANGE', zkey, -1, -1, 'WITHSCORES')
  if #newest == 0 then return 0 end
  return math.max(0, math.ceil(tonumber(newest[2]) + window - now))
end
`;

/**
 * How long until a log holds at most `target`, its stored entries leaving oldest first; 0 when the
 * stored entries are not enough (what is left was added by this very call: it leaves in a window).
 */
const LOG_WAIT = `
local function log_wait(zkey, hkey, total, target, now, window)
  local start = 0
  while true do
    local entries = redis.call('ZRANGE', zkey, start, start + 199, 'WITHSCORES')
    if #entries == 0 then return 0 end
    local members = {}
    for j = 1, #entries, 2 do members[#members + 1] = entries[j] end
    local weights = redis.call('HMGET', hkey, unpack(members))
    for j = 1, #members do
      total = total - (tonumber(weights[j]) or 0)
      if total <= target then return tonumber(entries[2 * j]) + window - now end
    end
    start = start + 200
  end
end
`;

/**
 * One event-loop turn of one process: its settles, then its admits, in one script call (the
 * client's per-command cost and the server's per-script cost are paid once per turn, not twice
 * per request). Each admit is all or nothing and sees the admits before it. Each key is read and
 * pruned once per call, and written once at its end.
 *
 * KEYS: every key the batch touches, once each; ARGV refers to them by 1-based index.
 * ARGV: window ms, lease ms, concurrency retry ms, then
 *   S, then S settles: ticket, its bucket, token delta (actual - reserved), m, c, then m tpm logs
 *   (zset index, hash index) and c concurrency zset indexes;
 *   P, then P plans (the checks of admits, shared by admits that make the same ones): n, then n
 *   checks: kind ('r' | 't' | 'c'), limit, key index, and for 'r' and 't' the weights hash's index;
 *   A, then A admits: ticket, reserve tokens, plan (1-based).
 * Reply: the bucket (string), then per admit: ok, binding check (1-based, 0 none), retry ms, then
 * per check: remaining, reset ms.
 */
export const BATCH_LUA = `${PRUNE_LOG}${RESET_MS}${LOG_WAIT}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local bucket = t[1] .. string.format('%06d', tonumber(t[2]))
local window = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local conc_retry = tonumber(ARGV[3])
local cutoff = now - window
local p = 4

-- Settles: token deltas per hash and bucket (the ups and the downs apart), freed slots per zset.
local deltas, freed = {}, {}
for _ = 1, tonumber(ARGV[p]) do
  local ticket, sbucket, delta = ARGV[p + 1], ARGV[p + 2], tonumber(ARGV[p + 3])
  local m, c = tonumber(ARGV[p + 4]), tonumber(ARGV[p + 5])
  p = p + 5
  for _ = 1, m do
    local zkey, hkey = KEYS[tonumber(ARGV[p + 1])], KEYS[tonumber(ARGV[p + 2])]
    p = p + 2
    if delta ~= 0 then
      local d = deltas[hkey]
      if not d then d = { zkey = zkey, buckets = {} }; deltas[hkey] = d end
      local b = d.buckets[sbucket]
      if not b then b = { up = 0, down = 0 }; d.buckets[sbucket] = b end
      if delta > 0 then b.up = b.up + delta else b.down = b.down + delta end
    end
  end
  for _ = 1, c do
    p = p + 1
    local zkey = KEYS[tonumber(ARGV[p])]
    local f = freed[zkey]
    if not f then f = {}; freed[zkey] = f end
    f[#f + 1] = ticket
  end
end
p = p + 1
for hkey, d in pairs(deltas) do
  prune_log(d.zkey, hkey, cutoff)
  local total, carried = 0, 0
  for b, delta in pairs(d.buckets) do
    if redis.call('HEXISTS', hkey, b) == 1 then
      local net = delta.up + delta.down
      if net ~= 0 then redis.call('HINCRBY', hkey, b, net); total = total + net end
    else
      -- its requests outlived the window (long streams): their reservations have left it, what
      -- they used beyond them counts from now; what they did not use has nothing to give back
      carried = carried + delta.up
    end
  end
  if carried > 0 then
    redis.call('ZADD', d.zkey, now, bucket)
    redis.call('HINCRBY', hkey, bucket, carried)
    redis.call('PEXPIRE', d.zkey, window + 1000)
    redis.call('PEXPIRE', hkey, window + 1000)
    total = total + carried
  end
  if total ~= 0 then redis.call('HINCRBY', hkey, '#sum', total) end
end
for zkey, tickets in pairs(freed) do
  for i = 1, #tickets, 500 do redis.call('ZREM', zkey, unpack(tickets, i, math.min(i + 499, #tickets))) end
end

-- Admits: each key's state is read once, then kept here.
local logs, slots = {}, {}
local function log_state(zkey, hkey)
  local s = logs[zkey]
  if not s then
    prune_log(zkey, hkey, cutoff)
    s = { hkey = hkey, used = tonumber(redis.call('HGET', hkey, '#sum') or '0'), added = 0, admitted = false, waits = {} }
    logs[zkey] = s
  end
  return s
end
local function slot_state(zkey)
  local s = slots[zkey]
  if not s then
    redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now)
    s = { used = redis.call('ZCARD', zkey), add = {} }
    slots[zkey] = s
  end
  return s
end

-- Plans: the checks an admit makes, shared by the admits of a call that make the same ones.
local plans = {}
local nplans = tonumber(ARGV[p])
p = p + 1
for j = 1, nplans do
  local n = tonumber(ARGV[p])
  p = p + 1
  local plan = {}
  for i = 1, n do
    local c = { kind = ARGV[p], limit = tonumber(ARGV[p + 1]), zkey = KEYS[tonumber(ARGV[p + 2])] }
    p = p + 3
    if c.kind ~= 'c' then
      c.hkey = KEYS[tonumber(ARGV[p])]
      p = p + 1
    end
    plan[i] = c
  end
  plans[j] = plan
end

local reply = { bucket }
local admits = tonumber(ARGV[p])
p = p + 1
for _ = 1, admits do
  local ticket, reserve, plan = ARGV[p], tonumber(ARGV[p + 1]), plans[tonumber(ARGV[p + 2])]
  p = p + 3
  local n = #plan
  local states = {}
  local binding, retry = 0, 0
  for i = 1, n do
    local c = plan[i]
    local kind, limit = c.kind, c.limit
    local s, wait
    if kind == 'c' then
      s = slot_state(c.zkey)
      if s.used + 1 > limit then wait = conc_retry end
    else
      s = log_state(c.zkey, c.hkey)
      local need = 1
      if kind == 't' then need = math.min(reserve, limit) end
      if s.used + need > limit then
        -- refusals of one call often repeat (overload): the walk is done once per key, need and level
        local memo = (limit - need) .. ':' .. s.used
        wait = s.waits[memo]
        if not wait then
          wait = log_wait(c.zkey, c.hkey, s.used, limit - need, now, window)
          if wait <= 0 then wait = window end
          s.waits[memo] = wait
        end
      end
    end
    if wait then
      wait = math.max(1, math.ceil(wait))
      if wait > retry then retry = wait; binding = i end
    end
    states[i] = s
  end
  if binding > 0 then
    reply[#reply + 1] = 0; reply[#reply + 1] = binding; reply[#reply + 1] = retry
    for i = 1, n do
      local c, s, reset = plan[i], states[i], 0
      if c.kind ~= 'c' then
        if s.admitted then reset = window else reset = reset_ms(c.zkey, now, window) end
      end
      reply[#reply + 1] = math.max(0, c.limit - s.used)
      reply[#reply + 1] = reset
    end
  else
    reply[#reply + 1] = 1; reply[#reply + 1] = 0; reply[#reply + 1] = 0
    for i = 1, n do
      local c, s = plan[i], states[i]
      if c.kind == 'c' then
        s.used = s.used + 1
        s.add[#s.add + 1] = now + lease
        s.add[#s.add + 1] = ticket
        reply[#reply + 1] = 0; reply[#reply + 1] = 0
      else
        local weight = 1
        if c.kind == 't' then weight = reserve end
        reply[#reply + 1] = math.max(0, c.limit - s.used - weight)
        reply[#reply + 1] = window
        s.used = s.used + weight
        s.added = s.added + weight
        s.admitted = true
      end
    end
  end
end

for zkey, s in pairs(logs) do
  if s.admitted then
    redis.call('ZADD', zkey, now, bucket)
    redis.call('HINCRBY', s.hkey, bucket, s.added)
    redis.call('HINCRBY', s.hkey, '#sum', s.added)
    redis.call('PEXPIRE', zkey, window + 1000)
    redis.call('PEXPIRE', s.hkey, window + 1000)
  end
end
for zkey, s in pairs(slots) do
  if #s.add > 0 then
    for i = 1, #s.add, 500 do redis.call('ZADD', zkey, unpack(s.add, i, math.min(i + 499, #s.add))) end
    redis.call('PEXPIRE', zkey, lease + 1000)
  end
end
return reply
`;

/** KEYS: cache keys; ARGV: their values, then their TTLs in ms. One call for a turn's cache writes. */
export const SET_MANY_LUA = `
local n = #KEYS
for i = 1, n do redis.call('SET', KEYS[i], ARGV[i], 'PX', ARGV[n + i]) end
return n
`;

/** KEYS[1]: a concurrency zset. ARGV: lease ms, tickets... Extends the leases of live requests. */
export const RENEW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], lease + 1000)
return 1
`;

/**
 * KEYS: concurrency zsets; ARGV[1]: a dead worker's member prefix. Removes its slots (members are
 * `<instance>.<seq>`), returns how many. A scan of each zset: called once per dead worker.
 */
export const RELEASE_LUA = `
local prefix = ARGV[1]
local released = 0
for i = 1, #KEYS do
  local gone = {}
  for _, member in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
    if string.sub(member, 1, #prefix) == prefix then gone[#gone + 1] = member end
  end
  for j = 1, #gone, 500 do redis.call('ZREM', KEYS[i], unpack(gone, j, math.min(j + 499, #gone))) end
  released = released + #gone
end
return released
`;
