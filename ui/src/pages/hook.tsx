import { useEffect, useState } from 'preact/hooks';
import { api, roleAllows, type HookJson, type HookTestAnswer, type Role } from '../api.js';
import { Code } from '../components/code.js';
import { notify } from '../components/notify.js';
import { Duration, Empty, ErrorNotice, Field, JsonBlock, Loading, PageHeader, StatusBadge, Time } from '../components/ui.js';
import { toApiError, useApi } from '../components/use-api.js';
import { parseJsonObject } from '../lib/json-input.js';
import { href, navigate } from '../router.js';
import { EnableButton } from './hooks.js';

/** The type the server's test uses by default (HookService.test): a literal pattern, or the first with * as `test`. */
function sampleType(hook: HookJson): string {
  return hook.events.find((pattern) => !pattern.includes('*')) ?? (hook.events[0] ?? 'test').replace(/\*/g, 'test');
}

function Source({ name }: { name: string }) {
  const source = useApi(() => api.hookSource(name), [name]);
  if (source.error) return <ErrorNotice error={source.error} what="Source" />;
  if (!source.data) return <Loading what="Loading the source" />;
  return (
    <>
      {source.data.path ? (
        <p class="muted small">
          <code>{source.data.path}</code> · {source.data.language}
        </p>
      ) : (
        <p class="muted small">commands, run one after another</p>
      )}
      <Code text={source.data.text} language={source.data.language} label={`source of hook ${name}`} />
    </>
  );
}

