import type { AuthService } from '../auth/service.js';
import type { HookflowServices, ProgramServices, WorkflowServices } from '../client/services.js';
import type { Engine } from '../engine.js';

/**
 * The services of the local store, over an open engine. Workflows, programs and accounts are
 * loaded on first use: their modules cost start-up time that `hookflow state get` need not pay.
 */
export function localServices(engine: Engine): HookflowServices {
  return {
    target: engine.options.storeUrl,
    maxEventBytes: engine.dispatcher.maxEventBytes,
    events: engine.events,
    hooks: engine.hooks,
    secrets: engine.secrets,
    state: engine.state,
    workflows: lazyWorkflows(engine),
    programs: lazyPrograms(engine),
    accounts: lazyAccounts(engine),
  };
}

function lazyWorkflows(engine: Engine): WorkflowServices {
  const load = () => engine.workflows();
  return {
    validate: async (...args) => (await load()).validate(...args),
    submit: async (...args) => (await load()).submit(...args),
    get: async (...args) => (await load()).get(...args),
    list: async (...args) => (await load()).list(...args),
    status: async (...args) => (await load()).status(...args),
    jobs: async (...args) => (await load()).jobs(...args),
    job: async (...args) => (await load()).job(...args),
    logs: async (...args) => (await load()).logs(...args),
    outputs: async (...args) => (await load()).outputs(...args),
    cancel: async (...args) => (await load()).cancel(...args),
    restart: async (...args) => (await load()).restart(...args),
    actions: async (...args) => (await load()).actions(...args),
    graph: async (...args) => (await load()).graph(...args),
    workers: async (...args) => (await load()).workers(...args),
    allocations: async (...args) => (await load()).allocations(...args),
    cancelAllocations: async (...args) => (await load()).cancelAllocations(...args),
    waitForEnd: async (...args) => (await load()).waitForEnd(...args),
  };
}

function lazyPrograms(engine: Engine): ProgramServices {
  let programs: Promise<ProgramServices> | null = null;
  const load = () => (programs ??= import('../client/programs-local.js').then(({ localPrograms }) => localPrograms(() => engine.programs())));
  return {
    list: async () => (await load()).list(),
    config: async () => (await load()).config(),
    run: async (...args) => (await load()).run(...args),
    executions: async (...args) => (await load()).executions(...args),
    show: async (...args) => (await load()).show(...args),
    logs: async (...args) => (await load()).logs(...args),
    cancel: async (...args) => (await load()).cancel(...args),
    stats: async () => (await load()).stats(),
    follow: async (...args) => (await load()).follow(...args),
  };
}

function lazyAccounts(engine: Engine): HookflowServices['accounts'] {
  let accounts: Promise<AuthService> | null = null;
  const load = () => (accounts ??= import('../auth/service.js').then(({ AuthService }) => AuthService.open(engine.store, engine.secretBox)));
  return {
    addUser: async (...args) => (await load()).addUser(...args),
    listUsers: async () => (await load()).listUsers(),
    removeUser: async (...args) => (await load()).removeUser(...args),
    setPassword: async (...args) => (await load()).setPassword(...args),
    setRole: async (...args) => (await load()).setRole(...args),
    createToken: async (...args) => (await load()).createToken(...args),
    listTokens: async () => (await load()).listTokens(),
    revokeToken: async (...args) => (await load()).revokeToken(...args),
  };
}
