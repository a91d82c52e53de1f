export { SupervisorStateStore, type StateStoreStats } from './store.js';
