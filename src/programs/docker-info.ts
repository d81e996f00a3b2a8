import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { HookflowError } from '../errors.js';
import type { RunnerAvailability } from './model.js';

/**
 * The Docker engine as hookflow talks to it: one client per endpoint, a bounded ping, engine errors
 * turned into readable messages, and the queries behind PyExecutorHub's monitoring routes
 * (`/containers/active`, `/containers/logs/{image}`, `/images/available`), in its response shapes.
 */

export interface DockerConnectionOptions {
  /** A ready client (tests, a remote engine); wins over socketPath. */
  docker?: Docker;
  /** Unix socket of the engine; default: DOCKER_HOST, else /var/run/docker.sock. */
  socketPath?: string;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';
const PING_TIMEOUT_MS = 3_000;

const clients = new Map<string, Docker>();

/**
 * dockerode, loaded on the first Docker call: it costs ~0.3 s to load, which every `hookflow
 * program …` command and every server start would otherwise pay, with or without Docker.
 */
function loadDockerode(): typeof Docker {
  return createRequire(import.meta.url)('dockerode') as typeof Docker;
}

/** A client for the options' endpoint; the default endpoint's client is shared. */
export function dockerClient(options: DockerConnectionOptions = {}): Docker {
  if (options.docker) return options.docker;
  const key = options.socketPath ?? '';
  let client = clients.get(key);
  if (!client) {
    const DockerClient = loadDockerode();
    client = options.socketPath ? new DockerClient({ socketPath: options.socketPath }) : new DockerClient();
    clients.set(key, client);
  }
  return client;
}

/** Where the engine is expected, for messages: the socket path or DOCKER_HOST. */
export function dockerEndpoint(options: DockerConnectionOptions = {}): string {
  if (options.socketPath) return options.socketPath;
  const modemSocket: unknown = (options.docker?.modem as { socketPath?: unknown } | undefined)?.socketPath;
  if (typeof modemSocket === 'string') return modemSocket;
  const host = process.env.DOCKER_HOST;
  if (!options.docker && host) return host.startsWith('unix://') ? host.slice('unix://'.length) : host;
  if (options.docker) {
    const { host: modemHost, port } = options.docker.modem as { host?: unknown; port?: unknown };
    if (typeof modemHost === 'string') return `${modemHost}${port ? `:${String(port)}` : ''}`;
  }
  return DEFAULT_SOCKET;
}

/** The engine's message from a dockerode error (`{json: {message}}`), else the error's own. */
export function dockerErrorMessage(error: unknown): string {
  if (error && typeof error === 'object') {
    const json = (error as { json?: unknown }).json;
    if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
      return (json as { message: string }).message.trim();
    }
    if (Buffer.isBuffer(json)) return json.toString('utf8').trim();
    if (typeof json === 'string' && json.trim()) return json.trim();
  }
  const message = error instanceof Error ? error.message : String(error);
  // dockerode's own wrapping: "(HTTP code 500) server error - <the engine's message>".
  return message.replace(/^\(HTTP code \d+\)[^-]*- /, '').trim();
}

export function dockerStatusCode(error: unknown): number | null {
  if (error && typeof error === 'object') {
    const code = (error as { statusCode?: unknown }).statusCode;
    if (typeof code === 'number') return code;
  }
  return null;
}

export function unavailableMessage(endpoint: string, error: unknown): string {
  return `Docker daemon not available at ${endpoint}: ${dockerErrorMessage(error)}`;
}

