import type { AuthService } from '../auth/service.js';
import type { Engine } from '../engine.js';
import type { JsonObject } from '../events/model.js';
import type { LiveHub } from './live/hub.js';
import type { ServerMetrics } from './metrics.js';

export interface ServerOptions {
  host: string;
  port: number;
  /** Largest request body, bytes (event data limit + room for the envelope). */
  bodyLimit: number;
  /** Login attempts per client per minute. */
  loginRateLimit: number;
  /** Publishes per caller per minute; 0 turns the limit off. */
  publishRateLimit: number;
  /** Largest page a list route returns. */
  maxPageSize: number;
  /** `GET /metrics` needs a token (default) or is open (`metrics_auth: false`, for a scraper on a private network). */
  metricsAuth: boolean;
  /** pino level, or false for no logs (tests). */
  logLevel: string | false;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 8001,
  bodyLimit: 1024 * 1024 + 64 * 1024,
  loginRateLimit: 10,
  publishRateLimit: 60_000,
  maxPageSize: 1000,
  metricsAuth: true,
  logLevel: 'info',
};

/**
 * What every route file is given: the engine's services and the server's own. Routes hold no
 * logic of their own; they translate HTTP to these services and back.
 */
export interface ServerContext {
  engine: Engine;
  auth: AuthService;
  options: ServerOptions;
  /** The live stream's fan-out (GET /stream): one store tail shared by every client. */
  live: LiveHub;
  /** This server's Prometheus registry (GET /metrics). */
  metrics: ServerMetrics;
  /**
   * Publishes a security.* event. Never fails the request that caused it; repeated ones from one
   * client are thinned so a flood of bad requests cannot flood the event log.
   */
  securityEvent(type: 'security.unauthorized' | 'security.login_failed' | 'security.login_success' | 'security.permission_denied', data: JsonObject): void;
}
