import { useMemo, useState } from 'preact/hooks';
import { api, roleAllows, type ActionDescription, type ActionRunAnswer, type Role } from '../api.js';
import { ActionFields, fieldId } from '../components/action-fields.js';
import { ActionIcon } from '../components/action-icon.js';
import { Duration, ErrorNotice, JsonBlock, Loading, PageHeader } from '../components/ui.js';
import { toApiError, useApi } from '../components/use-api.js';
import type { ApiError } from '../api.js';
import { buildParams, formModel, initialInputs, serverProblems, type FieldInput, type FormInputs, type FormModel, type ServerProblem } from '../lib/action-form.js';
import { href } from '../router.js';
import './actions.css';

const STATUS_BADGE: Record<string, string> = { completed: 'completed', failed: 'failed', timeout: 'failed', cancelled: 'failed', pending: 'pending', running: 'processing' };

/** A field's control (the first checkbox of a multiselect), for focus after a refusal. */
function focusField(name: string): void {
  const target = document.getElementById(fieldId(name)) ?? document.querySelector<HTMLElement>(`[data-param="${CSS.escape(name)}"] input`);
  target?.focus();
}

function RunStatus({ status }: { status: string }) {
  return <span class={`badge badge-${STATUS_BADGE[status] ?? 'pending'}`}>{status}</span>;
}

