// Which targets get a debug session and which sessions end, and what each target's state
// is -- from the state file's targets and the sessions that exist. Pure (unit-tested in
// test/decide.test.ts); src/attacher.ts carries the decisions out.

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
    | 'connects back'; // connect-back mode: the container connects to an IDE that listens

export interface Known {
    /** Target key -> its session's phase (no entry: no session). */
    sessions: ReadonlyMap<string, SessionPhase>;
    /** Targets the user detached from: never attached again by themselves. */
    declined: ReadonlySet<string>;
    /** Targets whose session ended while their entry stayed (their process ended). */
    ended: ReadonlySet<string>;
}

export interface Decisions {
    attach: Target[];
    /** Keys of sessions whose target left the state file (container removed, run over). */
    detach: string[];
}

/**
 * Attach every target that can be attached (it has a loopback port), has no session, was
 * not declined, and belongs to a run we attach (``attachRuns``: the runs of folders with
 * autoAttach on, and runs started by "Debug Script"). Targets of other workspaces never
 * reach here: each folder's own state file is read, and only while its run is alive.
 */
export function decide(
    targets: readonly Target[],
    known: Known,
    attachRuns: ReadonlySet<string>,
): Decisions {
    const present = new Set(targets.map((t) => t.key));
    const attach = targets.filter(
        (t) => t.port !== null
            && attachRuns.has(t.run)
            && !known.sessions.has(t.key)
            && !known.declined.has(t.key),
    );
    const detach = [...known.sessions.keys()].filter((key) => !present.has(key));
    return { attach, detach };
}

export function targetState(target: Target, known: Known): TargetState {
    if (target.port === null) {
        return 'connects back';
    }
    const phase = known.sessions.get(target.key);
    // An ended target is tried again (a restarted worker listens on the same port), but
    // until something answers it is gone.
    if (phase && !(phase === 'connecting' && known.ended.has(target.key))) {
        return phase;
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
        'paused', 'attached', 'connecting', 'waiting', 'listening', 'connects back', 'gone',
    ];
    const counts = order
        .map((s) => [s, states.filter((x) => x === s).length] as const)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`);
    return `smdebug-local: ${counts.join(', ')}`;
}
