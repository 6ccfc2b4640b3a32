// Which debug sessions belong to a run, for "Continue All" / "Pause All": the sessions of
// its targets (every container, rank and model-server worker, and its connect-back
// listener), the child sessions of those (DataLoader workers, multiprocessing: debugpy
// starts each as a child session), and a Python Debugger ("debugpy") session the user
// started on one of its ports. Pure (unit-tested in test/runsessions.test.ts).

import { claimOf } from './handover';
import { runOfKey } from './decide';

/** What is needed of a VS Code debug session. */
export interface SessionInfo {
    id: string;
    type: string;
    configuration: Record<string, unknown>;
    parentId?: string;
}

/** A run and the ports its targets are reached on. */
export interface RunPorts {
    run: string;
    /** Loopback ports of its listen-mode targets. */
    connect: ReadonlySet<number>;
    /** Ports its connect-back targets connect to (our listener's, or the user's). */
    listen: ReadonlySet<number>;
}

function ownRoot(s: SessionInfo, ownType: string, run: RunPorts): boolean {
    if (s.type === ownType) {
        const key = s.configuration.target;
        return typeof key === 'string' && runOfKey(key) === run.run;
    }
    if (s.type === 'debugpy') {
        const claim = claimOf(s.configuration);
        return !!claim && (claim.listen ? run.listen : run.connect).has(claim.port);
    }
    return false;
}

/** The ids of ``sessions`` that belong to ``run`` (in the order given). */
export function sessionsOfRun(sessions: readonly SessionInfo[], run: RunPorts, ownType: string): string[] {
    const byId = new Map(sessions.map((s) => [s.id, s]));
    const belongs = (s: SessionInfo, hops = 0): boolean => {
        if (ownRoot(s, ownType, run)) {
            return true;
        }
        const parent = s.parentId !== undefined ? byId.get(s.parentId) : undefined;
        return !!parent && hops < 32 && belongs(parent, hops + 1);
    };
    return sessions.filter((s) => belongs(s)).map((s) => s.id);
}

/** The status message after Continue All / Pause All. */
export function outcome(verb: 'continued' | 'paused', script: string, done: number, failed: number): string {
    const of = script ? ` of ${script}` : '';
    if (done + failed === 0) {
        return `smdebug-local: no debug session${of} to ${verb === 'continued' ? 'continue' : 'pause'}`;
    }
    const sessions = (n: number) => `${n} session${n === 1 ? '' : 's'}`;
    return `smdebug-local: ${sessions(done)}${of} ${verb}` + (failed ? `, ${failed} did not answer` : '');
}
