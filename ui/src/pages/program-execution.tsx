import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { roleAllows, type ApiError, type Role } from '../api.js';
import { notify } from '../components/notify.js';
import { ErrorNotice, Loading, PageHeader, Time } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';
import { appendOutput, EMPTY_OUTPUT, isCancelable, isFinishedStatus, parseOutputFrame, type LiveOutput, type OutputStream } from '../lib/programs.js';
import { executionStreamUrl, programsApi, stderrOf, type ProgramExecutionJson } from '../programs-api.js';
import { href } from '../router.js';
import { ExecutionBadge, RunTime } from './program-parts.js';
import './programs.css';

/** Without the stream (refused, or an old server), the execution is asked for this often while it runs. */
const POLL_MS = 1000;

type StreamState = 'connecting' | 'streaming' | 'polling' | 'ended';

function finalOutput(execution: ProgramExecutionJson): LiveOutput {
  return { stdout: execution.output ?? '', stderr: stderrOf(execution), cut: false };
}

/**
 * An execution and its output: the record from `GET /executions/{id}`, then, while it has not
 * ended, `GET /executions/{id}/stream`: every (re)connection first sends what it printed so far,
 * then each chunk as it comes, then its final record, which replaces what was streamed.
 */
function useExecution(id: string) {
  const [execution, setExecution] = useState<ProgramExecutionJson | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [output, setOutput] = useState<LiveOutput>(EMPTY_OUTPUT);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [round, setRound] = useState(0);

  useEffect(() => {
    let current = true;
    let source: EventSource | null = null;
    let poll: ReturnType<typeof setTimeout> | null = null;
    const finish = (record: ProgramExecutionJson) => {
      source?.close();
      source = null;
      if (poll) clearTimeout(poll);
      setExecution(record);
      setOutput(finalOutput(record));
      setStream('ended');
    };
    const pollUntilEnded = () => {
      setStream('polling');
      const ask = async () => {
        try {
          const record = await programsApi.execution(id);
          if (!current) return;
          setError(null);
          if (isFinishedStatus(record.status)) return finish(record);
          setExecution(record);
          setOutput(finalOutput(record));
        } catch (failure) {
          if (current) setError(toApiError(failure));
        }
        if (current) poll = setTimeout(() => void ask(), POLL_MS);
      };
      void ask();
    };
    const follow = () => {
      const url = executionStreamUrl(id);
      if (!url || typeof EventSource === 'undefined') return pollUntilEnded();
      const opened = new EventSource(url);
      source = opened;
      opened.onopen = () => {
        // A (re)connection sends everything printed so far again: start over.
        if (current) {
          setOutput(EMPTY_OUTPUT);
          setStream('streaming');
        }
      };
      opened.addEventListener('output', (message) => {
        const frame = parseOutputFrame((message as MessageEvent<string>).data);
        if (current && frame) setOutput((previous) => appendOutput(previous, frame.stream, frame.text));
      });
      opened.addEventListener('status', (message) => {
        let record: ProgramExecutionJson;
        try {
          record = JSON.parse((message as MessageEvent<string>).data) as ProgramExecutionJson;
        } catch {
          return;
        }
        if (!current || !record || typeof record.status !== 'string') return;
        // The stream's record says nothing of the queue: keep the position the page has.
        if (isFinishedStatus(record.status)) finish(record);
        else setExecution((previous) => ({ ...record, queue_position: record.status === 'queued' ? (previous?.queue_position ?? null) : null }));
      });
      opened.onerror = () => {
        if (!current) return;
        // CLOSED: the server refused the stream; CONNECTING: the browser tries again by itself.
        if (opened.readyState === EventSource.CLOSED) {
          opened.close();
          source = null;
          pollUntilEnded();
        } else {
          setStream('connecting');
        }
      };
    };

    setExecution(null);
    setError(null);
    setOutput(EMPTY_OUTPUT);
    setStream('connecting');
    programsApi.execution(id).then(
      (record) => {
        if (!current) return;
        if (isFinishedStatus(record.status)) return finish(record);
        setExecution(record);
        follow();
      },
      (failure: unknown) => current && setError(toApiError(failure)),
    );
    return () => {
      current = false;
      source?.close();
      if (poll) clearTimeout(poll);
    };
  }, [id, round]);

  return { execution, setExecution, error, output, stream, reload: () => setRound((value) => value + 1) };
}

/** One stream's text, kept scrolled to its end while the reader is there. */
function OutputBlock({ stream, text, ended, note }: { stream: OutputStream; text: string; ended: boolean; note: string | null }) {
  const pre = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  useLayoutEffect(() => {
    const element = pre.current;
    if (element && atEnd.current) element.scrollTop = element.scrollHeight;
  }, [text]);
  return (
    <section class={`output-stream output-${stream}`} data-stream={stream}>
      <h3>{stream}</h3>
      {text === '' ? (
        <p class="muted small output-empty">{ended ? `Nothing on ${stream}.` : 'Nothing yet.'}</p>
      ) : (
        <pre
          ref={pre}
          class="block output"
          tabIndex={0}
          aria-label={stream}
          onScroll={(event) => {
            const element = event.currentTarget;
            atEnd.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
          }}
        >
          {text}
        </pre>
      )}
      {note ? <p class="muted small output-note">{note}</p> : null}
    </section>
  );
}

function outputNote(cutHere: boolean, cutStored: boolean): string | null {
  if (cutStored) return 'Cut: the program printed more than the output limit (settings.output_limit_bytes) keeps.';
  if (cutHere) return 'The start is not shown, to keep the page light: the whole kept output is shown once it ends.';
  return null;
}

