/** The supervisor's admin plane: HTTP server, auth and JSON views. */
export { startAdminServer, type AdminServer } from './server.js';
export { isAuthorized, bearerToken } from './auth.js';
export { httpEngineOf, type AdminHost, type AdminWorkerHandle } from './host.js';
export { statsView, workersView, configView, providersView, workerRows, type WorkerRow } from './views.js';