/** Pings the engine; never rejects. */
export async function dockerAvailable(options: DockerConnectionOptions = {}): Promise<RunnerAvailability> {
  const endpoint = dockerEndpoint(options);
  let docker: Docker;
  try {
    docker = dockerClient(options);
  } catch (error) {
    return { available: false, reason: unavailableMessage(endpoint, error) };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([docker.ping(), timeout]);
    return { available: true, reason: null };
  } catch (error) {
    return { available: false, reason: unavailableMessage(endpoint, error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs an engine query; connection failures become HF_ERR_DOCKER_UNAVAILABLE, refusals HF_ERR_DOCKER. */
async function query<T>(options: DockerConnectionOptions, where: string, work: (docker: Docker) => Promise<T>): Promise<T> {
  const endpoint = dockerEndpoint(options);
  let docker: Docker;
  try {
    docker = dockerClient(options);
  } catch (error) {
    throw new HookflowError('HF_ERR_DOCKER_UNAVAILABLE', unavailableMessage(endpoint, error), { where });
  }
  try {
    return await work(docker);
  } catch (error) {
    if (error instanceof HookflowError) throw error;
    if (dockerStatusCode(error) === null) {
      throw new HookflowError('HF_ERR_DOCKER_UNAVAILABLE', unavailableMessage(endpoint, error), { where, hint: 'start the Docker engine or set DOCKER_HOST' });
    }
    throw new HookflowError('HF_ERR_DOCKER', `Docker engine refused ${where}: ${dockerErrorMessage(error)}`, { where });
  }
}

// ── containers ──────────────────────────────────────────────────────────────────────────────

export interface ActiveContainer {
  /** 12 characters, as `docker ps` shows. */
  container_id: string;
  image: string;
  /** "Up 2 minutes" */
  status: string;
  name: string;
}

export interface ActiveContainers {
  total_containers: number;
  containers: ActiveContainer[];
}

/** Running containers, as `docker ps` lists them (GET /containers/active). */
export async function activeContainers(options: DockerConnectionOptions = {}): Promise<ActiveContainers> {
  const list = await query(options, 'listing containers', (docker) => docker.listContainers());
  const containers = list.map((info) => ({
    container_id: shortId(info.Id),
    image: info.Image,
    status: info.Status,
    name: (info.Names[0] ?? '').replace(/^\//, ''),
  }));
  return { total_containers: containers.length, containers };
}

export interface ContainerLogs {
  container_id: string;
  stdout: string;
  stderr: string;
  /** Lines of stdout and stderr together. */
  logs_lines: number;
}

export interface ContainerLogsByImage {
  image_name: string;
  containers: ContainerLogs[];
  total_containers: number;
  message: string;
}

export interface LogsOptions extends DockerConnectionOptions {
  /** Last lines per container (default 1000); 'all' for everything. */
  tail?: number | 'all';
}

/** Logs of the running containers of an image (and images built on it) (GET /containers/logs/{image}). */
export async function containerLogsByImage(image: string, options: LogsOptions = {}): Promise<ContainerLogsByImage> {
  const tail = options.tail ?? 1000;
  return query(options, `logs of containers of ${image}`, async (docker) => {
    const list = await docker.listContainers({ filters: { ancestor: [image] } });
    const containers: ContainerLogs[] = [];
    for (const info of list) {
      const container = docker.getContainer(info.Id);
      let raw: Buffer;
      let tty = false;
      try {
        const inspected = await container.inspect();
        tty = inspected.Config.Tty;
        raw = await container.logs({ stdout: true, stderr: true, follow: false, ...(tail === 'all' ? {} : { tail }) });
      } catch (error) {
        // Gone between the listing and the read: not running any more.
        if (dockerStatusCode(error) === 404) continue;
        throw error;
      }
      const streams = tty ? { stdout: raw, stderr: Buffer.alloc(0) } : demuxLogBuffer(raw);
      const stdout = streams.stdout.toString('utf8');
      const stderr = streams.stderr.toString('utf8');
      containers.push({ container_id: shortId(info.Id), stdout, stderr, logs_lines: countLines(stdout) + countLines(stderr) });
    }
    return {
      image_name: image,
      containers,
      total_containers: containers.length,
      message: `Found ${containers.length} running containers for image: ${image}`,
    };
  });
}

/**
 * Splits a non-TTY log buffer into its streams: frames of an 8-byte header (stream type at byte 0:
 * 1 stdout, 2 stderr; big-endian length at bytes 4–7) and the payload. A buffer that does not start
 * with a valid header is not multiplexed and is all stdout.
 */
export function demuxLogBuffer(raw: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const type = raw[offset];
    if (type !== 0 && type !== 1 && type !== 2) break;
    const length = raw.readUInt32BE(offset + 4);
    const payload = raw.subarray(offset + 8, Math.min(raw.length, offset + 8 + length));
    (type === 2 ? err : out).push(payload);
    offset += 8 + length;
  }
  if (offset === 0 && raw.length > 0) return { stdout: raw, stderr: Buffer.alloc(0) };
  if (offset < raw.length) out.push(raw.subarray(offset));
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

export function countLines(text: string): number {
  if (text === '') return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

// ── images ──────────────────────────────────────────────────────────────────────────────────

export interface LocalImage {
  repository: string;
  tag: string;
  /** 12 characters, without "sha256:". */
  image_id: string;
  /** As `docker images` prints it: "1.98MB". */
  size: string;
  size_bytes: number;
  /** ISO 8601. */
  created_at: string;
  /** repository:tag (the id for an untagged image). */
  full_name: string;
}

/** The images the engine has, one entry per tag (untagged ones as <none>), newest first. */
export async function localImages(options: DockerConnectionOptions = {}): Promise<LocalImage[]> {
  const list = await query(options, 'listing images', (docker) => docker.listImages());
  const images: LocalImage[] = [];
  for (const info of [...list].sort((a, b) => b.Created - a.Created)) {
    const tags = (info.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
    const common = {
      image_id: shortId(info.Id),
      size: humanSize(info.Size),
      size_bytes: info.Size,
      created_at: new Date(info.Created * 1000).toISOString(),
    };
    if (tags.length === 0) {
      images.push({ repository: '<none>', tag: '<none>', ...common, full_name: common.image_id });
      continue;
    }
    for (const repoTag of tags) {
      const { repository, tag } = splitImageName(repoTag);
      images.push({ repository, tag, ...common, full_name: `${repository}:${tag}` });
    }
  }
  return images;
}

/** "registry:5000/team/app:1.2" → {repository: "registry:5000/team/app", tag: "1.2"}; no tag → "latest". */
export function splitImageName(name: string): { repository: string; tag: string } {
  const withoutDigest = name.split('@')[0] ?? name;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash) return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
  return { repository: withoutDigest, tag: 'latest' };
}

/** Decimal units with three significant digits, as the docker CLI prints sizes. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

// ── compose projects ───────────────────────────────────────────────────────────────────────

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** A name compose accepts as a project name: lowercase letters, digits, `_`, `-`, starting with a letter or digit. */
export function normalizeProjectName(name: string): string {
  const cleaned = name.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  return /^[a-z0-9]/.test(cleaned) ? cleaned : `p${cleaned}`;
}

/** What is left of a project, removed through the engine: containers, networks and volumes labelled with it. */
export async function removeComposeProject(
  project: string,
  options: DockerConnectionOptions = {},
): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const docker = dockerClient(options);
  const filters = { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] };
  const removed = { containers: [] as string[], networks: [] as string[], volumes: [] as string[] };
  for (const info of await docker.listContainers({ all: true, filters })) {
    await ignoreMissing(docker.getContainer(info.Id).remove({ force: true, v: true }));
    removed.containers.push(shortId(info.Id));
  }
  for (const info of await docker.listNetworks({ filters })) {
    await ignoreMissing(docker.getNetwork(info.Id).remove());
    removed.networks.push(info.Name);
  }
  const volumes = await docker.listVolumes({ filters });
  for (const info of volumes.Volumes ?? []) {
    await ignoreMissing(docker.getVolume(info.Name).remove());
    removed.volumes.push(info.Name);
  }
  return removed;
}

async function ignoreMissing(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (dockerStatusCode(error) !== 404) throw error;
  }
}

