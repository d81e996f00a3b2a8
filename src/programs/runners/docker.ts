import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { JsonObject, JsonValue } from '../../events/model.js';
import { HookflowError } from '../../errors.js';
import {
  dockerAvailable,
  dockerClient,
  dockerEndpoint,
  dockerErrorMessage,
  dockerStatusCode,
  removeComposeProject,
  shortId,
  unavailableMessage,
  type DockerConnectionOptions,
} from '../docker-info.js';
import type { NetworkMode, OutputSink, Runner, RunnerAvailability, RunOutcome, RunSpec } from '../model.js';

/**
 * The docker runner: one container per run through the Engine API. The container is created,
 * attached (stdout and stderr apart), started and waited for; whatever happens it is removed
 * afterwards and its absence checked, because PyExecutorHub's defect was a timeout that killed the
 * client and left the container running. AutoRemove is off on purpose: the engine would remove the
 * container as it exits, before hookflow can read OOMKilled from it, and a kill on timeout must
 * still end with a removal hookflow has seen succeed.
 */

export const WORKSPACE_MOUNT = '/workspace';
export const ACTIONS_MOUNT = '/hookflow/actions';
export const DEPENDENCIES_MOUNT = '/hookflow/deps';

export const CONTAINER_LABELS = {
  execution: 'hookflow.execution',
  program: 'hookflow.program',
  phase: 'hookflow.phase',
} as const;

export const TIME_LIMIT_MESSAGE = 'Execution exceeded time limit';
export const CANCELED_MESSAGE = 'Execution canceled';

const DEFAULT_KILL_GRACE_MS = 2_000;
/** PyExecutorHub's limit for downloading an image. */
const DEFAULT_PULL_TIMEOUT_MS = 5 * 60_000;
/** Output still in flight after the container ended is awaited this long at most. */
const OUTPUT_DRAIN_MS = 2_000;

export interface DockerRunnerOptions extends DockerConnectionOptions {
  /** After SIGTERM on timeout or cancel, SIGKILL follows after this long (default 2 s). */
  killGraceMs?: number;
  /** Bound of an image pull (default 5 min, like PyExecutorHub). */
  pullTimeoutMs?: number;
  /**
   * Run docker-init as PID 1 (default true): it forwards SIGTERM to the program (a shell as PID 1
   * ignores it, which would turn every graceful stop into a SIGKILL) and reaps zombies.
   */
  init?: boolean;
}

export function imageNotFoundMessage(image: string, cause: string | null): string {
  const base = `Docker image '${image}' not found and could not be pulled. Please ensure the image exists locally or is available in a registry.`;
  return cause ? `${base} Pull error: ${cause}` : base;
}

export function outOfMemoryMessage(limitBytes: number | null): string {
  const limit = limitBytes === null ? 'its memory limit' : `its memory limit of ${formatBytes(limitBytes)}`;
  return `Out of memory: the container exceeded ${limit} and was killed`;
}

