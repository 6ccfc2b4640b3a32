// Which targets get a debug session and which sessions end, and what each target's state
// is -- from the state file's targets and the sessions that exist. Pure (unit-tested in
// test/decide.test.ts); src/attacher.ts carries the decisions out.
//
// Connect-back targets (the container connects to a debugger that listens: `run --mode
// connect`) have no port to attach to. Each run's connect-back targets that connect to the
// same address share one *listener*: a session of debugpy's own adapter on this machine,
// listening where the containers connect (src/connectback.ts), started when the first of
// them is listed and again after each debuggee it served ended, while the run lists any.

import type { HeldPorts } from './handover';
import type { Target } from './state';

/** A target's session as the attacher tracks it. */
export type SessionPhase = 'connecting' | 'attached' | 'paused';

/** What the Targets view and the status bar show for a target. */
export type TargetState =
    | 'waiting' // the process waits for a debugger before it runs
    | 'listening' // the process runs; a debugger may attach
    | 'connecting' // a session is being opened
    | 'attached'
    | 'paused' // a session of this target stopped at a breakpoint (or step)
    | 'gone' // it had a session, and its process has ended
    | 'held by debugpy' // a Python Debugger (debugpy) session has its port: left to it
    | 'awaiting' // connect-back: our listener waits for the container to connect
    | 'connects back'; // connect-back, and nothing of ours listens for it

export interface Known {
    /** Target (or listener) key -> its session's phase (no entry: no session). */
    sessions: ReadonlyMap<string, SessionPhase>;
    /** Targets the user detached from: never attached again by themselves. */
    declined: ReadonlySet<string>;
    /** Targets whose session ended while their entry stayed (their process ended). */
    ended: ReadonlySet<string>;
    /** Ports a session of another debugger (the Python Debugger's "debugpy" type) holds or
     * is about to hold: never attached to or listened on by us (src/handover.ts). */
    held?: HeldPorts;
}

const NOTHING_HELD: HeldPorts = { connect: new Set(), listen: new Set() };

/** Where a run's connect-back targets connect to: one listener for all of them. */
export interface Listener {
    key: string;
    run: string;
    /** As the state file says it, e.g. "host.docker.internal:5678". */
    address: string;
    /** The port to listen on (the address's), or null if it names none. */
    port: number | null;
    targets: Target[];
}

export interface Decisions {
    attach: Target[];
    /** Listeners to start (connect-back targets of runs we attach). */
    listen: Listener[];
    /** Keys of sessions whose target left the state file (container removed, run over). */
    detach: string[];
}

/** The key of the listener a connect-back target connects to (one per run and address). */
export function listenerKey(target: Target): string {
    return [target.run, 'listen', target.address].join('|');
}

/** The listeners of ``targets``' connect-back targets, in order of first appearance. */
export function listenersOf(targets: readonly Target[]): Listener[] {
    const byKey = new Map<string, Listener>();
    for (const t of targets) {
        // Attachable targets have a port; a connect-back target of PyCharm's debugger
        // connects to PyCharm's Debug Server, so no debugpy listener of ours is for it.
        if (t.port !== null || (t.debugger ?? 'debugpy') !== 'debugpy') {
            continue;
        }
        const key = listenerKey(t);
        let listener = byKey.get(key);
        if (!listener) {
            const match = /:(\d+)$/.exec(t.address);
            const port = match ? Number(match[1]) : 0;
            listener = {
                key, run: t.run, address: t.address,
                port: port > 0 && port < 65536 ? port : null, targets: [],
            };
            byKey.set(key, listener);
        }
        listener.targets.push(t);
    }
    return [...byKey.values()];
}

/** The run a target's (or listener's) key belongs to: keys start with the run id. */
export function runOfKey(key: string): string {
    return key.slice(0, key.indexOf('|') < 0 ? key.length : key.indexOf('|'));
}

/**
 * Attach every target that can be attached (it has a loopback port), has no session, was
 * not declined, whose port no debugpy session holds, and belongs to a run we attach
 * (``attachRuns``: the runs of folders with autoAttach on, and runs started by "Debug
 * Script"); start the listener of such a run's connect-back targets on the same terms.
 * Targets of other workspaces never reach here: each folder's own state file is read, and
 * only while its run is alive.
 */
export function decide(
    targets: readonly Target[],
    known: Known,
    attachRuns: ReadonlySet<string>,
): Decisions {
    const held = known.held ?? NOTHING_HELD;
    const listeners = listenersOf(targets);
    const present = new Set([...targets.map((t) => t.key), ...listeners.map((l) => l.key)]);
    const free = (key: string, port: number | null, run: string, ports: ReadonlySet<number>) =>
        port !== null
        && attachRuns.has(run)
        && !ports.has(port)
        && !known.sessions.has(key)
        && !known.declined.has(key);
    const attach = targets.filter((t) => free(t.key, t.port, t.run, held.connect));
    const listen = listeners.filter((l) => free(l.key, l.port, l.run, held.listen));
    const detach = [...known.sessions.keys()].filter((key) => !present.has(key));
    return { attach, listen, detach };
}

export function targetState(target: Target, known: Known): TargetState {
    const held = known.held ?? NOTHING_HELD;
    if (target.port === null) {
        const listener = listenersOf([target])[0];
        if (!listener) {
            return 'connects back'; // to another IDE's debugger (PyCharm's)
        }
        const phase = known.sessions.get(listener.key);
        if (phase === 'connecting') {
            return 'awaiting';
        }
        if (phase) {
            return phase;
        }
        return listener.port !== null && held.listen.has(listener.port) ? 'held by debugpy' : 'connects back';
    }
    const phase = known.sessions.get(target.key);
    // An ended target is tried again (a restarted worker listens on the same port), but
    // until something answers it is gone.
    if (phase && !(phase === 'connecting' && known.ended.has(target.key))) {
        return phase;
    }
    if (held.connect.has(target.port)) {
        return 'held by debugpy';
    }
    if (known.ended.has(target.key)) {
        return 'gone';
    }
    return target.wait ? 'waiting' : 'listening';
}

/** One status-bar summary for the runs' targets: "smdebug-local: 1 paused, 2 attached". */
export function summary(states: readonly TargetState[]): string {
    if (states.length === 0) {
        return 'smdebug-local: no target yet'; // a run that has started no container yet
    }
    const order: TargetState[] = [
        'paused', 'attached', 'connecting', 'awaiting', 'waiting', 'listening',
        'held by debugpy', 'connects back', 'gone',
    ];
    const counts = order
        .map((s) => [s, states.filter((x) => x === s).length] as const)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`);
    return `smdebug-local: ${counts.join(', ')}`;
}
