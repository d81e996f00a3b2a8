import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JsonObject } from '../events/model.js';
import { errorMessage } from '../errors.js';
import type { ExecutionRecord, RunnerKind } from '../store/programs.js';
import { dependencyKey, findActionFiles, type ActionFiles } from './action-files.js';
import { shellExitCode, verdictOf, type ExecutionVerdict } from './execution-states.js';
import { interpreterFor, languageOf, programEnv, readDotEnv, resolveMainFile } from './launch.js';
import type {
  ComposeRunner,
  ProgramActionStep,
  ProgramDefinition,
  ProgramsConfig,
  RunOutcome,
  RunPhase,
  Runner,
  RunSpec,
  ScriptRoot,
} from './model.js';
import type { ExecutionOutput } from './output.js';

/**
 * One execution from start to end, in its runner: the before actions (typed ones, then
 * actions/act_before.*), the program, then the after actions, whatever the program's outcome.
 * The before actions and the program share the program's timeout; the after actions get what is
 * left of it, and at least `afterGraceMs` when nothing is (so act_after still runs after a
 * timeout). An action's failure is written to the output and recorded, never changes the
 * program's status, and never skips the program.
 */

export interface TypedActionRunner {
  (step: ProgramActionStep, context: { vars: JsonObject; signal: AbortSignal; timeoutSeconds: number; log: (line: string) => void }): Promise<{
    success: boolean;
    error: string | null;
    outputs: JsonObject;
  }>;
}

export interface ExecutorDeps {
  process: Runner;
  docker: Runner | null;
  compose: ComposeRunner | null;
  /** Whether a Docker engine answers now (cached by the caller). */
  dockerAvailable(): Promise<boolean>;
  runTypedAction: TypedActionRunner;
  /** HOOKFLOW_HOME/programs: installed action dependencies live under it. */
  programsDir: string;
  afterGraceMs?: number;
}

export interface ExecutionRun {
  execution: ExecutionRecord;
  program: ProgramDefinition;
  config: ProgramsConfig;
  output: ExecutionOutput;
  signal: AbortSignal;
  /**
   * Aborted when this process shuts down. The after actions watch it instead of the cancel: a
   * cancel stops the program, and act_after still runs (bounded by its own deadline) to clean up.
   */
  shutdown: AbortSignal;
  /** epoch ms the execution started (its deadline counts from here). */
  startedAt: number;
}

export interface ExecutionResult extends ExecutionVerdict {
  details: JsonObject;
}

const DEFAULT_AFTER_GRACE_MS = 30_000;

/** The runner a program uses: its own, else the settings', else docker when an engine answers, else process. */
export async function chooseRunner(program: ProgramDefinition, config: ProgramsConfig, dockerAvailable: () => Promise<boolean>): Promise<RunnerKind> {
  if (program.compose_file && program.runner !== 'process' && program.runner !== 'docker') return 'compose';
  const chosen = program.runner ?? config.settings.runner;
  if (chosen) return chosen;
  return (await dockerAvailable()) ? 'docker' : 'process';
}

interface ActionRecord {
  phase: 'before' | 'after';
  name: string;
  success: boolean;
  exit_code: number | null;
  error: string | null;
}

export class ExecutionRunner {
  /** Installs in progress or done in this process, by cache key. */
  private readonly installs = new Map<string, Promise<string | null>>();

  constructor(private readonly deps: ExecutorDeps) {}

