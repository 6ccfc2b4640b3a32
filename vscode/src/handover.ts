// Living next to the Python Debugger (ms-python.debugpy): the launch.json that
// `smdebug-local init vscode` writes has "type": "debugpy" attach configurations on the same
// ports the extension attaches to with its own type. A debugpy adapter serves one IDE
// session, and a listen port takes one listener, so the two must never hold one target at
// once: a port a "debugpy" session holds -- or is about to hold: F5 runs the pre-launch
// task (the run) before the session starts -- is left to it, and when the user starts one
// on a port a session of ours holds, ours ends first (a handover). Pure (unit-tested in
// test/handover.test.ts); src/attacher.ts wires it to VS Code.

/** What a "debugpy" configuration claims: the port it attaches to (``connect``, or the
 * legacy ``host``/``port``) on this machine's loopback, or the port it listens on. */
export interface Claim {
    port: number;
    listen: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0', '::', '[::]']);

function portNumber(value: unknown): number | null {
    const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

/** The claim of a "debugpy" configuration, or null (a launch, an attach by process id, a
 * child process's session, or a port on another machine: nothing of ours). */
export function claimOf(config: Record<string, unknown>): Claim | null {
    if (config.request !== 'attach' || config.subProcessId !== undefined) {
        return null;
    }
    const listen = config.listen as Record<string, unknown> | undefined;
    if (listen && typeof listen === 'object') {
        const port = portNumber(listen.port);
        return port === null ? null : { port, listen: true };
    }
    const connect = (config.connect && typeof config.connect === 'object'
        ? config.connect : config) as Record<string, unknown>;
    const host = typeof connect.host === 'string' ? connect.host : '127.0.0.1';
    const port = portNumber(connect.port);
    return port === null || !LOOPBACK.has(host) ? null : { port, listen: false };
}

export interface HeldPorts {
    connect: ReadonlySet<number>;
    listen: ReadonlySet<number>;
}

/** One of our sessions (or a listener still waiting for its debuggee) and the port it
 * holds. */
export interface Held {
    key: string;
    port: number;
    listen: boolean;
}

/** The sessions of ours to end before a "debugpy" session with ``claim`` starts. */
export function handOver(claim: Claim, ours: readonly Held[]): string[] {
    return ours.filter((h) => h.port === claim.port && h.listen === claim.listen).map((h) => h.key);
}

/** The pre-launch task a configuration names (a task's label, or "source: name" for a
 * task a provider contributes), or undefined (none, or named some other way: an object). */
export function preLaunchTaskOf(config: Record<string, unknown>): string | undefined {
    const task = config.preLaunchTask;
    return typeof task === 'string' && task.trim() !== '' ? task : undefined;
}

/** The names a configuration's ``preLaunchTask`` may give a task: its label (its name),
 * or "source: name". */
export function taskNames(task: { name: string; source: string }): string[] {
    return [task.name, `${task.source}: ${task.name}`];
}

/** How long a claim whose session has not started yet holds its port: the pre-launch
 * task starts the run and the session attaches once the container waits (the run gives
 * up on a waiting container after 5 minutes). */
export const PENDING_MS = 6 * 60_000;
/** After a listening "debugpy" session ends, how long its port stays held: with
 * "restart": true (the generated listen configuration) VS Code starts it again 300 ms
 * later, and debugpy's new adapter needs a moment to listen again. */
export const RESTART_GRACE_MS = 10_000;

/**
 * The ports "debugpy" sessions hold: claimed when VS Code resolves a configuration
 * (before its pre-launch task runs), held while the session lives, released when it ends
 * (a listener's after a grace period), when a claim's session never starts within
 * PENDING_MS, or when its own pre-launch task ends before its session started (the run
 * failed and the user aborted). Another task ending changes nothing: the pre-launch task
 * may still be starting the run.
 */
export class Holds {
    private readonly pending: { claim: Claim; until: number; task?: string }[] = [];
    private readonly sessions = new Map<string, Claim>();
    private readonly grace: { claim: Claim; until: number }[] = [];

    /** VS Code resolved a "debugpy" configuration with ``claim`` (and pre-launch task
     * ``task``, if it names one: src/handover.ts preLaunchTaskOf). */
    claim(claim: Claim, now: number, task?: string): void {
        this.pending.push({ claim, until: now + PENDING_MS, task });
    }

    /** A "debugpy" session with ``claim`` started (or its adapter was created). */
    start(id: string, claim: Claim): void {
        const i = this.pending.findIndex((p) => p.claim.port === claim.port && p.claim.listen === claim.listen);
        if (i >= 0) {
            this.pending.splice(i, 1);
        }
        this.sessions.set(id, claim);
    }

    /** Session ``id`` ended; returns its claim (undefined if it held none). */
    end(id: string, now: number): Claim | undefined {
        const claim = this.sessions.get(id);
        this.sessions.delete(id);
        if (claim?.listen) {
            this.grace.push({ claim, until: now + RESTART_GRACE_MS });
        }
        return claim;
    }

    /** A task known by ``names`` (taskNames) ended: the claims it was the pre-launch task
     * of, whose session has not started, are given up (true if there were any). */
    taskEnded(names: readonly string[]): boolean {
        const before = this.pending.length;
        for (let i = this.pending.length - 1; i >= 0; i--) {
            const task = this.pending[i].task;
            if (task !== undefined && names.includes(task)) {
                this.pending.splice(i, 1);
            }
        }
        return this.pending.length !== before;
    }

    /** Whether session ``id`` is one holding a port. */
    has(id: string): boolean {
        return this.sessions.has(id);
    }

    /** The ports held now: attached to (``connect``) and listened on (``listen``). */
    ports(now: number): HeldPorts {
        const live = (list: { until: number }[]) => {
            for (let i = list.length - 1; i >= 0; i--) {
                if (list[i].until <= now) {
                    list.splice(i, 1);
                }
            }
        };
        live(this.pending);
        live(this.grace);
        const claims = [
            ...this.pending.map((p) => p.claim), ...this.sessions.values(), ...this.grace.map((g) => g.claim),
        ];
        return {
            connect: new Set(claims.filter((c) => !c.listen).map((c) => c.port)),
            listen: new Set(claims.filter((c) => c.listen).map((c) => c.port)),
        };
    }
}
