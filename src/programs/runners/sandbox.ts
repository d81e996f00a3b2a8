import { isAbsolute, join, normalize, posix, relative } from 'node:path';
import { HookflowError } from '../../errors.js';
import type { NetworkMode, RunSpec } from '../model.js';

/**
 * The process runner's bubblewrap sandbox, as pure argv building. What sandboxed code sees:
 * the host system read-only, its program folder at /workspace (read-only unless writable), the
 * actions folder read-only at /hookflow/actions, a private /tmp and /run, no network unless the
 * program's `network` allows it, and never hookflow's home (the store and the secret key live there).
 *
 * The sandbox's root is a fresh tmpfs holding the host's top-level folders bound read-only (so
 * /workspace can be made in it), remounted read-only once everything is in place.
 *
 * The environment is NOT put on bwrap's command line (--clearenv/--setenv): argv is readable by
 * every user on the host through /proc/PID/cmdline and `ps`, while the environment passed to
 * spawn is readable only by the same user. bwrap hands its own (minimal) environment down.
 */

export const SANDBOX_WORKSPACE = '/workspace';
export const SANDBOX_ACTIONS = '/hookflow/actions';
/** Installed dependencies of the actions (as the docker runner's DEPENDENCIES_MOUNT). */
export const SANDBOX_DEPENDENCIES = '/hookflow/deps';
const RESOLVER_DIRS = ['/run/systemd/resolve', '/run/resolvconf', '/run/NetworkManager'];

export interface SandboxMount {
  host: string;
  target: string;
}

export interface SandboxPlan {
  /** Host paths, absolute (resolved of symlinks by the caller: containment checks compare strings). */
  workspace_dir: string;
  writable: boolean;
  actions_dir: string | null;
  extra_mounts: SandboxMount[];
  /** Bound at /hookflow/deps: read-only, writable while installing. */
  dependency_dir: string | null;
  installing: boolean;
  network: NetworkMode;
  /** hookflow's home (HOOKFLOW_HOME), hidden wherever it would be visible; null when it does not exist. */
  home: string | null;
  /**
   * The host's top-level entries (`ls -a /`), bound read-only one by one: the sandbox's root is
   * bubblewrap's own tmpfs, so /workspace and /hookflow can be made in it (a read-only bind of the
   * whole host / could not get new mount points).
   */
  root_entries: RootEntry[];
  /** What runs inside: the interpreter, the script as the sandbox sees it, the arguments. */
  command: string[];
}

export interface RootEntry {
  name: string;
  type: 'directory' | 'file' | 'symlink';
  /** A symlink's target as written (`usr/bin`). */
  target?: string;
}

/** Top-level entries the sandbox provides itself instead of the host's. */
const OWN_ROOT_ENTRIES = new Set(['proc', 'dev', 'tmp', 'run', SANDBOX_WORKSPACE.slice(1), SANDBOX_ACTIONS.split('/')[1]]);

export function sandboxPlan(
  spec: Pick<RunSpec, 'workspace_dir' | 'writable' | 'actions_dir' | 'extra_mounts' | 'network' | 'dependency_dir' | 'installing'>,
  host: { home: string | null; root_entries: RootEntry[] },
  command: string[],
): SandboxPlan {
  return {
    workspace_dir: spec.workspace_dir,
    writable: spec.writable,
    actions_dir: spec.actions_dir,
    extra_mounts: spec.extra_mounts,
    dependency_dir: spec.dependency_dir ?? null,
    installing: spec.installing ?? false,
    network: spec.network,
    home: host.home,
    root_entries: host.root_entries,
    command,
  };
}

/**
 * bubblewrap's arguments (without the bwrap binary itself), ending with `--` and the command.
 * Mount order matters: later mounts cover earlier ones, so the hiding tmpfs mounts come after the
 * binds they hide parts of. Bind sources are resolved in the host's view, so hiding the home does
 * not stop a program folder inside it from being bound at /workspace.
 */