  async run(run: ExecutionRun): Promise<ExecutionResult> {
    const { program, config, output, execution } = run;
    const deadline = run.startedAt + program.timeout_seconds * 1000;
    const runnerKind = execution.runner;
    const details: JsonObject = { runner: runnerKind };
    const actionRecords: ActionRecord[] = [];
    const files = findActionFiles(join(config.directory, 'actions'));
    const dotenv = readDotEnv(program.directory);
    // Python buffers stdout into a pipe; unbuffered, its lines reach live followers as printed.
    const baseEnv = { PYTHONUNBUFFERED: '1', ...programEnv({ program, executionId: execution.id, parameters: execution.parameters, dotenv }) };
    const vars = (exitCode: number | null, status: string | null): JsonObject => ({
      program: { id: program.id, name: program.name, kind: program.kind },
      execution: { id: execution.id, status, exit_code: exitCode },
      parameters: execution.parameters,
      exit_code: exitCode,
    });

    const runner = await this.runnerFor(runnerKind, program);
    if ('error' in runner) return { status: 'failed', exit_code: null, error: runner.error, details };

    const image = runnerKind === 'docker' ? (program.docker_image ?? config.settings.docker_image) : null;
    const dependencyDir = await this.dependencies(files, runnerKind === 'docker' ? `image:${image}` : 'host', runner.runner, run, output, details, baseEnv, image);

    // ── before ──
    await this.phaseActions('before', run, files, runner.runner, image, dependencyDir, baseEnv, deadline, vars(null, 'running'), actionRecords);

    // ── the program ──
    let verdict: ExecutionVerdict;
    if (run.signal.aborted) {
      verdict = { status: 'canceled', exit_code: null, error: 'canceled before the program started' };
    } else {
      const outcome = await this.runProgram(run, runner.runner, image, baseEnv, deadline);
      Object.assign(details, outcome.details);
      verdict = verdictOf(outcome);
    }

    // ── after: after failures, timeouts and cancels too, with the program's real exit code ──
    const afterDeadline = Math.max(deadline, Date.now() + (this.deps.afterGraceMs ?? DEFAULT_AFTER_GRACE_MS));
    const exitCode = verdict.exit_code ?? (verdict.status === 'completed' ? 0 : 1);
    await this.phaseActions(
      'after',
      { ...run, signal: run.shutdown },
      files,
      runner.runner,
      image,
      dependencyDir,
      { ...baseEnv, EXIT_CODE: String(exitCode) },
      afterDeadline,
      vars(exitCode, verdict.status),
      actionRecords,
    );
    if (actionRecords.length > 0) details.actions = actionRecords as unknown as JsonObject[];
    if (files.disabled.length > 0) details.disabled_actions = files.disabled;
    return { ...verdict, details };
  }

  private async runnerFor(kind: RunnerKind, program: ProgramDefinition): Promise<{ runner: Runner } | { error: string }> {
    if (kind === 'process') return { runner: this.deps.process };
    if (kind === 'compose') {
      // Compose programs' before/after actions run as local processes beside the compose project.
      if (!this.deps.compose) return { error: 'the compose runner is not available: neither `docker compose` nor `docker-compose` was found' };
      if (!program.compose_file) return { error: `program ${program.id} has runner compose but no path_docker_compose_run` };
      return { runner: this.deps.process };
    }
    if (!this.deps.docker || !(await this.deps.dockerAvailable())) {
      const reason = this.deps.docker ? (await this.deps.docker.availability()).reason : 'no Docker client configured';
      return { error: `Docker daemon not available: ${reason ?? 'it did not answer'}. Start Docker, or set runner: process for this program` };
    }
    return { runner: this.deps.docker };
  }

  private spec(
    run: ExecutionRun,
    phase: RunPhase,
    script: { root: ScriptRoot; path: string } | null,
    interpreter: string[],
    args: string[],
    env: Record<string, string>,
    image: string | null,
    deadline: number,
    sinkTag: string | null,
    dependencyDir: string | null,
  ): { spec: RunSpec; close(): void } {
    const { program, config } = run;
    const sink = run.output.sink(sinkTag);
    const spec: RunSpec = {
      execution_id: run.execution.id,
      program_id: program.id,
      phase,
      interpreter,
      script,
      args,
      workspace_dir: program.directory,
      // No actions folder, nothing to show: bubblewrap and Docker refuse to bind a missing path.
      actions_dir: existsSync(join(config.directory, 'actions')) ? join(config.directory, 'actions') : null,
      extra_mounts: [],
      dependency_dir: dependencyDir,
      writable: program.writable,
      env,
      image,
      limits: { memory_bytes: program.memory_limit, cpus: program.cpu_limit },
      network: program.network,
      sandbox: program.sandbox,
      deadline,
      signal: run.signal,
      output: sink,
    };
    return { spec, close: () => sink.close() };
  }

