import { AuthService, type FirstAdmin } from '../auth/service.js';
import type { Engine } from '../engine.js';
import { errorMessage } from '../errors.js';
import { buildServer, type HookflowApp } from './app.js';
import { DEFAULT_SERVER_OPTIONS, type ServerContext, type ServerOptions } from './context.js';
import { LiveHub } from './live/hub.js';
import { ServerMetrics } from './metrics.js';
import { SecurityEventThinner } from './security-events.js';
import { startSources } from '../sources/start.js';
import { WaitRouter } from '../actions/waits.js';

export interface RunningServer {
  app: HookflowApp;
  ctx: ServerContext;
  /** `http://host:port` as listening (the real port when 0 was asked). */
  url: string;
  /** Set when this start created the first admin (print it once). */
  firstAdmin: FirstAdmin | null;
  close(): Promise<void>;
}

/** Server options from the environment (HOOKFLOW_HOST, HOOKFLOW_PORT, …) over the defaults. */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<ServerOptions> = {}): ServerOptions {
  const number = (name: string, fallback: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name}="${text}" is not a whole number`);
    return value;
  };
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) as Partial<ServerOptions>;
  return {
    ...DEFAULT_SERVER_OPTIONS,
    host: env.HOOKFLOW_HOST || DEFAULT_SERVER_OPTIONS.host,
    port: number('HOOKFLOW_PORT', DEFAULT_SERVER_OPTIONS.port),
    loginRateLimit: number('HOOKFLOW_LOGIN_RATE_LIMIT', DEFAULT_SERVER_OPTIONS.loginRateLimit),
    publishRateLimit: number('HOOKFLOW_PUBLISH_RATE_LIMIT', DEFAULT_SERVER_OPTIONS.publishRateLimit),
    metricsAuth: env.HOOKFLOW_METRICS_AUTH !== '0',
    logLevel: env.HOOKFLOW_LOG_LEVEL === 'silent' ? false : (env.HOOKFLOW_LOG_LEVEL ?? DEFAULT_SERVER_OPTIONS.logLevel),
    ...defined,
  };
}

/**
 * Builds the context (auth, the first admin, security events) and the app, and listens. The
 * engine's dispatcher is started by the caller: the server only adds faces to it.
 */
export async function startServer(
  engine: Engine,
  options: ServerOptions,
  env: NodeJS.ProcessEnv = process.env,
  /** Where the JSON log lines go (default stdout); `hookflow serve` sends them to stderr. */
  logSink?: { write(line: string): unknown },
): Promise<RunningServer> {
  const auth = await AuthService.open(engine.store, engine.secretBox);
  const firstAdmin = await auth.bootstrapAdmin(env);
  const thinner = new SecurityEventThinner((type, data) => {
    engine.events.dispatch({ type, data, source: 'hookflow' }).catch((error: unknown) => {
      process.stderr.write(`hookflow: could not record ${type}: ${errorMessage(error)}\n`);
    });
  });
  const live = new LiveHub(engine);
  // Room for the largest event data the engine accepts, plus its envelope.
  const bodyLimit = Math.max(options.bodyLimit, engine.dispatcher.maxEventBytes + 64 * 1024);
  const ctx: ServerContext = {
    engine,
    auth,
    options: { ...options, bodyLimit },
    live,
    metrics: new ServerMetrics(engine, { streamClients: () => live.clientCount }),
    securityEvent: (type, data) => thinner.record(type, data),
  };
  const app = await buildServer(ctx, logSink);
  await app.listen({ host: options.host, port: options.port });
  const sources = await startSources({
    sources: engine.store.sources,
    publish: (event) => engine.events.dispatch(event),
    home: engine.options.home,
    env,
    onError: (error, source) => app.log.warn({ err: error, source }, 'event source failed'),
  }).catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  // Parked event-driven steps: this server routes their events, times them out and fires their timers.
  const waits = new WaitRouter({
    store: engine.store,
    actions: async () => (await engine.loadActions()).registry,
    publish: (event) => engine.events.dispatch(event),
    onLog: (line) => app.log.info(line),
    onError: (error) => app.log.warn({ err: error }, 'routing events to parked steps failed'),
  });
  await waits.start().catch(async (error: unknown) => {
    await sources.stop();
    await app.close();
    throw error;
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    app,
    ctx,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    firstAdmin,
    close: async () => {
      await waits.stop();
      await sources.stop();
      await app.close();
    },
  };
}