function History({ name, round }: { name: string; round: number }) {
  const [onlyFailed, setOnlyFailed] = useState(false);
  const history = useApi(() => api.hookHistory(name, { limit: 20, only_failed: onlyFailed || undefined }), [name, onlyFailed, round]);
  return (
    <>
      <label class="check">
        <input type="checkbox" checked={onlyFailed} onChange={(event) => setOnlyFailed(event.currentTarget.checked)} /> only failures
      </label>
      {history.error ? (
        <ErrorNotice error={history.error} what="History" />
      ) : !history.data ? (
        <Loading />
      ) : history.data.executions.length === 0 ? (
        <Empty>{onlyFailed ? 'No failed runs.' : 'This hook has not run yet.'}</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Result</th>
                <th scope="col" class="wide-only">Duration</th>
                <th scope="col">Output or error</th>
              </tr>
            </thead>
            <tbody>
              {history.data.executions.map((execution, index) => (
                <tr key={`${execution.event_id ?? ''}:${execution.attempt}:${index}`}>
                  <td>{execution.event_id ? <a href={href(['events', execution.event_id])}><Time iso={execution.executed_at} /></a> : <Time iso={execution.executed_at} />}</td>
                  <td>
                    <StatusBadge status={execution.success ? 'success' : 'failure'} />
                  </td>
                  <td class="wide-only">
                    <Duration ms={execution.duration_ms} />
                  </td>
                  <td>
                    <code class={`clip ${execution.error ? 'error-text' : ''}`}>{execution.error ?? execution.output.trim()}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Run the hook once on a synthetic event (POST /hooks/:name/test): nothing is recorded. */
function TestRun({ hook }: { hook: HookJson }) {
  const [type, setType] = useState(() => sampleType(hook));
  const [stack, setStack] = useState(hook.stack ?? '');
  const [data, setData] = useState('{\n  "example": true\n}');
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<HookTestAnswer | null>(null);
  const parsed = parseJsonObject(data);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!parsed.ok) return;
    setBusy(true);
    setAnswer(null);
    try {
      setAnswer(await api.testHook(hook.name, { type: type.trim() || undefined, stack: stack.trim() || null, data: parsed.value }));
    } catch (error) {
      notify(`Test not run: ${toApiError(error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="test-run" onSubmit={submit} aria-label="Test run">
      <div class="row">
        <Field label="Event type">
          <input name="test-type" value={type} onInput={(event) => setType(event.currentTarget.value)} />
        </Field>
        <Field label="Stack">
          <input name="test-stack" placeholder="none" value={stack} onInput={(event) => setStack(event.currentTarget.value)} />
        </Field>
      </div>
      <Field
        label="Event data (JSON object)"
        hint={
          parsed.ok ? (
            'Valid JSON · Ctrl+Enter runs the test'
          ) : (
            <span class="error-text" id="test-data-error">
              {parsed.message}
            </span>
          )
        }
      >
        <textarea
          name="test-data"
          class="json-input"
          rows={8}
          spellcheck={false}
          aria-invalid={!parsed.ok}
          aria-describedby={parsed.ok ? undefined : 'test-data-error'}
          value={data}
          onInput={(event) => setData(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) event.currentTarget.form?.requestSubmit();
          }}
        />
      </Field>
      <div class="row-actions">
        <button type="submit" class="button-primary" disabled={busy || !parsed.ok}>
          {busy ? 'Running…' : 'Run test'}
        </button>
        {parsed.ok ? (
          <button type="button" class="button-quiet" onClick={() => setData(JSON.stringify(parsed.value, null, 2))}>
            Format JSON
          </button>
        ) : null}
      </div>
      {answer ? (
        <div class="test-result" role="status">
          <p>
            <StatusBadge status={answer.success ? 'success' : 'failure'} /> in <Duration ms={answer.duration_ms} /> on a <code>{answer.event.type}</code> event
          </p>
          {answer.output ? <pre class="block output" tabIndex={0}>{answer.output}</pre> : <p class="muted small">No output.</p>}
          {answer.error ? <pre class="block output error-text" tabIndex={0}>{answer.error}</pre> : null}
          {answer.dry_run !== null && answer.dry_run !== undefined ? (
            <>
              <h4>What it would have done</h4>
              <JsonBlock value={answer.dry_run} label="dry run" />
            </>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

/** One hook: its trigger and settings, source, history, enable/disable, test run, removal. */
export function HookPage({ name, role }: { name: string; role: Role }) {
  const loaded = useApi(() => api.hook(name), [name]);
  const [round, setRound] = useState(0);
  const operator = roleAllows(role, 'operator');
  const hook = loaded.data;
  useEffect(() => setRound(0), [name]);

  const remove = async () => {
    if (!confirm(`Remove hook ${name}? Its history stays with the events.`)) return;
    try {
      await api.deleteHook(name);
      notify(`Hook ${name} removed`);
      navigate(['hooks']);
    } catch (error) {
      notify(`Hook ${name} not removed: ${toApiError(error).message}`, 'error');
    }
  };

  return (
    <section>
      <PageHeader title={`Hook ${name}`}>
        {hook && operator ? (
          <>
            <EnableButton hook={hook} onSaved={(saved) => loaded.setData(() => saved)} />
            <button type="button" class="button-danger" onClick={remove}>
              Remove
            </button>
          </>
        ) : null}
      </PageHeader>
      <p>
        <a href={href(['hooks'])}>← All hooks</a>
      </p>
      {loaded.error ? (
        <ErrorNotice error={loaded.error} what={`Hook ${name}`} />
      ) : !hook ? (
        <Loading />
      ) : (
        <>
          {hook.description ? <p>{hook.description}</p> : null}
          <dl class="facts">
            <dt>State</dt>
            <dd>
              <StatusBadge status={hook.enabled ? 'enabled' : 'disabled'} />
            </dd>
            <dt>Events</dt>
            <dd>
              <code>{hook.events.join(', ')}</code>
            </dd>
            <dt>Stack</dt>
            <dd>{hook.stack ?? <span class="muted">any</span>}</dd>
            <dt>Filter</dt>
            <dd>{hook.filter ? <code>{hook.filter}</code> : <span class="muted">none</span>}</dd>
            <dt>Runtime</dt>
            <dd>{hook.runtime}</dd>
            <dt>Limits</dt>
            <dd>
              timeout <Duration ms={hook.timeout_ms} />, {hook.memory_mb} MB, {hook.retry.max_attempts} attempt{hook.retry.max_attempts === 1 ? '' : 's'}
            </dd>
            <dt>Runs</dt>
            <dd>
              {hook.run_count}, last <Time iso={hook.last_run} />
            </dd>
          </dl>
          <h2>Source</h2>
          <Source name={name} />
          {operator ? (
            <>
              <h2>Test run</h2>
              <TestRun hook={hook} />
            </>
          ) : null}
          <h2>
            History{' '}
            <button type="button" class="button-quiet small" onClick={() => setRound((value) => value + 1)}>
              Refresh
            </button>
          </h2>
          <History name={name} round={round} />
        </>
      )}
    </section>
  );
}
