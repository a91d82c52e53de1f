export { Authenticator, forbiddenModelError, type AuthMode, type Caller } from './authenticator.js';
export { Cors, DEFAULT_ALLOW_HEADERS, EXPOSE_HEADERS } from './cors.js';
export { bearerToken, presentedKeys } from './credentials.js';
export { modelAllowed, modelMatches } from './model-glob.js';
