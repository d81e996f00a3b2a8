import type { AuthService } from '../auth/service.js';
import type { EventService } from '../events/service.js';
import type { HookService } from '../hooks/service.js';
import type { SecretService, StateService } from '../store/services.js';
import type { WorkflowService } from '../workflows/service.js';

/** What the CLI does with workflows, locally and through the API alike. */
export type WorkflowServices = Pick<
  WorkflowService,
  | 'validate'
  | 'submit'
  | 'get'
  | 'list'
  | 'status'
  | 'jobs'
  | 'job'
  | 'logs'
  | 'outputs'
  | 'cancel'
  | 'restart'
  | 'actions'
  | 'graph'
  | 'workers'
  | 'allocations'
  | 'cancelAllocations'
  | 'waitForEnd'
>;

/**
 * The services the CLI uses, whether it works on a local store or talks to a server: the engine's
 * own services locally, an HTTP client (src/client/remote.ts) remotely. One set of commands
 * serves both, so they cannot drift apart.
 */
export interface HookflowServices {
  /** Where these services act, for messages: a store URL or a server URL. */
  readonly target: string;
  readonly maxEventBytes: number;
  events: Pick<EventService, 'dispatch' | 'dispatchAndWait' | 'list' | 'get' | 'delete' | 'cleanup' | 'replay' | 'replayMatching'>;
  hooks: Pick<HookService, 'addFromFile' | 'addCommands' | 'addAction' | 'list' | 'get' | 'setEnabled' | 'remove' | 'history' | 'test'>;
  secrets: Pick<SecretService, 'set' | 'list' | 'delete'>;
  state: Pick<StateService, 'get' | 'set' | 'delete' | 'list'>;
  workflows: WorkflowServices;
  accounts: Pick<AuthService, 'addUser' | 'listUsers' | 'removeUser' | 'setPassword' | 'setRole' | 'createToken' | 'listTokens' | 'revokeToken'>;
}