  private async runProgram(run: ExecutionRun, runner: Runner, image: string | null, env: Record<string, string>, deadline: number): Promise<RunOutcome> {
    const { program, config } = run;
    if (run.execution.runner === 'compose' && this.deps.compose && program.compose_file) {
      const sink = run.output.sink(null);
      try {
        return await this.deps.compose.run({
          execution_id: run.execution.id,
          program_id: program.id,
          compose_file: program.compose_file,
          project_name: composeProjectName(program.id, run.execution.id),
          env,
          deadline,
          signal: run.signal,
          output: sink,
        });
      } finally {
        sink.close();
      }
    }
    let mainFile: string;
    try {
      mainFile = resolveMainFile(program.directory, program.main_file);
    } catch (error) {
      return { reason: 'start_failed', exit_code: null, signal: null, message: errorMessage(error), details: {} };
    }
    const language = languageOf(mainFile, program.language);
    const interpreter = interpreterFor(language, config.settings.interpreters, runner.kind === 'docker' ? 'container' : 'host');
    const { spec, close } = this.spec(run, 'program', { root: 'workspace', path: mainFile }, interpreter, program.argv, env, image, deadline, null, null);
    try {
      return await runner.run(spec);
    } finally {
      close();
    }
  }

  private async phaseActions(
    phase: 'before' | 'after',
    run: ExecutionRun,
    files: ActionFiles,
    runner: Runner,
    image: string | null,
    dependencyDir: string | null,
    env: Record<string, string>,
    deadline: number,
    vars: JsonObject,
    records: ActionRecord[],
  ): Promise<void> {
    const typed = phase === 'before' ? run.program.before : run.program.after;
    const scripts = phase === 'before' ? files.before : files.after;
    if (typed.length === 0 && scripts.length === 0) return;
    const tag = phase === 'before' ? 'ACT_BEFORE' : 'ACT_AFTER';
    run.output.note('stdout', phase === 'before' ? '🔧 Executing pre-execution actions...\n' : '\n🔧 Executing post-execution actions...\n');
    for (const step of typed) {
      if (run.signal.aborted) break;
      const started = Date.now();
      try {
        const result = await this.deps.runTypedAction(step, {
          vars,
          signal: run.signal,
          timeoutSeconds: Math.max(1, Math.ceil((deadline - started) / 1000)),
          log: (line) => run.output.note('stdout', `[${tag}] ${line}\n`),
        });
        if (!result.success) run.output.note('stderr', `[${tag}] action ${step.action} failed: ${result.error ?? 'no reason given'}\n`);
        records.push({ phase, name: step.action, success: result.success, exit_code: null, error: result.error });
      } catch (error) {
        run.output.note('stderr', `[${tag}] action ${step.action} failed: ${errorMessage(error)}\n`);
        records.push({ phase, name: step.action, success: false, exit_code: null, error: errorMessage(error) });
      }
    }
    for (const name of scripts) {
      if (run.signal.aborted) break;
      const language = languageOf(name, null);
      const interpreter = interpreterFor(language, run.config.settings.interpreters, runner.kind === 'docker' ? 'container' : 'host');
      const { spec, close } = this.spec(run, phase, { root: 'actions', path: name }, interpreter, [], env, image, deadline, tag, dependencyDir);
      let outcome: RunOutcome;
      try {
        outcome = await runner.run(spec);
      } finally {
        close();
      }
      const exitCode = shellExitCode(outcome);
      const success = outcome.reason === 'exited' && exitCode === 0;
      const error = success ? null : (outcome.message ?? `exited with code ${exitCode ?? 'unknown'}`);
      if (!success) run.output.note('stderr', `[${tag}] ${name} failed: ${error}\n`);
      records.push({ phase, name, success, exit_code: exitCode, error });
    }
  }

