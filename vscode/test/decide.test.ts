import { strict as assert } from 'assert';
import { test } from 'node:test';

import { decide, Known, listenerKey, listenersOf, runOfKey, SessionPhase, summary, targetState } from '../src/decide';
import { parseState, Target } from '../src/state';

function targets(run = 'r1'): Target[] {
    return parseState(JSON.stringify({
        version: 1, run, pid: 1, script: 's.py',
        targets: [
            { role: 'training', host: 'algo-1', service: 's1', container: 'c1', endpoints: ['127.0.0.1:5678'], wait: true, pathMappings: [] },
            { role: 'serving', host: 'algo-1', service: 's2', container: 'c2', endpoints: ['127.0.0.1:5679', '127.0.0.1:5680'], wait: false, pathMappings: [] },
            { role: 'training', host: 'algo-2', service: 's3', container: 'c3', endpoints: [], connect: 'host.docker.internal:5690', wait: true, pathMappings: [] },
            { role: 'training', host: 'algo-3', service: 's4', container: 'c4', endpoints: [], connect: 'host.docker.internal:5690', wait: true, pathMappings: [] },
        ],
    })).targets;
}

const ALL = new Set(['r1']);

function known(
    sessions: [string, SessionPhase][] = [], declined: string[] = [], ended: string[] = [],
    held: { connect?: number[]; listen?: number[] } = {},
): Known {
    return {
        sessions: new Map(sessions), declined: new Set(declined), ended: new Set(ended),
        held: { connect: new Set(held.connect ?? []), listen: new Set(held.listen ?? []) },
    };
}

test('auto-attach: every target with a port and no session', () => {
    const ts = targets();
    const d = decide(ts, known(), ALL);
    assert.deepEqual(d.attach.map((t) => t.label), ['training algo-1', 'serving algo-1 worker 1', 'serving algo-1 worker 2']);
    assert.deepEqual(d.detach, []);
});

test('no second session for a target that has one (or is connecting)', () => {
    const ts = targets();
    const d = decide(ts, known([[ts[0].key, 'connecting'], [ts[1].key, 'paused']]), ALL);
    assert.deepEqual(d.attach.map((t) => t.label), ['serving algo-1 worker 2']);
});

test('a target the user detached from is left alone', () => {
    const ts = targets();
    assert.deepEqual(decide(ts, known([], [ts[0].key]), ALL).attach.length, 2);
});

test('an ended target is tried again (a restarted worker listens on the same port)', () => {
    const ts = targets();
    assert.equal(decide(ts, known([], [], [ts[1].key]), ALL).attach.length, 3);
});

test('only the runs asked for (autoAttach on in their folder, or started by Debug Script)', () => {
    assert.equal(decide(targets(), known(), new Set()).attach.length, 0);
    assert.equal(decide(targets(), known(), new Set(['r1'])).attach.length, 3);
    assert.equal(decide(targets(), known(), new Set(['other'])).attach.length, 0);
});

test('sessions of targets that left the state file end', () => {
    const old = targets('r0');
    const d = decide(targets('r1'), known([[old[0].key, 'attached']]), ALL);
    assert.deepEqual(d.detach, [old[0].key]);
});

test('connect-back targets of a run that connect to one address share one listener', () => {
    const ts = targets();
    const [listener] = listenersOf(ts);
    assert.equal(listenersOf(ts).length, 1);
    assert.equal(listener.port, 5690);
    assert.equal(listener.address, 'host.docker.internal:5690');
    assert.deepEqual(listener.targets.map((t) => t.label), ['training algo-2', 'training algo-3']);
    assert.equal(listenerKey(ts[3]), listenerKey(ts[4]));
    assert.equal(runOfKey(listener.key), 'r1');
    assert.equal(runOfKey(ts[0].key), 'r1');
    // Another run's listener on the same address is another listener.
    assert.notEqual(listenerKey(targets('r2')[3]), listenerKey(ts[3]));
});

