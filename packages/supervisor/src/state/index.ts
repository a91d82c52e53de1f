export { SupervisorStateStore, type StateStoreStats } from './store.js';
export { StateOutageLog, WITNESS_GRACE_MS } from './outage-log.js';