/** 16777216 → "16 MiB", 1610612736 → "1.5 GiB". */
export function formatBytes(bytes: number): string {
  const units: Array<[string, number]> = [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ];
  for (const [unit, size] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} B`;
}

/** The script's path as the container sees it; null when the run has no script (an install). */
export function containerScriptPath(spec: Pick<RunSpec, 'script' | 'actions_dir'>): string | null {
  const script = spec.script;
  if (script === null) return null;
  const root = script.root === 'actions' ? ACTIONS_MOUNT : WORKSPACE_MOUNT;
  if (script.root === 'actions' && spec.actions_dir === null) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `The script ${script.path} is in the actions folder, but no actions folder was given`, { where: 'script.root' });
  }
  const path = posix.join(root, script.path);
  if (!path.startsWith(`${root}/`)) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `The script path ${script.path} leaves ${root}`, { where: 'script.path' });
  }
  return path;
}

/**
 * The run's variables and, with installed action dependencies, where the interpreters find them
 * (prepended to the run's own PYTHONPATH/NODE_PATH) and, when installing, where pip and npm put them.
 */
export function containerEnv(spec: Pick<RunSpec, 'env' | 'dependency_dir' | 'installing'>): string[] {
  const env: Record<string, string> = { ...spec.env };
  if (spec.dependency_dir) {
    const join = (first: string, rest: string | undefined) => (rest ? `${first}:${rest}` : first);
    env.PYTHONPATH = join(`${DEPENDENCIES_MOUNT}/python`, spec.env.PYTHONPATH);
    env.NODE_PATH = join(`${DEPENDENCIES_MOUNT}/node/node_modules`, spec.env.NODE_PATH);
    if (spec.installing) {
      env.PIP_TARGET = `${DEPENDENCIES_MOUNT}/python`;
      env.npm_config_prefix = `${DEPENDENCIES_MOUNT}/node`;
    }
  }
  // Only the run's own variables: hookflow's environment (tokens, keys) never reaches a program.
  return Object.entries(env)
    .filter(([key]) => key !== '' && !key.includes('='))
    .map(([key, value]) => `${key}=${value}`);
}

/** A container name that says whose it is; the suffix keeps names unique across retries. */
export function containerName(spec: Pick<RunSpec, 'program_id' | 'phase'>, suffix: string): string {
  const program = spec.program_id.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 40);
  return `hookflow-${program}-${spec.phase}-${suffix}`;
}

/** The Engine API's create request for a run (pure: the table tests read it). */
export function containerCreateOptions(spec: RunSpec, settings: { image: string; network: NetworkMode; name: string; init: boolean }): Docker.ContainerCreateOptions {
  const mounts: Docker.MountSettings[] = [{ Type: 'bind', Source: spec.workspace_dir, Target: WORKSPACE_MOUNT, ReadOnly: !spec.writable }];
  if (spec.actions_dir !== null) mounts.push({ Type: 'bind', Source: spec.actions_dir, Target: ACTIONS_MOUNT, ReadOnly: true });
  for (const extra of spec.extra_mounts) mounts.push({ Type: 'bind', Source: extra.host, Target: extra.target, ReadOnly: true });
  if (spec.dependency_dir) mounts.push({ Type: 'bind', Source: spec.dependency_dir, Target: DEPENDENCIES_MOUNT, ReadOnly: !spec.installing });
  const memory = spec.limits.memory_bytes;
  const script = containerScriptPath(spec);
  const hostConfig: Docker.HostConfig = {
    Mounts: mounts,
    NetworkMode: settings.network,
    Init: settings.init,
    AutoRemove: false,
  };
  if (memory !== null) {
    // MemorySwap equal to Memory: no swap on top, so the limit is the limit.
    hostConfig.Memory = memory;
    hostConfig.MemorySwap = memory;
  }
  if (spec.limits.cpus !== null) hostConfig.NanoCpus = Math.round(spec.limits.cpus * 1e9);
  return {
    name: settings.name,
    Image: settings.image,
    Cmd: [...spec.interpreter, ...(script === null ? [] : [script]), ...spec.args],
    Env: containerEnv(spec),
    WorkingDir: WORKSPACE_MOUNT,
    Labels: {
      [CONTAINER_LABELS.execution]: spec.execution_id,
      [CONTAINER_LABELS.program]: spec.program_id,
      [CONTAINER_LABELS.phase]: spec.phase,
    },
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: hostConfig,
  };
}

type StopReason = 'timeout' | 'canceled';

/** The deadline and the abort signal as one "stop now" with its reason; the first one wins. */
class RunStop {
  reason: StopReason | null = null;
  message: string | null = null;
  readonly requested: Promise<StopReason>;
  private resolve!: (reason: StopReason) => void;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.trigger('canceled', CANCELED_MESSAGE);

  constructor(deadline: number, private readonly signal: AbortSignal) {
    this.requested = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (signal.aborted) this.trigger('canceled', CANCELED_MESSAGE);
    else signal.addEventListener('abort', this.onAbort, { once: true });
    const remaining = deadline - Date.now();
    if (remaining <= 0) this.trigger('timeout', TIME_LIMIT_MESSAGE);
    else if (remaining < 2 ** 31 - 1) this.timer = setTimeout(() => this.trigger('timeout', TIME_LIMIT_MESSAGE), remaining);
  }

  trigger(reason: StopReason, message: string): void {
    if (this.reason) return;
    this.reason = reason;
    this.message = message;
    this.resolve(reason);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal.removeEventListener('abort', this.onAbort);
  }
}

interface Active {
  stop: RunStop;
  done: Promise<RunOutcome>;
}

export class DockerRunner implements Runner {
  readonly kind = 'docker' as const;
  private readonly connection: DockerConnectionOptions;
  private readonly killGraceMs: number;
  private readonly pullTimeoutMs: number;
  private readonly init: boolean;
  private bridgeExists: Promise<boolean> | null = null;
  private readonly active = new Set<Active>();

  constructor(options: DockerRunnerOptions = {}) {
    this.connection = { docker: options.docker, socketPath: options.socketPath };
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
    this.init = options.init ?? true;
  }

  private get docker(): Docker {
    return dockerClient(this.connection);
  }

  availability(): Promise<RunnerAvailability> {
    return dockerAvailable(this.connection);
  }

  run(spec: RunSpec): Promise<RunOutcome> {
    const stop = new RunStop(spec.deadline, spec.signal);
    const entry: Active = { stop, done: this.runContained(spec, stop) };
    this.active.add(entry);
    return entry.done.finally(() => {
      stop.dispose();
      this.active.delete(entry);
    });
  }

  /** Stops the runs still going (their containers are killed and removed) and waits for them. */
  async close(): Promise<void> {
    const running = [...this.active];
    for (const entry of running) entry.stop.trigger('canceled', `${CANCELED_MESSAGE}: the docker runner was closed`);
    await Promise.allSettled(running.map((entry) => entry.done));
  }

  private async runContained(spec: RunSpec, stop: RunStop): Promise<RunOutcome> {
    const details: Record<string, JsonValue> = {
      container_id: null,
      image: spec.image,
      memory: spec.limits.memory_bytes !== null ? 'docker' : null,
      cpu: spec.limits.cpus !== null ? 'docker' : null,
      network: spec.network,
    };
    const image = spec.image;
    if (!image) return outcome('start_failed', null, 'No Docker image given: set docker_image on the program or settings.docker_image', details);
    if (stop.reason) return stoppedOutcome(stop, null, details);

    let container: Docker.Container | null = null;
    try {
      const network = await this.networkFor(spec.network);
      details.network = network.mode;
      if (network.note) details.network_note = network.note;
      const options = containerCreateOptions(spec, { image, network: network.mode, name: containerName(spec, randomBytes(4).toString('hex')), init: this.init });

      const created = await this.createContainer(options, image, stop);
      if ('outcome' in created) return created.outcome(details);
      container = created.container;
      details.container_id = shortId(container.id);
      if (stop.reason) return stoppedOutcome(stop, null, details);

      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      let stderrHead = '';
      const drained = pipeOutput(this.docker, stream, {
        stdout: (chunk) => spec.output.stdout(chunk),
        stderr: (chunk) => {
          if (stderrHead.length < 512) stderrHead += chunk.toString('utf8', 0, 512);
          spec.output.stderr(chunk);
        },
      });
      try {
        await container.start();
      } catch (error) {
        destroyStream(stream);
        return outcome('start_failed', null, `The container could not start: ${dockerErrorMessage(error)}`, details);
      }
      const waited: Promise<{ StatusCode?: unknown }> = container.wait();
      waited.catch(() => undefined);
      const first = await Promise.race([waited.then((result) => ({ stopped: false as const, result })), stop.requested.then(() => ({ stopped: true as const }))]);
      if (first.stopped) {
        const signal = await this.kill(container, waited);
        await within(drained, OUTPUT_DRAIN_MS);
        return stoppedOutcome(stop, signal, details);
      }
      await within(drained, OUTPUT_DRAIN_MS);
      const code = typeof first.result.StatusCode === 'number' ? first.result.StatusCode : null;
      if (code !== 0 && spec.limits.memory_bytes !== null) {
        const state = await container.inspect().then((info) => info.State, () => null);
        if (state?.OOMKilled) return outcome('out_of_memory', code, outOfMemoryMessage(spec.limits.memory_bytes), details, 'SIGKILL');
      }
      const execFailure = code === 127 && this.init ? initExecFailure(stderrHead) : null;
      if (execFailure) return outcome('start_failed', null, `The program could not start: ${execFailure}`, details);
      return outcome('exited', code, null, details);
    } catch (error) {
      if (stop.reason) return stoppedOutcome(stop, null, details);
      const message = dockerStatusCode(error) === null ? unavailableMessage(dockerEndpoint(this.connection), error) : `Docker engine error: ${dockerErrorMessage(error)}`;
      return outcome('start_failed', null, error instanceof HookflowError ? error.message : message, details);
    } finally {
      // The outcome returned above holds this same details object: the removal's result lands in it.
      if (container) details.removed = await this.remove(container);
    }
  }

  /**
   * Creates the container; an image the engine does not have is pulled first (the create's "No such
   * image" is the local check, which saves an inspect per run) and the create repeated.
   */
  private async createContainer(
    options: Docker.ContainerCreateOptions,
    image: string,
    stop: RunStop,
  ): Promise<{ container: Docker.Container } | { outcome: (details: Record<string, JsonValue>) => RunOutcome }> {
    try {
      return { container: await this.docker.createContainer(options) };
    } catch (error) {
      if (!isNoSuchImage(error)) throw error;
    }
    const pulled = await this.pull(image, stop);
    if (pulled === 'stopped') return { outcome: (details) => stoppedOutcome(stop, null, details) };
    if (pulled !== null) return { outcome: (details) => outcome('start_failed', null, imageNotFoundMessage(image, pulled), details) };
    try {
      return { container: await this.docker.createContainer(options) };
    } catch (error) {
      if (isNoSuchImage(error)) return { outcome: (details) => outcome('start_failed', null, imageNotFoundMessage(image, dockerErrorMessage(error)), details) };
      throw error;
    }
  }

  /** null when pulled; 'stopped' on timeout or cancel; else why the pull failed. */
  private async pull(image: string, stop: RunStop): Promise<string | null | 'stopped'> {
    let stream: NodeJS.ReadableStream | null = null;
    let timer: NodeJS.Timeout | undefined;
    const work = (async (): Promise<string | null> => {
      try {
        stream = await this.docker.pull(image);
        const events = await followProgress(this.docker, stream);
        const failed = events.find((event) => typeof event.error === 'string');
        return failed ? String(failed.error) : null;
      } catch (error) {
        return dockerErrorMessage(error);
      }
    })();
    const expired = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`the pull did not finish within ${Math.round(this.pullTimeoutMs / 1000)} s`), this.pullTimeoutMs);
    });
    try {
      return await Promise.race([work, expired, stop.requested.then(() => 'stopped' as const)]);
    } finally {
      clearTimeout(timer);
      if (stream) destroyStream(stream);
    }
  }

  /** SIGTERM, SIGKILL after the grace; the signal that ended it. */
  private async kill(container: Docker.Container, waited: Promise<unknown>): Promise<string> {
    const ended = waited.then(
      () => true,
      () => true,
    );
    await container.kill({ signal: 'SIGTERM' }).catch(() => undefined);
    if (await within(ended, this.killGraceMs)) return 'SIGTERM';
    await container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
    await within(ended, OUTPUT_DRAIN_MS);
    return 'SIGKILL';
  }

  /** Removes the container (force) and checks it is gone: true, or why it is not. */
  private async remove(container: Docker.Container): Promise<JsonValue> {
    let lastError = '';
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await container.remove({ force: true, v: true });
      } catch (error) {
        const status = dockerStatusCode(error);
        if (status !== 404 && status !== 409) lastError = dockerErrorMessage(error);
      }
      try {
        await container.inspect();
      } catch (error) {
        if (dockerStatusCode(error) === 404) return true;
        lastError = dockerErrorMessage(error);
      }
      await delay(100 * (attempt + 1));
    }
    return `container ${shortId(container.id)} could not be removed: ${lastError || 'still present'}`;
  }

  private async networkFor(mode: NetworkMode): Promise<{ mode: NetworkMode; note: string | null }> {
    if (mode !== 'bridge') return { mode, note: null };
    this.bridgeExists ??= this.docker
      .getNetwork('bridge')
      .inspect()
      .then(
        () => true,
        (error: unknown) => {
          if (dockerStatusCode(error) === 404) return false;
          this.bridgeExists = null;
          return true;
        },
      );
    if (await this.bridgeExists) return { mode: 'bridge', note: null };
    // Kept as 'bridge': such an engine then gives the container a network namespace with only a
    // loopback, the isolation of 'none', and starts it about 0.2 s sooner than 'none' (whose
    // sandbox the engine builds and tears down per container); an engine that has the bridge
    // again gives the program the network it asked for.
    return {
      mode: 'bridge',
      note: 'this Docker engine has no bridge network (dockerd --bridge=none): the container had only a loopback interface, no network',
    };
  }
}

/**
 * Removes what a run of this execution left behind when hookflow died mid-run: its containers
 * (label hookflow.execution) and, when `composeProject` names it (compose cannot put hookflow's
 * labels on a project's containers), that project's containers, networks and volumes.
 */
export async function removeExecutionContainers(executionId: string, options: DockerConnectionOptions & { composeProject?: string } = {}): Promise<void> {
  const docker = dockerClient(options);
  let listed: Docker.ContainerInfo[];
  try {
    listed = await docker.listContainers({ all: true, filters: { label: [`${CONTAINER_LABELS.execution}=${executionId}`] } });
  } catch (error) {
    if (dockerStatusCode(error) === null) throw new HookflowError('HF_ERR_DOCKER_UNAVAILABLE', unavailableMessage(dockerEndpoint(options), error), { where: 'removeExecutionContainers' });
    throw new HookflowError('HF_ERR_DOCKER', `Docker engine refused listing containers: ${dockerErrorMessage(error)}`, { where: 'removeExecutionContainers' });
  }
  for (const info of listed) {
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
    } catch (error) {
      if (dockerStatusCode(error) !== 404) {
        throw new HookflowError('HF_ERR_DOCKER', `Container ${shortId(info.Id)} could not be removed: ${dockerErrorMessage(error)}`, { where: 'removeExecutionContainers' });
      }
    }
  }
  if (options.composeProject) await removeComposeProject(options.composeProject, options);
}

function outcome(reason: RunOutcome['reason'], exitCode: number | null, message: string | null, details: JsonObject, signal: string | null = null): RunOutcome {
  return { reason, exit_code: exitCode, signal, message, details };
}

function stoppedOutcome(stop: RunStop, signal: string | null, details: JsonObject): RunOutcome {
  const reason = stop.reason ?? 'canceled';
  return outcome(reason, null, stop.message ?? (reason === 'timeout' ? TIME_LIMIT_MESSAGE : CANCELED_MESSAGE), details, signal);
}

/** docker-init's report that it could not exec the command ("exec /bin/x failed: No such file or directory"), or null. */
export function initExecFailure(stderr: string): string | null {
  const match = /^\[FATAL tini \(\d+\)\] (exec .* failed: .*)$/m.exec(stderr);
  return match ? (match[1] as string).trim() : null;
}

function isNoSuchImage(error: unknown): boolean {
  return dockerStatusCode(error) === 404 && /no such image/i.test(dockerErrorMessage(error));
}

function pipeOutput(docker: Docker, stream: NodeJS.ReadableStream, sink: OutputSink): Promise<void> {
  const forward = (write: (chunk: Buffer) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        try {
          write(chunk);
        } catch {
          // A failing sink must not stop the container's output from being drained.
        }
        callback();
      },
    });
  docker.modem.demuxStream(
    stream,
    forward((chunk) => sink.stdout(chunk)),
    forward((chunk) => sink.stderr(chunk)),
  );
  return new Promise((resolve) => {
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
}

function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<Array<{ error?: unknown }>> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, events: Array<{ error?: unknown }>) => (error ? reject(error) : resolve(events)));
  });
}

function destroyStream(stream: NodeJS.ReadableStream): void {
  const destroyable = stream as NodeJS.ReadableStream & { destroy?: () => void };
  destroyable.destroy?.();
}

/** true when the promise settled within ms. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([settled, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
