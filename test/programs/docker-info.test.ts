import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { isHookflowError } from '../../src/errors.js';
import {
  activeContainers,
  containerLogsByImage,
  countLines,
  demuxLogBuffer,
  dockerAvailable,
  dockerErrorMessage,
  humanSize,
  localImages,
  shortId,
  splitImageName,
} from '../../src/programs/docker-info.js';
import { requireService } from '../support/services.js';

/**
 * The Docker queries behind PyExecutorHub's monitoring routes, in its shapes: active containers,
 * logs by image (streams apart), the engine's images; and the pure pieces they are made of.
 */

const IMAGE = 'hookflow-test-busybox:latest';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('docker-info pieces', () => {
  it('splits a multiplexed log buffer into its streams', () => {
    const table: Array<[Buffer, string, string]> = [
      [Buffer.concat([frame(1, 'a\n'), frame(2, 'e\n'), frame(1, 'b\n')]), 'a\nb\n', 'e\n'],
      [frame(2, 'only err'), '', 'only err'],
      [Buffer.from('plain tty output\n'), 'plain tty output\n', ''],
      [Buffer.alloc(0), '', ''],
    ];
    for (const [raw, stdout, stderr] of table) {
      const streams = demuxLogBuffer(raw);
      assert.equal(streams.stdout.toString(), stdout);
      assert.equal(streams.stderr.toString(), stderr);
    }
  });

  it('counts lines, sizes and names as docker prints them', () => {
    const lines: Array<[string, number]> = [
      ['', 0],
      ['a', 1],
      ['a\n', 1],
      ['a\nb', 2],
      ['a\n\nb\n', 3],
    ];
    for (const [text, count] of lines) assert.equal(countLines(text), count, JSON.stringify(text));
    const sizes: Array<[number, string]> = [
      [999, '999B'],
      [1_980_000, '1.98MB'],
      [1_234_567_890, '1.23GB'],
      [12_300, '12.3kB'],
    ];
    for (const [bytes, text] of sizes) assert.equal(humanSize(bytes), text);
    const names: Array<[string, string, string]> = [
      ['python:3.11-slim', 'python', '3.11-slim'],
      ['busybox', 'busybox', 'latest'],
      ['registry:5000/team/app:1.2', 'registry:5000/team/app', '1.2'],
      ['registry:5000/team/app', 'registry:5000/team/app', 'latest'],
    ];
    for (const [name, repository, tag] of names) assert.deepEqual(splitImageName(name), { repository, tag });
    assert.equal(shortId('sha256:4175ee73dd56aaaaaaaa'), '4175ee73dd56');
    assert.equal(dockerErrorMessage(Object.assign(new Error('(HTTP code 404) no such container - No such image: x '), { statusCode: 404 })), 'No such image: x');
  });

  it('answers with a clear reason when there is no engine', async () => {
    const socketPath = '/nonexistent/hookflow-docker.sock';
    const availability = await dockerAvailable({ socketPath });
    assert.equal(availability.available, false);
    assert.match(availability.reason ?? '', /^Docker daemon not available at \/nonexistent\/hookflow-docker\.sock: /);
    await assert.rejects(activeContainers({ socketPath }), (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_DOCKER_UNAVAILABLE');
  });
});

async function engineProblem(): Promise<string | null> {
  const availability = await dockerAvailable();
  if (!availability.available) return availability.reason;
  try {
    await new Docker().getImage(IMAGE).inspect();
    return null;
  } catch {
    return `the test image ${IMAGE} is missing (scripts/docker-setup.sh builds it)`;
  }
}

const problem = await engineProblem();

describe('docker-info on the engine', requireService('docker', problem), () => {
  const docker = new Docker();
  const name = `hookflow-info-test-${randomUUID().slice(0, 8)}`;
  let container: Docker.Container;

  before(async () => {
    container = await docker.createContainer({
      name,
      Image: IMAGE,
      Cmd: ['sh', '-c', 'echo out-one; echo err-one >&2; echo out-two; sleep 30'],
      Labels: { 'hookflow.test': 'docker-info' },
      HostConfig: { NetworkMode: 'none', Init: true },
    });
    await container.start();
    // The logs are asserted below: wait until the three lines are written.
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const raw = await container.logs({ stdout: true, stderr: true, follow: false });
      if (demuxLogBuffer(raw).stdout.includes('out-two')) break;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  });

  after(async () => {
    await container?.remove({ force: true }).catch(() => undefined);
  });

  it('lists the running containers as GET /containers/active', async () => {
    const active = await activeContainers();
    assert.equal(active.total_containers, active.containers.length);
    const mine = active.containers.find((entry) => entry.name === name);
    assert.ok(mine, JSON.stringify(active));
    assert.equal(mine.container_id, container.id.slice(0, 12));
    assert.equal(mine.image, IMAGE);
    assert.match(mine.status, /^Up /);
  });

  it('reads the logs of an image\'s containers with the streams apart', async () => {
    const logs = await containerLogsByImage(IMAGE);
    assert.equal(logs.image_name, IMAGE);
    assert.equal(logs.total_containers, logs.containers.length);
    assert.equal(logs.message, `Found ${logs.containers.length} running containers for image: ${IMAGE}`);
    const mine = logs.containers.find((entry) => entry.container_id === container.id.slice(0, 12));
    assert.ok(mine, JSON.stringify(logs));
    assert.deepEqual(mine, { container_id: container.id.slice(0, 12), stdout: 'out-one\nout-two\n', stderr: 'err-one\n', logs_lines: 3 });

    const none = await containerLogsByImage('hookflow-no-such-image:none');
    assert.deepEqual(none, { image_name: 'hookflow-no-such-image:none', containers: [], total_containers: 0, message: 'Found 0 running containers for image: hookflow-no-such-image:none' });
  });

  it('lists the engine\'s images', async () => {
    const images = await localImages();
    const mine = images.find((image) => image.full_name === IMAGE);
    assert.ok(mine, JSON.stringify(images));
    assert.equal(mine.repository, 'hookflow-test-busybox');
    assert.equal(mine.tag, 'latest');
    assert.match(mine.image_id, /^[0-9a-f]{12}$/);
    assert.match(mine.size, /^\d+(\.\d+)?(B|kB|MB|GB)$/);
    assert.ok(mine.size_bytes > 0);
    assert.ok(!Number.isNaN(Date.parse(mine.created_at)));
  });
});
