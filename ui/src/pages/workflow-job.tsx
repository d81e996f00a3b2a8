import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError, type WorkflowJobDetail } from '../api.js';
import { ErrorNotice, JsonBlock, Loading, Time } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';
import { Elapsed, JobBadge } from './workflow-parts.js';

type Stream = 'stdout' | 'stderr';
/** A log is read in chunks until the server has no more, up to this much text in the page. */
const MAX_LOG_CHARS = 2_000_000;
const FINAL = new Set(['completed', 'failed', 'canceled', 'terminated', 'skipped', 'timeout', 'disabled']);

interface LogState {
  stream: Stream;
  text: string;
  offset: number;
  cut: boolean;
}

/**
 * A job's whole log from `GET …/jobs/:job/logs`, read chunk by chunk; `version` going up (a live
 * update) reads what was added since, so a running job's log grows in place.
 */
function FullLog({ workflowId, job, stream, title, version, onClose }: { workflowId: string; job: number; stream: Stream; title: string; version: number; onClose: () => void }) {
  const [log, setLog] = useState<LogState | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const state = useRef<LogState | null>(null);
  const reading = useRef(false);

  const read = async (from: LogState) => {
    if (reading.current) return;
    reading.current = true;
    try {
      let current = from;
      for (let round = 0; round < 64 && !current.cut; round++) {
        const chunk = await api.workflowJobLog(workflowId, job, stream, current.offset);
        // The file was replaced (a new run): the server starts again at 0.
        const restarted = chunk.offset < current.offset;
        const text = (restarted ? '' : current.text) + chunk.text;
        current = { stream, offset: chunk.offset, text: text.slice(0, MAX_LOG_CHARS), cut: text.length > MAX_LOG_CHARS };
        state.current = current;
        setLog(current);
        if (chunk.text === '') break;
      }
      setError(null);
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      reading.current = false;
    }
  };

  useEffect(() => {
    const fresh = { stream, text: '', offset: 0, cut: false };
    state.current = fresh;
    setLog(null);
    void read(fresh);
  }, [workflowId, job, stream]);
  useEffect(() => {
    if (state.current && version > 0) void read(state.current);
  }, [version]);

  return (
    <div class="wf-log" data-log={stream}>
      <div class="wf-log-head">
        <h4>Full {title}</h4>
        <button type="button" class="button-quiet" onClick={onClose}>
          Close
        </button>
      </div>
      {error ? (
        <ErrorNotice error={error} what={`The ${title}`} />
      ) : !log ? (
        <Loading what={`Loading the ${title}`} />
      ) : log.text === '' ? (
        <p class="muted small">The {title} is empty.</p>
      ) : (
        <pre class="block output" tabIndex={0} aria-label={`full ${title}`}>
          {log.text}
          {log.cut ? '\n… (cut: the rest is in the file on the server)' : ''}
        </pre>
      )}
    </div>
  );
}