function Facts({ description }: { description: ActionDescription }) {
  const { meta, source } = description;
  const retry = meta.retryPolicy;
  return (
    <dl class="facts">
      <dt>Type</dt>
      <dd>
        <code>{meta.type}</code> · version {meta.version}
      </dd>
      <dt>Category</dt>
      <dd>
        <a href={href(['actions'])}>{meta.category}</a>
      </dd>
      <dt>Runs</dt>
      <dd>
        {meta.executionMode === 'event_driven' ? 'event-driven: starts, then waits for an event that completes it' : 'synchronously'}
        {meta.timeoutSeconds ? `, timeout ${meta.timeoutSeconds} s` : ''}
        {meta.idempotent ? ', idempotent (safe to retry)' : ''}
      </dd>
      {retry ? (
        <>
          <dt>Retries</dt>
          <dd>
            {retry.maxAttempts} attempt{retry.maxAttempts === 1 ? '' : 's'}, {retry.initialIntervalSeconds} s apart, ×{retry.backoffMultiplier} each time up to {retry.maxIntervalSeconds} s
          </dd>
        </>
      ) : null}
      {meta.requiredServices?.length ? (
        <>
          <dt>Needs</dt>
          <dd>{meta.requiredServices.join(', ')}</dd>
        </>
      ) : null}
      <dt>Source</dt>
      <dd>{source === 'builtin' ? 'built in' : <code>{source}</code>}</dd>
      {meta.docsUrl && /^https?:\/\//.test(meta.docsUrl) ? (
        <>
          <dt>Docs</dt>
          <dd>
            <a href={meta.docsUrl} rel="noreferrer noopener" target="_blank">
              {meta.docsUrl}
            </a>
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function Outputs({ outputs }: { outputs: ActionDescription['meta']['outputs'] }) {
  if (outputs.length === 0) return <p class="muted">This action declares no outputs.</p>;
  return (
    <div class="table-wrap">
      <table class="outputs-table">
        <thead>
          <tr>
            <th scope="col">Output</th>
            <th scope="col">Type</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {outputs.map((output) => (
            <tr key={output.name}>
              <td>
                <code>{output.name}</code>
              </td>
              <td>{output.type}</td>
              <td>{output.description ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunResult({ answer, problems }: { answer: ActionRunAnswer; problems: ServerProblem[] }) {
  const hasOutputs = Object.keys(answer.outputs).length > 0;
  return (
    <div class={`action-result action-result-${answer.success ? 'ok' : 'failed'}`} role="status" aria-label="Run result">
      <p class="action-result-head">
        <RunStatus status={answer.status} /> in <Duration ms={answer.duration_ms} />
        {answer.awaiting_event ? (
          <span>
            {' '}
            · waiting for an event for <code>{answer.external_workflow_id}</code>
          </span>
        ) : null}
      </p>
      {problems.length > 0 ? (
        <div class="notice notice-error" role="alert">
          <strong>The server refused these params:</strong>
          <ul class="problems">
            {problems.map((problem) => (
              <li key={`${problem.path}|${problem.rule}`}>
                {problem.field ? (
                  <a
                    href={`#${fieldId(problem.field)}`}
                    onClick={(event) => {
                      // The address is the page's route: move focus without changing it.
                      event.preventDefault();
                      focusField(problem.field ?? '');
                    }}
                  >
                    {problem.message}
                  </a>
                ) : (
                  problem.message
                )}{' '}
                <span class="muted small">({problem.rule})</span>
              </li>
            ))}
          </ul>
        </div>
      ) : answer.error ? (
        <pre class="block output error-text" tabIndex={0} aria-label="error">
          {answer.error}
        </pre>
      ) : null}
      {answer.warnings.length > 0 ? (
        <>
          <h4>Warnings</h4>
          <ul class="warnings">
            {answer.warnings.map((warning, index) => (
              <li key={index}>{warning}</li>
            ))}
          </ul>
        </>
      ) : null}
      <h4>Outputs</h4>
      {hasOutputs ? <JsonBlock value={answer.outputs} label="outputs" /> : <p class="muted small">No outputs.</p>}
      <h4>Log</h4>
      {answer.log.length > 0 ? (
        <pre class="block output action-log" tabIndex={0} aria-label="log">
          {answer.log.join('\n')}
        </pre>
      ) : (
        <p class="muted small">Nothing logged.</p>
      )}
    </div>
  );
}

/** Server problems as field errors (one per field, the first), for the fields the form has. */
function fieldErrorsOf(problems: ServerProblem[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const problem of problems) {
    if (!problem.field || errors[problem.field]) continue;
    // "message is required" → "is required": the field's label is put in front when shown.
    errors[problem.field] = problem.message.startsWith(`${problem.path} `) ? problem.message.slice(problem.path.length + 1) : problem.message;
  }
  return errors;
}

function RunForm({ description, model, operator, role }: { description: ActionDescription; model: FormModel; operator: boolean; role: Role }) {
  const { meta } = description;
  const [inputs, setInputs] = useState<FormInputs>(() => initialInputs(model));
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [attempted, setAttempted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ run: ActionRunAnswer; problems: ServerProblem[] } | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);

  const built = buildParams(model, inputs);
  // Once a run was tried, problems update as the person types; before that, none are shown.
  const errors = { ...serverErrors, ...(attempted ? built.errors : {}) };
  const refused = Object.keys(attempted ? built.errors : {});

  const setInput = (name: string, value: FieldInput) => {
    setInputs((previous) => ({ ...previous, [name]: value }));
    setServerErrors((previous) => {
      if (!(name in previous)) return previous;
      const { [name]: _gone, ...rest } = previous;
      return rest;
    });
  };

  const fill = (params: Record<string, unknown>) => {
    setInputs(initialInputs(model, params));
    setServerErrors({});
    setAttempted(false);
    setAnswer(null);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!operator || busy) return;
    setAttempted(true);
    const bad = model.fields.find((field) => built.errors[field.name]);
    if (bad) {
      focusField(bad.name);
      return;
    }
    setBusy(true);
    setAnswer(null);
    setFailure(null);
    try {
      const run = await api.runAction(meta.type, built.params);
      const problems = serverProblems(run.error, model);
      setServerErrors(fieldErrorsOf(problems));
      setAnswer({ run, problems });
    } catch (error) {
      setFailure(toApiError(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="action-form" onSubmit={submit} noValidate aria-label={`Run ${meta.name}`}>
      {operator ? null : (
        <p class="notice notice-missing" role="note">
          Running an action needs the operator role; you are signed in as {role === 'viewer' ? 'a viewer' : `a ${role}`}. The form shows what it takes.
        </p>
      )}
      {meta.examples?.length ? (
        <div class="examples">
          <span class="field-label">Examples</span>
          <div class="row-actions">
            {meta.examples.map((example) => (
              <button type="button" key={example.title} title={example.description ?? 'Fill the form in with this example'} onClick={() => fill(example.params)}>
                Fill in: {example.title}
              </button>
            ))}
          </div>
        </div>
      ) : null}
      <fieldset class="action-fieldset" disabled={!operator}>
        <legend class="visually-hidden">Params</legend>
        {model.fields.length === 0 ? <p class="muted">This action takes no params.</p> : <ActionFields model={model} inputs={inputs} errors={errors} onInput={setInput} />}
        {refused.length > 0 ? (
          <p class="error-text small" role="alert">
            {refused.length === 1 ? 'One field needs' : `${refused.length} fields need`} attention before the run: {refused.map((name) => model.fields.find((field) => field.name === name)?.label ?? name).join(', ')}.
          </p>
        ) : null}
        <div class="row-actions">
          <button type="submit" class="button-primary" disabled={busy}>
            {busy ? 'Running…' : 'Run'}
          </button>
          <button type="button" class="button-quiet" onClick={() => fill({})}>
            Reset
          </button>
        </div>
      </fieldset>
      {failure ? <ErrorNotice error={failure} what="Not run" /> : null}
      {answer ? <RunResult answer={answer.run} problems={answer.problems} /> : null}
    </form>
  );
}

/** One action: what it is, its params as a generated form to run it once, its outputs. */
export function ActionPage({ type, role }: { type: string; role: Role }) {
  const loaded = useApi(() => api.action(type), [type]);
  const description = loaded.data;
  const model = useMemo(() => (description ? formModel(description.schema) : null), [description]);
  const operator = roleAllows(role, 'operator');
  const meta = description?.meta;

  return (
    <section>
      <PageHeader title={meta ? meta.name : `Action ${type}`} />
      <p>
        <a href={href(['actions'])}>← All actions</a>
      </p>
      {loaded.error ? (
        <ErrorNotice error={loaded.error} what={`Action ${type}`} />
      ) : !description || !model || !meta ? (
        <Loading />
      ) : (
        <>
          <div class="action-intro">
            <ActionIcon icon={meta.icon} color={meta.color} name={meta.name} size="large" />
            <p>{meta.description}</p>
          </div>
          <Facts description={description} />
          <h2>Run</h2>
          <RunForm key={meta.type} description={description} model={model} operator={operator} role={role} />
          <h2>Outputs</h2>
          <Outputs outputs={meta.outputs} />
        </>
      )}
    </section>
  );
}
