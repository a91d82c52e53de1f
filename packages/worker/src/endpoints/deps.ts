/** Everything the API endpoints share, built once per worker (and config generation). */
import type { Authenticator, Cors } from '../auth/index.js';
import type { PipelineDeps } from '../pipeline/proxy.js';

export interface EndpointDeps extends PipelineDeps {
  readonly auth: Authenticator;
  readonly cors: Cors;
  /** server.body_limit in bytes. */
  readonly bodyLimit: number;
  /** Unix seconds shown as the models' creation time (when this worker loaded its config). */
  readonly createdAt: number;
}
