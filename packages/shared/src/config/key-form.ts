/**
 * A key as keys are written: printable ASCII without spaces, commas or quotes (RFC 6750's token
 * and every provider's keys). Anything else is a key sent wrongly ("Bearer Bearer k", `x-api-key:
 * Bearer k`, two keys a proxy joined with a comma, a quoted key): it matches no gateway key as it
 * is, and must not become a provider key either, or a gateway key inside it would travel upstream.
 * The config refuses gateway keys of another form: no caller could present one.
 */
export function isWellFormedKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f || code === 0x2c || code === 0x22) return false;
  }
  return true;
}