  /**
   * Installs actions/requirements.txt (pip --target) and actions/package.json (npm) once per
   * content and runner context, into HOOKFLOW_HOME/programs/deps/<key>; concurrent executions
   * wait for the same install. A failed install is written to the output and retried by the next
   * execution; the actions then run without their dependencies.
   */
  private async dependencies(
    files: ActionFiles,
    context: string,
    runner: Runner,
    run: ExecutionRun,
    output: ExecutionOutput,
    details: JsonObject,
    env: Record<string, string>,
    image: string | null,
  ): Promise<string | null> {
    if (files.before.length === 0 && files.after.length === 0) return null;
    const key = dependencyKey(files, context);
    if (!key) return null;
    const target = join(this.deps.programsDir, 'deps', key);
    if (existsSync(join(target, '.installed'))) return target;
    let install = this.installs.get(key);
    if (!install) {
      install = this.install(files, target, runner, run, output, env, image).finally(() => this.installs.delete(key));
      this.installs.set(key, install);
    }
    const installed = await install;
    details.action_dependencies = installed ? 'installed' : 'install failed';
    return installed;
  }

  private async install(
    files: ActionFiles,
    target: string,
    runner: Runner,
    run: ExecutionRun,
    output: ExecutionOutput,
    env: Record<string, string>,
    image: string | null,
  ): Promise<string | null> {
    const staging = `${target}.${process.pid}.${Date.now().toString(36)}`;
    mkdirSync(join(staging, 'python'), { recursive: true });
    mkdirSync(join(staging, 'node'), { recursive: true });
    // Where to install comes from the runner (PIP_TARGET, npm_config_prefix in its view of the folder).
    const steps: Array<{ interpreter: string[]; script: { root: ScriptRoot; path: string } | null }> = [];
    const python = runner.kind === 'docker' ? 'python3' : (run.config.settings.interpreters.python ?? 'python3');
    if (files.requirements) {
      steps.push({ interpreter: [python, '-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '-r'], script: { root: 'actions', path: files.requirements.name } });
    }
    if (files.packageJson) {
      copyFileSync(join(files.directory, files.packageJson.name), join(staging, 'node', 'package.json'));
      // npm installs into its working folder unless --prefix is on its command line; the runner's
      // npm_config_prefix (its view of <deps>/node) is put there by a shell.
      steps.push({ interpreter: ['sh', '-c', 'exec npm install --no-audit --no-fund --omit=dev --prefix "$npm_config_prefix"'], script: null });
    }
    output.note('stdout', '📦 Installing the actions\' dependencies...\n');
    const deadline = Date.now() + 10 * 60_000;
    for (const step of steps) {
      const { spec, close } = this.spec(
        { ...run, program: { ...run.program, network: 'bridge', writable: false } },
        'before',
        step.script,
        step.interpreter,
        [],
        env,
        image,
        deadline,
        'INSTALL',
        staging,
      );
      spec.installing = true;
      let outcome: RunOutcome;
      try {
        outcome = await runner.run(spec);
      } finally {
        close();
      }
      if (outcome.reason !== 'exited' || outcome.exit_code !== 0) {
        output.note('stderr', `[INSTALL] installing the actions' dependencies failed: ${outcome.message ?? `exit code ${outcome.exit_code}`}\n`);
        rmSync(staging, { recursive: true, force: true });
        return null;
      }
    }
    writeFileSync(join(staging, '.installed'), new Date().toISOString());
    mkdirSync(dirname(target), { recursive: true });
    try {
      renameSync(staging, target);
    } catch {
      // Another process installed the same thing first: use theirs.
      rmSync(staging, { recursive: true, force: true });
    }
    return target;
  }
}

/** Compose project names: lowercase letters, digits, dashes, underscores; unique per execution. */
export function composeProjectName(programId: string, executionId: string): string {
  const base = programId.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 40) || 'program';
  return `hookflow-${base}-${executionId.replace(/-/g, '').slice(-12)}`;
}