/** One job: state, attempts, exit code, worker, times, error, output tails, and the full logs. */
export function JobPanel({ workflowId, job, version, onClose }: { workflowId: string; job: number; version: number; onClose: () => void }) {
  const [detail, setDetail] = useState<WorkflowJobDetail | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [stream, setStream] = useState<Stream | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    setDetail(null);
    setError(null);
    setStream(null);
  }, [workflowId, job]);
  useEffect(() => {
    let current = true;
    api.workflowJob(workflowId, job).then(
      (value) => {
        if (!current) return;
        setDetail(value);
        setError(null);
      },
      (failure: unknown) => current && setError(toApiError(failure)),
    );
    return () => {
      current = false;
    };
  }, [workflowId, job, version]);

  const running = detail ? !FINAL.has(detail.status) : false;
  // An action job has one log (the action's), whichever stream is asked for.
  const isAction = detail ? detail.spec.command === null : false;
  return (
    <section class="panel wf-job" aria-labelledby="wf-job-title" data-job-panel={detail?.name ?? job}>
      <div class="wf-job-head">
        <h2 id="wf-job-title" ref={heading} tabIndex={-1}>
          {detail ? `Job ${detail.name}` : `Job #${job}`}
        </h2>
        <button type="button" class="button-quiet" onClick={onClose} aria-label="Close the job's details">
          Close
        </button>
      </div>
      {error ? (
        <ErrorNotice error={error} what={`Job #${job}`} />
      ) : !detail ? (
        <Loading what="Loading the job" />
      ) : (
        <>
          <dl class="facts wf-job-facts">
            <dt>Status</dt>
            <dd>
              <JobBadge status={detail.status} />
            </dd>
            <dt>Index</dt>
            <dd>
              <code>#{detail.index}</code>
              {detail.step_id ? (
                <>
                  {' '}
                  · step <code>{detail.step_id}</code>
                </>
              ) : null}
            </dd>
            <dt>Attempts</dt>
            <dd>{detail.attempts}</dd>
            <dt>Exit code</dt>
            <dd>{detail.exit_code === null ? <span class="muted">—</span> : <code class={detail.exit_code === 0 ? undefined : 'error-text'}>{detail.exit_code}</code>}</dd>
            <dt>Worker</dt>
            <dd>{detail.worker_id ? <code>{detail.worker_id}</code> : <span class="muted">—</span>}</dd>
            <dt>Started</dt>
            <dd>
              <Time iso={detail.started_at} />
            </dd>
            <dt>Ended</dt>
            <dd>
              <Time iso={detail.ended_at} />
            </dd>
            <dt>Took</dt>
            <dd>
              <Elapsed from={detail.started_at} to={detail.ended_at} />
            </dd>
            {detail.spec.command !== null ? (
              <>
                <dt>Command</dt>
                <dd>
                  <code>{detail.spec.command}</code>
                </dd>
              </>
            ) : null}
            {detail.spec.action !== null ? (
              <>
                <dt>Action</dt>
                <dd>
                  <code>{detail.spec.action}</code>
                </dd>
              </>
            ) : null}
          </dl>
          {detail.error ? (
            <div class="notice notice-error" role="note">
              {detail.error}
            </div>
          ) : null}
          {detail.spec.action !== null && detail.spec.params && Object.keys(detail.spec.params).length > 0 ? (
            <>
              <h4>Params</h4>
              <JsonBlock value={detail.spec.params} label="action params" />
            </>
          ) : null}
          {detail.outputs && Object.keys(detail.outputs).length > 0 ? (
            <>
              <h4>Outputs</h4>
              <JsonBlock value={detail.outputs} label="job outputs" />
            </>
          ) : null}
          <h4>{isAction ? 'Log (last lines)' : 'stdout (last lines)'}</h4>
          {detail.stdout_tail ? (
            <pre class="block output" tabIndex={0} aria-label="stdout tail">
              {detail.stdout_tail}
            </pre>
          ) : (
            <p class="muted small">{running ? 'Nothing yet.' : 'No output.'}</p>
          )}
          {detail.stderr_tail ? (
            <>
              <h4>stderr (last lines)</h4>
              <pre class="block output error-text" tabIndex={0} aria-label="stderr tail">
                {detail.stderr_tail}
              </pre>
            </>
          ) : null}
          <div class="row-actions">
            {isAction ? (
              <button type="button" onClick={() => setStream('stdout')} aria-pressed={stream !== null}>
                Full log
              </button>
            ) : (
              <>
                <button type="button" onClick={() => setStream('stdout')} aria-pressed={stream === 'stdout'}>
                  Full stdout
                </button>
                <button type="button" onClick={() => setStream('stderr')} aria-pressed={stream === 'stderr'}>
                  Full stderr
                </button>
              </>
            )}
          </div>
          {stream ? (
            <FullLog key={`${job}:${stream}`} workflowId={workflowId} job={job} stream={stream} title={isAction ? 'action log' : stream} version={version} onClose={() => setStream(null)} />
          ) : null}
        </>
      )}
    </section>
  );
}
