/**
 * The Lua scripts of backend `redis`. Each runs atomically on the server and reads the clock with
 * TIME, so hosts with skewed clocks still share one window. Redis >= 5 replicates a script's
 * effects (not the script), which is what makes TIME allowed in a writing script.
 *
 * Data per limit scope (all keys of all scopes carry the hash tag {limits}: see redis-keys.ts):
 *   rpm   ZSET  member = request id, score = admission time (ms)
 *   tpm   ZSET  member = request id, score = admission time (ms)
 *         HASH  member = request id -> tokens, plus '#sum' = total of the members still in the window
 *   conc  ZSET  member = ticket, score = lease expiry (ms): a crashed host's slots expire by themselves
 * Every key gets a PEXPIRE on every write: idle scopes vanish after the window (or lease).
 * Replies are integers only: Lua numbers are truncated on the way out, so every value is ceiled.
 */

/** Drops tpm entries that left the window, in chunks (unpack() has a stack limit), and their weight. */
const PRUNE_TPM = `
local function prune_tpm(zkey, hkey, cutoff)
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

/** How long until the tpm window holds at most limit - need tokens, entries leaving oldest first. */
const TPM_WAIT = `
local function tpm_wait(zkey, hkey, total, target, now, window)
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
 * KEYS: per check, rpm -> its zset; tpm -> its zset, then its hash; conc -> its zset.
 * ARGV: window ms, reserve tokens, member id, lease ms, concurrency retry ms, n checks, then n
 * pairs (kind 'r'|'t'|'c', limit).
 * Reply: { ok, binding check (1-based, 0 none), retry ms, then per check: remaining, reset ms }.
 * All checks run before any write: a rejected request reserves nothing anywhere.
 */
export const ADMIT_LUA = `${PRUNE_TPM}${RESET_MS}${TPM_WAIT}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local window = tonumber(ARGV[1])
local reserve = tonumber(ARGV[2])
local member = ARGV[3]
local lease = tonumber(ARGV[4])
local conc_retry = tonumber(ARGV[5])
local n = tonumber(ARGV[6])
local cutoff = now - window
local checks = {}
local k = 1
local binding, retry = 0, 0
for i = 1, n do
  local kind = ARGV[5 + 2 * i]
  local limit = tonumber(ARGV[6 + 2 * i])
  local c = { kind = kind, limit = limit, key = KEYS[k], used = 0, wait = 0 }
  if kind == 'r' then
    redis.call('ZREMRANGEBYSCORE', c.key, '-inf', cutoff)
    c.used = redis.call('ZCARD', c.key)
    if c.used + 1 > limit then
      local e = redis.call('ZRANGE', c.key, c.used - limit, c.used - limit, 'WITHSCORES')
      c.wait = tonumber(e[2]) + window - now
    end
    k = k + 1
  elseif kind == 't' then
    c.hkey = KEYS[k + 1]
    prune_tpm(c.key, c.hkey, cutoff)
    c.used = tonumber(redis.call('HGET', c.hkey, '#sum') or '0')
    local need = math.min(reserve, limit)
    if c.used + need > limit then
      c.wait = tpm_wait(c.key, c.hkey, c.used, limit - need, now, window)
      -- only reachable if '#sum' drifted from the members: be conservative, not permissive
      if c.wait <= 0 then c.wait = window end
    end
    k = k + 2
  else
    redis.call('ZREMRANGEBYSCORE', c.key, '-inf', now)
    c.used = redis.call('ZCARD', c.key)
    if c.used + 1 > limit then c.wait = conc_retry end
    k = k + 1
  end
  if c.wait > 0 then
    c.wait = math.max(1, math.ceil(c.wait))
    if c.wait > retry then retry = c.wait; binding = i end
  end
  checks[i] = c
end
local reply = { 0, binding, retry }
if binding > 0 then
  for i = 1, n do
    local c = checks[i]
    local reset = 0
    if c.kind ~= 'c' then reset = reset_ms(c.key, now, window) end
    reply[#reply + 1] = math.max(0, c.limit - c.used)
    reply[#reply + 1] = reset
  end
  return reply
end
reply[1] = 1
for i = 1, n do
  local c = checks[i]
  if c.kind == 'r' then
    redis.call('ZADD', c.key, now, member)
    redis.call('PEXPIRE', c.key, window + 1000)
    reply[#reply + 1] = math.max(0, c.limit - c.used - 1)
    reply[#reply + 1] = window
  elseif c.kind == 't' then
    redis.call('ZADD', c.key, now, member)
    redis.call('HSET', c.hkey, member, reserve)
    redis.call('HINCRBY', c.hkey, '#sum', reserve)
    redis.call('PEXPIRE', c.key, window + 1000)
    redis.call('PEXPIRE', c.hkey, window + 1000)
    reply[#reply + 1] = math.max(0, c.limit - c.used - reserve)
    reply[#reply + 1] = window
  else
    redis.call('ZADD', c.key, now + lease, member)
    redis.call('PEXPIRE', c.key, lease + 1000)
    reply[#reply + 1] = 0
    reply[#reply + 1] = 0
  end
end
return reply
`;

/**
 * KEYS: the tpm hashes of the ticket, then its concurrency zsets. ARGV: ticket, actual tokens,
 * number of tpm hashes. Reconciles each tpm entry still in its window and frees the slots.
 */
export const SETTLE_LUA = `
local member = ARGV[1]
local actual = tonumber(ARGV[2])
local m = tonumber(ARGV[3])
for i = 1, m do
  local old = redis.call('HGET', KEYS[i], member)
  if old then
    redis.call('HSET', KEYS[i], member, actual)
    redis.call('HINCRBY', KEYS[i], '#sum', actual - tonumber(old))
  end
end
for i = m + 1, #KEYS do redis.call('ZREM', KEYS[i], member) end
return 1
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