export function bwrapArgs(plan: SandboxPlan): string[] {
  const workspace = absolute(plan.workspace_dir, 'workspace_dir');
  const home = plan.home === null ? null : absolute(plan.home, 'home');
  const actions = plan.actions_dir === null ? null : absolute(plan.actions_dir, 'actions_dir');
  if (home === '/') throw invalid('home', 'hookflow home is /: it cannot be hidden from sandboxed programs', 'set HOOKFLOW_HOME to a directory of its own');
  if (plan.command.length === 0) throw invalid('command', 'the sandbox was given an empty command');

  const binds: Array<{ host: string; target: string; writable: boolean }> = [{ host: workspace, target: SANDBOX_WORKSPACE, writable: plan.writable }];
  if (actions !== null) binds.push({ host: actions, target: SANDBOX_ACTIONS, writable: false });
  if (plan.dependency_dir !== null) binds.push({ host: absolute(plan.dependency_dir, 'dependency_dir'), target: SANDBOX_DEPENDENCIES, writable: plan.installing });
  plan.extra_mounts.forEach((mount, index) => {
    const target = absolute(mount.target, `extra_mounts[${index}].target`);
    if (isReserved(target)) throw invalid(`extra_mounts[${index}].target`, `an extra mount cannot cover ${target}`, `mount it below ${SANDBOX_WORKSPACE} or elsewhere`);
    binds.push({ host: absolute(mount.host, `extra_mounts[${index}].host`), target, writable: false });
  });

  const args: string[] = [];
  for (const entry of plan.root_entries) {
    if (OWN_ROOT_ENTRIES.has(entry.name) || entry.name === '' || entry.name === '.' || entry.name === '..' || entry.name.includes('/')) continue;
    const path = `/${entry.name}`;
    if (entry.type === 'symlink') {
      if (entry.target !== undefined) args.push('--symlink', entry.target, path);
    } else args.push('--ro-bind-try', path, path);
  }
  args.push('--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp');
  // /run holds control sockets (docker.sock, containerd, the system D-Bus): a read-only bind does
  // not stop connect() on a socket, and docker.sock is root on the host. With a network, keep what
  // /etc/resolv.conf commonly links to, so names still resolve.
  args.push('--tmpfs', '/run');
  if (sharesNetwork(plan.network)) for (const dir of RESOLVER_DIRS) args.push('--ro-bind-try', dir, dir);
  if (home !== null && !isInsideOrEqual(home, '/tmp') && !isInsideOrEqual(home, '/run')) args.push('--tmpfs', home);

  for (const bind of binds) args.push(bind.writable ? '--bind' : '--ro-bind', bind.host, bind.target);
  // The home inside a bound folder would be visible through the bind: cover its view there too.
  for (const bind of binds) {
    if (home === null || !isInsideOrEqual(home, bind.host)) continue;
    const rel = relative(bind.host, home);
    if (rel === '') {
      throw invalid(bindWhere(bind.target), `${bind.host} is hookflow's home (it holds the store and the secret key) and cannot be shown to sandboxed programs`, 'keep programs in a folder of their own');
    }
    args.push('--tmpfs', posix.join(bind.target, rel));
  }

  // The root tmpfs stays writable otherwise: writes there would succeed (and vanish), not fail.
  args.push('--remount-ro', '/', '--chdir', SANDBOX_WORKSPACE);
  args.push('--unshare-all');
  if (sharesNetwork(plan.network)) args.push('--share-net');
  args.push('--die-with-parent', '--new-session', '--', ...plan.command);
  return args;
}

/** bubblewrap cannot make a bridge: `bridge` and `host` both share the host's network. */
export function sharesNetwork(network: NetworkMode): boolean {
  return network === 'bridge' || network === 'host';
}

/** The script's path as the process sees it, in the sandbox or on the host; null when the run has none (an install). */
export function scriptPath(spec: Pick<RunSpec, 'script' | 'workspace_dir' | 'actions_dir'>, view: 'host' | 'sandbox'): string | null {
  if (spec.script === null) return null;
  const path = spec.script.path;
  const where = 'script.path';
  if (path === '' || isAbsolute(path)) throw invalid(where, `script path must be relative to its folder: ${JSON.stringify(path)}`);
  const clean = normalize(path);
  if (clean === '..' || clean.startsWith('../')) throw invalid(where, `script path escapes its folder: ${path}`);
  if (spec.script.root === 'actions') {
    if (spec.actions_dir === null) throw invalid('actions_dir', `script ${path} is in the actions folder, but there is none`);
    return view === 'sandbox' ? posix.join(SANDBOX_ACTIONS, clean) : join(spec.actions_dir, clean);
  }
  return view === 'sandbox' ? posix.join(SANDBOX_WORKSPACE, clean) : join(spec.workspace_dir, clean);
}

export function isInsideOrEqual(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel));
}

/**
 * With installed action dependencies: where the interpreters find them (before the run's own
 * PYTHONPATH/NODE_PATH) and, while installing, where pip and npm put them. The same variables as
 * the docker runner's, in the process's view of the folder.
 */
export function dependencyEnv(spec: Pick<RunSpec, 'env' | 'dependency_dir' | 'installing'>, view: 'host' | 'sandbox'): Record<string, string> {
  if (!spec.dependency_dir) return {};
  const folder = view === 'sandbox' ? SANDBOX_DEPENDENCIES : spec.dependency_dir;
  const prepend = (first: string, rest: string | undefined) => (rest ? `${first}:${rest}` : first);
  const env: Record<string, string> = {
    PYTHONPATH: prepend(join(folder, 'python'), spec.env.PYTHONPATH),
    NODE_PATH: prepend(join(folder, 'node', 'node_modules'), spec.env.NODE_PATH),
  };
  if (spec.installing) {
    env.PIP_TARGET = join(folder, 'python');
    env.npm_config_prefix = join(folder, 'node');
  }
  return env;
}

function isReserved(target: string): boolean {
  return ['/', '/proc', '/dev', '/tmp', '/run', SANDBOX_WORKSPACE, SANDBOX_ACTIONS, SANDBOX_DEPENDENCIES].includes(target);
}

function bindWhere(target: string): string {
  if (target === SANDBOX_WORKSPACE) return 'workspace_dir';
  if (target === SANDBOX_ACTIONS) return 'actions_dir';
  if (target === SANDBOX_DEPENDENCIES) return 'dependency_dir';
  return 'extra_mounts';
}

function absolute(path: string, where: string): string {
  if (!isAbsolute(path)) throw invalid(where, `sandbox paths must be absolute: ${JSON.stringify(path)}`);
  const clean = normalize(path);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

function invalid(where: string, message: string, hint?: string): HookflowError {
  return new HookflowError('HF_ERR_INVALID_ARGUMENT', message, hint ? { where, hint } : { where });
}