function Parameters({ parameters }: { parameters: Record<string, unknown> | undefined }) {
  const entries = Object.entries(parameters ?? {});
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="param-list">
      {entries.map(([key, value]) => (
        <li key={key}>
          <code>{key}</code> = <code>{value === null ? 'null' : String(value)}</code>
        </li>
      ))}
    </ul>
  );
}

function Facts({ execution }: { execution: ProgramExecutionJson }) {
  return (
    <dl class="facts exec-facts">
      <dt>Status</dt>
      <dd data-field="status">
        <ExecutionBadge status={execution.status} />
        {execution.status === 'queued' && execution.queue_position ? <span class="muted small"> position {execution.queue_position} in the queue</span> : null}
      </dd>
      <dt>Program</dt>
      <dd>
        <a href={href(['programs'], { program: execution.program_id })}>{execution.program_name ?? execution.program_id}</a> <code class="small">{execution.program_id}</code>
      </dd>
      <dt>Execution</dt>
      <dd>
        <code>{execution.execution_id}</code>
      </dd>
      <dt>Runner</dt>
      <dd>
        {execution.runner ? <code>{execution.runner}</code> : <span class="muted">—</span>}
        {execution.image ? (
          <>
            {' '}
            · <code>{execution.image}</code>
          </>
        ) : null}
      </dd>
      <dt>Trigger</dt>
      <dd>
        {execution.trigger ?? <span class="muted">—</span>}
        {execution.requested_by ? <span class="muted"> by {execution.requested_by}</span> : null}
      </dd>
      <dt>Parameters</dt>
      <dd>
        <Parameters parameters={execution.parameters} />
      </dd>
      <dt>Started</dt>
      <dd>
        <Time iso={execution.start_time} />
      </dd>
      <dt>Ended</dt>
      <dd>
        <Time iso={execution.end_time} />
      </dd>
      <dt>Duration</dt>
      <dd data-field="duration">
        <RunTime start={execution.start_time} end={execution.end_time} seconds={execution.duration_seconds} />
      </dd>
      <dt>Exit code</dt>
      <dd data-field="exit-code">
        {execution.exit_code === null ? <span class="muted">—</span> : <code class={execution.exit_code === 0 ? undefined : 'error-text'}>{execution.exit_code}</code>}
      </dd>
    </dl>
  );
}

const STREAM_TEXT: Record<StreamState, string> = {
  connecting: 'Connecting to its output…',
  streaming: 'Output arrives as it is printed',
  polling: 'Asking for it every second (no live stream)',
  ended: '',
};

/** `#/programs/executions/ID`: an execution's record and its stdout and stderr, live while it runs; Cancel while it can be. */
export function ProgramExecutionPage({ id, role }: { id: string; role: Role }) {
  const { execution, setExecution, error, output, stream, reload } = useExecution(id);
  const [busy, setBusy] = useState(false);
  const ended = execution ? isFinishedStatus(execution.status) : false;

  const cancel = async () => {
    if (!execution || !confirm(`Cancel this execution of ${execution.program_name ?? execution.program_id}?`)) return;
    setBusy(true);
    try {
      const answer = await programsApi.cancel(id);
      notify(`Canceled: ${answer.status}`);
      if (isFinishedStatus(answer.status)) reload();
      // The stream may have brought the final record before this answer: never go back from it.
      else setExecution((previous) => (previous && isFinishedStatus(previous.status) ? previous : answer));
    } catch (failure) {
      notify(`Cancel failed: ${toApiError(failure).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  const title = execution ? `${execution.program_name ?? execution.program_id}: execution` : 'Execution';
  const operator = roleAllows(role, 'operator');
  return (
    <section class="execution-page" data-execution-page={id} data-status={execution?.status}>
      <PageHeader title={title}>
        {execution && operator && isCancelable(execution.status) ? (
          <button type="button" class="button-danger" disabled={busy} onClick={() => void cancel()}>
            Cancel
          </button>
        ) : null}
        {execution && operator && ended ? (
          <a class="button-link" href={href(['programs'], { run: execution.program_id, params: JSON.stringify(execution.parameters ?? {}) })}>
            Run again…
          </a>
        ) : null}
      </PageHeader>
      <p>
        <a href={href(['programs'])}>← Programs</a>
      </p>
      {error && !execution ? (
        <ErrorNotice error={error} what={`Execution ${id}`} />
      ) : !execution ? (
        <Loading what="Loading the execution" />
      ) : (
        <>
          <Facts execution={execution} />
          {execution.error_message && execution.status !== 'completed' ? (
            <div class={`notice ${execution.status === 'canceled' ? '' : 'notice-error'}`} role="note" data-field="error-message">
              {execution.error_message}
            </div>
          ) : null}
          {error ? <ErrorNotice error={error} what="The last update" /> : null}
          <div class="output-head">
            <h2>Output</h2>
            {!ended ? (
              <span class={`live live-${stream === 'streaming' ? 'live' : stream === 'polling' ? 'polling' : 'connecting'}`} data-stream-state={stream}>
                <span class="live-dot" aria-hidden="true" />
                <span>{STREAM_TEXT[stream]}</span>
              </span>
            ) : null}
          </div>
          <div class="exec-output">
            <OutputBlock stream="stdout" text={output.stdout} ended={ended} note={outputNote(output.cut, ended && execution.output_truncated === true)} />
            <OutputBlock stream="stderr" text={output.stderr} ended={ended} note={outputNote(output.cut, ended && execution.error_truncated === true)} />
          </div>
        </>
      )}
    </section>
  );
}