test('a connect-back run gets its listener, once, on the same terms as a target', () => {
    const ts = targets();
    const key = listenerKey(ts[3]);
    assert.deepEqual(decide(ts, known(), ALL).listen.map((l) => l.key), [key]);
    assert.deepEqual(decide(ts, known([[key, 'connecting']]), ALL).listen, []);
    assert.deepEqual(decide(ts, known([], [key]), ALL).listen, [], 'declined: the user stopped it');
    assert.deepEqual(decide(ts, known([], [], [key]), ALL).listen.length, 1, 'again after its debuggee ended');
    assert.deepEqual(decide(ts, known(), new Set()).listen, [], 'autoAttach off');
    // Its session ends with the run (or when its targets leave the file).
    assert.deepEqual(decide(targets('r2'), known([[key, 'attached']]), ALL).detach, [key]);
    assert.deepEqual(decide(ts, known([[key, 'attached']]), ALL).detach, []);
});

test('a port a debugpy session holds is never attached or listened on', () => {
    const ts = targets();
    const d = decide(ts, known([], [], [], { connect: [5679] }), ALL);
    assert.deepEqual(d.attach.map((t) => t.label), ['training algo-1', 'serving algo-1 worker 2']);
    assert.equal(d.listen.length, 1, 'a loopback attach does not hold a listen port');
    assert.deepEqual(decide(ts, known([], [], [], { listen: [5690] }), ALL).listen, []);
    assert.equal(decide(ts, known([], [], [], { listen: [5690] }), ALL).attach.length, 3);
});

test('states', () => {
    const ts = targets();
    assert.equal(targetState(ts[0], known()), 'waiting');
    assert.equal(targetState(ts[1], known()), 'listening');
    assert.equal(targetState(ts[3], known()), 'connects back');
    assert.equal(targetState(ts[3], known([[listenerKey(ts[3]), 'connecting']])), 'awaiting');
    assert.equal(targetState(ts[4], known([[listenerKey(ts[3]), 'paused']])), 'paused');
    assert.equal(targetState(ts[3], known([], [], [], { listen: [5690] })), 'held by debugpy');
    assert.equal(targetState(ts[1], known([], [], [], { connect: [5679] })), 'held by debugpy');
    assert.equal(targetState(ts[1], known([[ts[1].key, 'attached']], [], [], { connect: [5679] })), 'attached');
    assert.equal(targetState(ts[0], known([[ts[0].key, 'paused']])), 'paused');
    assert.equal(targetState(ts[0], known([], [], [ts[0].key])), 'gone');
    assert.equal(targetState(ts[0], known([[ts[0].key, 'connecting']], [], [ts[0].key])), 'gone');
    assert.equal(targetState(ts[0], known([[ts[0].key, 'attached']], [], [ts[0].key])), 'attached');
});

test('summary', () => {
    assert.equal(summary([]), 'smdebug-local: no target yet');
    assert.equal(summary(['attached', 'paused', 'attached', 'gone']), 'smdebug-local: 1 paused, 2 attached, 1 gone');
    assert.equal(summary(['connects back', 'awaiting', 'held by debugpy']), 'smdebug-local: 1 awaiting, 1 held by debugpy, 1 connects back');
});

test("a connect-back run of PyCharm's debugger gets no debugpy listener of ours", () => {
    const ts = parseState(JSON.stringify({
        version: 1, run: 'r1', pid: 1, script: 's.py',
        targets: [
            { role: 'training', host: 'algo-1', service: 's1', container: 'c1', endpoints: [], connect: 'host.docker.internal:5690', debugger: 'pydevd-pycharm', wait: true, pathMappings: [] },
        ],
    })).targets;
    assert.equal(ts[0].debugger, 'pydevd-pycharm');
    assert.deepEqual(listenersOf(ts), []);
    assert.deepEqual(decide(ts, known(), ALL).listen, []);
    assert.equal(targetState(ts[0], known()), 'connects back');
    assert.equal(targets()[3].debugger, 'debugpy', 'an entry without "debugger" is debugpy (older files)');
});
