import { strict as assert } from 'assert';
import { test } from 'node:test';

import { ownedBy, parseState, portOf, stateFileNames, StateError } from '../src/state';

// As smdebug_local/state.py writes it (a training host with 2 ranks, a serving container
// with 2 workers, the driver, a connect-back container).
const DOC = {
    version: 1,
    run: 'r1',
    pid: 4242,
    script: 'driver.py',
    targets: [
        {
            role: 'training', host: 'algo-1', service: 'algo-1-abcde', container: 'c-train',
            job: 'job-1', endpoints: ['127.0.0.1:5678', '127.0.0.1:5679'], ranks: [0, 1],
            connect: null, wait: true,
            pathMappings: [{ localRoot: '/w/src', remoteRoot: '/opt/ml/code' }],
        },
        {
            role: 'serving', host: 'algo-1', service: 'algo-1-serve', container: 'c-serve',
            job: null, endpoints: ['127.0.0.1:5680', '127.0.0.1:5681'], connect: null,
            wait: false, pathMappings: [{ localRoot: '/w/src', remoteRoot: '/opt/ml/model/code' }],
        },
        {
            role: 'driver', host: 'localhost', service: 'driver-4242', container: null, job: null,
            endpoints: ['127.0.0.1:5690'], connect: null, wait: false, pathMappings: [],
        },
        {
            role: 'training', host: 'algo-2', service: 'algo-2-x', container: 'c2', job: 'job-1',
            endpoints: [], connect: '172.17.0.1:5678', wait: true, pathMappings: [],
        },
    ],
};

test('one target per endpoint, labelled with rank or worker', () => {
    const run = parseState(JSON.stringify(DOC));
    assert.equal(run.id, 'r1');
    assert.equal(run.pid, 4242);
    assert.deepEqual(run.targets.map((t) => t.label), [
        'training algo-1 rank 0',
        'training algo-1 rank 1',
        'serving algo-1 worker 1',
        'serving algo-1 worker 2',
        'driver localhost',
        'training algo-2',
    ]);
    assert.deepEqual(run.targets.map((t) => t.port), [5678, 5679, 5680, 5681, 5690, null]);
    assert.deepEqual(run.targets[1].pathMappings, [{ localRoot: '/w/src', remoteRoot: '/opt/ml/code' }]);
    assert.equal(run.targets[0].wait, true);
    assert.equal(run.targets[2].wait, false);
    assert.equal(run.targets[1].rank, 1);
    assert.equal(run.targets[3].worker, 2);
});

test('keys differ per endpoint and per container (a rerun is a new target)', () => {
    const first = parseState(JSON.stringify(DOC)).targets;
    assert.equal(new Set(first.map((t) => t.key)).size, first.length);
    const rerun = structuredClone(DOC);
    rerun.targets[0].container = 'c-train-2';
    const second = parseState(JSON.stringify(rerun)).targets;
    assert.notEqual(second[0].key, first[0].key);
    assert.equal(second[2].key, first[2].key);
});

test('ranks that do not match the endpoints are ignored (workers instead)', () => {
    const doc = structuredClone(DOC);
    doc.targets[0].ranks = [0];
    assert.equal(parseState(JSON.stringify(doc)).targets[0].label, 'training algo-1 worker 1');
});

test('bad files are refused with a reason', () => {
    assert.throws(() => parseState('{'), (e: unknown) => e instanceof StateError && /not JSON/.test(e.message));
    assert.throws(() => parseState('[]'), /not a JSON object/);
    assert.throws(() => parseState(JSON.stringify({ ...DOC, version: 2 })), /version 2 .*reads version 1/);
    assert.throws(() => parseState(JSON.stringify({ ...DOC, run: '' })), /no run id/);
});

test('malformed entries degrade, never throw', () => {
    const run = parseState(JSON.stringify({ version: 1, run: 'r', targets: [null, 3, { endpoints: [7, '127.0.0.1:x'] }] }));
    assert.equal(run.targets.length, 1);
    assert.equal(run.targets[0].port, null);
    assert.deepEqual(run.targets[0].pathMappings, []);
});

test('portOf', () => {
    assert.equal(portOf('127.0.0.1:5678'), 5678);
    assert.equal(portOf('[::1]:80'), 80);
    assert.equal(portOf('127.0.0.1:0'), null);
    assert.equal(portOf('127.0.0.1:70000'), null);
    assert.equal(portOf('nohost'), null);
    assert.equal(portOf('0.0.0.0:5678'), 5678); // --bind 0.0.0.0: loopback reaches it
    assert.equal(portOf('localhost:5678'), 5678);
    assert.equal(portOf('10.0.0.5:5678'), null); // not reached through 127.0.0.1: never attached
    assert.equal(portOf('172.17.0.1:5678'), null);
});

test('state files: state.json first, then the runs started beside it; nothing else', () => {
    assert.deepEqual(
        stateFileNames(['.gitignore', 'state-b2.json', '.lock', 'state.json', 'state-a1.json',
            '.state.json.x1.tmp', 'state-../x.json', 'export']),
        ['state.json', 'state-a1.json', 'state-b2.json'],
    );
    assert.deepEqual(stateFileNames([]), []);
});

test('another user\'s state file is not this user\'s', () => {
    assert.equal(ownedBy(1000, 1000), true);
    assert.equal(ownedBy(1000, 1001), false);
    assert.equal(ownedBy(undefined, 1001), true); // no user ids (Windows)
});
